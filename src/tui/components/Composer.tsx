// The message composer: multi-line text with a cursor and a live count against the Ricochet
// limit of 2000 UTF-16 units; over the limit it says so and sending is refused.
import { Box, Text } from 'ink';
import { MESSAGE_LIMIT_UTF16, isOverLimit, utf16Length } from '../state/composer.js';
import type { ComposerState } from '../state/types.js';
import { sanitizeForTerminal } from '../sanitize.js';
import { useTone } from '../theme.js';

export const COMPOSER_TEXT_LINES = 3;

export interface ComposerProps {
  readonly composer: ComposerState;
  readonly focused: boolean;
  readonly recipient: string | null;
  readonly width: number;
}

const show = (text: string): string =>
  sanitizeForTerminal(text, { multiline: true, maxLength: 100_000 });

/** The last COMPOSER_TEXT_LINES lines up to the cursor's line, with the cursor marked. */
function visibleText(composer: ComposerState): { before: string; at: string; after: string } {
  const { text, cursor } = composer;
  const cp = text.codePointAt(cursor);
  const atWidth = cp === undefined ? 0 : cp > 0xffff ? 2 : 1;
  let before = text.slice(0, cursor);
  const beforeLines = before.split('\n');
  if (beforeLines.length > COMPOSER_TEXT_LINES)
    before = beforeLines.slice(-COMPOSER_TEXT_LINES).join('\n');
  const at = text.slice(cursor, cursor + atWidth);
  const afterLines = text.slice(cursor + atWidth).split('\n');
  const roomAfter = Math.max(
    0,
    COMPOSER_TEXT_LINES - Math.min(beforeLines.length, COMPOSER_TEXT_LINES),
  );
  const after = afterLines.slice(0, roomAfter + 1).join('\n');
  return {
    before,
    at: at === '\n' || at === '' ? ' ' : at,
    after: at === '\n' ? `\n${after}` : after,
  };
}

export function Composer(props: Readonly<ComposerProps>) {
  const tone = useTone();
  const length = utf16Length(props.composer.text);
  const over = isOverLimit(props.composer.text);
  const { before, at, after } = visibleText(props.composer);
  const status = over
    ? `TOO LONG: ${length}/${MESSAGE_LIMIT_UTF16} — shorten it to send`
    : `${length}/${MESSAGE_LIMIT_UTF16}`;
  return (
    <Box flexDirection="column" width={props.width}>
      <Text color={tone('muted')}>{'─'.repeat(Math.max(0, props.width))}</Text>
      {props.recipient === null ? (
        <Text color={tone('muted')}>Select a contact to write a message.</Text>
      ) : (
        <Box height={COMPOSER_TEXT_LINES} overflow="hidden">
          <Text>
            {props.focused ? '> ' : '  '}
            {show(before)}
            {props.focused ? <Text inverse>{show(at)}</Text> : show(at)}
            {show(after)}
          </Text>
        </Box>
      )}
      <Text color={tone(over ? 'bad' : 'muted')} wrap="truncate-end">
        {status}
        {props.composer.rejected ? ' — NOT SENT' : ''}
        {props.focused ? ' | Enter send, Ctrl+J newline, Esc back' : ' | Tab to write'}
      </Text>
    </Box>
  );
}
