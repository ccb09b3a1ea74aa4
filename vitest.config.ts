// Test projects: `unit` needs nothing but Node; `tor` runs over a private Tor network on loopback
// that test/tor-network.global-setup.ts starts once per run (real tor, TestingTorNetwork 1).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.{ts,tsx}', 'src/**/*.test.{ts,tsx}'],
          exclude: ['test/tor/**', 'node_modules/**'],
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
