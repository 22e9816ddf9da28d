import { expect } from 'chai';
import { redactUrls, safeUrl } from '../../../src/infra/logger.js';
import { createConfigServiceClient } from '../../../src/infra/rules/configServiceClient.js';

const SECRET_URL = 'http://svc-user:s3cr3t-pass@127.0.0.1:1/config?token=tok-123&api_key=key-456&region=eu';

describe('credentials in URLs', () => {
  it('safeUrl hides the user, the password and secret-named query parameters, and keeps the rest', () => {
    const safe = safeUrl(SECRET_URL);
    expect(safe).not.to.match(/svc-user|s3cr3t-pass|tok-123|key-456/);
    expect(safe).to.equal('http://***:***@127.0.0.1:1/config?token=***&api_key=***&region=eu');
  });

  it('safeUrl strips the credentials and query of a URL that does not parse (a MongoDB seed list)', () => {
    const safe = safeUrl('mongodb://admin:hunter2@db1:27017,db2:27017/app?authSource=admin&password=x');
    expect(safe).not.to.match(/admin:hunter2|password=x/);
    expect(safe).to.equal('mongodb://***@db1:27017,db2:27017/app?***');
  });

  it('redactUrls cleans every URL inside an error message', () => {
    const message = `request to ${SECRET_URL}/rules/match failed, reason: connect ECONNREFUSED 127.0.0.1:1`;
    const clean = redactUrls(message);
    expect(clean).not.to.match(/s3cr3t-pass|tok-123|key-456|svc-user/);
    expect(clean).to.contain('failed, reason: connect ECONNREFUSED 127.0.0.1:1');
  });

  it('the Configuration Service client never puts CONFIG_SERVICE_URL credentials into a failure reason (logged and stored)', async () => {
    const client = createConfigServiceClient({ url: SECRET_URL, timeoutMs: 2_000 });
    const result = await client.matchRule('CASE_CREATED', { case_id: 'c-1' });
    expect(result).to.include({ kind: 'failed', failure: 'network' });
    const reason = result.kind === 'failed' ? result.reason : '';
    expect(reason).to.match(/request failed/);
    expect(reason).not.to.match(/s3cr3t-pass|tok-123|key-456|svc-user/);
  });
});
