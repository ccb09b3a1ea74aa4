// Endpoint onions and the dark identity onion together, over real tor on the private network
// (issue 13, "Proven over real tor"; docs/ENDPOINTS.md §5). Dana's ID is dark from the start: she
// sends Olaf a contact request herself (Ricochet v3 request + accept), both move to their endpoint
// onions, chat both ways and Dana sends a 1.5 MiB file. Then Olaf, published until now, goes dark:
// chat and a file still flow over the endpoints. A stranger with a tor of its own who knows both
// IDs gets no connection: Dana's was never published (0xF0, descriptor not found); Olaf's last
// descriptor is still on the directories but its introduction points are gone. A stranger given an
// endpoint address but not its key gets 0xF4 (missing client authorization).
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { createTorProvider, type RealTorProvider } from '../../src/onion/real-tor-provider.js';
import {
  OnionDescriptorNotFoundError,
  OnionIntroductionFailedError,
  OnionMissingClientAuthError,
} from '../../src/onion/tor-errors.js';
import { tempDir, TOR_TEST_LIMITS } from '../support/tor-test-helpers.js';
import { SottoInstance, chat, savedEndpoint } from './messenger-support.js';

const testnet = inject('torTestnetClientTorrc');
const LONG = 240_000;
const FILE_BYTES = 1_536 * 1024; // over 1 MiB: the windowed transfer and its bulk link run

const bare = (address: string): string => address.slice('ricochet:'.length);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const connected = (of: SottoInstance) => (e: CoreEvent) =>
  e.type === 'endpoint' && e.state === 'connected' && e.address === of.address;

/** `from` sends `to` a file of FILE_BYTES random bytes; `to` accepts; the bytes arrive intact. */
async function sendFile(from: SottoInstance, to: SottoInstance, name: string): Promise<void> {
  const sent = randomBytes(FILE_BYTES);
  const source = join(from.dir, name);
  await writeFile(source, sent, { mode: 0o600 });
  const mark = to.events.mark;
  await from.core.dispatch({ type: 'send-file', address: to.address, path: source });
  const offer = await to.events.waitFor((e) => e.type === 'file-offer', LONG, mark);
  if (offer.type !== 'file-offer') throw new Error('no offer');
  await to.core.dispatch({ type: 'accept-file', address: from.address, fileId: offer.fileId });
  const done = await to.events.waitFor(
    (e) => e.type === 'file-done' && e.fileId === offer.fileId,
    LONG,
    mark,
  );
  expect(done).toMatchObject({ result: 'success' });
  const path = done.type === 'file-done' ? (done.path ?? '') : '';
  expect(sha(await readFile(path))).toBe(sha(sent));
}

/** A dial by the stranger with a fresh isolation key: the typed error tor answered. */
async function strangerDial(tor: RealTorProvider, serviceId: string, tag: string) {
  const error = await tor
    .connect(serviceId, 9878, `stranger-${tag}`, AbortSignal.timeout(LONG))
    .then((socket) => {
      socket.destroy();
      return undefined;
    })
    .catch((e: unknown) => e);
  return error;
}

