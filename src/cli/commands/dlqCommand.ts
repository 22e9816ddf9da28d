import { readDeadLetters, resubmitDeadLetter, type DeadLetter } from '../../infra/kafka/deadLetters.js';
import { positiveIntOption, UsageError, type ParsedArgs } from '../args.js';
import type { CliContext } from '../cliContext.js';
import { show, table, type Output } from '../output.js';

const summary = (l: DeadLetter) => ({
  position: `${l.partition}/${l.offset}`,
  source: `${l.headers['x-source-topic'] ?? '?'}/${l.headers['x-source-partition'] ?? '?'}/${l.headers['x-source-offset'] ?? '?'}`,
  message_id: l.headers['message-id'] ?? null,
  reason: l.headers['x-error-reason'] ?? null,
});

const detail = (l: DeadLetter) => ({
  ...summary(l),
  key: l.key?.toString('utf8') ?? null,
  details: (() => {
    try {
      return JSON.parse(l.headers['x-error-details'] ?? '[]') as unknown;
    } catch {
      return l.headers['x-error-details'];
    }
  })(),
  headers: l.headers,
  value: l.value?.toString('utf8') ?? null,
});

/** `<partition>/<offset>` or a bare `<offset>` (then it must be unique across partitions). */
const find = (letters: readonly DeadLetter[], position: string | undefined): DeadLetter => {
  if (!position) throw new UsageError('name a dead letter as <partition>/<offset> (see dlq list)');
  const [a, b] = position.split('/');
  const matches =
    b === undefined ? letters.filter((l) => l.offset === a) : letters.filter((l) => String(l.partition) === a && l.offset === b);
  if (matches.length === 0) throw new Error(`no dead letter at ${position}`);
  if (matches.length > 1) throw new Error(`offset ${position} is in ${matches.length} partitions: name it as <partition>/<offset>`);
  return matches[0]!;
};

/** `casestream dlq list|show|replay`: inspect dead letters and re-submit one after a fix upstream. */
export const dlqCommand = async (ctx: CliContext, args: ParsedArgs, out: Output): Promise<number> => {
  const [, action, position] = args.words;
  if (action !== 'list' && action !== 'show' && action !== 'replay')
    throw new UsageError('dlq needs: list [--limit N] | show <partition>/<offset> | replay <partition>/<offset>');
  const letters = await readDeadLetters(ctx.kafka(), ctx.settings.kafka.topics.deadLetters);
  if (action === 'list') {
    const rows = letters.slice(-positiveIntOption(args, 'limit', 100)).map(summary);
    show(out, rows, (rs) =>
      rs.length === 0
        ? 'no dead letters'
        : `${table(rs, ['position', 'source', 'message_id', 'reason'])}\n${letters.length} dead letter(s)`,
    );
    return 0;
  }
  const letter = find(letters, position);
  if (action === 'show') {
    show(out, detail(letter), (d) =>
      [
        `position  ${d.position}`,
        `source    ${d.source}`,
        `reason    ${d.reason ?? '-'}`,
        `details   ${JSON.stringify(d.details)}`,
        `key       ${d.key ?? '-'}`,
        `headers   ${JSON.stringify(d.headers)}`,
        `value     ${d.value ?? '-'}`,
      ].join('\n'),
    );
    return 0;
  }
  const sent = await resubmitDeadLetter(await ctx.producer(), letter);
  show(out, sent, (s) => `re-submitted ${letter.partition}/${letter.offset} to ${s.topic} (partition ${s.partition}, offset ${s.offset})`);
  return 0;
};
