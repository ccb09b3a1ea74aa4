// Starts a private Tor network on 127.0.0.1 (TestingTorNetwork 1: directory authorities + non-exit
// relays, real tor child processes) and waits until every node holds a consensus listing all of
// them as Running. Facts: docs/TESTNET.md. Used by the `tor` tests, benches and demo.
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePortBlock, isPortBlockFree } from './free-ports.js';
import { missingFromNodeConsensus } from './testnet-consensus.js';
import { createAuthorityKeys, createRelayFingerprint } from './testnet-keys.js';
import {
  clientTestnetLines,
  nodeTorrc,
  planNodes,
  portsNeeded,
  type AuthorityIdentity,
  type TestNodeSpec,
} from './testnet-torrc.js';
import { TorNodeProcess } from './tor-process.js';

export interface TestNetworkOptions {
  /** Directory to build the network in (must be empty or absent; kept on stop). */
  readonly dir?: string;
  /** First of 2 × (authorities + relays) consecutive ports; free ports are picked if absent. */
  readonly portBase?: number;
  readonly authorities?: number;
  readonly relays?: number;
  readonly signal?: AbortSignal;
  /** Whole start-up, keys to consensus. */
  readonly timeoutMs?: number;
  /** Every log line of every node, prefixed with its nickname. */
  readonly log?: (line: string) => void;
  readonly torPath?: string;
  readonly gencertPath?: string;
}

export interface TestNetworkNode extends TestNodeSpec {
  readonly pid: number;
}

export interface WaitOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export interface TestNetwork {
  readonly dir: string;
  readonly portBase: number;
  readonly nodes: readonly TestNetworkNode[];
  /** The shared lines + DirAuthority lines a client tor adds to its torrc to join. */
  readonly clientTorrcLines: string[];
  /** Writes `clientTorrcLines` to `path` (0600, atomically). */
  writeClientTorrc(path: string): Promise<void>;
  /** Resolves once every node's consensus lists every node as Running. */
  waitForConsensus(options?: WaitOptions): Promise<void>;
  /** Stops exactly the tor processes started here; removes `dir` if this call created it. */
  stop(): Promise<void>;
  /** Fault injection: SIGKILLs one node (by nickname) and waits until it exited. */
  killNode(nickname: string): Promise<void>;
  /** Starts a node that was killed again, from its own torrc and data directory (new pid). */
  startNode(nickname: string): Promise<void>;
}

export class TestNetworkError extends Error {
  override name = 'TestNetworkError';
}
/** A node's tor exited while the network was starting. */
export class TestNetworkNodeExitedError extends TestNetworkError {
  override name = 'TestNetworkNodeExitedError';
  constructor(
    readonly nickname: string,
    readonly lastLines: readonly string[],
  ) {
    super(`tor node ${nickname} exited during start-up; last log lines:\n${lastLines.join('\n')}`);
  }
}
/** Not every node had a full consensus in time. */
export class TestNetworkTimeoutError extends TestNetworkError {
  override name = 'TestNetworkTimeoutError';
  constructor(
    readonly notReady: readonly {
      nickname: string;
      missing: readonly string[];
      lastLines: readonly string[];
    }[],
    timeoutMs: number,
  ) {
    super(
      `test network not ready after ${timeoutMs} ms:\n` +
        notReady
          .map(
            (node) =>
              `${node.nickname} lacks ${node.missing.join(', ')}; last log lines:\n  ` +
              node.lastLines.slice(-8).join('\n  '),
          )
          .join('\n'),
    );
  }
}

const DEFAULT_TIMEOUT_MS = 120_000;
const POLL_INTERVAL_MS = 250;
const KEY_TOOL_TIMEOUT_MS = 30_000;

async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, path);
}

