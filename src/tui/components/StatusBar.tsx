// Bottom line: own ID (short) and whether it is open or dark, contacts online, profile protection,
// tor state, bell, pending requests/offers and the last error — all in words, readable without
// colour.
import { Box, Text } from 'ink';
import { shortenId } from '../state/format.js';
import type { TorState } from '../state/types.js';
import { useTone } from '../theme.js';

export interface StatusBarProps {
  readonly ownAddress: string | null;
  readonly online: number;
  readonly protectedProfile: boolean;
  readonly tor: TorState;
  /** Our ID (identity onion) in words (`open`, `open till 14:30`, `DARK`), once known. */
  readonly identity?: string | null;
  readonly bell: boolean;
  readonly requests: number;
  readonly offers: number;
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** Which running tor we attached to, when its control port took no password or cookie. */
const ACCESS_WORDS: Readonly<Record<NonNullable<TorState['access']>, string>> = {
  authenticated: '',
  'user-opt-in': ' via UNAUTHENTICATED control port',
  tails: ' via Tails filter',
  whonix: ' via Whonix gateway',
};

function torWord(tor: TorState): string {
  const via = tor.access === undefined ? '' : ACCESS_WORDS[tor.access];
  if (tor.problem !== null) return `tor PROBLEM${via}`;
  if (tor.published) return `tor ready${via}`;
  return `tor ${Math.round(tor.progress)}%${via}`;
}

export function StatusBar(props: Readonly<StatusBarProps>) {
  const tone = useTone();
  const id = props.ownAddress === null ? 'ID …' : `ID ${shortenId(props.ownAddress)}`;
  const parts = [
    props.identity === undefined || props.identity === null ? id : `${id} ${props.identity}`,
  ];
  if (props.requests > 0) parts.push(`${props.requests} request(s): r`);
  if (props.offers > 0) parts.push(`${props.offers} file offer(s): t`);
  parts.push(
    `${props.online} online`,
    props.protectedProfile ? 'protected' : 'UNPROTECTED',
    torWord(props.tor),
    props.bell ? 'bell on' : 'bell off',
    '? help',
  );
  return (
    <Box flexDirection="column">
      {props.error === null ? null : (
        <Text color={tone('bad')} wrap="truncate-end">
          Error ({props.error.code}): {props.error.message} [Esc]
        </Text>
      )}
      <Text inverse wrap="truncate-end">
        {parts.join(' | ')}
      </Text>
    </Box>
  );
}
