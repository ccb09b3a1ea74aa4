// Identity material for the test network's nodes: authority v3 keys with tor-gencert, and each
// node's relay identity fingerprint with `tor --list-fingerprint` (docs/TESTNET.md, tor-gencert(1)).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './tor-process.js';
import { PLACEHOLDER_DIR_AUTHORITY, nodeBaseLines, type TestNodeSpec } from './testnet-torrc.js';

/** A key file tor wrote does not hold what we expect. */
export class TestnetKeyError extends Error {
  override name = 'TestnetKeyError';
}

export interface KeyToolOptions {
  readonly torPath: string;
  readonly gencertPath: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/**
 * Creates `<dataDir>/keys/authority_{identity_key,signing_key,certificate}` (12 months, empty
 * passphrase on stdin) and returns the v3 identity fingerprint from the certificate.
 */
export async function createAuthorityKeys(
  node: TestNodeSpec,
  options: KeyToolOptions,
): Promise<string> {
  const keysDir = join(node.dataDir, 'keys');
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  await runCommand(
    options.gencertPath,
    [
      '--create-identity-key',
      '-m',
      '12',
      '-a',
      `127.0.0.1:${node.dirPort}`,
      '--passphrase-fd',
      '0',
    ],
    { cwd: keysDir, stdin: '\n', timeoutMs: options.timeoutMs, signal: options.signal },
  );
  const certificate = await readFile(join(keysDir, 'authority_certificate'), 'utf8');
  const match = /^fingerprint ([0-9A-F]{40})$/m.exec(certificate);
  if (!match?.[1]) throw new TestnetKeyError(`${node.nickname}: no fingerprint in certificate`);
  return match[1];
}

/** Creates the node's relay identity key and returns its 40-hex fingerprint. */
export async function createRelayFingerprint(
  node: TestNodeSpec,
  options: KeyToolOptions,
): Promise<string> {
  await mkdir(node.dataDir, { recursive: true, mode: 0o700 });
  const torrcPath = join(node.dataDir, 'torrc-fingerprint');
  await writeFile(torrcPath, nodeBaseLines(node).join('\n') + '\n', { mode: 0o600 });
  await runCommand(
    options.torPath,
    ['--list-fingerprint', '-f', torrcPath, '--DirAuthority', PLACEHOLDER_DIR_AUTHORITY],
    { timeoutMs: options.timeoutMs, signal: options.signal },
  );
  const line = await readFile(join(node.dataDir, 'fingerprint'), 'utf8');
  const match = /^(\S+) ([0-9A-F]{40})\s*$/.exec(line);
  if (match?.[1] !== node.nickname || !match[2]) {
    throw new TestnetKeyError(`${node.nickname}: unexpected fingerprint file: ${line.trim()}`);
  }
  return match[2];
}
