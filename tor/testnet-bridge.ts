// An obfs4 bridge for the private Tor network: a relay with `BridgeRelay 1` and obfs4proxy as its
// server transport (tor(1) "SERVER OPTIONS", pt-spec), unpublished, so a client reaches it only
// through the bridge line this module reads back from tor's pt_state and fingerprint files.
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePortBlock, isPortBlockFree } from './free-ports.js';
import { TorNodeProcess } from './tor-process.js';

export interface Obfs4BridgeOptions {
  /** The network's client lines (shared testnet lines + DirAuthority lines). */
  readonly testnetLines: readonly string[];
  /** Empty or absent directory for the bridge's data (a temp dir if absent; removed on stop). */
  readonly dir?: string;
  /** First of two consecutive free ports: ORPort, then the obfs4 listener. */
  readonly portBase?: number;
  /** Server transport binary (default /usr/bin/obfs4proxy). */
  readonly transportPath?: string;
  readonly torPath?: string;
  readonly nickname?: string;
  readonly signal?: AbortSignal;
  /** Until the bridge line can be read (default 60 s). */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface Obfs4Bridge {
  readonly nickname: string;
  readonly dataDir: string;
  readonly pid: number;
  readonly orPort: number;
  readonly obfs4Port: number;
  /** 40 hex, the bridge's relay identity. */
  readonly fingerprint: string;
  /** obfs4 `cert=` argument (base64, 70 characters). */
  readonly cert: string;
  readonly iatMode: 0 | 1 | 2;
  /** `obfs4 127.0.0.1:<port> <fingerprint> cert=<cert> iat-mode=<n>` (no `Bridge ` prefix). */
  readonly bridgeLine: string;
  lastLines(): string[];
  stop(): Promise<void>;
}

export class TestBridgeError extends Error {
  override name = 'TestBridgeError';
}

const DEFAULT_TIMEOUT_MS = 60_000;
const POLL_MS = 100;
const NICKNAME = /^[A-Za-z0-9]{1,19}$/;

/** The bridge's torrc (pure). */
export function obfs4BridgeTorrc(spec: {
  readonly testnetLines: readonly string[];
  readonly nickname: string;
  readonly dataDir: string;
  readonly orPort: number;
  readonly obfs4Port: number;
  readonly transportPath: string;
  readonly owningPid: number;
}): string {
  if (!NICKNAME.test(spec.nickname)) throw new TestBridgeError(`bad nickname ${spec.nickname}`);
  for (const value of [spec.dataDir, spec.transportPath]) {
    if (!value.startsWith('/') || /[\s"\\]/.test(value)) {
      throw new TestBridgeError(`path must be absolute without spaces or quotes: ${value}`);
    }
  }
  for (const port of [spec.orPort, spec.obfs4Port]) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new TestBridgeError(`not a TCP port: ${port}`);
    }
  }
  for (const line of spec.testnetLines) {
    // eslint-disable-next-line no-control-regex -- control characters are what we look for
    if (/[\u0000-\u001f\u007f]/.test(line)) {
      throw new TestBridgeError('a testnet line contains a control character');
    }
  }
  return (
    [
      ...spec.testnetLines,
      `Nickname ${spec.nickname}`,
      `DataDirectory ${spec.dataDir}`,
      'Address 127.0.0.1',
      `ORPort 127.0.0.1:${spec.orPort}`,
      'SocksPort 0',
      'ControlPort 0',
      'BridgeRelay 1',
      'PublishServerDescriptor 0',
      `ServerTransportPlugin obfs4 exec ${spec.transportPath}`,
      `ServerTransportListenAddr obfs4 127.0.0.1:${spec.obfs4Port}`,
      'ExtORPort auto',
      'ExitRelay 0',
      'ExitPolicy reject *:*',
      'ContactInfo sotto-testnet@localhost',
      'ShutdownWaitLength 0',
      'Log notice stdout',
      'RunAsDaemon 0',
      `__OwningControllerProcess ${spec.owningPid}`,
    ].join('\n') + '\n'
  );
}

