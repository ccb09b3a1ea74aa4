// vitest globalSetup of project `tor`: starts one private Tor network per run (free loopback ports,
// or a block from SOTTO_TESTNET_PORT_BASE), provides the client torrc lines, stops it afterwards.
import type { TestProject } from 'vitest/node';
import { startTestNetwork } from '../../tor/testnet.js';

declare module 'vitest' {
  export interface ProvidedContext {
    torTestnetClientTorrc: string[];
  }
}

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const base = process.env['SOTTO_TESTNET_PORT_BASE'];
  const portBase = base === undefined || base === '' ? undefined : Number(base);
  if (portBase !== undefined && !Number.isInteger(portBase)) {
    throw new Error(`SOTTO_TESTNET_PORT_BASE is not a port number: ${base}`);
  }
  const network = await startTestNetwork({ portBase, timeoutMs: 150_000 });
  provide('torTestnetClientTorrc', network.clientTorrcLines);
  return () => network.stop();
}
