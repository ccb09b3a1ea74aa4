// Loads the Ricochet Refresh 3.0.41 recordings kept in the repository (test/vectors/ricochet-3.0.41,
// README there; docs/PROTOCOL.md "Conformance" says what they prove).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Segment {
  readonly from: 'client' | 'server';
  readonly hex: string;
}
export interface Connection {
  readonly client: string;
  readonly server: string;
  readonly segments: readonly Segment[];
}
export interface Session {
  readonly file: string;
  readonly peers: Record<string, { service_id: string; identity_keyblob: string }>;
  readonly connections: readonly Connection[];
  readonly scenario_data?: Record<string, unknown>;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const VECTOR_DIR = resolve(repoRoot, 'test/vectors/ricochet-3.0.41');

export function loadSessions(): Session[] {
  return readdirSync(VECTOR_DIR)
    .filter((f) => f.startsWith('session-') && f.endsWith('.json'))
    .sort()
    .map((file) => {
      const raw = JSON.parse(readFileSync(join(VECTOR_DIR, file), 'utf8')) as Omit<Session, 'file'>;
      return { ...raw, file };
    });
}

export function stream(connection: Connection, from: 'client' | 'server'): Uint8Array {
  return Uint8Array.from(
    Buffer.from(
      connection.segments
        .filter((s) => s.from === from)
        .map((s) => s.hex)
        .join(''),
      'hex',
    ),
  );
}

export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** The 2,000 UTF-16 code unit chat message 3.0.41 sent in the recordings (its largest allowed). */
export function recordedLongestMessage(): string {
  const chat = JSON.parse(
    readFileSync(join(VECTOR_DIR, 'session-request-accept-chat.json'), 'utf8'),
  ) as Session;
  const messages = (chat.scenario_data?.['messages'] ?? []) as string[];
  const longest = messages.find((m) => m.length === 2000);
  if (longest === undefined) throw new Error('the recording lost its 2,000-unit message');
  return longest;
}
