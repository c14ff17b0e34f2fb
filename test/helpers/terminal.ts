import { spawn } from 'node:child_process';
import { cliPath } from './cli.js';

/** `hyperctl ARGS` on a terminal `columns` wide (a pseudo-terminal made by script(1)); `text()` is what it drew. */
export function onTerminal(args: readonly string[], columns: number) {
  const line = [process.execPath, cliPath, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qfec', `stty cols ${columns} rows 30; exec ${line}`, '/dev/null'], {
    env: { ...process.env, NO_COLOR: '1', TERM: 'xterm' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { text: () => text, done };
}
