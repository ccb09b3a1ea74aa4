// Help: every key binding, rendered straight from the keymap table (src/tui/keymap.ts), paged
// with ↑/↓ so it fits 24 lines.
import { Text, useInput } from 'ink';
import { useState } from 'react';
import { CONTEXT_TITLES, KEYMAP, findBinding, type KeyContext } from '../keymap.js';
import { IDENTITY_ONLY_SYMBOL, STATUS_SYMBOL, STATUS_WORD } from './ContactList.js';
import { DialogFrame } from './DialogFrame.js';

export interface HelpOverlayProps {
  readonly onClose: () => void;
  readonly height: number;
}

const ORDER: readonly KeyContext[] = [
  'global',
  'contacts',
  'composer',
  'dialog',
  'request',
  'file-offer',
  'transfers',
  'actions',
  'go-dark',
  'start',
];

/** The help text, one entry per line: section titles, bindings, then the status legend. */
export function helpLines(): readonly { readonly text: string; readonly title: boolean }[] {
  const lines: { text: string; title: boolean }[] = [];
  for (const context of ORDER) {
    lines.push({ text: CONTEXT_TITLES[context], title: true });
    for (const b of KEYMAP.filter((binding) => binding.context === context)) {
      lines.push({ text: `  ${b.keys.padEnd(20)} ${b.description}`, title: false });
    }
  }
  lines.push({ text: 'Contact status symbols', title: true });
  for (const [status, symbol] of Object.entries(STATUS_SYMBOL)) {
    lines.push({
      text: `  ${symbol}  ${STATUS_WORD[status as keyof typeof STATUS_WORD]}`,
      title: false,
    });
  }
  lines.push({
    text: `  ${IDENTITY_ONLY_SYMBOL}  reaches you only on your ID: not while it is dark`,
    title: false,
  });
  return lines;
}

export function HelpOverlay(props: Readonly<HelpOverlayProps>) {
  const lines = helpLines();
  const page = Math.max(1, props.height - 4);
  const [top, setTop] = useState(0);
  const maxTop = Math.max(0, lines.length - page);
  useInput((input, key) => {
    const action = findBinding('dialog', input, key);
    if (action === 'cancel' || action === 'submit' || input === '?' || input === 'q')
      props.onClose();
    else if (key.downArrow || input === 'j') setTop((t) => Math.min(maxTop, t + 1));
    else if (key.upArrow || input === 'k') setTop((t) => Math.max(0, t - 1));
    else if (key.pageDown || input === ' ') setTop((t) => Math.min(maxTop, t + page));
    else if (key.pageUp) setTop((t) => Math.max(0, t - page));
  });
  return (
    <DialogFrame
      title="Keys"
      hint={`↑↓ PgUp PgDn scroll · Esc close · ${top + 1}–${Math.min(lines.length, top + page)} of ${lines.length}`}
    >
      {lines.slice(top, top + page).map((line, i) => (
        <Text key={top + i} bold={line.title} wrap="truncate-end">
          {line.text}
        </Text>
      ))}
    </DialogFrame>
  );
}
