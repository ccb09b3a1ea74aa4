// Start screen: create a profile protected by a passphrase (typed twice, with a strength hint
// from the caller), or — explicitly, after a warning — without one.
import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { findBinding } from '../keymap.js';
import { useTone } from '../theme.js';
import { TextInput } from './TextInput.js';

export interface CreateProfileProps {
  readonly strengthHint: (passphrase: string) => string;
  /** `null` means: no passphrase, the user confirmed an unprotected profile. */
  readonly onCreate: (passphrase: string | null) => void;
  readonly onQuit: () => void;
}

type Field = 'pass' | 'again';

export function CreateProfile(props: Readonly<CreateProfileProps>) {
  const tone = useTone();
  const [field, setField] = useState<Field>('pass');
  const [pass, setPass] = useState('');
  const [again, setAgain] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [confirmUnprotected, setConfirmUnprotected] = useState(false);

  useInput((input, key) => {
    if (confirmUnprotected) {
      if (input === 'y') props.onCreate(null);
      else if (input === 'n' || key.escape) setConfirmUnprotected(false);
      return;
    }
    const action = findBinding('start', input, key) ?? findBinding('dialog', input, key);
    if (action === 'quit') props.onQuit();
    else if (action === 'unprotected') setConfirmUnprotected(true);
    else if (action === 'next-field') setField((f) => (f === 'pass' ? 'again' : 'pass'));
    else if (action === 'submit') {
      if (pass === '') setProblem('Type a passphrase (or Ctrl+N for no passphrase).');
      else if (field === 'pass') setField('again');
      else if (pass !== again) {
        setProblem('The two passphrases differ. Type them again.');
        setAgain('');
      } else props.onCreate(pass);
    }
  });

  if (confirmUnprotected) {
    return (
      <Box flexDirection="column" paddingX={1}>
        <Text bold color={tone('bad')}>
          Create the profile WITHOUT a passphrase?
        </Text>
        <Text>
          Your identity key, contacts and history would be stored unencrypted: anyone who gets this
          computer or its disk can read them and impersonate you.
        </Text>
        <Text>y create unprotected · n go back</Text>
      </Box>
    );
  }
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold>Create your Sotto profile</Text>
      <Text>Choose a passphrase. It encrypts your identity, contacts and history on disk.</Text>
      <TextInput
        label="Passphrase"
        value={pass}
        onChange={setPass}
        focused={field === 'pass'}
        secret
      />
      <TextInput
        label="Again     "
        value={again}
        onChange={setAgain}
        focused={field === 'again'}
        secret
      />
      <Text color={tone('muted')}>Strength: {pass === '' ? '—' : props.strengthHint(pass)}</Text>
      {problem === null ? null : <Text color={tone('bad')}>{problem}</Text>}
      <Text color={tone('muted')}>
        Enter next/create · Tab switch field · Ctrl+N no passphrase · Ctrl+C quit
      </Text>
    </Box>
  );
}
