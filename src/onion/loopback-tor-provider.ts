// The in-memory TorProvider (src/onion/tor-provider.ts), beside the real one, as gosling's
// tor-interface ships one: its "onions" are plain TCP listeners on 127.0.0.1, registered by service
// id in a LoopbackTorNetwork, so the real Messenger, ConnectionManager and PeerLink run unchanged
// over loopback sockets. For tests and benchmarks: no tor, no circuits, no anonymity. It enforces
// what tor enforces for onions: v3 client authorization (a dial without the credential fails like
// SOCKS 0xF4, with a wrong one like 0xF5) and dark or closed onions (0xF0). Options give
// dials that hang until aborted, seeded latency (dial delay and one-way socket latency, so runs
// repeat), an offline tor, byte recording for wire scans, and counters.
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { IdentityKey } from '../identity/identity-key.js';
import { x25519 } from '@noble/curves/ed25519.js';
import {
  OnionBadClientAuthError,
  OnionDescriptorNotFoundError,
  OnionMissingClientAuthError,
  TorNotRunningError,
} from './tor-errors.js';
import {
  checkClientAuthSecret,
  checkListenOptions,
  listenArguments,
  type InboundConnection,
  type ListenOptions,
  type OnionListener,
  type TorEvent,
  type TorProvider,
} from './tor-provider.js';
import { MAX_INBOUND_CONNECTIONS } from './onion-service.js';

/** One dial as the provider made it; `setLatencyMs` makes its "circuit" slower (or faster). */
export interface LoopbackDial {
  readonly serviceId: string;
  readonly isolationKey: string;
  /** The TCP socket (byte counts, ports). */
  readonly socket: Socket;
  /** What the dialler got: the socket itself, or the latency wrapper around it. */
  readonly stream: Duplex;
  /** One-way latency each way from now on (only with the `latency` option; order is kept). */
  setLatencyMs(ms: number): void;
}

/** A published loopback onion: its local port and, with client authorization, who may read it. */
interface LoopbackOnion {
  readonly port: number;
  /** Hex x25519 public keys of the authorized clients; undefined: anyone. */
  readonly clientAuth: ReadonlySet<string> | undefined;
}

/** Which loopback port serves which service id: the "Tor network" loopback providers share. */
export class LoopbackTorNetwork {
  /** The network every provider uses unless given its own. */
  static readonly shared = new LoopbackTorNetwork();
  readonly #onions = new Map<string, LoopbackOnion>();
  #gate: DialGate | undefined;

  /**
   * Test-only: the next `count` dials whose isolation key starts with `keyPrefix` (e.g.
   * 'endpoint:') are held after tor "reached" the onion until all `count` wait, then go on
   * together: dials that cross on real tor by chance cross here every run. One-shot.
   */
  holdDials(keyPrefix: string, count: number): void {
    this.#gate = { keyPrefix, count, waiting: [] };
  }

  /** A dial passes the gate (waits there while `holdDials` holds it). */
  async passGate(isolationKey: string, signal: AbortSignal | undefined): Promise<void> {
    const gate = this.#gate;
    if (gate === undefined || !isolationKey.startsWith(gate.keyPrefix)) return;
    const held = new Promise<void>((resolve) => gate.waiting.push(resolve));
    if (gate.waiting.length >= gate.count) {
      this.#gate = undefined;
      for (const release of gate.waiting) release();
    }
    await held;
    signal?.throwIfAborted();
  }

  /** Publishes an onion; `clientAuthV3` (x25519 public keys) restricts who can reach it. */
  publish(serviceId: string, port: number, clientAuthV3?: readonly Uint8Array[]): void {
    const keys = clientAuthV3 ?? [];
    this.#onions.set(serviceId, {
      port,
      clientAuth: keys.length === 0 ? undefined : new Set(keys.map(hex)),
    });
  }
  unpublish(serviceId: string): void {
    this.#onions.delete(serviceId);
  }
  portOf(serviceId: string): number | undefined {
    return this.#onions.get(serviceId)?.port;
  }
  onion(serviceId: string): LoopbackOnion | undefined {
    return this.#onions.get(serviceId);
  }
  clear(): void {
    this.#onions.clear();
  }
}

export interface LoopbackLatency {
  /** Seed of the pseudo-random delays: the same seed gives the same sequence. */
  readonly seed: number;
  /** Each dial waits 0 .. maxDialDelayMs - 1 ms before connecting (circuits differ). */
  readonly maxDialDelayMs: number;
  /** Each dialled socket delays every chunk by a fixed 0 .. maxLatencyMs - 1 ms each way. */
  readonly maxLatencyMs: number;
}

export interface LoopbackTorOptions {
  readonly network?: LoopbackTorNetwork;
  /** Tor never starts: bootstrap, listen and connect fail with TorNotRunningError. */
  readonly offline?: boolean;
  readonly latency?: LoopbackLatency;
  /** Keep every byte peers sent us, inbound and outbound, in `received` (for wire scans). */
  readonly recordBytes?: boolean;
  /** How long a dial to an unpublished service id takes to fail (default 5 ms). */
  readonly unknownOnionDelayMs?: number;
  /**
   * How long a freshly published onion stays unfindable (dials fail with 0xF0), as on real tor
   * until its descriptor is uploaded and fetched (default 0: at once).
   */
  readonly descriptorDelayMs?: number;
}

