// The real TorProvider: drives a launched (tor-launcher) or attached (tor-attach) tor over its
// control port, publishes onion services (onion-service, with client authorization or dark), holds
// client-auth credentials for peers' onions (client-auth-registry) and dials peers over SOCKS5
// (socks-connect). Translates tor's async events into TorEvents; restarts a launched tor on demand.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { resolveAttachConfig, type AttachOptions } from './attach-config.js';
import type { TorAsyncEvent } from './control/control-connection.js';
import { OnionService } from './onion-service.js';
import { IsolationCredentials, socksConnect } from './socks-connect.js';
import { attachTor } from './tor-attach.js';
import { abortError, untilAborted } from './abort.js';
import { BootstrapProgress } from './bootstrap-progress.js';
import { TorNotRunningError, TorStartError } from './tor-errors.js';
import { launchTor, shutdownLaunchedTor, type LaunchOptions } from './tor-launcher.js';
import {
  checkListenOptions,
  listenArguments,
  type InboundConnection,
  type ListenOptions,
  type OnionListener,
  type TorEvent,
  type TorProvider,
} from './tor-provider.js';
import { ClientAuthRegistry } from './client-auth-registry.js';
import { OnionListeners } from './onion-listeners.js';
import { clientAuthV3Key } from './control/client-auth-commands.js';
import { ControlProtocolError } from './control/errors.js';
import { parseBootstrapPhase, parseTorEvent, type ParsedTorEvent } from './control/events.js';
import { TOR_STOP_GRACE_MS } from './tor-process.js';
import { getInfoValue, isFiltered, type TorSession } from './tor-session.js';

interface CommonOptions {
  readonly bootstrapTimeoutMs?: number;
  readonly publishTimeoutMs?: number;
  readonly socksTimeoutMs?: number;
  /** Local listener for inbound onion connections (default 127.0.0.1, any free port). */
  readonly listen?: { readonly host?: string; readonly port?: number };
  /** A bootstrap stuck this long in one phase is reported as a `bootstrap-problem` (30 s). */
  readonly stallAfterMs?: number;
  /** Clock of the stall detector and the bootstrap deadline (tests). */
  readonly now?: () => number;
}

/** How often a bootstrap in progress is checked for a stall. */
const STALL_CHECK_INTERVAL_MS = 5_000;

export type TorProviderOptions =
  | (CommonOptions & { readonly mode: 'launch' } & LaunchOptions)
  | (CommonOptions & {
      readonly mode: 'attach';
      /** Usually `process.env`; only TOR_CONTROL_* and TOR_SOCKS_* are read. */
      readonly env?: Readonly<Record<string, string | undefined>>;
      /** With HS_DESC filtered: how long to wait before assuming our descriptor is up. */
      readonly unconfirmedPublishWaitMs?: number;
    } & AttachOptions);

export const DEFAULT_BOOTSTRAP_TIMEOUT_MS = 300_000;

/** TorProvider plus the launch-mode lifecycle the core needs after `tor-exited`. */
export interface RealTorProvider extends TorProvider {
  restart(signal?: AbortSignal): Promise<void>;
  /** PID of the launched tor, if any (for diagnostics and tests). */
  readonly torPid: number | undefined;
}

export function createTorProvider(options: TorProviderOptions): RealTorProvider {
  return new TorRuntime(options);
}

