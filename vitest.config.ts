// Test projects, by what they need: `unit` needs nothing but Node; `tor-local` starts standalone
// tor processes (the tor binary, no network: the control-port client against a real tor); `tor`
// runs over a private Tor network on loopback that test/tor/network.global-setup.ts starts once
// per run (real tor, TestingTorNetwork 1).
import { defineConfig } from 'vitest/config';

/** The tests that spawn a standalone tor (they need the tor binary, not the private network). */
const TOR_LOCAL = ['test/onion/control/real-tor-*.test.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.{ts,tsx}', 'src/**/*.test.{ts,tsx}'],
          exclude: ['test/tor/**', ...TOR_LOCAL, 'node_modules/**'],
          testTimeout: 20_000,
          // The UI tests drive Ink as a terminal user would; Ink draws nothing until exit when it
          // believes it runs under CI (bin/sotto.js does the same for the real command).
          env: { CI: '0', CONTINUOUS_INTEGRATION: '0' },
        },
      },
      {
        test: {
          name: 'tor-local',
          include: TOR_LOCAL,
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'tor',
          include: ['test/tor/**/*.test.ts'],
          globalSetup: ['test/tor/network.global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
