/**
 * `npm run preflight`: the account's Lambda concurrency, read through the real Lambda client from a
 * local server speaking Lambda's REST shape (GET /2016-08-19/account-settings), against the stage's
 * consumer cap and API burst from serverless.yml.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { concurrencyWarnings } from '../../lib/ops/preflight';
import { preflightCommand, stageParams } from '../../lib/ops/preflight-command';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** Lambda's GetAccountSettings with these limits; records the paths it was asked for. */
async function fakeLambda(accountLimit: number, unreserved = accountLimit) {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'req-1' });
    res.end(
      JSON.stringify({
        AccountLimit: {
          TotalCodeSize: 80_530_636_800,
          CodeSizeUnzipped: 262_144_000,
          CodeSizeZipped: 52_428_800,
          ConcurrentExecutions: accountLimit,
          UnreservedConcurrentExecutions: unreserved,
        },
        AccountUsage: { TotalCodeSize: 1_000_000, FunctionCount: 10 },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const client = new LambdaClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'ap-south-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
  });
  return { lambda: () => client, paths };
}

async function run(args: string[], lambda: () => LambdaClient) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: {
      write: (chunk: string | Uint8Array) => {
        stdout += String(chunk);
        return true;
      },
    },
    stderr: {
      write: (chunk: string | Uint8Array) => {
        stderr += String(chunk);
        return true;
      },
    },
  };
  const code = await preflightCommand(args, io, lambda);
  return { code, stdout, stderr };
}

describe('npm run preflight', () => {
  it('warns, and exits 1, when a new account’s 10 concurrent executions are all the prod consumer may take', async () => {
    // Prepare
    const { lambda, paths } = await fakeLambda(10);

    // Act
    const { code, stdout } = await run(['--stage', 'prod'], lambda);

    // Assess
    expect(paths).toEqual(['GET /2016-08-19/account-settings']);
    expect(code).toBe(1);
    expect(stdout).toContain('account limit 10, unreserved 10; stage prod: consumer cap 20, API burst 400');
    expect(stdout).toMatch(/warning: the consumer's cap \(20\) can take all 10 .* quota of at least 420/);
  });

  it('warns when the webhooks’ share is smaller than the API’s burst', async () => {
    // Prepare
    const { lambda } = await fakeLambda(400);

    // Act
    const { code, stdout } = await run(['--stage', 'dev'], lambda);

    // Assess
    expect(code).toBe(1);
    expect(stdout).toMatch(/leave 390 for the webhooks .* \(10\), fewer than the API's burst \(400\)/);
  });

  it('passes an established account’s 1,000, and honours --param overrides as deploy does', async () => {
    // Prepare
    const { lambda } = await fakeLambda(1_000);

    // Act
    const ok = await run(['--stage', 'prod'], lambda);
    const tooBig = await run(['--stage', 'prod', '--param', 'consumerConcurrency=700'], lambda);

    // Assess
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ok:');
    expect(tooBig.code).toBe(1);
    expect(tooBig.stdout).toContain('consumer cap 700');
  });

  it('counts only the unreserved pool: other functions’ reserved concurrency is not the webhooks’', async () => {
    expect(
      concurrencyWarnings({ accountLimit: 1_000, unreserved: 300, consumerCap: 20, apiBurst: 400 }),
    ).toHaveLength(1);
  });

  it('exits 2 with one line when it cannot check (no stage; an unreachable Lambda)', async () => {
    // Prepare
    const unreachable = () =>
      new LambdaClient({
        endpoint: 'http://127.0.0.1:9',
        region: 'ap-south-1',
        maxAttempts: 1,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
      });

    // Act
    const noStage = await run([], unreachable);
    const down = await run(['--stage', 'dev'], unreachable);

    // Assess
    expect(noStage.code).toBe(2);
    expect(noStage.stderr).toContain('error: --stage is required');
    expect(down.code).toBe(2);
    expect(down.stderr).toContain("error: could not read the account's Lambda settings");
  });

  it('reads the stage params as osls merges them: default, the stage, then --param', () => {
    expect(stageParams('prod', [])).toMatchObject({ consumerConcurrency: 20, throttleBurst: 400 });
    expect(stageParams('dev', ['throttleBurst=50'])).toMatchObject({
      consumerConcurrency: 10,
      throttleBurst: '50',
    });
  });
});
