import { expect } from 'chai';
import { stageBreakdown } from '../../../bench/tools/cpuStages.js';
import type { Profile } from '../../../bench/tools/cpuProfileSummary.js';

const ROOT = 'file:///app';
const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });

/** A profile whose nodes form the given stacks (root first); samples name a stack by index, 1 ms each. */
const profileOf = (stacks: readonly (readonly ReturnType<typeof frame>[])[], samples: readonly number[]): Profile => {
  const nodes: { id: number; callFrame: ReturnType<typeof frame>; children: number[] }[] = [
    { id: 1, callFrame: frame('(root)', ''), children: [] },
  ];
  const leaves = stacks.map((stack) => {
    let parent = nodes[0]!;
    for (const f of stack) {
      const node = { id: nodes.length + 1, callFrame: f, children: [] };
      nodes.push(node);
      parent.children.push(node.id);
      parent = node;
    }
    return parent.id;
  });
  return {
    nodes,
    samples: samples.map((s) => leaves[s]!),
    timeDeltas: samples.map(() => 1000),
    startTime: 0,
    endTime: samples.length * 1000,
  } as unknown as Profile;
};

const startup = [frame('readFileUtf8', 'node:fs')];
const fetch = [
  frame('fetch', `${ROOT}/node_modules/kafkajs/src/consumer/runner.js`),
  frame('eachBatch', `${ROOT}/dist/infra/kafka/kafkaRecordSource.js`),
];
const appendBson = [
  frame('flush', `${ROOT}/dist/lib/microBatcher.js`),
  frame('run', `${ROOT}/dist/infra/mongo/eventStore.js`),
  frame('insertMany', `${ROOT}/node_modules/mongodb/lib/collection.js`),
  frame('serializeInto', `${ROOT}/node_modules/bson/lib/bson.cjs`),
];
const driverCallback = [frame('onData', `${ROOT}/node_modules/mongodb/lib/cmap/connection.js`)];
const gc = [frame('(garbage collector)', '')];
const rxjsInStep = [frame('start', `${ROOT}/dist/operators/perCaseActor.js`), frame('_next', `${ROOT}/node_modules/rxjs/dist/cjs/x.js`)];

describe('the CPU breakdown by stage', () => {
  const breakdown = stageBreakdown(profileOf([startup, fetch, appendBson, driverCallback, gc, rxjsInStep], [0, 0, 0, 1, 2, 2, 3, 4, 5]));
  const msOf = (stage: string) => (breakdown.stages.find((s) => s.stage === stage)?.us ?? 0) / 1000;

  it('leaves out the startup before the first batch reaches the contender', () => {
    expect(breakdown.cpuUs).to.equal(6000);
  });

  it('charges the BSON encoding of an append to the event store that asked for it', () => {
    expect(msOf('event append (BSON, driver)')).to.equal(2);
  });

  it('charges a driver callback with no casestream frame to the driver', () => {
    expect(msOf('MongoDB driver (pool, responses: own callbacks)')).to.equal(1);
  });

  it('counts garbage collection and the pipeline as stages of their own', () => {
    expect(msOf('garbage collection')).to.equal(1);
    expect(msOf('pipeline (intake, actors, steps, batching)')).to.equal(1);
  });

  it('gives shares that add up to the whole', () => {
    expect(breakdown.stages.reduce((sum, s) => sum + s.share, 0)).to.be.closeTo(1, 1e-9);
  });
});
