// Onion client authorization over real tor on the private network (control-spec ADD_ONION
// `ClientAuthV3=`, ONION_CLIENT_AUTH_ADD/REMOVE; rend-spec-v3 client authorization), through
// Sotto's real TorProvider in launch mode, three tors: the host publishes an endpoint onion that
// only Alice's x25519 key may read. Alice, holding the secret, connects and moves bytes; a third
// party given the address but not the key gets tor's 0xF4 ("missing client authorization"), with
// a wrong key 0xF5, never a connection; Alice's tor, killed and restarted, has her credential
// again; after Alice's removeClientAuth she is refused again; an ID whose onion is not listening
// (never published, or dark) gets 0xF0 ("descriptor not found").
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { createTorProvider, type RealTorProvider } from '../../src/onion/real-tor-provider.js';
import {
  OnionBadClientAuthError,
  OnionDescriptorNotFoundError,
  OnionMissingClientAuthError,
  SocksConnectError,
} from '../../src/onion/tor-errors.js';
import type { OnionListener } from '../../src/onion/tor-provider.js';
import {
  dialWithRetry,
  InboundConnections,
  nextEvent,
  readBytes,
  tempDir,
  TOR_TEST_LIMITS,
} from '../support/tor-test-helpers.js';
import { ALICE_PUBLIC, ALICE_SECRET, BOB_SECRET } from '../support/x25519-vectors.js';

const clientLines = inject('torTestnetClientTorrc');
/** A descriptor may take a while to reach every HSDir on a loaded machine. */
const SPREAD_MS = 90_000;

/** The error of a dial, retried while tor's answer is only "not yet" (0xF0/0xF2/0xF3/0xF7). */
async function refusal(provider: RealTorProvider, serviceId: string, who: string) {
  const outcome = await dialWithRetry(provider, serviceId, 9878, who, SPREAD_MS).then(
    (socket) => {
      socket.destroy();
      return 'connected';
    },
    (error: unknown) => error,
  );
  return outcome;
}

describe('onion client authorization on the private network', () => {
  const cleanups: (() => Promise<void>)[] = [];
  const providers: RealTorProvider[] = [];
  let host: RealTorProvider;
  let alice: RealTorProvider;
  let stranger: RealTorProvider;
  let endpoint: OnionListener;
  const inbound = new InboundConnections();

  beforeAll(async () => {
    for (const name of ['host', 'alice', 'stranger']) {
      const dir = await tempDir(`client-auth-${name}`);
      cleanups.push(dir.remove);
      providers.push(
        createTorProvider({
          mode: 'launch',
          ...TOR_TEST_LIMITS,
          dataDir: dir.dir,
          extraTorrcLines: clientLines,
        }),
      );
    }
    [host, alice, stranger] = providers as [RealTorProvider, RealTorProvider, RealTorProvider];
    await Promise.all(providers.map((provider) => provider.bootstrap()));
    endpoint = await host.listen(IdentityKey.generate().expandedKey(), inbound.accept, {
      clientAuthV3: [ALICE_PUBLIC],
    });
  });

  afterAll(async () => {
    for (const provider of providers) await provider.close();
    for (const cleanup of cleanups) await cleanup();
  });

  it('the authorised client connects and moves bytes', async () => {
    await alice.addClientAuth(endpoint.serviceId, ALICE_SECRET);
    const socket = await dialWithRetry(alice, endpoint.serviceId, 9878, 'alice', SPREAD_MS);
    socket.write('hello endpoint');
    const { socket: peer, bytes } = await inbound.firstDelivering(14);
    expect(bytes.toString()).toBe('hello endpoint');
    peer.write('hello alice');
    expect((await readBytes(socket, 11)).toString()).toBe('hello alice');
    socket.destroy();
  });

  it("a restarted tor has the client's credential again without a new addClientAuth", async () => {
    const pid = alice.torPid;
    if (pid === undefined) throw new Error('no pid');
    const exited = nextEvent(alice, 'tor-exited');
    process.kill(pid, 'SIGKILL');
    await exited;
    await alice.restart(AbortSignal.timeout(150_000));
    expect(alice.torPid).not.toBe(pid);
    const before = inbound.sockets.length;
    const socket = await dialWithRetry(alice, endpoint.serviceId, 9878, 'alice-2', SPREAD_MS);
    socket.write('again');
    await expect.poll(() => inbound.sockets.length, { timeout: 30_000 }).toBeGreaterThan(before);
    socket.destroy();
  });

  it('a third party with the address but not the key gets 0xF4, not a connection', async () => {
    const before = inbound.sockets.length;
    const error = await refusal(stranger, endpoint.serviceId, 'stranger');
    expect(error).toBeInstanceOf(OnionMissingClientAuthError);
    expect(error).toMatchObject({ replyCode: 0xf4 });
    expect(inbound.sockets.length).toBe(before);
  });

  it('a third party with a wrong key gets 0xF5, not a connection', async () => {
    const before = inbound.sockets.length;
    await stranger.addClientAuth(endpoint.serviceId, BOB_SECRET);
    const error = await refusal(stranger, endpoint.serviceId, 'stranger-bob');
    expect(error).toBeInstanceOf(OnionBadClientAuthError);
    expect(error).toMatchObject({ replyCode: 0xf5 });
    expect(inbound.sockets.length).toBe(before);
    await stranger.removeClientAuth(endpoint.serviceId);
  });

  it('after removeClientAuth the once-authorised client is refused again', async () => {
    const before = inbound.sockets.length;
    await alice.removeClientAuth(endpoint.serviceId);
    const error = await refusal(alice, endpoint.serviceId, 'alice-removed');
    expect(error).toBeInstanceOf(OnionMissingClientAuthError);
    expect(inbound.sockets.length).toBe(before);
  });

  it('an ID whose onion is not listening gets 0xF0', async () => {
    const nobody = IdentityKey.generate().serviceId;
    const error = await stranger.connect(nobody, 9878, 'nobody').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OnionDescriptorNotFoundError);
    expect(error).toMatchObject({ replyCode: 0xf0 });
  });

  it('a dark onion gets 0xF0; published it connects; dark again, no new connection', async () => {
    const darkInbound = new InboundConnections();
    const key = IdentityKey.generate();
    const identity = await host.listen(key.expandedKey(), darkInbound.accept, { publish: false });
    expect(identity.published).toBe(false);
    const dark = await stranger.connect(key.serviceId, 9878, 'dark').catch((e: unknown) => e);
    expect(dark).toBeInstanceOf(OnionDescriptorNotFoundError);

    await identity.setPublished(true);
    expect(identity.published).toBe(true);
    const socket = await dialWithRetry(stranger, key.serviceId, 9878, 'open', SPREAD_MS);
    socket.write('knock');
    expect((await darkInbound.firstDelivering(5)).bytes.toString()).toBe('knock');
    socket.destroy();

    await identity.setPublished(false);
    const count = darkInbound.sockets.length;
    // The HSDirs and the stranger's cache still hold the old descriptor (it lives for hours),
    // so the answer is not 0xF0 at once: but no connection reaches the listener any more.
    const again = await stranger.connect(key.serviceId, 9878, 'after-dark').then(
      (s) => (s.destroy(), 'connected'),
      (e: unknown) => e,
    );
    expect(again).toBeInstanceOf(SocksConnectError);
    expect(darkInbound.sockets.length).toBe(count);
    await identity.close();
  });
});