describe('endpoint onions with a dark identity onion on the private network', () => {
  let dana: SottoInstance; // dark from the start
  let olaf: SottoInstance; // published, goes dark once on the endpoint
  let stranger: RealTorProvider;
  let removeStrangerDir: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    dana = await SottoInstance.create('epd-dana', testnet, {}, { identityOnline: 'dark' });
    olaf = await SottoInstance.create('epd-olaf', testnet);
    const dir = await tempDir('epd-stranger');
    removeStrangerDir = dir.remove;
    stranger = createTorProvider({
      mode: 'launch',
      ...TOR_TEST_LIMITS,
      dataDir: dir.dir,
      extraTorrcLines: testnet,
    });
    await Promise.all([dana.start(), olaf.start(), stranger.bootstrap()]);
  }, LONG);

  afterAll(async () => {
    await dana?.remove();
    await olaf?.remove();
    await stranger?.close();
    await removeStrangerDir?.();
  });

  it(
    'a user dark from the start asks, is accepted, moves to the endpoint, chats and sends a file; a stranger gets 0xF0',
    async () => {
      expect(dana.events.events.some((e) => e.type === 'published')).toBe(false);
      const [markD, markO] = [dana.events.mark, olaf.events.mark];
      await dana.core.dispatch({
        type: 'add',
        address: olaf.address,
        nickname: 'olaf',
        message: 'hello from the dark',
      });
      await olaf.events.waitFor(
        (e) => e.type === 'request' && e.address === dana.address,
        LONG,
        markO,
      );
      await olaf.core.dispatch({ type: 'accept', address: dana.address, nickname: 'dana' });
      await dana.events.waitFor(connected(olaf), LONG, markD);
      await olaf.events.waitFor(connected(dana), LONG, markO);
      await chat(dana, olaf, 'on the endpoint, from the dark');
      await chat(olaf, dana, 'heard you there');
      expect(dana.core.liveRoute(olaf.address)?.via).toBe('endpoint');
      expect(olaf.core.liveRoute(dana.address)?.via).toBe('endpoint');
      await sendFile(dana, olaf, 'from-dana.bin');
      expect(dana.core.liveRoute(olaf.address)?.via).toBe('endpoint');
      expect(olaf.core.liveRoute(dana.address)?.via).toBe('endpoint');
      // Dana's identity onion was never published; her contacts reach her on their endpoint.
      expect(dana.events.events.some((e) => e.type === 'published')).toBe(false);

      // The stranger knows Dana's ID: never published, so no descriptor (as for no such ID).
      const darkId = await strangerDial(stranger, bare(dana.address), 'dana-1');
      expect(darkId).toBeInstanceOf(OnionDescriptorNotFoundError);
      expect((darkId as OnionDescriptorNotFoundError).replyCode).toBe(0xf0);

      // Given either endpoint address, but not its key: tor refuses (0xF4), no connection.
      for (const [s, of] of [
        [dana, olaf],
        [olaf, dana],
      ] as const) {
        const endpoint = (await savedEndpoint(s, of))?.peer ?? '';
        expect(endpoint).toMatch(/^[a-z2-7]{56}$/);
        expect(endpoint).not.toBe(bare(of.address));
        const noKey = await strangerDial(stranger, endpoint, `ep-${endpoint.slice(0, 6)}`);
        expect(noKey).toBeInstanceOf(OnionMissingClientAuthError);
        expect((noKey as OnionMissingClientAuthError).replyCode).toBe(0xf4);
      }
    },
    4 * LONG,
  );

  it(
    'a user on the endpoint goes dark: chat and a file still flow; a stranger gets no connection',
    async () => {
      const mark = olaf.events.mark;
      await olaf.core.dispatch({ type: 'set-identity-online', mode: 'dark' });
      await olaf.events.waitFor(
        (e) => e.type === 'identity-online' && e.mode === 'dark' && !e.published,
        LONG,
        mark,
      );
      const presence = (s: SottoInstance, from: number) =>
        s.events.events.slice(from).filter((e) => e.type === 'online' || e.type === 'offline');
      const [markD, markO] = [dana.events.mark, olaf.events.mark];

      await chat(olaf, dana, 'dark now, still here');
      await chat(dana, olaf, 'so am I');
      await sendFile(olaf, dana, 'from-olaf.bin');
      await sendFile(dana, olaf, 'from-dana-2.bin');
      expect(dana.core.liveRoute(olaf.address)?.via).toBe('endpoint');
      expect(olaf.core.liveRoute(dana.address)?.via).toBe('endpoint');
      // Going dark never cut the contact: no offline on either side.
      expect(presence(dana, markD)).toEqual([]);
      expect(presence(olaf, markO)).toEqual([]);

      // Olaf's last descriptor is still on the directories (tor keeps it for its lifetime), but
      // its introduction points are gone: the stranger's tor finds it and cannot introduce.
      // Tor answers 0xF2, "introduction failed" (SECURITY.md: up to ~3 h after going dark).
      const wentDark = await strangerDial(stranger, bare(olaf.address), 'olaf-1');
      expect(wentDark).toBeInstanceOf(OnionIntroductionFailedError);
      expect((wentDark as OnionIntroductionFailedError).replyCode).toBe(0xf2);
      // Dana's ID still answers "not found".
      const darkId = await strangerDial(stranger, bare(dana.address), 'dana-2');
      expect(darkId).toBeInstanceOf(OnionDescriptorNotFoundError);
    },
    4 * LONG,
  );
});
