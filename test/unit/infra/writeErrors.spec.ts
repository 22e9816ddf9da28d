import { expect } from 'chai';
import { BSON, MongoBulkWriteError, MongoInvalidArgumentError, MongoNetworkError } from 'mongodb';
import sinon from 'sinon';
import {
  BatchItemWriteError,
  clientSideRefusal,
  IsolatedWriteErrors,
  itemError,
  perOperationErrors,
  writeIsolatingRefusals,
} from '../../../src/infra/mongo/writeErrors.js';
import { UnstorableInput } from '../../../src/streams/ports.js';

const oversize = () => new MongoInvalidArgumentError('Document is larger than the maximum size 16777216');

/** A bulk write that refuses, before sending anything, any batch holding an item named `big`; records what it stored. */
const fakeWrite = () => {
  const stored: string[] = [];
  const write = sinon.spy(async (items: string[]) => {
    if (items.includes('big')) throw oversize();
    stored.push(...items);
  });
  return { stored, write };
};

describe('writeErrors', () => {
  describe('itemError', () => {
    for (const [code, what] of [
      [17419, 'an update whose result outgrows 16 MiB'],
      [17420, 'an upsert whose document outgrows 16 MiB'],
      [10334, 'a document over 16 MiB'],
      [2, 'a bad value'],
    ] as const) {
      it(`treats code ${code} (${what}) as unstorable, so the message is dead-lettered instead of retried forever`, () => {
        expect(itemError({ index: 0, code, errmsg: 'too big' }, 'read-model write failed')).to.be.instanceOf(UnstorableInput);
      });
    }

    it('keeps other write errors retryable', () => {
      const error = itemError({ index: 0, code: 91, errmsg: 'shutdown in progress' }, 'event append failed');
      expect(error).to.be.instanceOf(BatchItemWriteError);
      expect(error).not.to.be.instanceOf(UnstorableInput);
    });
  });

  describe('clientSideRefusal', () => {
    it('recognises the refusals the driver throws before sending a document it cannot serialise', () => {
      expect(clientSideRefusal(oversize())).to.include({ code: 10334 });
      expect(clientSideRefusal(new RangeError('The value of "offset" is out of range.'))).to.include({ code: 10334 });
      expect(clientSideRefusal(new BSON.BSONError('Invalid UTF-8 string in BSON document'))).to.include({ code: 2 });
    });

    it('does not take an outage or another argument error for a refusal', () => {
      expect(clientSideRefusal(new MongoNetworkError('connection reset'))).to.equal(undefined);
      expect(clientSideRefusal(new MongoInvalidArgumentError('Option "x" is not supported'))).to.equal(undefined);
    });
  });

  describe('writeIsolatingRefusals', () => {
    it('writes a batch the driver accepts in one command', async () => {
      const { stored, write } = fakeWrite();
      await writeIsolatingRefusals(['a', 'b'], write, false);
      expect(write.callCount).to.equal(1);
      expect(stored).to.deep.equal(['a', 'b']);
    });

    it('stores the batch-mates of an oversize document and fails that document alone, as unstorable', async () => {
      const { stored, write } = fakeWrite();
      const error: unknown = await writeIsolatingRefusals(['a', 'big', 'c'], write, false).catch((e: unknown) => e);
      expect(stored).to.have.members(['a', 'c']);
      expect(error).to.be.instanceOf(IsolatedWriteErrors);
      const failures = perOperationErrors(error)!;
      expect(failures.map((f) => f.index)).to.deep.equal([1]);
      expect(itemError(failures[0]!, 'raw event record failed')).to.be.instanceOf(UnstorableInput);
    });

    it('in an ordered batch, stops at the refused item as the server would, leaving the rest to the caller', async () => {
      const { stored, write } = fakeWrite();
      const error: unknown = await writeIsolatingRefusals(['a', 'big', 'c'], write, true).catch((e: unknown) => e);
      expect(stored).to.deep.equal(['a']);
      expect(perOperationErrors(error)!.map((f) => f.index)).to.deep.equal([1]);
    });

    it('renumbers the server-side errors of items written alone to their place in the batch', async () => {
      const write = async (items: string[]) => {
        if (items.includes('big')) throw oversize();
        if (items[0] === 'dup') {
          throw new MongoBulkWriteError(
            { message: 'E11000', code: 11000, writeErrors: [{ index: 0, code: 11000, errmsg: 'E11000 duplicate key error' }] } as never,
            {} as never,
          );
        }
      };
      const error: unknown = await writeIsolatingRefusals(['big', 'x', 'dup'], write, false).catch((e: unknown) => e);
      expect(perOperationErrors(error)!.map((f) => [f.index, f.code])).to.have.deep.members([
        [0, 10334],
        [2, 11000],
      ]);
    });

    it('lets an outage fail the whole batch, to be retried', async () => {
      const outage = new MongoNetworkError('connection reset');
      const error: unknown = await writeIsolatingRefusals(['a'], () => Promise.reject(outage), false).catch((e: unknown) => e);
      expect(error).to.equal(outage);
      expect(perOperationErrors(error)).to.equal(undefined);
    });
  });
});
