import type { CaseState } from './caseState.js';
import type { Command } from './commands.js';
import { contentDiffers } from './keyReuse.js';

/** Stored versions of one stream, from `first` to `last`; to the stream's end when `last` is null. */
export interface StoredRange {
  readonly aggregate_id: string;
  readonly first: number;
  readonly last: number | null;
}

const NONE: readonly StoredRange[] = [];

/**
 * Where the events a redelivered message recorded are stored: the run of versions its key took on
 * the case stream and, for the creation of a KYB case, the whole company stream (its ids derive
 * from the creation's key, so nothing else writes it). A redelivery decides nothing again, yet a
 * crash after the append may have left these events unprojected: the message re-projects them as
 * stored, masked by any erasure since. Nothing for a first delivery or a key reused for other
 * content (refused). Pure; only a map lookup for a message the case has not recorded.
 */
export const recordedRanges = (state: CaseState, cmd: Command): readonly StoredRange[] => {
  const recorded = state.recordedKeys.get(cmd.key);
  if (recorded === undefined || contentDiffers(recorded.hash, cmd.content_hash)) return NONE;
  const own: StoredRange = { aggregate_id: state.case_id, first: recorded.first, last: recorded.last };
  const company_id = state.facts?.company_id ?? null;
  return state.creation?.key === cmd.key && company_id !== null ? [own, { aggregate_id: company_id, first: 1, last: null }] : [own];
};
