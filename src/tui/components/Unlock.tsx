// Start screen: unlock a protected profile with its passphrase.
import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { findBinding } from '../keymap.js';
import { useTone } from '../theme.js';
import { TextInput } from './TextInput.js';

export interface UnlockProps {
  readonly onUnlock: (passphrase: string) => void;
  readonly onQuit: () => void;
  /** Shown under the field, e.g. "Wrong passphrase." after a failed attempt. */
  readonly error?: string;
  readonly busy?: boolean;
}

export function Unlock(props: Readonly<UnlockProps>) {
  const tone = useTone();
  const [pass, setPass] = useState('');
  useInput((input, key) => {
    const action = findBinding('start', input, key) ?? findBinding('global', input, key);
    if (action === 'quit') props.onQuit();
    else if (action === 'submit' && pass !== '' && props.busy !== true) {
      props.onUnlock(pass);
      setPass('');
    }
  });
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold>Unlock your Sotto profile</Text>
      <TextInput
        label="Passphrase"
        value={pass}
        onChange={setPass}
        focused={props.busy !== true}
        secret
      />
      {props.busy === true ? <Text>Unlocking…</Text> : null}
      {props.error === undefined ? null : <Text color={tone('bad')}>{props.error}</Text>}
      <Text color={tone('muted')}>Enter unlock · Ctrl+C quit</Text>
    </Box>
  );
}
