// Dialog: choose a file (by path) to offer to the selected contact.
import { Text, useInput } from 'ink';
import { useState } from 'react';
import { findBinding } from '../keymap.js';
import { useTone } from '../theme.js';
import { DialogFrame } from './DialogFrame.js';
import { TextInput } from './TextInput.js';

export interface SendFileProps {
  readonly recipient: string;
  readonly onSubmit: (path: string) => void;
  readonly onCancel: () => void;
}

export function SendFile(props: Readonly<SendFileProps>) {
  const tone = useTone();
  const [path, setPath] = useState('');
  const [attempted, setAttempted] = useState(false);
  useInput((input, key) => {
    const action = findBinding('dialog', input, key);
    if (action === 'cancel') props.onCancel();
    else if (action === 'submit') {
      setAttempted(true);
      if (path.trim() !== '') props.onSubmit(path.trim());
    }
  });
  return (
    <DialogFrame
      title={`Send a file to ${props.recipient}`}
      hint="Enter offer the file · Esc cancel"
    >
      <TextInput label="Path" value={path} onChange={setPath} focused maxLength={4096} />
      {attempted && path.trim() === '' ? (
        <Text color={tone('bad')}> ✗ type the path of a file</Text>
      ) : null}
      <Text color={tone('muted')}> They must accept it before anything is sent.</Text>
    </DialogFrame>
  );
}
