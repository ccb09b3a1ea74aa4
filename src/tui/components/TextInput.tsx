// One-line text field: printable input is appended, Backspace/Delete remove the last character.
// Enter, Tab and Esc are left to the dialog that owns the field.
import { Text, useInput } from 'ink';
import { sanitizeForTerminal } from '../sanitize.js';

export type Updater = (update: (previous: string) => string) => void;

export interface TextInputProps {
  readonly label: string;
  readonly value: string;
  readonly onChange: Updater;
  readonly focused: boolean;
  readonly secret?: boolean;
  readonly maxLength?: number;
}

/** Removes line breaks and control characters from typed or pasted text. */
export function cleanFieldInput(input: string): string {
  return input.replace(/[\r\n\t]+/g, ' ').replace(/\p{Cc}/gu, '');
}

function removeLast(text: string): string {
  return Array.from(text).slice(0, -1).join('');
}

export function TextInput(props: Readonly<TextInputProps>) {
  const { onChange, maxLength = 1000 } = props;
  useInput(
    (input, key) => {
      if (key.return || key.tab || key.escape || key.upArrow || key.downArrow) return;
      if (key.backspace || key.delete) {
        onChange(removeLast);
        return;
      }
      if (key.ctrl || key.meta) return;
      const clean = cleanFieldInput(input);
      if (clean !== '') onChange((previous) => (previous + clean).slice(0, maxLength));
    },
    { isActive: props.focused },
  );
  const shown = props.secret
    ? '*'.repeat(Array.from(props.value).length)
    : sanitizeForTerminal(props.value, { maxLength });
  return (
    <Text>
      {props.focused ? '> ' : '  '}
      {props.label}: {shown}
      {props.focused ? <Text inverse> </Text> : null}
    </Text>
  );
}
