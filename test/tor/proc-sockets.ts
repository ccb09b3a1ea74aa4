// Reads a process's Internet sockets from Linux procfs (proc(5)): socket inodes from /proc/<pid>/fd,
// addresses and states from /proc/net/{tcp,tcp6,udp,udp6}. Used to prove where Sotto connects,
// by inspecting the kernel's view rather than trusting the code.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface InetSocket {
  readonly proto: 'tcp' | 'tcp6' | 'udp' | 'udp6';
  readonly inode: number;
  readonly localHost: string;
  readonly localPort: number;
  readonly remoteHost: string;
  readonly remotePort: number;
  /** TCP state name (LISTEN, ESTABLISHED, …); for UDP the raw hex. */
  readonly state: string;
}

const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

/** `0100007F:1F90` → 127.0.0.1:8080; IPv6 as 4 little-endian words → `::1`-style text. */
export function parseProcAddress(text: string): { host: string; port: number } {
  const [hexHost = '', hexPort = ''] = text.split(':');
  const port = Number.parseInt(hexPort, 16);
  if (hexHost.length === 8) {
    const b = Buffer.from(hexHost, 'hex').reverse();
    return { host: [...b].join('.'), port };
  }
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const w = Buffer.from(hexHost.slice(i, i + 8), 'hex').reverse();
    words.push(w.toString('hex'));
  }
  const full = words.join('');
  if (full === '00000000000000000000ffff' + full.slice(24)) {
    const v4 = Buffer.from(full.slice(24), 'hex');
    return { host: `::ffff:${[...v4].join('.')}`, port };
  }
  const groups = full.match(/.{4}/g) ?? [];
  const host = groups.map((g) => g.replace(/^0+(?=.)/, '')).join(':');
  return { host: host === '0:0:0:0:0:0:0:1' ? '::1' : host, port };
}

/** Every entry of one /proc/net table. */
export function readNetTable(proto: InetSocket['proto']): InetSocket[] {
  let text: string;
  try {
    text = readFileSync(`/proc/net/${proto}`, 'utf8');
  } catch {
    return [];
  }
  const out: InetSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = parseProcAddress(f[1] ?? '');
    const remote = parseProcAddress(f[2] ?? '');
    const st = f[3] ?? '';
    out.push({
      proto,
      inode: Number(f[9]),
      localHost: local.host,
      localPort: local.port,
      remoteHost: remote.host,
      remotePort: remote.port,
      state: proto.startsWith('tcp') ? (TCP_STATES[st] ?? st) : st,
    });
  }
  return out;
}

/** Socket inodes open in a process (`self` or a pid). */
export function socketInodes(pid: number | 'self'): Set<number> {
  const inodes = new Set<number>();
  const dir = `/proc/${pid}/fd`;
  let fds: string[];
  try {
    fds = readdirSync(dir);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${dir}/${fd}`));
      if (m) inodes.add(Number(m[1]));
    } catch {
      // the fd closed while we listed
    }
  }
  return inodes;
}

/** The Internet sockets (TCP and UDP, v4 and v6) a process holds right now. */
export function inetSocketsOf(pid: number | 'self'): InetSocket[] {
  const inodes = socketInodes(pid);
  return (['tcp', 'tcp6', 'udp', 'udp6'] as const)
    .flatMap((proto) => readNetTable(proto))
    .filter((s) => s.inode !== 0 && inodes.has(s.inode));
}
