// The open conversation: a header with the contact's state in words and a window of only the
// messages that fit (so 1,000+ messages cost no more to draw than a screenful).
import { Box, Text } from 'ink';
import { STATUS_WORD, displayName } from './ContactList.js';
import { MessageLine, messagePrefix } from './MessageLine.js';
import type { ContactEntry, UiMessage } from '../state/types.js';
import { useTone } from '../theme.js';

export interface ConversationProps {
  readonly contact: ContactEntry | null;
  readonly messages: readonly UiMessage[];
  readonly scrollBack: number;
  readonly width: number;
  readonly height: number; // lines for the messages, header excluded
  readonly now: number;
}

/** Terminal lines `message` takes at `width` columns (an estimate that never undercounts by much). */
export function messageLines(message: UiMessage, peerName: string, width: number): number {
  const w = Math.max(1, width);
  const first = messagePrefix(message, peerName).length;
  const extra = message.direction === 'out' ? 12 : 0;
  return message.text
    .split('\n')
    .reduce(
      (sum, line, i) =>
        sum + Math.max(1, Math.ceil((line.length + (i === 0 ? first : 0) + extra) / w)),
      0,
    );
}

/** The messages to draw: newest `scrollBack` skipped, then as many as fit in `height` lines. */
export function visibleWindow(
  messages: readonly UiMessage[],
  peerName: string,
  scrollBack: number,
  width: number,
  height: number,
): readonly UiMessage[] {
  const end = Math.max(0, messages.length - scrollBack);
  let start = end;
  let used = 0;
  while (start > 0) {
    const candidate = messages[start - 1];
    if (candidate === undefined) break;
    const lines = messageLines(candidate, peerName, width);
    if (used + lines > height && start < end) break;
    used += lines;
    start--;
  }
  return messages.slice(start, end);
}

/** `[12 earlier · 3 newer] ` when there is more than fits (PgUp/PgDn), else nothing. */
export function scrollInfo(above: number, below: number): string {
  const parts = [];
  if (above > 0) parts.push(`${above} earlier`);
  if (below > 0) parts.push(`${below} newer`);
  return parts.length === 0 ? '' : `[${parts.join(' · ')}] `;
}

export function Conversation(props: Readonly<ConversationProps>) {
  const tone = useTone();
  const { contact } = props;
  if (contact === null) {
    return (
      <Box flexDirection="column" width={props.width} height={props.height + 1}>
        <Text color={tone('muted')}>No conversation open. Select a contact and press Enter.</Text>
      </Box>
    );
  }
  const name = displayName(contact.nickname, contact.address);
  const shown = visibleWindow(props.messages, name, props.scrollBack, props.width, props.height);
  const hiddenAbove = props.messages.length - props.scrollBack - shown.length;
  return (
    <Box flexDirection="column" width={props.width}>
      <Text bold wrap="truncate-end">
        {scrollInfo(hiddenAbove, props.scrollBack)}
        {name} — {STATUS_WORD[contact.status]}
        {contact.historyEnabled ? '' : ' — history off'}
      </Text>
      <Box flexDirection="column" height={props.height} overflow="hidden" justifyContent="flex-end">
        {shown.map((m) => (
          <MessageLine key={m.key} message={m} peerName={name} now={props.now} />
        ))}
      </Box>
    </Box>
  );
}
