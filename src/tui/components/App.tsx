// The whole terminal UI over a MessengerCore: Tor progress until the onion service is published,
// then the main screen with dialogs on top; status bar always at the bottom.
import { Box, useInput, useStdout } from 'ink';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CoreCommand, MessengerCore } from '../../api/core-api.js';
import type { UiState } from '../state/types.js';
import { useBell } from '../hooks/use-bell.js';
import { useCore } from '../hooks/use-core.js';
import { useMainKeys } from '../hooks/use-main-keys.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { findBinding } from '../keymap.js';
import { contactsOnline } from '../state/contacts.js';
import { ThemeContext } from '../theme.js';
import { DialogHost } from './DialogHost.js';
import { MainScreen, conversationHeight } from './MainScreen.js';
import { StatusBar } from './StatusBar.js';
import { identityWords, mainScreenReady } from '../state/identity.js';
import { TorProgress } from './TorProgress.js';

export interface AppProps {
  readonly core: MessengerCore;
  readonly protectedProfile: boolean;
  readonly ownAddress: string | null;
  readonly bell: boolean;
  readonly colour: boolean;
  /** Tor is ready and the onion service already published (skip the Tor progress screen). */
  readonly published?: boolean;
  readonly onQuit: () => void;
  /** Called when the user turns the bell on or off (the CLI saves it in ui-prefs). */
  readonly onBellChange?: (bell: boolean) => void;
  readonly ringBell?: () => void;
  readonly now?: () => number;
  readonly width?: number;
  readonly height?: number;
}

const CLOCK_TICK_MS = 30_000;

/** While a conversation is on screen, tells the core each new incoming message was read. */
function useMarkRead(state: UiState, command: (c: CoreCommand) => void): void {
  const sel = state.selected;
  const reading =
    state.focus === 'composer' && state.dialogs.length === 0 && sel?.kind === 'contact'
      ? sel.address
      : null;
  const messages = reading === null ? undefined : state.conversations[reading]?.messages;
  const last = messages?.[messages.length - 1];
  const lastIncoming = last?.direction === 'in' ? last.key : null;
  const seen = useRef<{ reading: string | null; last: string | null }>({
    reading: null,
    last: null,
  });
  useEffect(() => {
    const previous = seen.current;
    seen.current = { reading, last: lastIncoming };
    const arrivedWhileReading =
      reading !== null &&
      previous.reading === reading &&
      lastIncoming !== null &&
      lastIncoming !== previous.last;
    if (arrivedWhileReading) command({ type: 'mark-read', address: reading });
  }, [reading, lastIncoming, command]);
}

function useClock(now: () => number): number {
  const [time, setTime] = useState(now);
  useEffect(() => {
    const timer = setInterval(() => setTime(now()), CLOCK_TICK_MS);
    return () => clearInterval(timer);
  }, [now]);
  return time;
}

export function App(props: Readonly<AppProps>) {
  const now = props.now ?? Date.now;
  const { stdout } = useStdout();
  const size = useTerminalSize();
  const width = props.width ?? Math.max(40, size.columns);
  const height = props.height ?? Math.max(12, size.rows);
  const { state, dispatch, command } = useCore(
    props.core,
    {
      protectedProfile: props.protectedProfile,
      ownAddress: props.ownAddress,
      bell: props.bell,
      published: props.published ?? false,
    },
    now,
  );
  const ring = useCallback(
    () => (props.ringBell ?? (() => stdout.write('\x07')))(),
    [props.ringBell, stdout],
  );
  useBell(state.alerts, state.bell, ring);
  const clock = useClock(now);
  const { onQuit } = props;

  useEffect(() => {
    if (state.quitting) onQuit();
  }, [state.quitting, onQuit]);
  const { onBellChange } = props;
  const bellShown = useRef(state.bell);
  useEffect(() => {
    if (bellShown.current === state.bell) return;
    bellShown.current = state.bell;
    onBellChange?.(state.bell);
  }, [state.bell, onBellChange]);
  useMarkRead(state, command);

  const ready = mainScreenReady(state);
  const dialog = state.dialogs[state.dialogs.length - 1];
  const statusLines = state.lastError === null ? 1 : 2;
  const bodyHeight = Math.max(4, height - statusLines);

  useMainKeys(
    { state, dispatch, command, quit: onQuit, pageSize: conversationHeight(bodyHeight), now },
    ready && dialog === undefined,
  );
  useInput((input, key) => {
    const id = findBinding(ready ? 'global' : 'contacts', input, key);
    if (id === 'quit' || id === 'quit-key') onQuit(); // Ctrl+C everywhere; q before Tor is ready
  });

  return (
    <ThemeContext.Provider value={{ colour: props.colour }}>
      <Box flexDirection="column" width={width}>
        <Box height={bodyHeight} flexDirection="column">
          {!ready ? (
            <TorProgress tor={state.tor} width={width} />
          ) : dialog === undefined ? (
            <MainScreen state={state} width={width} height={bodyHeight} now={clock} />
          ) : (
            <DialogHost
              key={state.dialogs.length}
              dialog={dialog}
              state={state}
              dispatch={dispatch}
              command={command}
              now={clock}
              height={bodyHeight}
            />
          )}
        </Box>
        <StatusBar
          ownAddress={state.ownAddress}
          online={contactsOnline(state.contacts)}
          protectedProfile={state.protectedProfile}
          tor={ready ? { ...state.tor, published: true } : state.tor}
          identity={identityWords(state.identity)}
          bell={state.bell}
          requests={state.requests.length}
          offers={
            state.transfers.filter((t) => t.state === 'offered' && t.direction === 'in').length
          }
          error={state.lastError}
        />
      </Box>
    </ThemeContext.Provider>
  );
}
