// One message: local time, who wrote it, the (already sanitised) text, the delivery state in
// words and, for late messages, when the peer wrote it.
import { Text } from 'ink';
import type { DeliveryState } from '../../api/core-api.js';
import { formatAgo, formatClock } from '../state/format.js';
import type { UiMessage } from '../state/types.js';
import { useTone, type Tone } from '../theme.js';

/** Messages written more than this long before they arrived say so. */
export const LATE_SECONDS = 60;

const STATE_WORD: Readonly<Record<DeliveryState, string>> = {
  queued: '[queued]',
  sent: '[sent]',
  delivered: '[delivered]',
  failed: '[FAILED]',
};

const STATE_TONE: Readonly<Record<DeliveryState, Tone>> = {
  queued: 'muted',
  sent: 'muted',
  delivered: 'good',
  failed: 'bad',
};

export interface MessageLineProps {
  readonly message: UiMessage;
  readonly peerName: string;
  readonly now: number;
}

export function messagePrefix(message: UiMessage, peerName: string): string {
  return `${formatClock(message.at)} ${message.direction === 'out' ? 'me' : peerName}: `;
}

export function MessageLine(props: Readonly<MessageLineProps>) {
  const tone = useTone();
  const { message } = props;
  const late = message.direction === 'in' && -message.timeDelta >= LATE_SECONDS;
  return (
    <Text>
      <Text color={tone(message.direction === 'out' ? 'accent' : 'warn')}>
        {messagePrefix(message, props.peerName)}
      </Text>
      {message.text}
      {message.direction === 'out' ? (
        <Text color={tone(STATE_TONE[message.state])}> {STATE_WORD[message.state]}</Text>
      ) : null}
      {late ? (
        <Text color={tone('muted')}> (written {formatAgo((props.now - message.at) / 1000)})</Text>
      ) : null}
    </Text>
  );
}
