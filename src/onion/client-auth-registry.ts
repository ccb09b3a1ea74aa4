// The client side of v3 onion client authorization for the real TorProvider: the x25519 secrets
// our tor holds for peers' onions (ONION_CLIENT_AUTH_ADD/REMOVE, control-spec §3.30–3.31), kept
// as our own byte copies so they can be re-added to a restarted tor, removed from an attached
// (shared, long-lived) tor when Sotto closes, and zeroed. Also the mapping of a control port's
// refusal (a filter, an old tor) to UnsupportedByTorError.
import { onionClientAuthAdd, onionClientAuthRemove } from './control/client-auth-commands.js';
import { TorControlError } from './control/errors.js';
import { checkClientAuthSecret } from './tor-provider.js';
import { UnsupportedByTorError, type TorFeature } from './tor-errors.js';
import type { TorSession } from './tor-session.js';

/**
 * Control-spec §4 codes that mean "this tor will not do that" rather than "bad input": 510
 * unrecognized command (onion-grater: "510 Command filtered"), 511 unimplemented, 513
 * unrecognized argument (`ClientAuthV3=` before tor 0.4.6), 552 unrecognized key type (only
 * ONION_CLIENT_AUTH_ADD, whose sole entity is the key type).
 */
const REFUSED: Readonly<Record<TorFeature, readonly number[]>> = {
  'client-auth-v3': [510, 511, 513],
  'onion-client-auth': [510, 511, 552],
};

/** `error` as UnsupportedByTorError when it is tor refusing `feature`; otherwise unchanged. */
export function unsupportedByTor(error: unknown, feature: TorFeature): unknown {
  if (!(error instanceof TorControlError) || !REFUSED[feature].includes(error.status)) {
    return error;
  }
  return new UnsupportedByTorError(feature, error.commandKeyword, error.status, { cause: error });
}

const COMMAND_TIMEOUT_MS = 30_000;

export class ClientAuthRegistry {
  readonly #secrets = new Map<string, Uint8Array>();

  /** Service ids we hold a credential for. */
  get serviceIds(): string[] {
    return [...this.#secrets.keys()];
  }

  /** ONION_CLIENT_AUTH_ADD on `session`; on success keeps a copy (an older one is zeroed). */
  async add(
    session: TorSession,
    serviceId: string,
    x25519Secret: Uint8Array,
    signal?: AbortSignal,
  ): Promise<void> {
    checkClientAuthSecret(x25519Secret);
    const copy = Uint8Array.from(x25519Secret);
    try {
      await this.#send(session, serviceId, copy, signal);
    } catch (error) {
      copy.fill(0);
      throw error;
    }
    this.#secrets.get(serviceId)?.fill(0);
    this.#secrets.set(serviceId, copy);
  }

  /** Forgets and zeroes our copy; ONION_CLIENT_AUTH_REMOVE when a session is up. */
  async remove(
    session: TorSession | undefined,
    serviceId: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const held = this.#secrets.get(serviceId);
    this.#secrets.delete(serviceId);
    held?.fill(0);
    if (session === undefined) return;
    try {
      await onionClientAuthRemove(session.control, serviceId, {
        timeoutMs: COMMAND_TIMEOUT_MS,
        ...(signal !== undefined ? { signal } : {}),
      });
    } catch (error) {
      throw unsupportedByTor(error, 'onion-client-auth');
    }
  }

  /** After a restart: every credential again (a launched tor forgot them). Failures are returned. */
  async readdAll(session: TorSession, signal?: AbortSignal): Promise<Map<string, unknown>> {
    const failures = new Map<string, unknown>();
    for (const [serviceId, secret] of this.#secrets) {
      try {
        await this.#send(session, serviceId, secret, signal);
      } catch (error) {
        if (signal?.aborted === true) throw error;
        failures.set(serviceId, error);
      }
    }
    return failures;
  }

  /**
   * On close: removes every credential from tor (best effort: an attached tor outlives us, and
   * credentials are not bound to the control connection as ADD_ONION's onions are), then zeroes.
   */
  async clear(session: TorSession | undefined): Promise<void> {
    const serviceIds = this.serviceIds;
    for (const serviceId of serviceIds) {
      await this.remove(session, serviceId).catch(() => undefined);
    }
  }

  async #send(
    session: TorSession,
    serviceId: string,
    secret: Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    try {
      await onionClientAuthAdd(session.control, serviceId, secret, {
        timeoutMs: COMMAND_TIMEOUT_MS,
        ...(signal !== undefined ? { signal } : {}),
      });
    } catch (error) {
      throw unsupportedByTor(error, 'onion-client-auth');
    }
  }
}
