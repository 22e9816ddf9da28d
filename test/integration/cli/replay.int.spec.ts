import { expect } from 'chai';
import { ReadModelNames } from '../../../src/domain/projections.js';
import type { ReplayResult } from '../../../src/infra/mongo/replayReadModels.js';
import { cliEnvOf, runCliAt, runCliWith } from '../../support/cli.js';
import { ServiceHarness } from '../../support/serviceHarness.js';
import { sleep, waitFor } from '../../support/stack.js';
import { forEachServerMode } from '../mongo/support.js';

const kyb = (client_id: string) => ({
  client_id,
  version: '1.0',
  type: 'ENHANCED_DUE_DILIGENCE',
  traitement_type: 'KYB',
  company_profile: {
    registered_name: 'Replay Ltd',
    registration_number: 'R1',
    country_of_incorporation: 'GB',
    registered_address: { country: 'GB' },
    trading_name: null,
  },
  persons: [
    { firstname: 'Ada', lastname: 'Director', role_in_company: 'Director' },
    { firstname: 'Bo', lastname: 'Clerk', birthdate: '1990-01-01' },
  ],
  beneficial_owners: [{ person_details: { firstname: 'Cy', lastname: 'Owner' }, ownership_percentage: 60, is_ubo: true }],
});

const kyc = (client_id: string) => ({
  client_id,
  version: '1.0',
  type: 'INDIVIDUAL_STANDARD',
  traitement_type: 'KYC',
  persons: [{ firstname: 'Di', lastname: 'Solo' }],
});

const snapshot = async (svc: ServiceHarness) => {
  const out: Record<string, unknown[]> = {};
  for (const name of ReadModelNames) out[name] = await svc.db.collection(name).find({}).sort({ _id: 1 }).toArray();
  return out;
};

const collectionNames = async (svc: ServiceHarness) => (await svc.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);

const halfBuilt = async (svc: ServiceHarness) => (await collectionNames(svc)).filter((n) => /^replay_\d+_/.test(n));

const keptAside = async (svc: ServiceHarness) => (await collectionNames(svc)).filter((n) => n.includes('__before_replay_'));

