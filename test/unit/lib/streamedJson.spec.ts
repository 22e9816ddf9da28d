import { expect } from 'chai';
import fc from 'fast-check';
import { jsonLines, Later, StreamedArray } from '../../../src/lib/streamedJson.js';

async function* pagesFrom<T>(pages: readonly (readonly T[])[], onRead: () => void = () => undefined): AsyncGenerator<readonly T[]> {
  for (const page of pages) {
    onRead();
    yield page;
  }
}

const textOf = async (value: unknown): Promise<string> => {
  const chunks: string[] = [];
  for await (const chunk of jsonLines(value)) chunks.push(chunk);
  return chunks.join('\n');
};

/**
 * `value` with some of its arrays given as pages (split where `choices` say, empty pages among
 * them) and some of its values given as Later, as `choices` pick.
 */
const streamed = (value: unknown, choices: readonly number[]): unknown => {
  let at = 0;
  const choose = (n: number): number => choices[at++ % choices.length]! % n;
  const go = (v: unknown): unknown => {
    let out: unknown = v;
    if (Array.isArray(v) && choose(2) === 0) {
      const pages: unknown[][] = [[]];
      for (const item of v) {
        if (choose(3) === 0) pages.push([]);
        pages[pages.length - 1]!.push(item);
      }
      out = new StreamedArray(pagesFrom(pages));
    } else if (Array.isArray(v)) out = v.map(go);
    else if (typeof v === 'object' && v !== null) out = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, go(x)]));
    return choose(4) === 0 ? new Later(async () => out) : out;
  };
  return go(value);
};

describe('streamed JSON', () => {
  it('writes the text JSON.stringify writes with two-space indentation, whatever is streamed or computed later', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 5 }), fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), async (value, choices) => {
        expect(await textOf(streamed(value, choices))).to.equal(JSON.stringify(value, null, 2));
      }),
    );
  });

  it('writes dates as JSON does, skips members without a value, and writes a Later without one as null', async () => {
    const at = new Date('2026-01-02T03:04:05.006Z');
    const text = await textOf({ at, gone: undefined, events: new StreamedArray(pagesFrom([[{ at }]])), later: new Later(() => undefined) });
    expect(JSON.parse(text)).to.deep.equal({ at: at.toISOString(), events: [{ at: at.toISOString() }], later: null });
  });

  it('writes a streamed array without items as []', async () => {
    expect(await textOf({ events: new StreamedArray(pagesFrom([[], []])) })).to.equal('{\n  "events": []\n}');
  });

  it('gives a chunk of whole lines per page, and asks for the next page only once the previous one is taken', async () => {
    let read = 0;
    const lines = jsonLines({ events: new StreamedArray(pagesFrom([[1, 2], [3], [4, 5]], () => (read += 1))) });
    const taken: string[] = [];
    for await (const chunk of lines) {
      taken.push(chunk);
      // the opening line comes with the first page read; each later chunk needs one page more
      expect(read, `after ${JSON.stringify(taken)}`).to.be.at.most(taken.length);
    }
    expect(taken).to.deep.equal(['{', '  "events": [', '    1,', '    2,', '    3,\n    4,', '    5\n  ]', '}']);
  });

  it('computes a Later once everything before it is written, so that it may sum up a streamed array', async () => {
    let sum = 0;
    const counted = async function* () {
      for await (const page of pagesFrom([[1, 2], [3]])) {
        sum += page.reduce((a, b) => a + b, 0);
        yield page;
      }
    };
    expect(JSON.parse(await textOf({ items: new StreamedArray(counted()), sum: new Later(() => sum) }))).to.deep.equal({
      items: [1, 2, 3],
      sum: 6,
    });
  });
});
