/**
 * Bundle budgets: every function built as `serverless package` builds it (options read from
 * serverless.yml), sizes checked against a budget ~15% above what was measured, and the webhook
 * bundles — loaded on every cold start inside a provider's deadline — checked to carry none of the
 * consumer's libraries. Sizes only: timings live in `npm run bench`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltBundle, buildBundle, functionInfos } from '../../bench/bundles';
import { PROVIDER_NAMES, webhookFunctionName } from '../../lib/providers/list';

// Measured 2026-11-23 (esbuild 0.28, AWS SDK v3.1169, Powertools 2.36, env-only credentials alias):
// webhooks 313,797 / 313,082 B, consumer 449,405 B. Budgets are ~15% above; raise them only with a
// reason (see npm run bench). Every webhook, whatever its provider, has the same budget.
const WEBHOOK_BUDGET_BYTES = 361_000;
const CONSUMER_BUDGET_BYTES = 517_000;

/** The SDK's full default credential chain; Lambda's env credentials need none of it (lib/lambda-credentials.ts). */
const CREDENTIAL_CHAIN_PACKAGES = [
  '@aws-sdk/credential-provider-node',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/client-sso',
];

const CONSUMER_ONLY_PACKAGES = [
  'luxon',
  'libphonenumber-js',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/util-dynamodb',
];

const functions = functionInfos();
let outdir: string;
const bundles = new Map<string, BuiltBundle>();

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'bundle-size-'));
  for (const fn of functions) bundles.set(fn.name, await buildBundle(fn.entry, join(outdir, fn.name)));
});

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

describe('production bundles', () => {
  it('builds every function of serverless.yml: one webhook per listed provider, and the consumer', () => {
    // Act
    const names = functions.map((fn) => fn.name).sort();

    // Assess
    expect(names).toEqual([...PROVIDER_NAMES.map(webhookFunctionName), 'consumer'].sort());
    expect(functions.filter((fn) => fn.isIngress)).toHaveLength(PROVIDER_NAMES.length);
  });

  it.each(functions.map((fn) => fn.name))('keeps %s within its size budget', (name) => {
    // Prepare
    const budget = functions.find((fn) => fn.name === name)?.isIngress
      ? WEBHOOK_BUDGET_BYTES
      : CONSUMER_BUDGET_BYTES;

    // Act
    const bundle = bundles.get(name);

    // Assess
    expect(bundle?.bytes).toBeGreaterThan(0);
    expect(bundle?.bytes).toBeLessThanOrEqual(budget);
  });

  it.each(functions.filter((fn) => fn.isIngress).map((fn) => fn.name))(
    'keeps consumer-only libraries out of the %s bundle',
    (name) => {
      // Prepare
      const inputs = bundles.get(name)?.inputs ?? [];

      // Act
      const leaked = inputs.filter((input) =>
        CONSUMER_ONLY_PACKAGES.some((pkg) => input.includes(`node_modules/${pkg}/`)),
      );

      // Assess
      expect(inputs.length).toBeGreaterThan(0);
      expect(leaked).toEqual([]);
    },
  );

  it('bundles the consumer with its normalization libraries (the check above can see them)', () => {
    // Prepare
    const inputs = bundles.get('consumer')?.inputs ?? [];

    // Act
    const found = CONSUMER_ONLY_PACKAGES.filter((pkg) =>
      inputs.some((input) => input.includes(`node_modules/${pkg}/`)),
    );

    // Assess
    expect(found).toEqual(CONSUMER_ONLY_PACKAGES);
  });

  it.each(functions.map((fn) => fn.name))('bundles %s with Lambda environment credentials only', (name) => {
    // Prepare
    const inputs = bundles.get(name)?.inputs ?? [];

    // Act
    const chain = inputs.filter((input) =>
      CREDENTIAL_CHAIN_PACKAGES.some((pkg) => input.includes(`node_modules/${pkg}/`)),
    );

    // Assess
    expect(inputs.some((input) => input.includes('lib/lambda-credentials.ts'))).toBe(true);
    expect(chain).toEqual([]);
  });
});
