#!/usr/bin/env node
import { readFile, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { runCli, type CliIo } from './run.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// A reader that stops early (`switchyard plan x.json | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const io: CliIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  readFile: (p) => (p === '-' ? readStdin() : readFile(p, 'utf8')),
  writeFile: (p, t) => writeFile(p, t, 'utf8'),
  now: () => performance.now(),
  readBytes: (p) => readFile(p),
  stderrIsTTY: process.stderr.isTTY === true,
};

process.exitCode = await runCli(process.argv.slice(2), io);
