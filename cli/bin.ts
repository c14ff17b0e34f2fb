#!/usr/bin/env node
import { SignalTrap } from './signals.js';

// Trapped before the rest of the CLI loads: a Ctrl-C during start-up is held for the command.
const signals = new SignalTrap();
const argv = process.argv.slice(2);
// The usage and the version need neither a command nor the SDK: answered before they load.
const { answeredAtRoot } = await import('./root.js');
if (await answeredAtRoot(argv)) process.exitCode = 0;
else {
  const { main } = await import('./main.js');
  process.exitCode = await main(argv, signals);
}
