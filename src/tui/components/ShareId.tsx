// Dialog: your full `ricochet:` ID and its QR code drawn with half-block characters, to give
// to a contact in person or over another channel.
import { Box, Text, useInput } from 'ink';
import { useMemo } from 'react';
import { findBinding } from '../keymap.js';
import { qrLines } from '../qr.js';
import { DialogFrame } from './DialogFrame.js';

export interface ShareIdProps {
  readonly address: string | null;
  readonly onClose: () => void;
}

export function ShareId(props: Readonly<ShareIdProps>) {
  const lines = useMemo(
    () => (props.address === null ? [] : qrLines(props.address)),
    [props.address],
  );
  useInput((input, key) => {
    const action = findBinding('dialog', input, key);
    if (action === 'cancel' || action === 'submit') props.onClose();
  });
  if (props.address === null) {
    return (
      <DialogFrame title="My ID" hint="Esc close">
        <Text>Your ID is not known yet: wait until Tor is ready.</Text>
      </DialogFrame>
    );
  }
  return (
    <Box flexDirection="column" alignItems="center">
      <Text bold>{props.address}</Text>
      {lines.map((line, i) => (
        <Text key={i}>{line}</Text>
      ))}
      <Text>Give this ID to your contact (scan the code or copy the text). Esc closes.</Text>
    </Box>
  );
}