/**
 * Parses obfs4proxy's `pt_state/obfs4_bridgeline.txt`: its one non-comment line is
 * `Bridge obfs4 <IP ADDRESS>:<PORT> <FINGERPRINT> cert=<base64> iat-mode=<0|1|2>`.
 */
export function parseObfs4BridgelineFile(text: string): { cert: string; iatMode: 0 | 1 | 2 } {
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = /\scert=([A-Za-z0-9+/]{70})\s+iat-mode=([012])\s*$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      return { cert: match[1], iatMode: Number(match[2]) as 0 | 1 | 2 };
    }
  }
  throw new TestBridgeError('obfs4_bridgeline.txt has no cert=/iat-mode= line');
}

async function waitForValue<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  child: TorNodeProcess,
  signal: AbortSignal,
): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (child.exitStatus !== undefined) {
      throw new TestBridgeError(
        `bridge tor exited before ${what}:\n${child.lastLines().join('\n')}`,
      );
    }
    if (signal.aborted) {
      throw new TestBridgeError(`timed out waiting for ${what}:\n${child.lastLines().join('\n')}`, {
        cause: signal.reason,
      });
    }
    await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}

/** Starts the bridge and resolves once its obfs4 bridge line is known. */
export async function startObfs4Bridge(options: Obfs4BridgeOptions): Promise<Obfs4Bridge> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  signal.throwIfAborted();
  const nickname = options.nickname ?? 'bridge0';
  let portBase = options.portBase;
  if (portBase === undefined) portBase = await findFreePortBlock(2);
  else if (!(await isPortBlockFree(portBase, 2))) {
    throw new TestBridgeError(`ports ${portBase} and ${portBase + 1} are not both free`);
  }
  const owned = options.dir === undefined;
  const dataDir = options.dir ?? (await mkdtemp(join(tmpdir(), 'sotto-bridge-')));
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const orPort = portBase;
  const obfs4Port = portBase + 1;
  const torrcPath = join(dataDir, 'torrc');
  const temporary = `${torrcPath}.${process.pid}.tmp`;
  await writeFile(
    temporary,
    obfs4BridgeTorrc({
      testnetLines: options.testnetLines,
      nickname,
      dataDir,
      orPort,
      obfs4Port,
      transportPath: options.transportPath ?? '/usr/bin/obfs4proxy',
      owningPid: process.pid,
    }),
    { mode: 0o600 },
  );
  await rename(temporary, torrcPath);
  const log = options.log;
  let transportRegistered = false;
  const child = await TorNodeProcess.start(
    options.torPath ?? 'tor',
    nickname,
    torrcPath,
    (line) => {
      if (line.includes("Registered server transport 'obfs4'")) transportRegistered = true;
      log?.(`${nickname}: ${line}`);
    },
  );
  const stop = async (): Promise<void> => {
    await child.stop();
    if (owned) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const fingerprint = await waitForValue(
      async () => {
        const text = await readFile(join(dataDir, 'fingerprint'), 'utf8').catch(() => '');
        return /^\S+ ([0-9A-F]{40})\s*$/.exec(text)?.[1];
      },
      'the fingerprint file',
      child,
      signal,
    );
    const { cert, iatMode } = await waitForValue(
      async () => {
        const file = join(dataDir, 'pt_state', 'obfs4_bridgeline.txt');
        const text = await readFile(file, 'utf8').catch(() => undefined);
        return text === undefined ? undefined : parseObfs4BridgelineFile(text);
      },
      'pt_state/obfs4_bridgeline.txt',
      child,
      signal,
    );
    // The transport is registered once tor logs it; before that the port may not be listening.
    await waitForValue(
      () => Promise.resolve(transportRegistered ? true : undefined),
      "tor's 'Registered server transport' log line",
      child,
      signal,
    );
    return {
      nickname,
      dataDir,
      pid: child.pid,
      orPort,
      obfs4Port,
      fingerprint,
      cert,
      iatMode,
      bridgeLine: `obfs4 127.0.0.1:${obfs4Port} ${fingerprint} cert=${cert} iat-mode=${iatMode}`,
      lastLines: () => child.lastLines(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
