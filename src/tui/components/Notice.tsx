// A one-message dialog closed by Esc or Enter (e.g. "this request was already answered").
import { Text, useInput } from 'ink';
import { findBinding } from '../keymap.js';
import { DialogFrame } from './DialogFrame.js';

export interface NoticeProps {
  readonly text: string;
  readonly onClose: () => void;
}

export function Notice(props: Readonly<NoticeProps>) {
  useInput((input, key) => {
    const action = findBinding('dialog', input, key);
    if (action === 'cancel' || action === 'submit') props.onClose();
  });
  return (
    <DialogFrame title="Notice" hint="Esc close">
      <Text>{props.text}</Text>
    </DialogFrame>
  );
}