async function prepareDirectory(dir: string | undefined): Promise<{ dir: string; owned: boolean }> {
  if (dir === undefined) {
    return { dir: await mkdtemp(join(tmpdir(), 'sotto-testnet-')), owned: true };
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if ((await readdir(dir)).length > 0) {
    throw new TestNetworkError(`test network directory is not empty: ${dir}`);
  }
  return { dir, owned: false };
}

/** Builds keys and torrcs, starts every node, and waits for a consensus with all of them. */
export async function startTestNetwork(options: TestNetworkOptions = {}): Promise<TestNetwork> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const startedAt = Date.now();
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const authorityCount = options.authorities ?? 3;
  const relayCount = options.relays ?? 2;
  const torPath = options.torPath ?? 'tor';
  const gencertPath = options.gencertPath ?? 'tor-gencert';
  signal.throwIfAborted();

  const count = portsNeeded(authorityCount, relayCount);
  let portBase = options.portBase;
  if (portBase === undefined) {
    portBase = await findFreePortBlock(count);
  } else if (!(await isPortBlockFree(portBase, count))) {
    throw new TestNetworkError(`ports ${portBase}..${portBase + count - 1} are not all free`);
  }
  const { dir, owned } = await prepareDirectory(options.dir);
  const processes: TorNodeProcess[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(processes.map((child) => child.stop()));
    if (owned) await rm(dir, { recursive: true, force: true });
  };

  try {
    const specs = planNodes(dir, portBase, authorityCount, relayCount);
    const keyOptions = { torPath, gencertPath, timeoutMs: KEY_TOOL_TIMEOUT_MS, signal };
    // allSettled: on a failure no key tool may still be writing into the directory we remove.
    const settled = await Promise.allSettled(
      // Only authorities need keys up front (their DirAuthority lines name them); relays create
      // their own identity on first start.
      specs
        .filter((node) => node.role === 'authority')
        .map(async (node) => ({
          node,
          v3Identity: await createAuthorityKeys(node, keyOptions),
          relayFingerprint: await createRelayFingerprint(node, keyOptions),
        })),
    );
    const identities = settled.map((result) => {
      if (result.status === 'rejected') throw result.reason;
      return result.value;
    });
    const authorities: AuthorityIdentity[] = identities.map(
      ({ node, v3Identity, relayFingerprint }) => ({
        nickname: node.nickname,
        orPort: node.orPort,
        dirPort: node.dirPort,
        v3Identity,
        relayFingerprint,
      }),
    );

    options.log?.(`testnet: authority keys ready, starting ${specs.length} nodes in ${dir}`);
    const nodes: TestNetworkNode[] = [];
    for (const node of specs) {
      await mkdir(node.dataDir, { recursive: true, mode: 0o700 });
      const torrcPath = join(node.dataDir, 'torrc');
      await writeFileAtomic(torrcPath, nodeTorrc(node, authorities, process.pid));
      signal.throwIfAborted();
      const log = options.log;
      const child = await TorNodeProcess.start(
        torPath,
        node.nickname,
        torrcPath,
        log ? (line) => log(`${node.nickname}: ${line}`) : undefined,
      );
      processes.push(child);
      nodes.push({ ...node, pid: child.pid });
    }

    const clientTorrcLines = clientTestnetLines(authorities);
    const waitForConsensus = (wait: WaitOptions = {}): Promise<void> =>
      waitUntilAllListed(specs, processes, wait.signal, wait.timeoutMs ?? timeoutMs);
    const remainingMs = Math.max(0, timeoutMs - (Date.now() - startedAt));
    await waitUntilAllListed(specs, processes, options.signal, remainingMs);

    let stopped: Promise<void> | undefined;
    return {
      dir,
      portBase,
      nodes,
      clientTorrcLines,
      writeClientTorrc: (path) => writeFileAtomic(path, clientTorrcLines.join('\n') + '\n'),
      waitForConsensus,
      stop: () => (stopped ??= stopAll()),
      killNode: async (nickname) => {
        const index = indexOfNode(specs, nickname);
        const child = processes[index] as TorNodeProcess;
        process.kill(child.pid, 'SIGKILL');
        await child.exited;
      },
      startNode: async (nickname) => {
        const index = indexOfNode(specs, nickname);
        const node = specs[index] as TestNodeSpec;
        if ((processes[index] as TorNodeProcess).exitStatus === undefined) {
          throw new TestNetworkError(`testnet: ${nickname} is still running`);
        }
        const log = options.log;
        const child = await TorNodeProcess.start(
          torPath,
          node.nickname,
          join(node.dataDir, 'torrc'),
          log ? (line) => log(`${node.nickname}: ${line}`) : undefined,
        );
        processes[index] = child;
        nodes[index] = { ...node, pid: child.pid };
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function indexOfNode(specs: readonly TestNodeSpec[], nickname: string): number {
  const index = specs.findIndex((node) => node.nickname === nickname);
  if (index < 0) throw new TestNetworkError(`testnet: no node named ${nickname}`);
  return index;
}

async function waitUntilAllListed(
  specs: readonly TestNodeSpec[],
  processes: readonly TorNodeProcess[],
  outerSignal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<void> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = outerSignal ? AbortSignal.any([outerSignal, deadline]) : deadline;
  const nicknames = specs.map((node) => node.nickname);
  for (;;) {
    const notReady = [];
    for (const [index, node] of specs.entries()) {
      const child = processes[index];
      if (child?.exitStatus !== undefined) {
        throw new TestNetworkNodeExitedError(node.nickname, child.lastLines());
      }
      const missing = await missingFromNodeConsensus(node.dataDir, nicknames);
      if (missing.length > 0) {
        notReady.push({ nickname: node.nickname, missing, lastLines: child?.lastLines() ?? [] });
      }
    }
    if (notReady.length === 0) return;
    if (signal.aborted) {
      if (outerSignal?.aborted && !deadline.aborted) throw outerSignal.reason;
      throw new TestNetworkTimeoutError(notReady, timeoutMs);
    }
    await sleep(POLL_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
  }
}
