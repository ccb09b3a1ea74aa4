// What two real Sotto cores put on the wire (loopback TorProvider, real Messenger, real sockets):
// a request, chat both ways and a file transfer. Every byte each side sent is scanned for the local
// clock (ASCII, varint, u32), time zone, locale, OS, host, user, paths, Node and Sotto versions.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { homedir, hostname, release, tmpdir, type as osType, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoopbackSotto } from './loopback-support.js';
import { GOSLING_VERSION } from '../../src/gosling/handshake-session.js';

function cutAll(haystack: Buffer, needle: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, at)) {
    parts.push(haystack.subarray(at, i));
    at = i + needle.length;
  }
  parts.push(haystack.subarray(at));
  return Buffer.concat(parts);
}

// A distinctive zone, so its name and offset cannot hide behind "UTC" (Node re-reads TZ on set).
process.env['TZ'] = 'Pacific/Chatham';

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

function u32(n: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(n >>> 0);
  else b.writeUInt32BE(n >>> 0);
  return b;
}

describe('nothing on the wire identifies the local machine or its clock', () => {
  let alice: LoopbackSotto;
  let bob: LoopbackSotto;
  let startedMs = 0;

  beforeAll(async () => {
    startedMs = Date.now();
    alice = await LoopbackSotto.start();
    bob = await LoopbackSotto.start();
  });
  afterAll(async () => {
    await alice?.stop();
    await bob?.stop();
  });

  it('a full session carries no clock, zone, locale, OS, host, path or version', async () => {
    const aliceId = `ricochet:${alice.key.serviceId}`;
    const bobId = `ricochet:${bob.key.serviceId}`;
    await alice.messenger.dispatch({ type: 'add', address: bobId, nickname: 'bob', message: 'hi' });
    await bob.waitFor((e) => e.type === 'request' && e.address === aliceId);
    await bob.messenger.dispatch({ type: 'accept', address: aliceId, nickname: 'alice' });
    await alice.waitFor((e) => e.type === 'online' && e.address === bobId);
    await alice.messenger.dispatch({ type: 'send', address: bobId, text: 'one' });
    await bob.waitFor((e) => e.type === 'message' && e.text === 'one');
    await bob.messenger.dispatch({ type: 'send', address: aliceId, text: 'two' });
    await alice.waitFor((e) => e.type === 'message' && e.text === 'two');
    const path = join(alice.dir, 'report.txt');
    await writeFile(path, Buffer.alloc(100_000, 0x41));
    await alice.messenger.dispatch({ type: 'send-file', address: bobId, path });
    const offer = await bob.waitFor((e) => e.type === 'file-offer');
    if (offer.type !== 'file-offer') throw new Error('no offer');
    expect(offer.name).toBe('report.txt');
    await bob.messenger.dispatch({ type: 'accept-file', address: aliceId, fileId: offer.fileId });
    await bob.waitFor((e) => e.type === 'file-done' && e.result === 'success');
    const endedMs = Date.now();

    const message = bob.events.find((e) => e.type === 'message');
    expect(message?.type === 'message' && message.timeDelta).toBe(0);

    const wire = Buffer.concat([...alice.tor.received, ...bob.tor.received]);
    expect(wire.length).toBeGreaterThan(100_000);
    // Positive control: the scan sees what was really sent.
    expect(wire.includes(Buffer.from('report.txt'))).toBe(true);
    expect(wire.includes(Buffer.from(alice.key.serviceId))).toBe(true);

    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      version: string;
    };
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(zone).toBe('Pacific/Chatham');
    const strings: string[] = [
      String(new Date().getFullYear()),
      String(Math.floor(startedMs / 1000)).slice(0, 7),
      zone,
      'Chatham',
      '+13:45',
      '+1345',
      '+12:45',
      '+1245',
      Intl.DateTimeFormat().resolvedOptions().locale,
      process.platform,
      osType(),
      release(),
      hostname(),
      userInfo().username,
      homedir(),
      tmpdir(),
      alice.dir,
      bob.dir,
      process.version,
      process.versions.node,
      pkg.version,
      ...(process.env['LANG'] ? [process.env['LANG']] : []),
    ].filter((s) => s.length >= 4);
    // The Gosling handshakes (docs/ENDPOINTS.md) name their protocol version, `"version":
    // "0.1.0"` as a BSON string element: a protocol constant, not ours (it equals Sotto's version
    // today by chance). Those exact elements are cut out before the scan; any other "0.1.0" counts.
    const goslingVersion = Buffer.concat([
      Buffer.from('\x02version\x00', 'latin1'),
      u32(GOSLING_VERSION.length + 1, true),
      Buffer.from(`${GOSLING_VERSION}\x00`, 'latin1'),
    ]);
    const scanned = cutAll(wire, goslingVersion);
    for (const s of strings) {
      expect(scanned.includes(Buffer.from(s, 'utf8')), `wire carries ${JSON.stringify(s)}`).toBe(
        false,
      );
    }
    const binary: Buffer[] = [];
    for (let s = Math.floor(startedMs / 1000) - 2; s <= Math.floor(endedMs / 1000) + 2; s++) {
      binary.push(varint(s), u32(s, false), u32(s, true));
    }
    for (let t = (startedMs >> 7) - 2; t <= (endedMs >> 7) + 2; t++) {
      binary.push(varint(t * 128).subarray(1)); // millisecond varints, high bytes
    }
    const hits = binary.filter((needle) => wire.includes(needle));
    expect(hits.map((h) => h.toString('hex'))).toEqual([]);
  }, 120_000);
});
