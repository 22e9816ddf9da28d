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

/** The `casestream` command. */
const argv = process.argv.slice(2);
exitWith(
  argv[0] === 'start'
    ? runService()
    : runCli(argv, {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
        terminal: process.stderr.isTTY === true,
        ...(process.stdin.isTTY ? { ask } : {}),
      }),
);
