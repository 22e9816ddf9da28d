import { expect } from 'chai';
import { readFileSync } from 'node:fs';

const manifest = readFileSync(new URL('../../../deploy/kubernetes.yaml', import.meta.url), 'utf8');

describe('the Kubernetes example', () => {
  it('reads API_TOKEN from a Secret the operator creates, so no working token ships in the repository', () => {
    const uncommented = manifest
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .join('\n');
    expect(uncommented).to.match(/- name: API_TOKEN\s+valueFrom:\s+secretKeyRef:\s+name: casestream-api-token\s+key: API_TOKEN/);
    expect(uncommented, 'a literal API_TOKEN value').to.not.match(/API_TOKEN:\s*\S/);
    expect(uncommented, 'a literal API_TOKEN value').to.not.match(/name: API_TOKEN\s+value:/);
  });
});
