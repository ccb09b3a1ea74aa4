// A tor that is not Sotto's own, for attach-mode tests: started here with cookie and password
// authentication on the private test network, waited for (bounded) until bootstrapped with a built
// circuit, stopped by its pid; a start that fails or times out stops the process it started.
import { spawn, execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { authenticate } from '../../src/onion/control/authenticate.js';
import { getInfo } from '../../src/onion/control/commands.js';
import { TorControlConnection } from '../../src/onion/control/control-connection.js';
import { parseControlPortFile } from '../../src/onion/tor-process.js';
import { getInfoValue, parseSocksListeners } from '../../src/onion/tor-session.js';

export interface StandaloneTor {
  readonly pid: number;
  readonly controlPort: number;
  readonly socksPort: number;
  readonly cookieFile: string;
  readonly password: string;
  stop(): Promise<void>;
}

/** The standalone tor did not start or get ready in time (its process is stopped). */
export class StandaloneTorError extends Error {
  override name = 'StandaloneTorError';
}

export const STANDALONE_START_TIMEOUT_MS = 120_000;

export async function startStandaloneTor(
  dir: string,
  clientLines: readonly string[],
  password: string,
  startTimeoutMs = STANDALONE_START_TIMEOUT_MS,
): Promise<StandaloneTor> {
  const { stdout } = await promisify(execFile)('tor', ['--quiet', '--hash-password', password], {
    timeout: 30_000,
  });
  const hashed = stdout.trim().split('\n').at(-1) ?? '';
  const controlPortFile = path.join(dir, 'control-port');
  const cookieFile = path.join(dir, 'cookie');
  const torrc = [
    `DataDirectory ${dir}`,
    'ControlPort auto',
    `ControlPortWriteToFile ${controlPortFile}`,
    'CookieAuthentication 1',
    `CookieAuthFile ${cookieFile}`,
    `HashedControlPassword ${hashed}`,
    'SocksPort auto',
    'Log notice stdout',
    ...clientLines,
  ];
  await writeFile(path.join(dir, 'torrc'), `${torrc.join('\n')}\n`, { mode: 0o600 });
  await writeFile(path.join(dir, 'defaults'), '', { mode: 0o600 });
  const child = spawn(
    'tor',
    ['-f', path.join(dir, 'torrc'), '--defaults-torrc', path.join(dir, 'defaults')],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  /** SIGTERM to exactly this child; SIGKILL if it has not exited 10 s later. */
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  const deadline = Date.now() + startTimeoutMs;
  const left = (): number => Math.max(1, deadline - Date.now());
  try {
    let endpoint: { host: string; port: number } | undefined;
    while (endpoint === undefined) {
      endpoint = parseControlPortFile(await readFile(controlPortFile, 'utf8').catch(() => ''));
      if (endpoint !== undefined) break;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new StandaloneTorError('standalone tor exited before opening its control port');
      }
      if (Date.now() >= deadline) {
        throw new StandaloneTorError(`no control port within ${startTimeoutMs} ms`);
      }
      await sleep(100);
    }
    const control = await TorControlConnection.connect(endpoint, { timeoutMs: left() });
    try {
      await authenticate(control, { cookieFile, timeoutMs: left() });
      // Ready for onion services = bootstrapped AND a circuit built (tor's own "usable" signal);
      // polled against one deadline so a stuck network is a clear error inside the hook timeout.
      let phase = '';
      let circuits = '';
      while (!phase.includes('PROGRESS=100') || circuits !== '1') {
        if (Date.now() >= deadline) {
          throw new StandaloneTorError(
            `standalone tor not ready within ${startTimeoutMs} ms (${phase}; circuit-established=${circuits})`,
          );
        }
        const info = await getInfo(
          control,
          ['status/bootstrap-phase', 'status/circuit-established'],
          {
            timeoutMs: left(),
          },
        );
        phase = info.get('status/bootstrap-phase') ?? '';
        circuits = info.get('status/circuit-established') ?? '';
        if (!phase.includes('PROGRESS=100') || circuits !== '1') await sleep(200);
      }
      const socks = parseSocksListeners(
        await getInfoValue(control, 'net/listeners/socks', AbortSignal.timeout(left())),
      );
      if (socks === undefined || child.pid === undefined)
        throw new StandaloneTorError('no SOCKS port');
      return {
        pid: child.pid,
        controlPort: endpoint.port,
        socksPort: socks.port,
        cookieFile,
        password,
        stop,
      };
    } finally {
      control.close();
    }
  } catch (error) {
    await stop();
    throw error;
  }
}
