// Dialog: every file transfer with direction, name, a progress bar, speed and ETA; the selected
// offer can be accepted or rejected, a running transfer cancelled.
import { Text, useInput } from 'ink';
import { useState } from 'react';
import { fileNameForDisplay } from '../file-name-display.js';
import { findBinding } from '../keymap.js';
import { etaSeconds, formatBytes, formatEta, formatSpeed, progressBar } from '../state/format.js';
import type { TransferEntry } from '../state/types.js';
import { isActive } from '../state/transfers.js';
import { DialogFrame } from './DialogFrame.js';

export interface TransfersProps {
  readonly transfers: readonly TransferEntry[];
  readonly nameOf: (address: string) => string;
  readonly onAccept: (t: TransferEntry) => void;
  readonly onReject: (t: TransferEntry) => void;
  readonly onCancelTransfer: (t: TransferEntry) => void;
  readonly onOpen: (t: TransferEntry) => void;
  readonly onClose: () => void;
}

/** Room for a file name in the list: the line is cut at its end, so the name comes first. */
export const LIST_NAME_MAX = 40;

export function transferLine(t: TransferEntry, who: string): string {
  const arrow = t.direction === 'in' ? `from ${who}` : `to ${who}`;
  const name = fileNameForDisplay(t.name, LIST_NAME_MAX);
  const head = `${t.direction === 'in' ? '↓' : '↑'} ${name} (${formatBytes(t.size)}) ${arrow}`;
  if (t.state === 'transferring' || t.state === 'accepted') {
    const fraction = t.size > 0 ? t.transferred / t.size : 0;
    const eta = formatEta(etaSeconds(t.size, t.transferred, t.bytesPerSecond));
    return `${head} ${progressBar(fraction, 12)} ${Math.floor(fraction * 100)}% ${formatSpeed(t.bytesPerSecond)} ETA ${eta}`;
  }
  if (t.state === 'offered')
    return `${head} — ${t.direction === 'in' ? 'offered: y/n' : 'waiting for them'}`;
  if (t.state === 'done') return `${head} — done${t.path === undefined ? '' : `: ${t.path}`}`;
  return `${head} — ${t.state}`;
}

export function Transfers(props: Readonly<TransfersProps>) {
  const [index, setIndex] = useState(0);
  const count = props.transfers.length;
  const current = props.transfers[Math.min(index, count - 1)];
  useInput((input, key) => {
    const action = findBinding('transfers', input, key) ?? findBinding('dialog', input, key);
    if (action === 'cancel') props.onClose();
    else if (action === 'up') setIndex((i) => Math.max(0, i - 1));
    else if (action === 'down') setIndex((i) => Math.min(Math.max(0, count - 1), i + 1));
    else if (current === undefined) return;
    else if (action === 'accept' && current.state === 'offered' && current.direction === 'in')
      props.onAccept(current);
    else if (action === 'reject' && current.state === 'offered' && current.direction === 'in')
      props.onReject(current);
    else if (action === 'cancel-transfer' && isActive(current)) props.onCancelTransfer(current);
    else if (action === 'submit') props.onOpen(current);
  });
  return (
    <DialogFrame
      title="File transfers"
      hint="↑↓ select · y accept · n reject · x cancel · Esc close"
    >
      {count === 0 ? <Text>No file transfers.</Text> : null}
      {props.transfers.map((t) => (
        <Text key={t.key} wrap="truncate-end">
          {t === current ? '> ' : '  '}
          {transferLine(t, props.nameOf(t.address))}
        </Text>
      ))}
    </DialogFrame>
  );
}
