#!/usr/bin/env node
// Entry point of the `sotto` command: runs the compiled CLI (npm install builds dist/).
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
