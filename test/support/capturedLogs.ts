import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/infra/logger.js';

/** A destination for a JSON-lines logger that keeps each line it is given, parsed, in `lines`. */
export const capturedLogs = <Line = Record<string, unknown>>(): { readonly sink: Writable; readonly lines: Line[] } => {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Line);
      done();
    },
  });
  return { sink, lines };
};

/** The service's logger at `level`, writing to memory, and the lines it wrote, parsed. */
export const capturingLogger = <Line = Record<string, unknown>>(level = 'info'): { readonly logger: Logger; readonly lines: Line[] } => {
  const { sink, lines } = capturedLogs<Line>();
  return { logger: createLogger(level, sink), lines };
};
