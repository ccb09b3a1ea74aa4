// Dialog: add a contact by ID in any form (`ricochet:<id>`, `<id>.onion`, bare id), validated as
// you type with parseRicochetAddress, plus the nickname and the request message they will see, and
// our own nickname that the request carries (empty by default: the request then carries none).
import { Text, useInput } from 'ink';
import { useState } from 'react';
import {
  AddressBase32Error,
  AddressChecksumError,
  AddressLengthError,
  AddressPublicKeyError,
  AddressVersionError,
  formatRicochetId,
  parseRicochetAddress,
} from '../../identity/service-id.js';
import { findBinding } from '../keymap.js';
import { nicknameProblem, ownNicknameProblem, requestMessageProblem } from '../validate.js';
import { useTone } from '../theme.js';
import { DialogFrame } from './DialogFrame.js';
import { TextInput } from './TextInput.js';

export interface AddContactRequest {
  readonly address: string; // canonical ricochet:<id>
  readonly nickname: string;
  readonly message: string;
}

export interface AddContactProps {
  readonly ownAddress: string | null;
  /** The nickname our requests carry now ('' = none). */
  readonly ownNickname: string;
  /** `ownNickname`: what the user left in the "Your nickname" field (trimmed; '' = none). */
  readonly onSubmit: (request: AddContactRequest, ownNickname: string) => void;
  readonly onCancel: () => void;
}

type Field = 'address' | 'nickname' | 'message' | 'own';
const FIELDS: readonly Field[] = ['address', 'nickname', 'message', 'own'];
export const DEFAULT_REQUEST_MESSAGE = 'Hi, this is my Ricochet ID.';

function explain(error: unknown): string {
  if (error instanceof AddressLengthError) return 'wrong length: a v3 ID has 56 characters';
  if (error instanceof AddressBase32Error) return 'contains characters an ID cannot have';
  if (error instanceof AddressChecksumError) return 'checksum wrong: a character is mistyped';
  if (error instanceof AddressVersionError) return 'not a v3 onion address';
  if (error instanceof AddressPublicKeyError) return 'not a valid onion key';
  return 'expected ricochet:<id>, <id>.onion or the 56-character id';
}

/** `ricochet:<id>` for valid input, or the reason it is not valid. */
export function checkAddress(
  input: string,
): { ok: true; address: string } | { ok: false; reason: string } {
  try {
    return { ok: true, address: formatRicochetId(parseRicochetAddress(input)) };
  } catch (error) {
    return { ok: false, reason: explain(error) };
  }
}

export function AddContact(props: Readonly<AddContactProps>) {
  const tone = useTone();
  const [field, setField] = useState<Field>('address');
  const [address, setAddress] = useState('');
  const [nickname, setNickname] = useState('');
  const [message, setMessage] = useState(DEFAULT_REQUEST_MESSAGE);
  const [own, setOwn] = useState(props.ownNickname);
  const [attempted, setAttempted] = useState(false);
  const check = checkAddress(address);
  const isSelf = check.ok && check.address === props.ownAddress;
  const nickProblem = nicknameProblem(nickname);
  const messageProblem = requestMessageProblem(message);
  const ownProblem = ownNicknameProblem(own);

  useInput((input, key) => {
    const action = findBinding('dialog', input, key);
    if (action === 'cancel') props.onCancel();
    else if (action === 'next-field') {
      setField(
        (f) =>
          FIELDS[(FIELDS.indexOf(f) + (key.shift ? FIELDS.length - 1 : 1)) % FIELDS.length] ??
          'address',
      );
    } else if (action === 'submit') {
      setAttempted(true);
      if (!check.ok || isSelf) setField('address');
      else if (nickProblem !== null) setField('nickname');
      else if (messageProblem !== null) setField('message');
      else if (ownProblem !== null) setField('own');
      else
        props.onSubmit({ address: check.address, nickname: nickname.trim(), message }, own.trim());
    }
  });

  let addressNote: string;
  if (address.trim() === '') addressNote = 'paste the ID your contact gave you';
  else if (!check.ok) addressNote = `✗ ${check.reason}`;
  else if (isSelf) addressNote = '✗ that is your own ID';
  else addressNote = `✓ valid: ${check.address}`;
  const good = check.ok && !isSelf;

  return (
    <DialogFrame title="Add a contact" hint="Tab next field · Enter send request · Esc cancel">
      <TextInput
        label="ID"
        value={address}
        onChange={setAddress}
        focused={field === 'address'}
        maxLength={256}
      />
      <Text
        color={tone(good ? 'good' : address.trim() === '' ? 'muted' : 'bad')}
        wrap="truncate-end"
      >
        {'    '}
        {addressNote}
      </Text>
      <TextInput
        label="Nickname"
        value={nickname}
        onChange={setNickname}
        focused={field === 'nickname'}
        maxLength={64}
      />
      {(attempted || nickname !== '') && nickProblem !== null ? (
        <Text color={tone('bad')}>{`    ✗ ${nickProblem}`}</Text>
      ) : null}
      <TextInput
        label="Message"
        value={message}
        onChange={setMessage}
        focused={field === 'message'}
        maxLength={2100}
      />
      {messageProblem === null ? null : (
        <Text color={tone('bad')}>{`    ✗ message ${messageProblem}`}</Text>
      )}
      <TextInput
        label="Your nickname"
        value={own}
        onChange={setOwn}
        focused={field === 'own'}
        maxLength={64}
      />
      {ownProblem === null ? null : <Text color={tone('bad')}>{`    ✗ ${ownProblem}`}</Text>}
      <Text color={tone('muted')}>
        {own.trim() === ''
          ? '    They see this message and your ID (no nickname), and decide whether to accept.'
          : '    They see this message, your ID and your nickname, and decide whether to accept.'}
      </Text>
    </DialogFrame>
  );
}
