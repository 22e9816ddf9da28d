#!/usr/bin/env node
import { createInterface } from 'node:readline/promises';
import { exitWith, runService } from '../runService.js';
import { runCli } from './runCli.js';

/** One question to the person at the terminal, answered on stdin. */
const ask = async (question: string): Promise<string> => {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
};

/** All of stdin, up to a bound: a token is short, and a file piped by mistake must not fill memory. */
const readStdin = async (): Promise<string> => {
  const MAX_BYTES = 65_536;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BYTES) throw new Error(`stdin holds more than ${MAX_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
};

/** The `casestream` command. */
const argv = process.argv.slice(2);
exitWith(
  argv[0] === 'start'
    ? runService()
    : runCli(argv, {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
        terminal: process.stderr.isTTY === true,
        ...(process.stdin.isTTY ? { ask } : { readStdin }),
      }),
);
