// Dialog: someone asks to become a contact — their ID, the nickname they sent and their message
// (all sanitised) — and the choice to accept, reject or block. Accepting asks no typing: the name
// field is prefilled (their nickname if valid, else the first 8 characters of the ID, since
// Ricochet Refresh 3.0.41 never sends one) and `y` accepts with it; `e`/Tab edits it first.
import { Text, useInput } from 'ink';
import { useState } from 'react';
import type { IncomingRequestView } from '../../api/core-api.js';
import { findBinding } from '../keymap.js';
import { formatAgo } from '../state/format.js';
import { useTone } from '../theme.js';
import { nicknameProblem, suggestedNickname } from '../validate.js';
import { DialogFrame } from './DialogFrame.js';
import { TextInput } from './TextInput.js';

export interface IncomingRequestProps {
  readonly request: IncomingRequestView;
  readonly now: number;
  /** Accept with this name (trimmed, valid) for the new contact. */
  readonly onAccept: (nickname: string) => void;
  readonly onReject: () => void;
  readonly onBlock: () => void;
  readonly onClose: () => void;
}

export function IncomingRequest(props: Readonly<IncomingRequestProps>) {
  const tone = useTone();
  const { request } = props;
  const [name, setName] = useState(() => suggestedNickname(request));
  const [editing, setEditing] = useState(false);
  const problem = nicknameProblem(name);
  const accept = (): void => {
    if (problem === null) props.onAccept(name.trim());
    else setEditing(true);
  };
  useInput((input, key) => {
    if (editing) {
      const action = findBinding('dialog', input, key);
      if (action === 'submit') accept();
      else if (action === 'cancel' || action === 'next-field') setEditing(false);
      return;
    }
    const action = findBinding('request', input, key) ?? findBinding('dialog', input, key);
    if (action === 'accept') accept();
    else if (action === 'edit-name') setEditing(true);
    else if (action === 'reject') props.onReject();
    else if (action === 'block') props.onBlock();
    else if (action === 'cancel') props.onClose();
  });
  const hint = editing
    ? 'Enter accept with this name · Esc/Tab stop editing'
    : 'y accept · e edit name · n reject · b block · Esc decide later';
  return (
    <DialogFrame title="Contact request" hint={hint}>
      <Text>From: {request.address}</Text>
      <Text>Nickname sent: {request.nickname === '' ? '(none given)' : request.nickname}</Text>
      <Text color={tone('muted')}>
        Received: {formatAgo((props.now - request.receivedAt) / 1000)}
      </Text>
      <Text>Message:</Text>
      <Text>{request.message === '' ? '(no message)' : request.message}</Text>
      <Text> </Text>
      <TextInput label="Name" value={name} onChange={setName} focused={editing} maxLength={64} />
      {problem === null ? (
        <Text color={tone('muted')}>
          {'    the name you see; you can rename the contact later'}
        </Text>
      ) : (
        <Text color={tone('bad')}>{`    ✗ ${problem}`}</Text>
      )}
      <Text color={tone('warn')}>
        Only accept people you expected. Accepting shows them when you are online.
      </Text>
    </DialogFrame>
  );
}
