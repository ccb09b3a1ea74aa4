// Tor start-up screen: a progress bar with the bootstrap phase, or a failure screen that says
// what went wrong and what to do (tor missing, bootstrap stuck, control port filtered).
import { Box, Text } from 'ink';
import { progressBar } from '../state/format.js';
import type { TorProblemKind, TorState } from '../state/types.js';
import { useTone } from '../theme.js';

export const PROBLEM_TEXT: Readonly<Record<TorProblemKind, { title: string; advice: string }>> = {
  'tor-missing': {
    title: 'Tor is not installed or could not be found',
    advice:
      'Install Tor (Debian/Ubuntu: sudo apt install tor), or tell Sotto where the tor program is, then start Sotto again.',
  },
  'bootstrap-stuck': {
    title: 'Tor cannot connect to the Tor network',
    advice:
      'Check that this computer is online and its clock is right. If Tor is blocked where you are, configure bridges. Sotto keeps trying meanwhile.',
  },
  'control-filtered': {
    title: "Tor's control port refused what Sotto needs",
    advice:
      'On Tails the control port is filtered (onion-grater): install the Sotto onion-grater profile as described in the Sotto documentation, or let Sotto run its own tor.',
  },
  other: {
    title: 'Tor reported a problem',
    advice: 'See the details below.',
  },
};

export interface TorProgressProps {
  readonly tor: TorState;
  readonly width: number;
}

export function TorProgress(props: Readonly<TorProgressProps>) {
  const tone = useTone();
  const { tor } = props;
  if (tor.problem !== null) {
    const text = PROBLEM_TEXT[tor.problem.kind];
    return (
      <Box flexDirection="column" paddingX={1}>
        <Text bold color={tone('bad')}>
          Problem: {text.title}
        </Text>
        <Text>{text.advice}</Text>
        <Text> </Text>
        <Text>Tor says: {tor.problem.summary}</Text>
        {tor.problem.recommendation === '' ? null : (
          <Text>What to do: {tor.problem.recommendation}</Text>
        )}
        <Text> </Text>
        <Text color={tone('muted')}>Press q to quit.</Text>
      </Box>
    );
  }
  const barWidth = Math.max(10, Math.min(60, props.width - 10));
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold>Connecting to Tor…</Text>
      <Text>
        {progressBar(tor.progress / 100, barWidth)} {Math.round(tor.progress)}%
      </Text>
      <Text wrap="truncate-end">{tor.summary}</Text>
      <Text color={tone('muted')}>
        {tor.progress >= 100
          ? 'Publishing your onion service…'
          : 'This can take a minute. q quits.'}
      </Text>
    </Box>
  );
}
