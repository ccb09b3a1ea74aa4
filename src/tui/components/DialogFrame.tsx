// The frame every dialog is drawn in: a single-line border, a title and a key hint line.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { useTone } from '../theme.js';

export interface DialogFrameProps {
  readonly title: string;
  readonly hint: string;
  readonly children: ReactNode;
}

export function DialogFrame(props: Readonly<DialogFrameProps>) {
  const tone = useTone();
  return (
    <Box flexDirection="column" borderStyle="single" paddingX={1} flexGrow={1}>
      <Text bold color={tone('accent')}>
        {props.title}
      </Text>
      <Box flexDirection="column" flexGrow={1}>
        {props.children}
      </Box>
      <Text color={tone('muted')}>{props.hint}</Text>
    </Box>
  );
}
