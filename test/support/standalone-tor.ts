// A tor that is not Sotto's own, for attach-mode tests: started here with cookie and password
// authentication on the private test network, waited for until bootstrapped, stopped by its pid.
import { spawn, execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { authenticate } from '../../src/onion/control/authenticate.js';
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

export async function startStandaloneTor(
  dir: string,
  clientLines: readonly string[],
  password: string,
): Promise<StandaloneTor> {
  const { stdout } = await promisify(execFile)('tor', ['--quiet', '--hash-password', password]);
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
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    let endpoint: { host: string; port: number } | undefined;
    for (let i = 0; i < 300 && endpoint === undefined; i++) {
      endpoint = parseControlPortFile(await readFile(controlPortFile, 'utf8').catch(() => ''));
      if (endpoint === undefined) await sleep(100);
    }
    if (endpoint === undefined) throw new Error('standalone tor did not start');
    const control = await TorControlConnection.connect(endpoint);
    try {
      await authenticate(control, { cookieFile });
      let progress = '';
      for (let i = 0; i < 600 && !progress.includes('PROGRESS=100'); i++) {
        progress = await getInfoValue(control, 'status/bootstrap-phase');
        if (!progress.includes('PROGRESS=100')) await sleep(100);
      }
      if (!progress.includes('PROGRESS=100')) throw new Error('standalone tor did not bootstrap');
      const socks = parseSocksListeners(await getInfoValue(control, 'net/listeners/socks'));
      if (socks === undefined || child.pid === undefined) throw new Error('no SOCKS port');
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