forEachServerMode((mode) =>
  describe(`casestream replay (${mode} path)`, function () {
    this.timeout(600_000);
    let svc: ServiceHarness;
    let env: Record<string, string>;

    before(async () => {
      svc = await new ServiceHarness({ DB_SERVER_MODE: mode }).start();
      env = cliEnvOf(svc, { DB_SERVER_MODE: mode });
      await svc.sendClientData({ value: kyb('replay-kyb') }, { value: kyc('replay-kyc') });
      const kycCase = await svc.caseOf('replay-kyc');
      await svc.caseOf('replay-kyb');
      const doc = await waitFor(() =>
        svc.db.collection('document_requirements').findOne({ case_id: kycCase.id, document_type: 'PASSPORT' }),
      );
      await svc.sendCommand({
        key: String(kycCase.id),
        value: {
          command_type: 'UpdateDocumentStatus',
          command_id: 'replay-c1',
          case_id: kycCase.id,
          document_requirement_id: doc.id,
          new_status: 'UPLOADED',
          notes_to_add: ['n1'],
          metadata_changes: { pages: 2 },
        },
      });
      await waitFor(() => svc.db.collection('document_requirements').findOne({ _id: doc._id, status: 'UPLOADED' }));
      await waitFor(async () => (await svc.db.collection('beneficial_owners').countDocuments()) === 1);
    });

    after(async () => {
      await svc?.stop();
    });

    it('rebuilds read models identical to the live ones, identical again when run twice, keeping the replaced ones until --drop-old', async () => {
      const live = await snapshot(svc);

      const { code, stdout, stderr } = await runCliWith(env, 'replay', '--yes', '--json');
      expect(code, stderr).to.equal(0);
      const result = JSON.parse(stdout) as ReplayResult;
      expect(result.events).to.equal(await svc.db.collection('domain_events').countDocuments());
      expect(result.documents).to.deep.equal({ cases: 2, persons: 3, companies: 1, beneficial_owners: 1, document_requirements: 7 });
      expect(await snapshot(svc)).to.deep.equal(live);
      expect(result.kept).to.have.length(ReadModelNames.length);
      expect(await keptAside(svc)).to.deep.equal(result.kept);
      for (const line of stderr.trim().split('\n')) expect(JSON.parse(line), 'a JSON progress line').to.have.property('progress');

      const again = await runCliWith(env, 'replay', '--yes', '--drop-old');
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.match(/replayed \d+ events/);
      expect(await snapshot(svc)).to.deep.equal(live);
      expect(await keptAside(svc), 'only the first run keeps its replaced read models').to.deep.equal(result.kept);
      expect(await halfBuilt(svc)).to.deep.equal([]);
    });

    it('refuses to run without a terminal and without --yes, and changes nothing', async () => {
      const before = { live: await snapshot(svc), names: (await collectionNames(svc)).sort() };

      const { code, stderr } = await runCliWith(env, 'replay');

      expect(code).to.equal(2);
      expect(stderr).to.contain('needs a confirmation: run it on a terminal, or pass --yes');
      expect({ live: await snapshot(svc), names: (await collectionNames(svc)).sort() }).to.deep.equal(before);
    });

    it('asks for a confirmation on a terminal, and changes nothing when the answer is no', async () => {
      const names = (await collectionNames(svc)).sort();

      const { code, stderr } = await runCliAt({ answer: 'n' }, env, 'replay');

      expect(code).to.equal(1);
      expect(stderr).to.match(/Rebuild every read model of database \S+ from its \d+ events and swap the rebuilt ones in\? \[y\/N\]/);
      expect(stderr).to.contain('replay cancelled, nothing changed');
      expect((await collectionNames(svc)).sort()).to.deep.equal(names);
    });

    it('drops its half-built collections and leaves the live ones untouched when interrupted', async () => {
      const live = await snapshot(svc);
      const kept = await keptAside(svc);
      let interrupted = false;

      const { code, stderr } = await runCliAt(
        {
          onStderr: (text) => {
            // interrupted once the rebuild has projected something, as Ctrl-C would
            if (!interrupted && /"phase":"rebuild".*"projected":[1-9]/.test(text)) {
              interrupted = true;
              process.emit('SIGINT');
            }
          },
        },
        env,
        'replay',
        '--yes',
        '--json',
        '--batch',
        '1',
      );

      expect(interrupted, 'the rebuild reported its progress').to.equal(true);
      expect(code, stderr).to.equal(130);
      expect(stderr).to.contain('replay interrupted; its collections are dropped, the live read models are unchanged');
      expect(await halfBuilt(svc)).to.deep.equal([]);
      expect(await keptAside(svc)).to.deep.equal(kept);
      expect(await snapshot(svc)).to.deep.equal(live);
      expect(await svc.db.collection('casestream_replay_lock').countDocuments(), 'the lock is released').to.equal(0);
    });

    it('cleans up the half-built collections of a killed run at its next start', async () => {
      const live = await snapshot(svc);
      await svc.db.createCollection('replay_1700000000000_cases');
      await svc.db.collection('replay_1700000000000_cases').insertOne({ _id: 'half' } as never);
      const killedAt = new Date(Date.now() - 10 * 60_000);
      await svc.db
        .collection('casestream_replay_lock')
        .insertOne({ _id: 'replay', run: '1700000000000', host: 'elsewhere', pid: 1, started_at: killedAt, heartbeat: killedAt } as never);

      const { code, stdout, stderr } = await runCliWith(env, 'replay', '--yes', '--json', '--drop-old');

      expect(code, stderr).to.equal(0);
      expect((JSON.parse(stdout) as ReplayResult).cleaned).to.deep.equal(['replay_1700000000000_cases']);
      expect(await halfBuilt(svc)).to.deep.equal([]);
      expect(await snapshot(svc)).to.deep.equal(live);
    });

    it('loses nothing while the service keeps taking client messages and commands: the result equals a replay of the stopped service', async () => {
      // the traffic: new cases, and status changes with notes on the document requirements of 16
      // KYC cases, each changed every second or two (as busy as a case gets, and more)
      const seeds = Array.from({ length: 16 }, (_, i) => `traffic-seed-${mode}-${i}`);
      await svc.sendClientData(...seeds.map((client_id) => ({ value: kyc(client_id) })));
      const requirements: { case_id: string; id: string; status: string }[] = [];
      for (const client_id of seeds) {
        const c = await svc.caseOf(client_id);
        const docs = await waitFor(async () => {
          const found = await svc.db.collection('document_requirements').find({ case_id: c.id }).toArray();
          return found.length > 0 ? found : null;
        });
        for (const d of docs) requirements.push({ case_id: String(c.id), id: String(d.id), status: String(d.status) });
      }
      const clients: string[] = [];
      const commands: string[] = [];
      let running = true;
      // Bounded (about 20 s of it), so that a slow machine replays a bounded stream rather than
      // chase traffic that grows as fast as the replay slows down.
      const traffic = (async () => {
        for (let i = 0; running && i < 500; i += 1) {
          clients.push(`traffic-${mode}-${i}`);
          await svc.sendClientData({ value: i % 2 === 0 ? kyc(clients.at(-1)!) : kyb(clients.at(-1)!) });
          const r = requirements[i % requirements.length]!;
          r.status = r.status === 'UPLOADED' ? 'REJECTED' : 'UPLOADED';
          commands.push(`traffic-${mode}-c${i}`);
          await svc.sendCommand({
            key: r.case_id,
            value: {
              command_type: 'UpdateDocumentStatus',
              command_id: commands.at(-1),
              case_id: r.case_id,
              document_requirement_id: r.id,
              new_status: r.status,
              notes_to_add: [`note ${i}`],
              metadata_changes: { [`step${i % 3}`]: i },
            },
          });
          await sleep(40);
        }
      })();

      await sleep(1_000);
      const eventsAtStart = await svc.db.collection('domain_events').countDocuments();
      const replay = await runCliWith(env, 'replay', '--yes', '--json', '--batch', '20');
      const eventsAtEnd = await svc.db.collection('domain_events').countDocuments();
      await sleep(1_000);
      running = false;
      await traffic;
      expect(replay.code, replay.stderr).to.equal(0);
      expect(eventsAtEnd, 'events were appended while the replay ran').to.be.above(eventsAtStart);

      // the service finishes what was sent
      await waitFor(
        async () => (await svc.db.collection('cases').countDocuments({ client_id: { $in: clients } })) === clients.length,
        120_000,
        { description: 'every traffic case' },
      );
      await waitFor(
        async () =>
          (await svc.db.collection('command_results').countDocuments({ _id: { $in: commands } as never, status: { $ne: 'pending' } })) ===
          commands.length,
        120_000,
        { description: 'every traffic command completed' },
      );
      const underTraffic = await snapshot(svc);
      await svc.stopService();

      const quiet = await runCliWith(env, 'replay', '--yes', '--json');
      expect(quiet.code, quiet.stderr).to.equal(0);
      const rebuilt = await snapshot(svc);
      for (const name of ReadModelNames) expect(underTraffic[name], name).to.deep.equal(rebuilt[name]);
    });
  }),
);
