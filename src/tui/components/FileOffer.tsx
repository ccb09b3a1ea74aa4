// Dialog: a contact offers a file — its name (sanitised, padding shown, ending always visible:
// tui/file-name-display.ts) and size, accept or reject.
import { Text, useInput } from 'ink';
import { findBinding } from '../keymap.js';
import { formatBytes } from '../state/format.js';
import type { TransferEntry } from '../state/types.js';
import { useTone } from '../theme.js';
import { DialogFrame } from './DialogFrame.js';

export interface FileOfferProps {
  readonly transfer: TransferEntry;
  readonly from: string;
  readonly onAccept: () => void;
  readonly onReject: () => void;
  readonly onClose: () => void;
}

export function FileOffer(props: Readonly<FileOfferProps>) {
  const tone = useTone();
  useInput((input, key) => {
    const action = findBinding('file-offer', input, key) ?? findBinding('dialog', input, key);
    if (action === 'accept') props.onAccept();
    else if (action === 'reject') props.onReject();
    else if (action === 'cancel') props.onClose();
  });
  return (
    <DialogFrame title="File offer" hint="y accept · n reject · Esc decide later">
      <Text>From: {props.from}</Text>
      <Text>Name: {props.transfer.name}</Text>
      <Text>Size: {formatBytes(props.transfer.size)}</Text>
      <Text color={tone('warn')}>
        Files can carry malware or identifying metadata: open them with care.
      </Text>
    </DialogFrame>
  );
}
