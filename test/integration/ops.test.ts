/**
 * The operator commands against the emulators, as an operator runs them (the same command functions
 * scripts/ call, pointed at fauxqs/dynalite through the SDK's standard endpoint variables):
 * redrive brings a dead-lettered delivery back once the fault is fixed; replay reports and repairs
 * records that no longer match their raw deliveries, and a second replay changes nothing.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsumerDeps } from '../../lib/consumer';
import { redriveCommand, replayCommand } from '../../lib/ops/commands';
import { countMessages, redrive } from '../../lib/ops/redrive';
import { findCalls } from '../../lib/ops/replay';
import { rawFixture } from '../fixtures';
import { runOpsCommand } from '../support/ops';
import { bandwidthRequest, callkaroRequest } from '../support/requests';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

const CALLKARO_CALL = '2303fa770b666a64ab1694c1e';
const BANDWIDTH_CALL = '{callId}';

const queueName = (url: string) => url.slice(url.lastIndexOf('/') + 1);

/** Runs a command in-process against the stack's emulators; returns its exit code and output. */
const run = runOpsCommand;

const queueArgs = (target: TestStack) => [
  '--queue',
  queueName(target.queueUrls.queueUrl),
  '--dlq',
  queueName(target.queueUrls.deadLetterQueueUrl),
];

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('npm run redrive', () => {
  it('moves a delivery that was dead-lettered by a fault back to the queue once the fault is fixed', async () => {
    // Prepare
    let broken = true;
    const failWhileBroken = (deps: ConsumerDeps): ConsumerDeps => ({
      ...deps,
      store: {
        ...deps.store,
        putDeliveries: async (writes) => {
          if (broken) throw new Error('simulated outage');
          return deps.store.putDeliveries(writes);
        },
      },
    });
    stack = await startTestStack({
      queueOverrides: { visibilityTimeout: 1, maxReceiveCount: 2 },
      consumerDeps: failWhileBroken,
    });
    const { sqs, queueUrls } = stack;
    const poller = await stack.startPoller();
    expect((await stack.callkaro(callkaroRequest(rawFixture('callkaro', 'call-ended')))).statusCode).toBe(
      200,
    );
    await waitFor(async () => (await countMessages(sqs, queueUrls.deadLetterQueueUrl)).visible === 1);

    // Act
    const dryRun = await run(redriveCommand, stack, [...queueArgs(stack), '--dry-run']);
    const stillDeadLettered = await countMessages(sqs, queueUrls.deadLetterQueueUrl);
    broken = false;
    const redriven = await run(redriveCommand, stack, queueArgs(stack));
    await poller.drain();

    // Assess
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toMatch(/: 1 message\(s\) would be moved to deliveries-\d+\n$/);
    expect(stillDeadLettered).toEqual({ visible: 1, inFlight: 0 });
    expect(redriven).toMatchObject({ code: 0, stdout: expect.stringMatching(/^moved 1 message\(s\) from/) });
    expect(redriven.stderr).toContain('local stack');
    expect(await countMessages(sqs, queueUrls.deadLetterQueueUrl)).toEqual({ visible: 0, inFlight: 0 });
    const stored = await stack.store.getRecord('callkaro', CALLKARO_CALL);
    expect(stored?.record.outcome).toBe('completed');
  });

  it('moves a backlog in bounded batches within the 1 MiB batch limit, up to --max per run', async () => {
    // Prepare
    stack = await startTestStack();
    const { sqs, queueUrls } = stack;
    const bodies = [
      ...Array.from({ length: 12 }, (_, i) => `{"v":1}\nsmall ${i}`),
      ...Array.from({ length: 3 }, (_, i) => `{"v":1}\n${String(i).repeat(600_000)}`),
    ];
    for (const body of bodies) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrls.deadLetterQueueUrl, MessageBody: body }));
    }

    // Act
    const first = await redrive({ sqs, ...queueUrls, maxMessages: 10, waitTimeSeconds: 0 });
    const second = await redrive({ sqs, ...queueUrls, waitTimeSeconds: 0 });

    // Assess
    expect(first).toMatchObject({ moved: 10, failed: 0, before: { visible: 15 } });
    expect(second).toMatchObject({ moved: 5, failed: 0, skipped: 0, notDeleted: 0 });
    expect(await countMessages(sqs, queueUrls.deadLetterQueueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect((await countMessages(sqs, queueUrls.queueUrl)).visible).toBe(15);
  });

  it('runs as a script: `npm run redrive -- --dry-run` against the endpoint from the environment', async () => {
    // Prepare
    stack = await startTestStack();
    await stack.sqs.send(
      new SendMessageCommand({ QueueUrl: stack.queueUrls.deadLetterQueueUrl, MessageBody: 'x' }),
    );

    // Act
    const { stdout } = await promisify(execFile)(
      'npx',
      ['tsx', 'scripts/redrive.ts', '--dry-run', ...queueArgs(stack)],
      { env: { ...process.env, AWS_ENDPOINT_URL_SQS: stack.sqsEmulator.endpoint }, timeout: 90_000 },
    );

    // Assess
    expect(stdout).toMatch(/: 1 message\(s\) would be moved to deliveries-\d+/);
    // npx + tsx start-up alone took over 30 s in a full npm test on a shared 2-core machine.
  }, 90_000);
});

