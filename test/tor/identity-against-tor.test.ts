// Our ed25519 identity against real tor: the service id tor computes for `ADD_ONION ED25519-V3:<our
// blob>` equals ours, keys tor creates (`NEW:ED25519-V3`) sign correctly with our code, and on the
// private network tor publishes our key's descriptor (650 HS_DESC UPLOADED).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IdentityKey, verifySignature } from '../../src/identity/identity-key.js';
import { publicKeyFromServiceId } from '../../src/identity/service-id.js';
import { startClientTor, type ClientTor, type ControlConnection } from './client-tor.js';

const PROFILE = JSON.parse(
  readFileSync(
    new URL('../vectors/ricochet-3.0.41/profile-ricochet.json', import.meta.url),
    'utf8',
  ),
) as { identity: { privateKey: string } };

function replyValue(lines: readonly string[], key: string): string | undefined {
  const prefix = `${key}=`;
  return lines.find((line) => line.startsWith(prefix))?.slice(prefix.length);
}

describe('identity keys against a standalone tor (DisableNetwork 1)', () => {
  let tor: ClientTor;
  let control: ControlConnection;

  beforeAll(async () => {
    tor = await startClientTor({ socks: false, extraLines: ['DisableNetwork 1'] });
    control = await tor.openControl();
  });
  afterAll(async () => {
    control?.close();
    await tor?.stop();
  });

  it('tor derives our service id from our key blob', async () => {
    const keys = [
      IdentityKey.generate(),
      IdentityKey.generate(),
      IdentityKey.fromTorKeyBlob(PROFILE.identity.privateKey),
    ];
    for (const key of keys) {
      const reply = await control.command(
        `ADD_ONION ${key.torKeyBlob()} Flags=DiscardPK Port=9878,127.0.0.1:1`,
      );
      expect(reply.status).toBe(250);
      expect(replyValue(reply.lines, 'ServiceID')).toBe(key.serviceId);
      expect((await control.command(`DEL_ONION ${key.serviceId}`)).status).toBe(250);
    }
  });

  it('keys tor creates load, give tor’s service id, and sign verifiably', async () => {
    const message = new TextEncoder().encode('sotto proof over a tor-made key');
    for (let i = 0; i < 5; i++) {
      const reply = await control.command('ADD_ONION NEW:ED25519-V3 Port=9878,127.0.0.1:1');
      expect(reply.status).toBe(250);
      const serviceId = replyValue(reply.lines, 'ServiceID') ?? '';
      const blob = replyValue(reply.lines, 'PrivateKey') ?? '';
      const key = IdentityKey.fromTorKeyBlob(blob);
      expect(key.serviceId).toBe(serviceId);
      expect(key.seed).toBeUndefined();
      const signature = key.sign(message);
      expect(verifySignature(publicKeyFromServiceId(serviceId), message, signature)).toBe(true);
      expect((await control.command(`DEL_ONION ${serviceId}`)).status).toBe(250);
    }
  });
});

describe('identity key on the private Tor network', () => {
  it('tor uploads the descriptor of our key (650 HS_DESC UPLOADED)', async () => {
    const tor = await startClientTor({ testnetLines: inject('torTestnetClientTorrc') });
    try {
      await tor.waitForBootstrap();
      const control = await tor.openControl();
      try {
        const key = IdentityKey.generate();
        // Listening (and SETEVENTS below) before ADD_ONION: the upload may follow it at once.
        const uploaded = new Promise<string>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error('no HS_DESC UPLOADED for our key within 120000 ms')),
            120_000,
          );
          control.onEvent((line) => {
            const [kind, action, address] = line.split(' ');
            if (kind === 'HS_DESC' && action === 'UPLOADED' && address === key.serviceId) {
              clearTimeout(timer);
              resolve(line);
            }
          });
        });
        uploaded.catch(() => undefined); // awaited below; a timeout before that is not unhandled
        expect((await control.command('SETEVENTS HS_DESC')).status).toBe(250);
        const started = performance.now();
        const reply = await control.command(`ADD_ONION ${key.torKeyBlob()} Port=9878,127.0.0.1:1`);
        expect(replyValue(reply.lines, 'ServiceID')).toBe(key.serviceId);
        expect(await uploaded).toContain(key.serviceId);
        // Informative figure for reports, not an assertion.
        console.info(
          `ADD_ONION → first HS_DESC UPLOADED: ${(performance.now() - started).toFixed(0)} ms`,
        );
      } finally {
        control.close();
      }
    } finally {
      await tor.stop();
    }
  });
});
