import type { OperatorFunction } from 'rxjs';
import type { CaseState } from '../domain/caseState.js';
import type { DecodeLimits } from '../domain/decodeLimits.js';
import { actorKeyOf, decodeRecord, type InboundTopics } from './steps/decodeRecord.js';
import { perCaseActor, type ActorHooks, type PerCaseActorOptions } from '../operators/perCaseActor.js';
import { handleMessage, type HandlerOptions } from './handleMessage.js';
import type { Completion, PipelinePorts } from './ports.js';
import type { InboundRecord } from './records.js';

export interface CasePipelineConfig {
  readonly topics: InboundTopics;
  /** What one inbound message may hold; the defaults when absent. */
  readonly limits?: DecodeLimits;
  readonly actors: PerCaseActorOptions;
  readonly handler: HandlerOptions;
  readonly hooks?: ActorHooks;
}

/**
 * Kafka records in, one completion per record out: decode at the edge, then one actor per case
 * (in order within a case, in parallel across cases up to a bound).
 */
export const casePipeline =
  (ports: PipelinePorts, config: CasePipelineConfig): OperatorFunction<InboundRecord, Completion> =>
  (records) =>
    records.pipe(
      decodeRecord(config.topics, config.limits),
      perCaseActor<Parameters<typeof actorKeyOf>[0], Completion, CaseState>(
        actorKeyOf,
        handleMessage(ports, config.handler),
        config.actors,
        config.hooks,
      ),
    );
