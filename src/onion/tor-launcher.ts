// Launch mode: start our own tor for this profile and take control of it (control-spec §3.23
// TAKEOWNERSHIP: tor exits when our control connection closes, so tor never outlives Sotto), then
// subscribe to events, learn the SOCKS port and enable the network.
import { authenticate } from './control/authenticate.js';
import { setConf, setEvents, signal as sendSignal, takeOwnership } from './control/commands.js';
import { TorControlConnection } from './control/control-connection.js';
import { TorStartError } from './tor-errors.js';
import { findTor, TOR_STOP_GRACE_MS, TorProcess } from './tor-process.js';
import { getInfoValue, parseSocksListeners, type TorSession } from './tor-session.js';

export interface LaunchOptions {
  /** Explicit tor binary (`--tor PATH`); default: PATH and the usual directories. */
  readonly torPath?: string;
  /** The profile's tor data directory (created 0700). */
  readonly dataDir: string;
  /** Validated extra torrc lines (bridges, a private test network). */
  readonly extraTorrcLines?: readonly string[];
  /**
   * Options set with SETCONF before the network is enabled, never written to the torrc file:
   * proxy credentials (network-settings `secretConf`).
   */
  readonly secretConf?: readonly (readonly [string, string])[];
  /** Until the control port is open and configured (default 60 s). */
  readonly startTimeoutMs?: number;
}

export const DEFAULT_START_TIMEOUT_MS = 60_000;
export const LAUNCH_EVENTS = ['STATUS_CLIENT', 'HS_DESC', 'NETWORK_LIVENESS'] as const;

/** Starts tor and returns a configured session (network enabled, events on, SOCKS known). */
export async function launchTor(options: LaunchOptions, signal?: AbortSignal): Promise<TorSession> {
  const torPath = await findTor(options.torPath);
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const { process: tor, control: endpoint } = await TorProcess.spawn({
    torPath,
    dataDir: options.dataDir,
    startTimeoutMs: timeoutMs,
    ...(options.extraTorrcLines !== undefined ? { extraTorrcLines: options.extraTorrcLines } : {}),
    ...(signal !== undefined ? { signal } : {}),
  });
  let control: TorControlConnection | undefined;
  try {
    const send = { timeoutMs, ...(signal !== undefined ? { signal } : {}) };
    control = await TorControlConnection.connect(endpoint, send);
    await authenticate(control, { ...send, cookieFile: tor.files.cookieFile });
    await takeOwnership(control, send);
    await setEvents(control, LAUNCH_EVENTS, send);
    // Tor opens its SOCKS listener only once the network is enabled.
    await setConf(control, [...(options.secretConf ?? []), ['DisableNetwork', '0']], send);
    const listeners = await getInfoValue(control, 'net/listeners/socks', signal);
    const socks = parseSocksListeners(listeners);
    if (socks === undefined) throw new TorStartError('tor reported no SOCKS listener', []);
    return {
      control,
      socks,
      process: tor,
      capabilities: { bootstrapStatus: true, hsDescEvents: true },
    };
  } catch (error) {
    control?.close();
    const exit = await tor.stop();
    if (error instanceof TorStartError || signal?.aborted === true) throw error;
    throw new TorStartError(
      `tor started but could not be configured (exit code ${exit.code}, signal ${exit.signal})`,
      await tor.logTail(),
      { cause: error },
    );
  }
}

/**
 * Stops a launched tor: closing the owning control connection makes tor exit (TAKEOWNERSHIP);
 * if it has not exited within `graceMs`, SIGTERM and then SIGKILL go to exactly this child.
 */
export async function shutdownLaunchedTor(session: TorSession, graceMs = 5_000): Promise<void> {
  const tor = session.process;
  if (!session.control.closed) {
    try {
      await sendSignal(session.control, 'SHUTDOWN', { timeoutMs: TOR_STOP_GRACE_MS });
    } catch {
      // Tor may already be gone; closing the owning connection below also shuts it down.
    }
  }
  session.control.close();
  if (tor === undefined) return;
  const exited = await Promise.race([
    tor.exited,
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), graceMs).unref()),
  ]);
  if (exited === undefined) await tor.stop();
}