interface DialGate {
  readonly keyPrefix: string;
  readonly count: number;
  readonly waiting: (() => void)[];
}

/** mulberry32: a small seeded PRNG, enough to spread test latencies reproducibly. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export class LoopbackTorProvider implements TorProvider {
  readonly network: LoopbackTorNetwork;
  /** Service ids whose dials never connect; they end only when their signal aborts. */
  readonly hang = new Set<string>();
  /** Every byte peers sent us (only with `recordBytes`). */
  readonly received: Buffer[] = [];
  /** Dials started, dials in flight now, the most in flight at once. */
  dials = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** Every dial that connected, in order: to whom, its isolation key, its socket (byte counts). */
  readonly dialled: LoopbackDial[] = [];
  /** Every inbound connection accepted so far, in order (closed ones included). */
  readonly inbound: Socket[] = [];
  /** Port of the last listener. */
  port = 0;
  readonly #options: LoopbackTorOptions;
  readonly #random: (() => number) | undefined;
  readonly #listeners = new Set<(event: TorEvent) => void>();
  readonly #servers = new Set<Server>();
  /** Client-auth credentials held, as the hex x25519 PUBLIC key of each secret (never the secret). */
  readonly #clientAuth = new Map<string, string>();

  constructor(options: LoopbackTorOptions = {}) {
    this.#options = options;
    this.network = options.network ?? LoopbackTorNetwork.shared;
    this.#random = options.latency ? seededRandom(options.latency.seed) : undefined;
  }

  bootstrap(): Promise<void> {
    if (this.#options.offline === true) return Promise.reject(new TorNotRunningError('offline'));
    this.emit({ type: 'bootstrap', progress: 100, tag: 'done', summary: 'Done' });
    this.emit({ type: 'ready' });
    return Promise.resolve();
  }

  listen(
    expandedKeyBlob: Uint8Array,
    onConnection: (connection: InboundConnection) => void,
    optionsOrSignal?: ListenOptions | AbortSignal,
    maybeSignal?: AbortSignal,
  ): Promise<OnionListener> {
    const { options } = listenArguments(optionsOrSignal, maybeSignal);
    return this.#listen(expandedKeyBlob, onConnection, options);
  }

  async #listen(
    expandedKeyBlob: Uint8Array,
    onConnection: (connection: InboundConnection) => void,
    options: ListenOptions,
  ): Promise<OnionListener> {
    if (this.#options.offline === true) throw new TorNotRunningError('offline');
    checkListenOptions(options);
    const serviceId = IdentityKey.fromExpandedKey(expandedKeyBlob.slice()).serviceId;
    const clientAuthV3 = (options.clientAuthV3 ?? []).map((key) => Uint8Array.from(key));
    const server = createServer((socket) => {
      this.inbound.push(socket);
      this.#record(socket);
      onConnection({ socket });
    });
    server.maxConnections = MAX_INBOUND_CONNECTIONS; // the real listener's cap (onion-service.ts)
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    this.#servers.add(server);
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    this.port = port;
    let published = false;
    let closed = false;
    const setPublished = (publish: boolean): Promise<void> => {
      if (closed) return Promise.reject(new TorNotRunningError('the onion listener is closed'));
      if (publish && !published) {
        const lag = this.#options.descriptorDelayMs ?? 0;
        const findable = (): void => {
          if (published && !closed) this.network.publish(serviceId, port, clientAuthV3);
        };
        if (lag > 0) setTimeout(findable, lag).unref();
        else this.network.publish(serviceId, port, clientAuthV3);
        this.emit({ type: 'onion-published', serviceId });
      } else if (!publish && published) {
        this.network.unpublish(serviceId);
      }
      published = publish;
      return Promise.resolve();
    };
    if (options.publish !== false) await setPublished(true);
    return {
      serviceId,
      get published() {
        return published;
      },
      setPublished,
      // Stops accepting at once; connections already made stay until their owners close them.
      close: () => {
        if (published) this.network.unpublish(serviceId);
        published = false;
        closed = true;
        this.#servers.delete(server);
        server.close();
        return Promise.resolve();
      },
    };
  }

  /** Holds the credential for `serviceId` (only its public key is kept, as tor needs no more). */
  addClientAuth(serviceId: string, x25519Secret: Uint8Array): Promise<void> {
    if (this.#options.offline === true) return Promise.reject(new TorNotRunningError('offline'));
    return Promise.resolve().then(() => {
      checkClientAuthSecret(x25519Secret);
      this.#clientAuth.set(serviceId, hex(x25519.getPublicKey(x25519Secret)));
    });
  }

  removeClientAuth(serviceId: string): Promise<void> {
    if (this.#options.offline === true) return Promise.reject(new TorNotRunningError('offline'));
    this.#clientAuth.delete(serviceId);
    return Promise.resolve();
  }

  async connect(
    serviceId: string,
    _port: number,
    isolationKey: string,
    signal?: AbortSignal,
  ): Promise<Duplex> {
    if (this.#options.offline === true) throw new TorNotRunningError('offline');
    this.dials++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.#dial(serviceId, isolationKey, signal);
    } finally {
      this.inFlight--;
    }
  }

  onEvent(listener: (event: TorEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Deliver a TorEvent to the subscribers, as tor would (tests drive bootstrap problems etc.). */
  emit(event: TorEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }

  close(): Promise<void> {
    for (const server of this.#servers) server.close();
    for (const socket of this.inbound) socket.destroy();
    return Promise.resolve();
  }

  async #dial(
    serviceId: string,
    isolationKey: string,
    signal: AbortSignal | undefined,
  ): Promise<Duplex> {
    if (this.hang.has(serviceId)) return await hangUntilAborted(signal);
    const onion = this.network.onion(serviceId);
    if (onion === undefined) {
      await delay(this.#options.unknownOnionDelayMs ?? 5);
      throw new OnionDescriptorNotFoundError(`no loopback onion for ${serviceId}`, 0xf0);
    }
    if (onion.clientAuth !== undefined) {
      const held = this.#clientAuth.get(serviceId);
      if (held === undefined) {
        throw new OnionMissingClientAuthError(`${serviceId} needs client authorization`, 0xf4);
      }
      if (!onion.clientAuth.has(held)) {
        throw new OnionBadClientAuthError(`client authorization for ${serviceId} refused`, 0xf5);
      }
    }
    const port = onion.port;
    const latency = this.#options.latency;
    if (latency !== undefined) await delay(this.#pick(latency.maxDialDelayMs));
    signal?.throwIfAborted();
    await this.network.passGate(isolationKey, signal);
    const socket = createConnection({ host: '127.0.0.1', port, ...(signal ? { signal } : {}) });
    await once(socket, 'connect');
    this.#record(socket);
    const stream =
      latency === undefined ? socket : new LatencySocket(socket, this.#pick(latency.maxLatencyMs));
    const setLatencyMs = (ms: number): void => {
      if (stream instanceof LatencySocket) stream.latencyMs = ms;
    };
    this.dialled.push({ serviceId, isolationKey, socket, stream, setLatencyMs });
    return stream;
  }

  #pick(max: number): number {
    return this.#random === undefined ? 0 : Math.floor(this.#random() * max);
  }

  #record(socket: Socket): void {
    if (this.#options.recordBytes !== true) return;
    socket.on('data', (chunk: Buffer) => this.received.push(Buffer.from(chunk)));
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function hangUntilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    if (signal === undefined) return;
    const abort = (): void =>
      reject(signal.reason instanceof Error ? signal.reason : new Error('dial aborted'));
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
  });
}

/**
 * A socket seen with a one-way latency each way, like a circuit. The latency may change mid-run
 * (a circuit turning slow); every chunk still leaves after the one before it, each direction.
 */
class LatencySocket extends Duplex {
  readonly #inner: Socket;
  latencyMs: number;
  readonly #queues = { in: new DelayQueue(), out: new DelayQueue() };
  constructor(inner: Socket, ms: number) {
    super();
    this.#inner = inner;
    this.latencyMs = ms;
    inner.on('data', (chunk: Buffer) => this.#later('in', () => this.push(chunk)));
    inner.on('end', () => this.#later('in', () => this.push(null)));
    inner.on('close', () => this.#later('in', () => this.destroy()));
    inner.on('error', () => undefined);
  }
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.#later('out', () => {
      if (!this.#inner.destroyed) this.#inner.write(chunk);
    });
    done();
  }
  override _final(done: () => void): void {
    this.#later('out', () => this.#inner.end());
    done();
  }
  override _destroy(error: Error | null, done: (error: Error | null) => void): void {
    this.#later('out', () => this.#inner.destroy());
    done(error);
  }
  /** Runs `action` one latency from now, never before the previous action of that direction. */
  #later(direction: 'in' | 'out', action: () => void): void {
    this.#queues[direction].push(Date.now() + this.latencyMs, action);
  }
}

/** Actions run in the order they were queued, each no earlier than its time. */
class DelayQueue {
  readonly #items: { readonly at: number; readonly action: () => void }[] = [];
  #timer: NodeJS.Timeout | undefined;

  push(at: number, action: () => void): void {
    this.#items.push({ at, action });
    this.#arm();
  }

  #arm(): void {
    const head = this.#items[0];
    if (this.#timer !== undefined || head === undefined) return;
    this.#timer = setTimeout(() => this.#run(), Math.max(0, head.at - Date.now()));
  }

  #run(): void {
    this.#timer = undefined;
    const now = Date.now();
    while (this.#items.length > 0 && (this.#items[0] as { at: number }).at <= now) {
      (this.#items.shift() as { action: () => void }).action();
    }
    this.#arm();
  }
}
