// Attach mode: use a tor that is already running (system tor, Tails, Whonix gateway). Authenticates
// as PROTOCOLINFO offers (NULL behind onion-grater), never changes that tor's configuration and never
// takes ownership; commands a filter refuses (`510`) are tolerated and fallbacks noted as warnings.
import type { ResolvedAttachConfig } from './attach-config.js';
import { authenticate } from './control/authenticate.js';
import { setEvents } from './control/commands.js';
import { TorControlConnection } from './control/control-connection.js';
import { TorAttachError } from './tor-errors.js';
import { getInfoValue, isFiltered, parseSocksListeners, type TorSession } from './tor-session.js';

export const ATTACH_TIMEOUT_MS = 30_000;

export interface AttachResult {
  readonly session: TorSession;
  /** Degradations to report (never containing the password). */
  readonly warnings: readonly string[];
}

async function subscribe(
  control: TorControlConnection,
  events: readonly string[],
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    await setEvents(control, events, signal !== undefined ? { signal } : {});
    return true;
  } catch (error) {
    if (isFiltered(error)) return false;
    throw error;
  }
}

export async function attachTor(
  config: ResolvedAttachConfig,
  signal?: AbortSignal,
): Promise<AttachResult> {
  const warnings: string[] = [];
  const send = { timeoutMs: ATTACH_TIMEOUT_MS, ...(signal !== undefined ? { signal } : {}) };
  const control = await TorControlConnection.connect(config.control, send);
  try {
    const password = config.password();
    await authenticate(control, {
      ...send,
      ...(password !== undefined ? { password } : {}),
      ...(config.cookieFile !== undefined ? { cookieFile: config.cookieFile } : {}),
    });

    // Subscribe to everything we would like; a filter may allow only some of it.
    let hsDescEvents = true;
    let bootstrapStatus = true;
    if (!(await subscribe(control, ['STATUS_CLIENT', 'HS_DESC', 'NETWORK_LIVENESS'], signal))) {
      hsDescEvents = await subscribe(control, ['HS_DESC'], signal);
      bootstrapStatus = false;
      if (!hsDescEvents) warnings.push('the tor control filter hides HS_DESC events');
      warnings.push('the tor control filter hides bootstrap status events');
    }

    let socks = config.socks;
    if (config.socksGuessed) {
      try {
        socks =
          parseSocksListeners(await getInfoValue(control, 'net/listeners/socks', signal)) ?? socks;
      } catch (error) {
        if (!isFiltered(error)) throw error;
        warnings.push(`SOCKS port unknown (filtered); using ${socks.host}:${socks.port}`);
      }
    }
    return {
      session: { control, socks, capabilities: { bootstrapStatus, hsDescEvents } },
      warnings,
    };
  } catch (error) {
    control.close();
    if (error instanceof TorAttachError || signal?.aborted === true) throw error;
    throw new TorAttachError('could not attach to the running tor', { cause: error });
  }
}