class TorRuntime implements RealTorProvider {
  readonly #options: TorProviderOptions;
  readonly #listeners = new Set<(event: TorEvent) => void>();
  readonly #services = new OnionListeners(
    (event) => this.#emit(event),
    () => this.#requireSession(),
  );
  readonly #clientAuth = new ClientAuthRegistry();
  readonly #isolation = new IsolationCredentials(randomBytes(32));
  #session: TorSession | undefined;
  #starting: Promise<TorSession> | undefined;
  readonly #now: () => number;
  readonly #progress: BootstrapProgress;
  #closing = false;

  constructor(options: TorProviderOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#progress = new BootstrapProgress({
      emit: (event) => this.#emit(event),
      now: this.#now,
      ...(options.stallAfterMs === undefined ? {} : { stallAfterMs: options.stallAfterMs }),
    });
  }

  get torPid(): number | undefined {
    return this.#session?.process?.pid;
  }

  onEvent(listener: (event: TorEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: TorEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }

  /**
   * Starts tor (if needed) and waits for 100 %. Once the caller's signal aborted it rejects with
   * the signal's reason, whichever step noticed first, and a tor launched for it is stopped.
   */
  async bootstrap(signal?: AbortSignal): Promise<void> {
    if (this.#closing) throw new TorNotRunningError('the tor provider is closed');
    let session = this.#session;
    if (session === undefined) {
      // Concurrent callers share one start; a close() during the start stops what it started.
      this.#starting ??= this.#start(signal).finally(() => (this.#starting = undefined));
      try {
        session = await this.#starting;
      } catch (error) {
        // The launch or attach step already closed what it opened (ControlAbortedError etc.).
        if (signal?.aborted === true) throw abortError(signal);
        throw error;
      }
      if (this.#closing) {
        await this.#stopSession(session);
        throw new TorNotRunningError('the tor provider was closed while starting');
      }
      this.#session = session;
    }
    await this.#waitForBootstrap(session, signal);
  }

  async #stopSession(session: TorSession): Promise<void> {
    if (session.process !== undefined) await shutdownLaunchedTor(session);
    else session.control.close();
  }

  async #start(signal?: AbortSignal): Promise<TorSession> {
    const options = this.#options;
    this.#progress.restart(options.mode === 'launch' ? (options.extraTorrcLines ?? []) : []);
    let session: TorSession;
    if (options.mode === 'launch') {
      session = await launchTor(options, signal);
    } else {
      const config = resolveAttachConfig(options, options.env ?? {});
      const result = await attachTor(config, signal);
      this.#emit({ type: 'control-access', access: result.access });
      for (const message of result.warnings) this.#emit({ type: 'warning', message });
      session = result.session;
    }
    session.control.onEvent((event) => this.#onTorEvent(event));
    session.control.onClose(() => this.#onControlClosed(session));
    return session;
  }

  #onTorEvent(event: TorAsyncEvent): void {
    let parsed: ParsedTorEvent | undefined;
    try {
      parsed = parseTorEvent(event);
    } catch (error) {
      if (!(error instanceof ControlProtocolError)) throw error;
      this.#emit({
        type: 'warning',
        message: `ignored a malformed ${event.keyword} event from tor`,
      });
      return;
    }
    if (parsed?.type === 'bootstrap') {
      this.#progress.onPhase(parsed);
    } else if (parsed?.type === 'network-liveness') {
      this.#emit({ type: 'network-liveness', up: parsed.up });
    } else if (parsed?.type === 'hs-desc' && parsed.action === 'FAILED') {
      const serviceId = parsed.address;
      if (this.#services.has(serviceId)) {
        this.#emit({ type: 'onion-publish-failed', serviceId, reason: parsed.reason ?? 'UNKNOWN' });
      }
    }
  }

  #onControlClosed(session: TorSession): void {
    if (this.#session !== session) return;
    this.#session = undefined;
    this.#progress.wakeAll();
    if (this.#closing) return;
    if (session.process !== undefined) {
      void session.process.exited.then((exit) => {
        if (!this.#closing)
          this.#emit({ type: 'tor-exited', code: exit.code, signal: exit.signal });
      });
      void session.process.stop();
    } else {
      this.#emit({ type: 'tor-exited', code: null, signal: null });
    }
  }

  async #waitForBootstrap(session: TorSession, signal?: AbortSignal): Promise<void> {
    const timeoutMs = this.#options.bootstrapTimeoutMs ?? DEFAULT_BOOTSTRAP_TIMEOUT_MS;
    try {
      // Not aborted through the control connection: its close would look like tor exiting.
      const phase = await untilAborted(
        getInfoValue(session.control, 'status/bootstrap-phase'),
        signal,
      );
      this.#progress.onPhase(parseBootstrapPhase(phase));
    } catch (error) {
      if (signal?.aborted === true) {
        await this.#abortStart(session);
        throw abortError(signal);
      }
      if (!isFiltered(error)) throw error;
      // Behind a filter an already bootstrapped tor sends no more events: the onion publish and
      // the first connection are what prove it works.
      this.#emit({
        type: 'warning',
        message: 'bootstrap status is hidden by the tor control filter; assuming tor is ready',
      });
      this.#emit({ type: 'ready' });
      return;
    }
    const deadline = this.#now() + timeoutMs;
    while (this.#progress.progress < 100) {
      if (signal?.aborted === true) {
        await this.#abortStart(session);
        throw abortError(signal);
      }
      if (this.#session !== session) {
        throw new TorStartError(
          'tor stopped while bootstrapping',
          (await session.process?.logTail()) ?? [],
        );
      }
      const left = deadline - this.#now();
      if (left <= 0) {
        throw new TorStartError(
          `tor did not finish bootstrapping within ${timeoutMs} ms`,
          (await session.process?.logTail()) ?? [],
        );
      }
      await this.#progress.changed(Math.min(left, STALL_CHECK_INTERVAL_MS), signal);
      if (this.#session === session) this.#progress.checkStall();
    }
    this.#emit({ type: 'ready' });
  }

  /** Aborted during bootstrap: a launched tor is stopped; an attached one is left alone. */
  async #abortStart(session: TorSession): Promise<void> {
    if (this.#session === session) this.#session = undefined;
    if (session.process !== undefined) await shutdownLaunchedTor(session, TOR_STOP_GRACE_MS);
    else session.control.close();
  }

  #listenOptions(): { host: string; port: number } {
    const listen = this.#options.listen;
    return { host: listen?.host ?? '127.0.0.1', port: listen?.port ?? 0 };
  }

  listen(
    expandedKeyBlob: Uint8Array,
    onConnection: (connection: InboundConnection) => void,
    optionsOrSignal?: ListenOptions | AbortSignal,
    maybeSignal?: AbortSignal,
  ): Promise<OnionListener> {
    const { options, signal } = listenArguments(optionsOrSignal, maybeSignal);
    return this.#listen(expandedKeyBlob, onConnection, options, signal);
  }

  async #listen(
    expandedKeyBlob: Uint8Array,
    onConnection: (connection: InboundConnection) => void,
    listenOptions: ListenOptions,
    signal: AbortSignal | undefined,
  ): Promise<OnionListener> {
    this.#requireSession();
    checkListenOptions(listenOptions);
    const options = this.#options;
    const clientAuthV3 = (listenOptions.clientAuthV3 ?? []).map(clientAuthV3Key);
    const service = await OnionService.open(expandedKeyBlob, onConnection, {
      listen: this.#listenOptions(),
      ...(options.mode === 'attach' && options.onionTarget !== undefined
        ? { target: options.onionTarget }
        : {}),
      ...(options.publishTimeoutMs !== undefined
        ? { publishTimeoutMs: options.publishTimeoutMs }
        : {}),
      ...(options.mode === 'attach' && options.unconfirmedPublishWaitMs !== undefined
        ? { unconfirmedPublishWaitMs: options.unconfirmedPublishWaitMs }
        : {}),
      ...(listenOptions.port !== undefined ? { virtualPort: listenOptions.port } : {}),
      ...(clientAuthV3.length > 0 ? { clientAuthV3 } : {}),
      onWarning: (message) => this.#emit({ type: 'warning', message }),
    });
    return this.#services.add(service, listenOptions.publish !== false, signal);
  }

  async addClientAuth(
    serviceId: string,
    x25519Secret: Uint8Array,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#clientAuth.add(this.#requireSession(), serviceId, x25519Secret, signal);
  }

  async removeClientAuth(serviceId: string, signal?: AbortSignal): Promise<void> {
    await this.#clientAuth.remove(this.#requireSession(), serviceId, signal);
  }

  async connect(
    serviceId: string,
    port: number,
    isolationKey: string,
    signal?: AbortSignal,
  ): Promise<Duplex> {
    const session = this.#requireSession();
    return socksConnect(serviceId, port, {
      socksHost: session.socks.host,
      socksPort: session.socks.port,
      credentials: this.#isolation.for(isolationKey),
      ...(this.#options.socksTimeoutMs !== undefined
        ? { timeoutMs: this.#options.socksTimeoutMs }
        : {}),
      ...(signal !== undefined ? { signal } : {}),
    });
  }

  #requireSession(): TorSession {
    if (this.#session === undefined || this.#closing) {
      throw new TorNotRunningError('tor is not running; call bootstrap() first');
    }
    return this.#session;
  }

  async restart(signal?: AbortSignal): Promise<void> {
    if (this.#closing) throw new TorNotRunningError('the tor provider is closed');
    const old = this.#session;
    if (old !== undefined) {
      this.#session = undefined;
      if (old.process !== undefined) await shutdownLaunchedTor(old, TOR_STOP_GRACE_MS);
      else old.control.close();
    }
    await this.bootstrap(signal);
    const session = this.#requireSession();
    for (const [serviceId, error] of await this.#clientAuth.readdAll(session, signal)) {
      const reason = error instanceof Error ? error.name : 'unknown';
      this.#emit({
        type: 'warning',
        message: `client auth for ${serviceId} not re-added: ${reason}`,
      });
    }
    await this.#services.republish(session, signal);
    this.#emit({ type: 'tor-restarted' });
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await this.#services.closeAll();
    await this.#clientAuth.clear(this.#session);
    const starting = await this.#starting?.catch(() => undefined);
    if (starting !== undefined && starting !== this.#session) await this.#stopSession(starting);
    const session = this.#session;
    this.#session = undefined;
    this.#progress.wakeAll();
    if (session !== undefined) await this.#stopSession(session);
  }
}
