/** An event's place in its stream, as a replay reads it. */
export interface StreamEvent {
  readonly aggregate_id: string;
  readonly version: number;
}

/**
 * Per stream, the last version a replay has projected. It is what lets a catch-up pass find every
 * event appended since the previous pass without a global sequence number: an event is new when
 * its version is beyond the one recorded for its stream (a stream never seen is at 0).
 *
 * Events are taken strictly in version order, without gaps: a version beyond the next one is held
 * back, not projected, because a guarded write applied before an earlier one would make that
 * earlier one a no-op (its effect lost). A gap is an append that is not visible yet; the next pass
 * takes it with the versions after it. Memory: one entry per stream (case or company).
 */
export class StreamPositions {
  private readonly last = new Map<string, number>();

  /** The last version projected of a stream, 0 if none. */
  versionOf(aggregate_id: string): number {
    return this.last.get(aggregate_id) ?? 0;
  }

  /**
   * Classifies one event read in stream order and, when it is the next one of its stream, records
   * it: `next` (project it now), `seen` (projected before), `held` (after a gap).
   */
  take(e: StreamEvent): 'next' | 'seen' | 'held' {
    const last = this.versionOf(e.aggregate_id);
    if (e.version <= last) return 'seen';
    if (e.version > last + 1) return 'held';
    this.last.set(e.aggregate_id, e.version);
    return 'next';
  }
}
