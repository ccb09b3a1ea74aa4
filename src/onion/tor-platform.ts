// Known systems whose tor Sotto uses without flags: Tails (tor enforced, control port behind the
// onion-grater filter on 127.0.0.1:951, SOCKS on 127.0.0.1:9050) and Whonix-Workstation (tor runs
// on the gateway 10.152.152.10, its onion-grater filter on port 9051, SOCKS on 9050). Detection
// reads marker files only: Tails writes `TAILS_PRODUCT_NAME=` into /etc/os-release, and a Whonix
// workstation has /usr/share/anon-ws-base-files/workstation. A marker is a hint, not a proof: it
// decides defaults and that a control port without authentication is the filter we expect there.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readBounded } from '../fs/read-bounded.js';
import type { ControlTrust, HostPort } from './attach-config.js';

export interface TorPlatform {
  readonly kind: Extract<ControlTrust, 'tails' | 'whonix'>;
  /** Human name for messages. */
  readonly name: string;
  readonly control: HostPort;
  readonly socks: HostPort;
}

export const TAILS: TorPlatform = {
  kind: 'tails',
  name: 'Tails',
  control: { host: '127.0.0.1', port: 951 },
  socks: { host: '127.0.0.1', port: 9050 },
};

/** Non-Qubes Whonix: the gateway's internal address. Qubes users pass --tor-control. */
export const WHONIX_WORKSTATION: TorPlatform = {
  kind: 'whonix',
  name: 'Whonix-Workstation',
  control: { host: '10.152.152.10', port: 9051 },
  socks: { host: '10.152.152.10', port: 9050 },
};

export const OS_RELEASE = 'etc/os-release';
export const WHONIX_WORKSTATION_MARKER = 'usr/share/anon-ws-base-files/workstation';
/** /etc/os-release is a few hundred bytes; a bigger file is not the one we look for. */
const MAX_OS_RELEASE_BYTES = 64 * 1024;

/** `root` is `/` except in tests (a directory laid out like a system's root). */
export async function detectTorPlatform(root = '/'): Promise<TorPlatform | undefined> {
  if (await isTails(root)) return TAILS;
  if (await isFile(join(root, WHONIX_WORKSTATION_MARKER))) return WHONIX_WORKSTATION;
  return undefined;
}

async function isTails(root: string): Promise<boolean> {
  const path = join(root, OS_RELEASE);
  try {
    if (!(await stat(path)).isFile()) return false;
    const { bytes } = await readBounded(path, MAX_OS_RELEASE_BYTES);
    return /^TAILS_PRODUCT_NAME=/mu.test(bytes.toString('utf8'));
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
