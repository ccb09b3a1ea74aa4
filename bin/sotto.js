#!/usr/bin/env node
// Entry point of the `sotto` command: runs the compiled CLI (npm install builds dist/).
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
