import { expect } from 'chai';
import type { Output } from '../../../src/cli/output.js';
import { confirmed } from '../../../src/cli/output.js';
import { describeProgress, replayProgressView } from '../../../src/cli/replayProgressView.js';
import type { ReplayProgress } from '../../../src/infra/mongo/replayReadModels.js';

const progress = (p: Partial<ReplayProgress>): ReplayProgress => ({
  phase: 'rebuild',
  pass: 0,
  total: 10_000,
  read: 0,
  projected: 0,
  held: 0,
  ...p,
});

const output = (terminal: boolean, json = false, ask?: Output['ask']) => {
  const notes: string[] = [];
  const out: Output = { json, terminal, line: () => undefined, note: (t) => notes.push(t), ...(ask ? { ask } : {}) };
  return { out, notes };
};

describe('replay progress', () => {
  it('tells the events rebuilt of the total, the rate and the time left', () => {
    expect(describeProgress(progress({ read: 2_500, projected: 2_500 }), 5_000)).to.equal(
      'rebuild [########                      ] 25% 2,500/10,000 events, 500 events/s, 0:15 left',
    );
  });

  it('tells a catch-up pass by its number, with the new events it found', () => {
    expect(describeProgress(progress({ phase: 'catch-up', pass: 2, read: 10_000, projected: 42 }), 1_000)).to.match(
      /^catch-up 2 \[#+\] 100% 10,000\/10,000 events, 42 new, 10,000 events\/s, 0:00 left$/,
    );
  });

  it('redraws one line in place on a terminal, starting a new line for each phase', () => {
    let now = 0;
    const { out, notes } = output(true);
    const view = replayProgressView(out, () => now);

    view(progress({ read: 0 }));
    now = 1_000;
    view(progress({ read: 5_000, projected: 5_000 }));
    view(progress({ phase: 'catch-up', pass: 1, total: 10_010 }));

    const redraw = '\r\x1b[K';
    expect(notes[0])
      .to.match(/ 0% 0\/10,000 events/)
      .and.satisfy((n: string) => n.startsWith(`${redraw}rebuild `));
    expect(notes[1])
      .to.match(/ 50% 5,000\/10,000 events, 5,000 events\/s, 0:01 left$/)
      .and.satisfy((n: string) => n.startsWith(`${redraw}rebuild `));
    expect(notes.slice(2)).to.have.length(2);
    expect(notes[2]).to.equal('\n');
    expect(notes[3]).to.satisfy((n: string) => n.startsWith(`${redraw}catch-up 1 `));
  });

  it('prints plain lines when not on a terminal: each phase start and every 10 %', () => {
    const { out, notes } = output(false);
    const view = replayProgressView(out, () => 0);

    for (let read = 0; read <= 10_000; read += 500) view(progress({ read, projected: read }));

    expect(notes).to.have.length(11);
    expect(notes.every((n) => n.endsWith('\n') && !n.includes('\r'))).to.equal(true);
  });

  it('prints a JSON object a line for scripts with --json', () => {
    const { out, notes } = output(true, true);
    const view = replayProgressView(out, () => 0);

    view(progress({ read: 0 }));
    view(progress({ read: 10_000, projected: 10_000 }));

    expect(notes.map((n) => JSON.parse(n) as unknown)).to.deep.equal([
      { progress: progress({ read: 0 }) },
      { progress: progress({ read: 10_000, projected: 10_000 }) },
    ]);
  });
});

describe('confirmed', () => {
  it('takes --yes for an answer without asking', async () => {
    expect(await confirmed(output(false).out, 'go?', true)).to.equal(true);
  });

  it('has no answer when nobody is at a terminal to give one', async () => {
    expect(await confirmed(output(false).out, 'go?', false)).to.equal(undefined);
  });

  it('asks on a terminal and goes ahead on y or yes only', async () => {
    for (const [answer, expected] of [
      ['y', true],
      ['YES', true],
      ['', false],
      ['n', false],
      ['yess', false],
    ] as const) {
      expect(await confirmed(output(true, false, async () => answer).out, 'go?', false), answer).to.equal(expected);
    }
  });
});
