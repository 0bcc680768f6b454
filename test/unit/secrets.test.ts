import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '../../lib/errors';
import { ENQUEUE_DEADLINE_MS } from '../../lib/queue';
import { parseSecretList, SECRETS_DEADLINE_MS, ssmSecretSource } from '../../lib/secrets';

/** A stand-in for the Powertools SSM provider: answers from a script of values or errors. */
function scriptedProvider(answers: (string | Error)[]) {
  const calls: { name: string; options: unknown }[] = [];
  const provider = {
    get: async (name: string, options: unknown) => {
      calls.push({ name, options });
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return next;
    },
  } as unknown as SSMProvider;
  return { provider, calls };
}

describe('webhook secrets', () => {
  it('reads one secret per line, current first, and at most two', () => {
    expect(parseSecretList('current\r\n\n  next  \nthird')).toEqual(['current', 'next']);
  });

  it('asks SSM for the decrypted parameter with a bounded cache age', async () => {
    const { provider, calls } = scriptedProvider(['user:pass\nuser:next']);
    const secrets = ssmSecretSource('/call-intake/dev/bandwidth/webhook-secrets', {
      provider,
      maxAgeSeconds: 60,
    });
    expect(await secrets()).toEqual(['user:pass', 'user:next']);
    expect(calls).toEqual([
      { name: '/call-intake/dev/bandwidth/webhook-secrets', options: { decrypt: true, maxAge: 60 } },
    ]);
  });

  it('keeps serving the last secrets it read when a refresh fails', async () => {
    const { provider } = scriptedProvider(['token-a', new Error('throttled')]);
    const secrets = ssmSecretSource('/p', { provider });
    await secrets();
    expect(await secrets()).toEqual(['token-a']);
  });

  it('fails with a retryable 503 error when it never could read them', async () => {
    // An error as the SSM client throws it: a 4xx another attempt would not fix.
    const denied = Object.assign(new Error('not allowed'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
    const { provider } = scriptedProvider([denied]);
    const error = await ssmSecretSource('/p', { provider })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).statusCode).toBe(503);
  });

  it('gives up on an SSM that does not answer within its deadline, with a retryable 503', async () => {
    // Prepare
    const silent = { get: () => new Promise<never>(() => {}) } as unknown as SSMProvider;
    const started = Date.now();

    // Act
    const error = await ssmSecretSource('/p', { provider: silent, deadlineMs: 50 })().catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('bounds the default deadline so secrets plus the enqueue fit CallKaro’s 5 s', () => {
    expect(SECRETS_DEADLINE_MS + ENQUEUE_DEADLINE_MS).toBeLessThanOrEqual(4_000);
  });

  it('warns, without the values, when the parameter holds more than two secrets or none', async () => {
    // Prepare
    const warnings: string[] = [];
    const { provider } = scriptedProvider(['one-secret\ntwo-secret\nthree-secret', '']);
    const secrets = ssmSecretSource('/p', { provider, maxAgeSeconds: 0, warn: (m) => warnings.push(m) });

    // Act
    const used = await secrets();
    await secrets();

    // Assess
    expect(used).toEqual(['one-secret', 'two-secret']);
    expect(warnings).toEqual([
      '/p holds 3 secrets; the first 2 are used',
      '/p holds 0 secrets; the first 2 are used',
    ]);
    for (const value of ['one-secret', 'two-secret', 'three-secret'])
      expect(warnings.join()).not.toContain(value);
  });
});
