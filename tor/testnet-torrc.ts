// torrc text for a private Tor network on loopback (TestingTorNetwork 1): the lines every node and
// client shares, the DirAuthority lines, and the authority / relay configurations. Pure functions;
// facts from docs/TESTNET.md and tor(1).

export type TestNodeRole = 'authority' | 'relay';

/** One authority or relay of the network, with everything its torrc needs. */
export interface TestNodeSpec {
  readonly nickname: string;
  readonly role: TestNodeRole;
  readonly dataDir: string;
  readonly orPort: number;
  readonly dirPort: number;
}

/** What a DirAuthority line needs to know about an authority. */
export interface AuthorityIdentity {
  readonly nickname: string;
  readonly orPort: number;
  readonly dirPort: number;
  /** 40 hex: the `fingerprint` line of its authority_certificate (v3 identity). */
  readonly v3Identity: string;
  /** 40 hex: its relay identity key fingerprint. */
  readonly relayFingerprint: string;
}

export class TorrcValueError extends Error {
  override name = 'TorrcValueError';
}

const NICKNAME = /^[A-Za-z0-9]{1,19}$/;
const FINGERPRINT = /^[0-9A-F]{40}$/;

function assertPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TorrcValueError(`${what} is not a TCP port: ${port}`);
  }
}

function assertNickname(nickname: string): void {
  if (!NICKNAME.test(nickname)) throw new TorrcValueError(`invalid tor nickname: ${nickname}`);
}

