// Dialog: someone asks to become a contact — their ID, chosen nickname and message (all
// sanitised) and the choice to accept, reject or block.
import { Text, useInput } from 'ink';
import type { IncomingRequestView } from '../../api/core-api.js';
import { findBinding } from '../keymap.js';
import { formatAgo } from '../state/format.js';
import { useTone } from '../theme.js';
import { DialogFrame } from './DialogFrame.js';

export interface IncomingRequestProps {
  readonly request: IncomingRequestView;
  readonly now: number;
  readonly onAccept: () => void;
  readonly onReject: () => void;
  readonly onBlock: () => void;
  readonly onClose: () => void;
}

export function IncomingRequest(props: Readonly<IncomingRequestProps>) {
  const tone = useTone();
  const { request } = props;
  useInput((input, key) => {
    const action = findBinding('request', input, key) ?? findBinding('dialog', input, key);
    if (action === 'accept') props.onAccept();
    else if (action === 'reject') props.onReject();
    else if (action === 'block') props.onBlock();
    else if (action === 'cancel') props.onClose();
  });
  return (
    <DialogFrame title="Contact request" hint="y accept · n reject · b block · Esc decide later">
      <Text>From: {request.address}</Text>
      <Text>Nickname: {request.nickname === '' ? '(none given)' : request.nickname}</Text>
      <Text color={tone('muted')}>
        Received: {formatAgo((props.now - request.receivedAt) / 1000)}
      </Text>
      <Text>Message:</Text>
      <Text>{request.message === '' ? '(no message)' : request.message}</Text>
      <Text> </Text>
      <Text color={tone('warn')}>
        Only accept people you expected. Accepting shows them when you are online.
      </Text>
    </DialogFrame>
  );
}
