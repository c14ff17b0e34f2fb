#!/usr/bin/env node
import { SignalTrap } from './signals.js';

// Trapped before the rest of the CLI loads: a Ctrl-C during start-up is held for the command.
const signals = new SignalTrap();
const { main } = await import('./main.js');
process.exitCode = await main(process.argv.slice(2), signals);
