// Attach mode: use a tor that is already running (system tor, Tails, Whonix gateway). Authenticates
// as PROTOCOLINFO offers, never changes that tor's configuration and never takes ownership; commands
// a filter refuses (`510`) are tolerated and fallbacks noted as warnings. A port that accepts NULL
// authentication is used only when it is trusted (ControlTrust): else anyone who listens on the
// port first (any local user can bind 127.0.0.1:9051) would receive our identity key in ADD_ONION.
import type { ControlAccess, ControlTrust, ResolvedAttachConfig } from './attach-config.js';
import { authenticate } from './control/authenticate.js';
import { setEvents } from './control/commands.js';
import { TorControlConnection } from './control/control-connection.js';
import { TorAttachError, UnauthenticatedControlPortError } from './tor-errors.js';
import { getInfoValue, isFiltered, parseSocksListeners, type TorSession } from './tor-session.js';

export const ATTACH_TIMEOUT_MS = 30_000;
/** Events attach mode subscribes to (a filter may allow only HS_DESC; contrib/ profiles list them). */
export const ATTACH_EVENTS = ['STATUS_CLIENT', 'HS_DESC', 'NETWORK_LIVENESS'] as const;

export interface AttachResult {
  readonly session: TorSession;
  readonly access: ControlAccess;
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

function requireTrust(trust: ControlTrust | undefined): ControlTrust {
  if (trust === undefined) throw new UnauthenticatedControlPortError();
  return trust;
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
    const { method } = await authenticate(control, {
      ...send,
      ...(password !== undefined ? { password } : {}),
      ...(config.cookieFile !== undefined ? { cookieFile: config.cookieFile } : {}),
    });
    const access: ControlAccess =
      method === 'NULL' ? requireTrust(config.unauthenticatedControl) : 'authenticated';

    // Subscribe to everything we would like; a filter may allow only some of it.
    let hsDescEvents = true;
    let bootstrapStatus = true;
    if (!(await subscribe(control, ATTACH_EVENTS, signal))) {
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
      access,
      warnings,
    };
  } catch (error) {
    control.close();
    if (error instanceof TorAttachError || signal?.aborted === true) throw error;
    throw new TorAttachError('could not attach to the running tor', { cause: error });
  }
}
