// `sotto doctor`: checks at once what most often stops a first run — Node too old, no terminal,
// tor missing or its control port unreachable, an unsafe or unwritable profile folder — and prints
// one line per item, `✓` or `✗`, each `✗` with the exact fix. Changes nothing on disk.
import { constants } from 'node:fs';
import { access, lstat } from 'node:fs/promises';
import * as net from 'node:net';
import { dirname } from 'node:path';
import type { SottoOptions } from './args.js';
import type { HostPort } from '../onion/attach-config.js';
import { detectTorPlatform } from '../onion/tor-platform.js';
import { findTor } from '../onion/tor-process.js';
import { checkPrivateDir, defaultProfileDir, profilePaths } from '../profile/profile-dir.js';

/** The oldest Node Sotto runs on: Debian 13's (and so Tails 7's) nodejs package. */
export const MIN_NODE = [20, 19] as const;
const CONNECT_CHECK_MS = 3_000;

export interface DoctorCheck {
  readonly ok: boolean;
  readonly item: string;
  /** What was found, and for a failure the exact fix. */
  readonly detail: string;
}

export interface DoctorEnvironment {
  readonly nodeVersion: string;
  readonly stdinIsTTY: boolean;
  readonly stdoutIsTTY: boolean;
  /** `/` except in tests (see tor-platform.ts). */
  readonly systemRoot: string;
}

export function nodeVersionOk(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/u, '').split('.').map(Number);
  return major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
}

function checkNode(version: string): DoctorCheck {
  const want = `${MIN_NODE[0]}.${MIN_NODE[1]}`;
  return nodeVersionOk(version)
    ? { ok: true, item: 'Node', detail: `${version} (needs ${want} or newer)` }
    : {
        ok: false,
        item: 'Node',
        detail: `${version} is too old: install Node ${want} or newer (Debian 13 / Tails 7: sudo apt install nodejs)`,
      };
}

function checkTerminal(env: DoctorEnvironment): DoctorCheck {
  return env.stdinIsTTY && env.stdoutIsTTY
    ? { ok: true, item: 'terminal', detail: 'interactive: the UI can run' }
    : {
        ok: false,
        item: 'terminal',
        detail:
          'no interactive terminal: run `sotto` in a terminal window, or use `sotto headless --json`',
      };
}

function reachable(target: HostPort): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.host, port: target.port });
    const done = (problem: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const timer = setTimeout(() => done('no answer'), CONNECT_CHECK_MS);
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

async function checkTor(options: SottoOptions, env: DoctorEnvironment): Promise<DoctorCheck> {
  const platform =
    options.torControl === undefined && options.torPath === undefined
      ? await detectTorPlatform(env.systemRoot)
      : undefined;
  const control = options.torControl ?? platform?.control;
  if (control !== undefined) {
    const where = `${control.host}:${control.port}`;
    const what = platform !== undefined ? `${platform.name} control port ${where}` : where;
    const problem = await reachable(control);
    return problem === undefined
      ? { ok: true, item: 'tor', detail: `${what} answers` }
      : {
          ok: false,
          item: 'tor',
          detail:
            platform?.kind === 'tails'
              ? `${what}: ${problem}; install the onion-grater profile (README: Install on Tails)`
              : `${what}: ${problem}; start tor there or give the right --tor-control HOST:PORT`,
        };
  }
  try {
    return { ok: true, item: 'tor', detail: await findTor(options.torPath) };
  } catch {
    return {
      ok: false,
      item: 'tor',
      detail:
        options.torPath !== undefined
          ? `no executable at ${options.torPath}: give the path of tor with --tor PATH`
          : 'tor is not installed: sudo apt install tor (or give its path with --tor PATH)',
    };
  }
}

async function checkProfileDir(options: SottoOptions): Promise<DoctorCheck> {
  const dir = profilePaths(options.profileDir ?? defaultProfileDir()).dir;
  const item = 'profile folder';
  try {
    await lstat(dir);
  } catch {
    const parent = await nearestExisting(dirname(dir));
    try {
      await access(parent, constants.W_OK | constants.X_OK);
      return { ok: true, item, detail: `${dir} will be created (mode 0700)` };
    } catch {
      return {
        ok: false,
        item,
        detail: `cannot create ${dir} (${parent} is not writable): choose a folder of yours with --profile DIR`,
      };
    }
  }
  try {
    await checkPrivateDir(dir);
    return { ok: true, item, detail: `${dir} is private to you` };
  } catch (error) {
    return { ok: false, item, detail: error instanceof Error ? error.message : String(error) };
  }
}

async function nearestExisting(dir: string): Promise<string> {
  for (let current = dir; ; current = dirname(current)) {
    try {
      await lstat(current);
      return current;
    } catch {
      if (dirname(current) === current) return current;
    }
  }
}

export async function runDoctorChecks(
  options: SottoOptions,
  env: DoctorEnvironment,
): Promise<DoctorCheck[]> {
  return [
    checkNode(env.nodeVersion),
    checkTerminal(env),
    await checkTor(options, env),
    await checkProfileDir(options),
  ];
}

export function formatDoctorCheck(check: DoctorCheck): string {
  return `${check.ok ? '✓' : '✗'} ${check.item}: ${check.detail}`;
}
