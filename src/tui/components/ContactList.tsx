// Left pane: incoming requests first, then contacts with a status symbol, unread count and a
// `>` marker on the selected row and a mark for contacts who reach us only on our ID (symbols and
// words, never colour alone).
import { Box, Text } from 'ink';
import type { ContactStatus, IncomingRequestView } from '../../api/core-api.js';
import { sameEntry, sortedContacts } from '../state/contacts.js';
import { shortenId } from '../state/format.js';
import type { ContactEntry, ListEntry } from '../state/types.js';
import { useTone, type Tone } from '../theme.js';

export const STATUS_SYMBOL: Readonly<Record<ContactStatus, string>> = {
  online: '●',
  offline: '○',
  'request-pending': '?',
  'request-rejected': 'x',
  'request-failed': '!',
  'removed-us': '-',
  blocked: '#',
};

/**
 * Marks a contact who can reach us only on our identity onion (a Ricochet Refresh contact, or a
 * Sotto contact without an endpoint yet): it cannot reach us while the ID is dark.
 */
export const IDENTITY_ONLY_SYMBOL = '◇';

export const STATUS_WORD: Readonly<Record<ContactStatus, string>> = {
  online: 'online',
  offline: 'offline',
  'request-pending': 'request pending',
  'request-rejected': 'request rejected',
  'request-failed': 'request not delivered yet',
  'removed-us': 'removed you',
  blocked: 'blocked',
};

const STATUS_TONE: Readonly<Record<ContactStatus, Tone>> = {
  online: 'good',
  offline: 'muted',
  'request-pending': 'warn',
  'request-rejected': 'bad',
  'request-failed': 'warn',
  'removed-us': 'bad',
  blocked: 'bad',
};

export interface ContactListProps {
  readonly contacts: readonly ContactEntry[];
  readonly requests: readonly IncomingRequestView[];
  readonly selected: ListEntry | null;
  /** Contacts that reach us only on our identity onion (marked with IDENTITY_ONLY_SYMBOL). */
  readonly identityOnly?: ReadonlySet<string>;
  readonly focused: boolean;
  readonly width: number;
  readonly height: number;
}

export function displayName(nickname: string, address: string): string {
  return nickname === '' ? shortenId(address) : nickname;
}

export function ContactList(props: Readonly<ContactListProps>) {
  const tone = useTone();
  const marker = (entry: ListEntry) => (sameEntry(entry, props.selected) ? '>' : ' ');
  const contacts = sortedContacts(props.contacts);
  // One column for the mark once the core said who reaches us only on our ID.
  const identityMark = (address: string): string =>
    props.identityOnly === undefined
      ? ''
      : props.identityOnly.has(address)
        ? IDENTITY_ONLY_SYMBOL
        : ' ';
  return (
    <Box flexDirection="column" width={props.width} height={props.height} overflow="hidden">
      {props.requests.length === 0 ? null : <Text bold>Requests ({props.requests.length})</Text>}
      {props.requests.map((r) => (
        <Text key={`r:${r.address}`} wrap="truncate-end" color={tone('warn')}>
          {marker({ kind: 'request', address: r.address })} ! {displayName(r.nickname, r.address)}
        </Text>
      ))}
      <Text bold underline={props.focused}>
        {props.focused ? '[Contacts]' : 'Contacts'}
      </Text>
      {contacts.length === 0 ? <Text color={tone('muted')}> none yet: a to add</Text> : null}
      {contacts.map((c) => (
        <Text key={`c:${c.address}`} wrap="truncate-end">
          {marker({ kind: 'contact', address: c.address })} {identityMark(c.address)}
          <Text color={tone(STATUS_TONE[c.status])}>{STATUS_SYMBOL[c.status]}</Text>{' '}
          {displayName(c.nickname, c.address)}
          {c.unread > 0 ? ` (${c.unread})` : ''}
        </Text>
      ))}
    </Box>
  );
}