/** A path goes into torrc as a quoted string; refuse anything that would need escaping. */
function quotePath(path: string): string {
  if (!path.startsWith('/') || /["\\\n\r\0]/.test(path)) {
    throw new TorrcValueError(`data directory must be an absolute path without quotes: ${path}`);
  }
  return `"${path}"`;
}

/** Lines every node and every client of the test network carries (docs/TESTNET.md). */
export const SHARED_TESTNET_LINES: readonly string[] = [
  'TestingTorNetwork 1',
  'AssumeReachable 1',
  'PathsNeededToBuildCircuits 0.25',
  'TestingDirAuthVoteExit *',
  'TestingDirAuthVoteHSDir *',
  'TestingDirAuthVoteGuard *',
  'TestingMinExitFlagThreshold 0',
  'V3AuthNIntervalsValid 2',
];

/** `DirAuthority <nick> orport=<p> no-v2 v3ident=<fp> 127.0.0.1:<dirport> <relay fp>` */
export function dirAuthorityLine(authority: AuthorityIdentity): string {
  assertNickname(authority.nickname);
  assertPort(authority.orPort, 'authority ORPort');
  assertPort(authority.dirPort, 'authority DirPort');
  for (const fp of [authority.v3Identity, authority.relayFingerprint]) {
    if (!FINGERPRINT.test(fp)) throw new TorrcValueError(`invalid fingerprint: ${fp}`);
  }
  return (
    `DirAuthority ${authority.nickname} orport=${authority.orPort} no-v2 ` +
    `v3ident=${authority.v3Identity} 127.0.0.1:${authority.dirPort} ${authority.relayFingerprint}`
  );
}

/** What a client tor adds to its own torrc to join the network. */
export function clientTestnetLines(authorities: readonly AuthorityIdentity[]): string[] {
  if (authorities.length === 0) throw new TorrcValueError('a test network needs an authority');
  return [...SHARED_TESTNET_LINES, ...authorities.map(dirAuthorityLine)];
}

/** Placeholder authority for `tor --list-fingerprint`, which refuses TestingTorNetwork without one. */
export const PLACEHOLDER_DIR_AUTHORITY =
  'x orport=1 no-v2 127.0.0.1:1 0000000000000000000000000000000000000000';

/**
 * The node-specific lines (without DirAuthority): enough for `tor --list-fingerprint`, and the
 * body of the real torrc. `owningPid` makes tor exit on its own if our process dies.
 */
export function nodeBaseLines(node: TestNodeSpec, owningPid?: number): string[] {
  assertNickname(node.nickname);
  assertPort(node.orPort, `${node.nickname} ORPort`);
  assertPort(node.dirPort, `${node.nickname} DirPort`);
  const lines = [
    ...SHARED_TESTNET_LINES,
    `Nickname ${node.nickname}`,
    `DataDirectory ${quotePath(node.dataDir)}`,
    'Address 127.0.0.1',
    `ORPort 127.0.0.1:${node.orPort}`,
    `DirPort 127.0.0.1:${node.dirPort}`,
    'SocksPort 0',
    'ControlPort 0',
    'ExitRelay 0',
    'ExitPolicy reject *:*',
    'ContactInfo sotto-testnet@localhost',
    'ShutdownWaitLength 0',
    'Log notice stdout',
    'RunAsDaemon 0',
  ];
  if (owningPid !== undefined) {
    if (!Number.isInteger(owningPid) || owningPid < 1) {
      throw new TorrcValueError(`invalid owning pid: ${owningPid}`);
    }
    lines.push(`__OwningControllerProcess ${owningPid}`);
  }
  if (node.role === 'authority') {
    lines.push(
      'AuthoritativeDirectory 1',
      'V3AuthoritativeDirectory 1',
      'TestingV3AuthInitialVotingInterval 5',
      'TestingV3AuthInitialVoteDelay 2',
      'TestingV3AuthInitialDistDelay 2',
      'V3AuthVotingInterval 10',
      'V3AuthVoteDelay 2',
      'V3AuthDistDelay 2',
      // Every relay Stable and Fast from its first vote. Otherwise Stable goes only to relays with
      // at least the median uptime and Fast only to the faster ones, so on five young nodes often
      // just two qualify for onion-service circuits (which need both): vanguard paths then come out
      // as guard→middle→guard, the middle refuses to extend back, and a client sits at 95% or an
      // onion never publishes for minutes.
      'AuthDirVoteStableGuaranteeMinUptime 0',
      'AuthDirVoteStableGuaranteeMTBF 0',
      'AuthDirFastGuarantee 1 KBytes',
    );
  }
  return lines;
}

/** The complete torrc of an authority or relay. */
export function nodeTorrc(
  node: TestNodeSpec,
  authorities: readonly AuthorityIdentity[],
  owningPid?: number,
): string {
  if (authorities.length === 0) throw new TorrcValueError('a test network needs an authority');
  return (
    [...nodeBaseLines(node, owningPid), ...authorities.map(dirAuthorityLine)].join('\n') + '\n'
  );
}

/** Nicknames and ports of the nodes: authorities first, two ports each from `portBase`. */
export function planNodes(
  rootDir: string,
  portBase: number,
  authorities: number,
  relays: number,
): TestNodeSpec[] {
  if (!Number.isInteger(authorities) || authorities < 1 || authorities > 9) {
    throw new TorrcValueError(`authorities must be 1..9, got ${authorities}`);
  }
  if (!Number.isInteger(relays) || relays < 0 || relays > 20) {
    throw new TorrcValueError(`relays must be 0..20, got ${relays}`);
  }
  assertPort(portBase, 'port base');
  assertPort(portBase + 2 * (authorities + relays) - 1, 'last port of the block');
  const nodes: TestNodeSpec[] = [];
  const add = (role: TestNodeRole, nickname: string): void => {
    const index = nodes.length;
    nodes.push({
      nickname,
      role,
      dataDir: `${rootDir}/${nickname}`,
      orPort: portBase + 2 * index,
      dirPort: portBase + 2 * index + 1,
    });
  };
  for (let i = 0; i < authorities; i++) add('authority', `auth${i}`);
  for (let i = 0; i < relays; i++) add('relay', `relay${i}`);
  return nodes;
}

/** Number of ports `planNodes` uses from the base. */
export function portsNeeded(authorities: number, relays: number): number {
  return 2 * (authorities + relays);
}
