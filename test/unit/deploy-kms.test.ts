/** kmsKeyArn in lib/deploy/providers.cjs: a key ARN is granted to every webhook role; anything else stops the deploy. */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { stageParams } from '../support/stage-params';

type Generate = (options: { resolveVariable: (name: string) => Promise<string> }) => Promise<{
  resources: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
}>;
const generate = createRequire(import.meta.url)('../../lib/deploy/providers.cjs') as Generate;

/** Stage params as osls resolves them (serverless.yml's defaults), with this kmsKeyArn. */
const withKey = (kmsKeyArn: string) => generate({ resolveVariable: stageParams({ kmsKeyArn }) });

describe('kmsKeyArn', () => {
  it.each([
    ['an alias ARN', 'arn:aws:kms:ap-south-1:123456789012:alias/webhooks'],
    ['a bare key id', '1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['a wildcard', 'arn:aws:kms:ap-south-1:123456789012:key/*'],
  ])('refuses %s', async (_name, value) => {
    // Act & Assess
    await expect(withKey(value)).rejects.toThrow(/kmsKeyArn must be a KMS key ARN/);
  });

  it('grants nothing when empty', async () => {
    // Act
    const { resources } = await withKey('');

    // Assess
    expect(JSON.stringify(resources)).not.toContain('kms:');
  });
});
