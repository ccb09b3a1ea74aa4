// Entry of the onion-grater-like filter process (bundled and started by grater-runner.ts): loads a
// contrib/ profile, listens on loopback, authenticates upstream with the password, and prints one
// JSON line per event on stdout: `{"port":N}` once listening, then `{"seen":LINE,"verdict":…}` per
// command a client sent. Usage: node grater.mjs PROFILE UPSTREAM_PORT (password on stdin).
import { readFileSync } from 'node:fs';
import { startFilteringProxy } from './filtering-control-proxy.js';
import { delivers, judge, parseGraterProfile } from './grater-profile.js';

const [profilePath, upstreamPort] = process.argv.slice(2);
const profile = parseGraterProfile(readFileSync(profilePath ?? '', 'utf8'));
const password = readFileSync(0, 'utf8').trim();
const say = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

const proxy = await startFilteringProxy({
  upstream: { host: '127.0.0.1', port: Number(upstreamPort) },
  upstreamPassword: password,
  allow: (line) => {
    const verdict = judge(profile, line, '127.0.0.1');
    say({ seen: line, verdict: verdict.kind });
    return verdict.kind === 'pass';
  },
  rewrite: (line, clientAddress) => {
    const verdict = judge(profile, line, clientAddress.replace(/^::ffff:/u, ''));
    const forwarded = verdict.kind === 'pass' ? verdict.line : line;
    if (forwarded !== line) say({ rewritten: forwarded });
    return forwarded;
  },
  dropEvent: (line) => !delivers(profile, line),
});
say({ port: proxy.port });
process.on('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
