import { clear, evict, getEntry, listEntries, stats, type RuleCacheListing } from '../../infra/rules/ruleCacheInspector.js';
import { UsageError, type ParsedArgs } from '../args.js';
import type { CliContext } from '../cliContext.js';
import { show, table, type Output } from '../output.js';

const listingRow = (l: RuleCacheListing) => ({
  trigger: l.trigger,
  rule: l.corrupt ? `corrupt: ${l.corrupt}` : (l.rule?.rule_id ?? 'no rule'),
  fetched_at: l.fetched_at,
  fresh_until: l.fresh_until,
  ttl_s: l.ttl_seconds,
  stale: l.stale ? 'stale' : 'fresh',
});

const COLUMNS = ['trigger', 'rule', 'fetched_at', 'fresh_until', 'ttl_s', 'stale'];

/** `casestream cache list|get|evict|clear|stats`: the Redis rule cache, read with SCAN, never KEYS. */
export const cacheCommand = async (ctx: CliContext, args: ParsedArgs, out: Output): Promise<number> => {
  const [, action, trigger] = args.words;
  const redis = ctx.redis();
  const pattern = args.options.get('pattern');
  const scan = pattern === undefined ? {} : { pattern };
  switch (action) {
    case 'list': {
      const entries = await listEntries(redis, scan);
      show(out, entries, (es) => (es.length === 0 ? 'no cached rules' : table(es.map(listingRow), COLUMNS)));
      return 0;
    }
    case 'get': {
      if (!trigger) throw new UsageError('cache get needs a trigger');
      const entry = await getEntry(redis, trigger);
      if (!entry) {
        show(out, null, () => `nothing cached for ${trigger}`);
        return 1;
      }
      show(out, entry, (e) =>
        [
          `trigger      ${e.trigger}`,
          `rule         ${e.rule ? JSON.stringify(e.rule) : 'no rule (the service said none applies)'}`,
          `fetched at   ${e.fetched_at ?? '-'}`,
          `fresh until  ${e.fresh_until ?? '-'} (${e.stale ? 'stale: served only if the service fails' : 'fresh'})`,
          `ttl          ${e.ttl_seconds ?? '-'} s before Redis drops it`,
          ...(e.corrupt ? [`corrupt      ${e.corrupt}`] : []),
        ].join('\n'),
      );
      return 0;
    }
    case 'evict': {
      if (!trigger) throw new UsageError('cache evict needs a trigger');
      const removed = await evict(redis, trigger);
      show(out, { trigger, evicted: removed }, (r) => (r.evicted ? `evicted ${r.trigger}` : `nothing cached for ${r.trigger}`));
      return 0;
    }
    case 'clear': {
      const removed = await clear(redis, scan);
      show(out, { removed }, (r) => `removed ${r.removed} cached rule(s)`);
      return 0;
    }
    case 'stats': {
      const s = await stats(redis, scan);
      show(out, s, (v) => table([{ ...v }], ['count', 'fresh', 'stale', 'corrupt']));
      return 0;
    }
    default:
      throw new UsageError('cache needs one of: list [--pattern P], get <trigger>, evict <trigger>, clear [--pattern P], stats');
  }
};
