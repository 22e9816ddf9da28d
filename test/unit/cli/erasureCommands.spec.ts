import { expect } from 'chai';
import { runCliWith } from '../../support/cli.js';

/** Command lines refused before anything is sent: exit 2, the reason and the usage on stderr. */
describe('casestream erase and hold command lines', () => {
  const refused = async (...argv: string[]) => {
    const { code, stdout, stderr } = await runCliWith({}, ...argv);
    expect(code, stderr).to.equal(2);
    expect(stdout).to.equal('');
    return stderr.split('\n')[0];
  };

  it('refuses an erasure without a reason', async () => {
    expect(await refused('erase', '--case', 'c1', '--person', 'p1')).to.match(/^casestream: --reason is required: erase --case/);
  });

  it('refuses an erasure naming no subject, or two', async () => {
    expect(await refused('erase', '--case', 'c1', '--reason', 'r')).to.match(/^casestream: name one subject: /);
    expect(await refused('erase', '--case', 'c1', '--person', 'p1', '--beneficial-owner', 'b1', '--reason', 'r')).to.match(
      /^casestream: name one subject: /,
    );
  });

  it('refuses a client erasure that also names a case or a subject', async () => {
    expect(await refused('erase', '--client', 'cl-1', '--case', 'c1', '--reason', 'r')).to.match(/^casestream: --client goes alone: /);
  });

  it('refuses a hold that is neither placed nor lifted, or has no case or reason', async () => {
    expect(await refused('hold', 'keep', '--case', 'c1', '--reason', 'r')).to.match(/^casestream: hold needs: hold place\|lift/);
    expect(await refused('hold', 'place', '--reason', 'r')).to.match(/^casestream: --case is required/);
    expect(await refused('hold', 'lift', '--case', 'c1')).to.match(/^casestream: --reason is required/);
  });
});