describe('npm run replay', () => {
  const ingestSeeds = async (target: TestStack) => {
    const poller = await target.startPoller();
    await target.bandwidth(bandwidthRequest(rawFixture('bandwidth', 'hangup')));
    await target.callkaro(callkaroRequest(rawFixture('callkaro', 'call-ended')));
    await poller.drain();
  };

  it('reports a corrupted record in a dry run without writing, repairs it, then finds nothing to do', async () => {
    // Prepare
    stack = await startTestStack();
    await ingestSeeds(stack);
    const good = await stack.store.getRecord('callkaro', CALLKARO_CALL);
    if (!good) throw new Error('seed record missing');
    const corrupted = {
      ...good.record,
      outcome: 'failed' as const,
      details: { ...good.record.details, agentId: 'agent-from-an-old-mapping' },
    };
    expect(await stack.store.putRecord(corrupted, good.version)).toBe(true);
    // Records are listed by arrival: the seeds arrived just now.
    const today = new Date().toISOString().slice(0, 10);
    const range = ['--provider', 'callkaro', '--since', today, '--until', today, '--table', stack.tableName];

    // Act
    const dryRun = await run(replayCommand, stack, [...range, '--dry-run']);
    const afterDryRun = await stack.store.getRecord('callkaro', CALLKARO_CALL);
    const repair = await run(replayCommand, stack, [...range, '--json']);
    const repaired = await stack.store.getRecord('callkaro', CALLKARO_CALL);
    const again = await run(replayCommand, stack, [...range, '--json']);

    // Assess
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toBe(
      [
        `callkaro:${CALLKARO_CALL} would be updated`,
        '  details.agentId: "agent-from-an-old-mapping" → "6803fa770b666a64ab1694c1e"',
        '  outcome: "failed" → "completed"',
        '1 call(s): 0 would be created, 1 would be updated, 0 unchanged, 0 pending (no ended event), 0 failed — dry run, nothing written',
        '',
      ].join('\n'),
    );
    // stderr is not a terminal here: the lines that say where and what, no progress bar.
    expect(dryRun.stderr).not.toContain('finding calls');
    expect(dryRun.stderr.split('\n')).toContain(
      'callkaro times read in Asia/Kolkata (CALLKARO_TIMEZONE; use the deployed value)',
    );
    expect(dryRun.stderr).not.toContain('plivo times');
    expect(afterDryRun).toEqual({ ...good, record: corrupted, version: good.version + 1 });

    expect(repair.code).toBe(0);
    expect(JSON.parse(repair.stdout)).toMatchObject({
      dryRun: false,
      counts: { updated: 1, unchanged: 0, failed: 0 },
      calls: [{ provider: 'callkaro', callId: CALLKARO_CALL, change: 'updated' }],
    });
    expect(repaired).toEqual({ ...good, version: good.version + 2 });

    expect(JSON.parse(again.stdout)).toMatchObject({ counts: { updated: 0, unchanged: 1 } });
    expect(await stack.store.getRecord('callkaro', CALLKARO_CALL)).toEqual(repaired);
  });

  it('selects calls by provider, by arrival time range and by key, with Queries on the byDay index', async () => {
    // Prepare
    stack = await startTestStack();
    await ingestSeeds(stack);
    const { store } = stack;
    const today = { since: new Date(Date.now() - 60_000), until: new Date(Date.now() + 60_000) };
    const yesterday = {
      since: new Date(Date.now() - 2 * 86_400_000),
      until: new Date(Date.now() - 86_400_000),
    };

    // Act
    const both = await findCalls(store, today);
    const onlyCallkaro = await findCalls(store, today, { provider: 'callkaro' });
    const before = await findCalls(store, yesterday);
    const byKey = await run(replayCommand, stack, [
      '--call',
      `bandwidth:${BANDWIDTH_CALL}`,
      '--table',
      stack.tableName,
      '--json',
    ]);

    // Assess
    expect(both).toHaveLength(2);
    expect(both).toEqual(
      expect.arrayContaining([
        { provider: 'bandwidth', callId: BANDWIDTH_CALL },
        { provider: 'callkaro', callId: CALLKARO_CALL },
      ]),
    );
    expect(onlyCallkaro).toEqual([{ provider: 'callkaro', callId: CALLKARO_CALL }]);
    expect(before).toEqual([]);
    expect(JSON.parse(byKey.stdout)).toMatchObject({
      calls: [{ provider: 'bandwidth', callId: BANDWIDTH_CALL, change: 'unchanged' }],
    });
  });

  it('replays every call in the table when no range is given, whatever its call time', async () => {
    // Prepare
    stack = await startTestStack();
    await ingestSeeds(stack);

    // Act
    const all = await run(replayCommand, stack, ['--table', stack.tableName, '--json']);

    // Assess
    // The seeds' calls ended in 2012 and 2025; they arrived now, which is what the index is keyed on.
    expect(
      JSON.parse(all.stdout)
        .calls.map((c: { callId: string }) => c.callId)
        .sort(),
    ).toEqual([BANDWIDTH_CALL, CALLKARO_CALL].sort());
    expect(all.stderr).toMatch(/all providers, arrival times \d{4}-\d\d-\d\dT.* … /);
  });

  it('rejects bad arguments with a usage message and exit code 2', async () => {
    // Prepare
    stack = await startTestStack();

    // Act
    const results = await Promise.all([
      run(replayCommand, stack, ['--since', 'yesterday-ish']),
      run(replayCommand, stack, ['--call', 'no-colon']),
      run(replayCommand, stack, ['--provider', 'nobody']),
      run(replayCommand, stack, ['--call', 'bandwidth:x', '--since', '2025-01-01']),
      run(redriveCommand, stack, ['--max', '0']),
      run(redriveCommand, stack, ['--unknown']),
      run(replayCommand, stack, ['--dryrun']),
      run(replayCommand, stack, ['--provider', 'twillio']),
    ]);

    // Assess: one line each, what is wrong and where the usage is; nothing on stdout
    for (const result of results) {
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^error: [^\n]+; see npm run -s (replay|redrive) -- --help\n$/);
    }
    expect(results[6]?.stderr).toBe(
      'error: unknown option --dryrun (did you mean --dry-run?); see npm run -s replay -- --help\n',
    );
    expect(results[7]?.stderr).toMatch(/^error: unknown provider twillio \(did you mean twilio\?\); known: /);
  });

  it('prints the usage on stdout for --help, exit 0, even next to a mistake', async () => {
    // Prepare
    stack = await startTestStack();

    // Act
    const replay = await run(replayCommand, stack, ['--help']);
    const redrive = await run(redriveCommand, stack, ['--bogus', '-h']);

    // Assess
    expect(replay).toMatchObject({ code: 0, stderr: '' });
    expect(replay.stdout).toMatch(/^Usage: npm run -s replay -- /);
    expect(redrive).toMatchObject({ code: 0, stderr: '' });
    expect(redrive.stdout).toMatch(/^Usage: npm run -s redrive -- /);
  });
});
