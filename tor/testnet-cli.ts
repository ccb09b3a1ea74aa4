// `node dist/tor/testnet-cli.js [--dir D] [--port-base N] [--verbose]`: starts the private Tor
// network, writes <dir>/client-torrc-extra (the lines a client tor adds), prints its path, and
// runs until SIGINT/SIGTERM, then stops exactly the tor processes it started.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startTestNetwork } from './testnet.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      'port-base': { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
    strict: true,
  });
  let portBase: number | undefined;
  if (values['port-base'] !== undefined) {
    portBase = Number(values['port-base']);
    if (!Number.isInteger(portBase) || portBase < 1 || portBase > 65_000) {
      console.error(`--port-base must be a port number, got ${values['port-base']}`);
      return 2;
    }
  }
  const abort = new AbortController();
  let stopRequested: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const onSignal = (): void => {
    abort.abort(new Error('interrupted'));
    stopRequested();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const started = Date.now();
  console.error('starting the private Tor network…');
  const network = await startTestNetwork({
    dir: values.dir,
    portBase,
    signal: abort.signal,
    log: values.verbose ? (line) => console.error(line) : undefined,
  });
  const torrcPath = join(network.dir, 'client-torrc-extra');
  await network.writeClientTorrc(torrcPath);
  console.error(
    `consensus after ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
      `nodes: ${network.nodes.map((n) => `${n.nickname}(pid ${n.pid}, or ${n.orPort})`).join(' ')}`,
  );
  console.log(torrcPath);
  console.error('running; press Ctrl-C to stop');
  await stopped;
  console.error('stopping…');
  await network.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  },
);
