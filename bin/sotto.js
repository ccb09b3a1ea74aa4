#!/usr/bin/env node
// Entry point of the `sotto` command: runs the compiled CLI (npm install builds dist/). Also the
// entry of the single-file build (`npm run bundle` → release/sotto.mjs).
//
// A Node older than `engines` (20.19, Debian 13's and Tails 7's nodejs) gets one line with the fix
// before any of the code that needs the newer Node is loaded.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(
    `sotto: Node ${process.versions.node} is too old: install Node 20.19 or newer ` +
      '(Debian 13 / Tails 7: sudo apt install nodejs)\n',
  );
  process.exit(1);
}
//
// Ink decides at import time whether it runs under CI (`CI` / `CONTINUOUS_INTEGRATION` set) and
// then draws nothing until exit. Sotto's UI is interactive whenever it has a terminal, so on a
// terminal those variables are neutralised for this process before Ink is loaded.
if (process.stdout.isTTY) {
  for (const name of ['CI', 'CONTINUOUS_INTEGRATION']) {
    if (name in process.env) process.env[name] = '0';
  }
}
const { main } = await import('../dist/src/cli/main.js');

process.exitCode = await main(process.argv.slice(2));
