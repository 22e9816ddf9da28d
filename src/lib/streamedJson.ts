/**
 * JSON text written piece by piece, for a document too large to hold in memory at once: an array
 * given as pages (StreamedArray) is rendered page by page as the pages arrive, and a value given as
 * Later is computed only when the rendering reaches it, so it may sum up what was streamed before
 * it. The text is the one `JSON.stringify(value, null, 2)` gives for the same value with every
 * StreamedArray and Later resolved (a Later that resolves to undefined is written as null).
 *
 * @example
 * for await (const lines of jsonLines({ id: 'c1', events: new StreamedArray(pages) })) write(`${lines}\n`);
 */

/** An array whose items arrive in pages; each page is rendered, then let go. Its items are plain JSON values. */
export class StreamedArray<T> {
  constructor(readonly pages: AsyncIterable<readonly T[]>) {}
}

/** A value computed when the rendering reaches it: after everything before it is rendered. */
export class Later<T> {
  constructor(readonly value: () => T | Promise<T>) {}
}

const INDENT = '  ';

/** Whether the rendering must go inside `value`: it holds a StreamedArray or a Later. */
const holdsParts = (value: unknown): boolean => {
  if (value instanceof StreamedArray || value instanceof Later) return true;
  if (typeof value !== 'object' || value === null || typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  return Object.values(value).some(holdsParts);
};

/** `value` as JSON.stringify writes it, its lines after the first indented by `pad`; `null` where JSON has no text for it. */
const plain = (value: unknown, pad: string): string => (JSON.stringify(value, null, 2) ?? 'null').replaceAll('\n', `\n${pad}`);

/** The members JSON.stringify writes: not those whose value it skips. */
const written = (value: unknown): boolean => value !== undefined && typeof value !== 'function' && typeof value !== 'symbol';

/**
 * `value` at indentation `pad`: `prefix` goes before its first line (indentation and key), `suffix`
 * after its last (a comma), so that a container never needs to edit text it has already given.
 */
async function* render(value: unknown, pad: string, prefix: string, suffix: string): AsyncGenerator<string> {
  if (value instanceof Later) {
    yield* render((await value.value()) ?? null, pad, prefix, suffix);
  } else if (value instanceof StreamedArray) {
    yield* renderPages(value as StreamedArray<unknown>, pad, prefix, suffix);
  } else if (holdsParts(value)) {
    const inner = pad + INDENT;
    const isArray = Array.isArray(value);
    const entries = isArray
      ? (value as unknown[]).map((v) => ['', v] as const)
      : Object.entries(value as object)
          .filter(([, v]) => written(v))
          .map(([k, v]) => [`${JSON.stringify(k)}: `, v] as const);
    yield `${prefix}${isArray ? '[' : '{'}`;
    for (const [i, [key, v]] of entries.entries()) yield* render(v, inner, inner + key, i < entries.length - 1 ? ',' : '');
    yield `${pad}${isArray ? ']' : '}'}${suffix}`;
  } else {
    yield `${prefix}${plain(value, pad)}${suffix}`;
  }
}

async function* renderPages(array: StreamedArray<unknown>, pad: string, prefix: string, suffix: string): AsyncGenerator<string> {
  const inner = pad + INDENT;
  // The last item rendered: whether a comma follows it is known only once the next item comes.
  let held: string | undefined;
  for await (const page of array.pages) {
    if (page.length === 0) continue;
    const items = page.map((item) => inner + plain(item, inner));
    if (held === undefined) yield `${prefix}[`;
    else items.unshift(held);
    held = items.pop();
    if (items.length > 0) yield `${items.join(',\n')},`;
  }
  yield held === undefined ? `${prefix}[]${suffix}` : `${held}\n${pad}]${suffix}`;
}

/** `value` as JSON text (two-space indentation), in chunks of whole lines without their line ends: one per page of a StreamedArray. */
export const jsonLines = (value: unknown): AsyncGenerator<string> => render(value, '', '', '');
