#!/usr/bin/env node
import { exitWith, runService } from '../runService.js';
import { runCli } from './runCli.js';

/** The `casestream` command. */
const argv = process.argv.slice(2);
exitWith(
  argv[0] === 'start'
    ? runService()
    : runCli(argv, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }),
);
