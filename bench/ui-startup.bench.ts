// Time from unlock to the first UI frame: with the vault already opened (passphrase accepted),
// build the real Messenger over a real (not yet started) tor provider and run the real `runUi`
// until Ink writes its first frame (the Tor progress screen). Also the unlock itself (scrypt
// logN 17 + decrypt) for context. Prints figures, asserts nothing. Run:
//   npx vitest bench --run --project unit bench/ui-startup.bench.ts
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import { newIdentityState } from '../src/cli/session.js';
import { Messenger } from '../src/core/messenger.js';
import { createTorProvider } from '../src/onion/real-tor-provider.js';
import { createVault, openVault } from '../src/profile/vault.js';
import { runUi } from '../src/tui/run-ui.js';
import { FakeStdin, FakeStdout } from '../test/tui/support/streams.js';

const PASSPHRASE = 'correct horse battery staple 42';
const dir = await mkdtemp(join(tmpdir(), 'sotto-bench-ui-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const vaultPath = join(dir, 'vault.sotto');
(await createVault(vaultPath, PASSPHRASE, newIdentityState())).close();
const vault = await openVault(vaultPath, PASSPHRASE);

async function unlockedToFirstFrame(): Promise<void> {
  const messenger = new Messenger({
    tor: createTorProvider({ mode: 'launch', dataDir: join(dir, 'tor') }),
    vault,
    downloadsDir: join(dir, 'downloads'),
  });
  const stdout = new FakeStdout();
  stdout.columns = 100;
  stdout.rows = 30;
  const firstFrame = new Promise<void>((resolve) => {
    const write = stdout.write;
    stdout.write = (data: string): boolean => {
      if (data.includes('Connecting to Tor')) resolve();
      return write(data);
    };
  });
  const ui = runUi(messenger, {
    protectedProfile: true,
    ownAddress: messenger.address,
    bell: false,
    published: false,
    colour: true,
    stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
    stdout: stdout as unknown as NodeJS.WriteStream,
  });
  await firstFrame;
  await messenger.dispatch({ type: 'quit' }); // closes the core; its `quit` event ends the UI
  await ui;
}

describe('sotto start-up', () => {
  bench('unlocked vault → Messenger → first UI frame (Tor progress)', unlockedToFirstFrame, {
    iterations: 30,
    warmupIterations: 3,
  });
  bench(
    'unlock: openVault with the passphrase (scrypt logN 17 + decrypt)',
    async () => {
      (await openVault(vaultPath, PASSPHRASE)).close();
    },
    { iterations: 10, warmupIterations: 1 },
  );
});
