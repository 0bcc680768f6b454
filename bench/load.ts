/**
 * `npm run load`: thousands of webhooks through the local stack on loopback, both providers, with
 * their duplicates (CallKaro sends every call twice; Bandwidth sends answer + hangup, and some
 * hangups are retried), in shuffled order at high concurrency. After the queue drains, every call
 * must have exactly one record (GetItem per call, and the byDay index counted across its shards),
 * every acknowledged delivery must be stored, and no request may have been refused. Exits 1 if
 * anything was lost, doubled or refused. Bounded in count and time.
 *
 * Options (env): LOAD_CALLKARO_CALLS (default 1500), LOAD_BANDWIDTH_CALLS (1000),
 * LOAD_RETRIED_HANGUPS (0.1 = share of Bandwidth calls whose hangup is sent again), LOAD_CONCURRENCY (64).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { parseCommandLine, USAGE_EXIT, usageLine, wantsHelp } from '../lib/cli/args';
import { type LocalStack, startLocalStack } from '../lib/local/stack';
import { DAY_SHARDS, dayKey, INDEX } from '../lib/table';
import { type LoadRequest, startLoadClient } from './http-load';
import {
  BENCH_SECRETS,
  bandwidthAnswer,
  bandwidthAuthorization,
  bandwidthHangup,
  benchSecretsEnv,
  callkaroCallEnded,
  machineInfo,
  round,
  summarize,
} from './support';

const numberFromEnv = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
};

/** Deterministic shuffle (mulberry32), so a failing run can be repeated exactly. */
function shuffle<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

interface ExpectedCall {
  provider: 'bandwidth' | 'callkaro';
  callId: string;
  deliveries: number;
}

interface Workload {
  requests: (LoadRequest & { call: number })[];
  calls: ExpectedCall[];
}

export function buildWorkload({
  callkaroCalls,
  bandwidthCalls,
  retriedHangupShare,
  seed,
}: {
  callkaroCalls: number;
  bandwidthCalls: number;
  retriedHangupShare: number;
  seed: number;
}): Workload {
  const run = `load-${Date.now().toString(36)}`;
  const calls: ExpectedCall[] = [];
  const requests: Workload['requests'] = [];
  const callkaro = (body: string, call: number) => ({
    path: `/webhooks/callkaro/${BENCH_SECRETS.callkaroToken}`,
    headers: { 'content-type': 'application/json' },
    body,
    call,
  });
  const bandwidth = (body: string, call: number) => ({
    path: '/webhooks/bandwidth',
    headers: { 'content-type': 'application/json', authorization: bandwidthAuthorization() },
    body,
    call,
  });
  for (let i = 0; i < callkaroCalls; i++) {
    const callId = `${run}-ck-${i}`;
    const body = callkaroCallEnded(callId);
    const call = calls.push({ provider: 'callkaro', callId, deliveries: 2 }) - 1;
    // Account- and agent-level webhooks: the same event, byte for byte, twice.
    requests.push(callkaro(body, call), callkaro(body, call));
  }
  const start = Date.parse('2026-01-15T08:00:00.000Z');
  const retried = Math.round(bandwidthCalls * retriedHangupShare);
  for (let i = 0; i < bandwidthCalls; i++) {
    const callId = `${run}-bw-${i}`;
    const answeredAt = new Date(start + i * 1_000).toISOString();
    const endedAt = new Date(start + i * 1_000 + 60_000).toISOString();
    const hangup = bandwidthHangup(callId, endedAt);
    const deliveries = i < retried ? 3 : 2;
    const call = calls.push({ provider: 'bandwidth', callId, deliveries }) - 1;
    requests.push(bandwidth(bandwidthAnswer(callId, answeredAt), call), bandwidth(hangup, call));
    if (i < retried) requests.push(bandwidth(hangup, call));
  }
  return { requests: shuffle(requests, seed), calls };
}

/** Runs `work` over `items`, at most `concurrency` at a time. */
async function forEachLimited<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

async function queueDepth(stack: LocalStack, queueUrl: string): Promise<number> {
  const { Attributes: a } = await stack.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(a?.ApproximateNumberOfMessages ?? 0) + Number(a?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

export async function runLoad(log: (line: string) => void = (line) => console.error(line)): Promise<boolean> {
  const callkaroCalls = numberFromEnv('LOAD_CALLKARO_CALLS', 1_500);
  const bandwidthCalls = numberFromEnv('LOAD_BANDWIDTH_CALLS', 1_000);
  const retriedHangupShare = Math.min(1, numberFromEnv('LOAD_RETRIED_HANGUPS', 0.1));
  const concurrency = Math.max(1, numberFromEnv('LOAD_CONCURRENCY', 64));
  const seed = numberFromEnv('LOAD_SEED', 20_261_123);
  const workload = buildWorkload({ callkaroCalls, bandwidthCalls, retriedHangupShare, seed });
  const problems: string[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'call-intake-load-'));
  const runStarted = performance.now();
  log(
    `load: ${workload.requests.length} webhooks for ${workload.calls.length} calls at concurrency ${concurrency}`,
  );

  const stack = await startLocalStack({
    port: 0,
    sqsPort: 0,
    dynamoPort: 0,
    dataDir,
    env: benchSecretsEnv(),
    log: () => {},
  });
  const client = await startLoadClient();
  try {
    // 1. Send everything; every request must be acknowledged 200.
    // The server's event-loop delay tells whether it, or the machine, was the bottleneck.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const report = await client.run({
      port: stack.port,
      requests: workload.requests,
      concurrency,
      maxMs: 60_000,
      timeoutMs: 10_000,
    });
    const sent = report.statuses.length;
    loopDelay.disable();
    const refused = report.statuses.filter((s) => s < 200 || s >= 300).length;
    const ack = summarize(report.latencies);
    const acksPerSecond = (sent - refused) / (report.elapsedMs / 1000);
    if (sent < workload.requests.length)
      problems.push(`only ${sent} of ${workload.requests.length} sent in time`);
    if (refused > 0) problems.push(`${refused} non-2xx acks (e.g. ${report.failures[0]})`);
    log(`load: ${sent} sent in ${round(report.elapsedMs / 1000, 1)} s, waiting for the consumer to drain…`);

    // 2. Drain: the queue empty (nothing visible or in flight), the dead-letter queue empty.
    const drainStarted = performance.now();
    await stack.drain(60_000);
    const drainMs = performance.now() - drainStarted;
    const left = await queueDepth(stack, stack.pipeline.queueUrls.queueUrl);
    const dead = await queueDepth(stack, stack.pipeline.queueUrls.deadLetterQueueUrl);
    if (left > 0) problems.push(`${left} messages still queued after the drain bound`);
    if (dead > 0) problems.push(`${dead} messages in the dead-letter queue`);

    // 3. One record per call, with every acknowledged delivery stored under it.
    const ackedPerCall = new Map<number, number>();
    report.indexes.forEach((position, i) => {
      const status = report.statuses[i] ?? 0;
      const call = workload.requests[position]?.call;
      if (call !== undefined && status >= 200 && status < 300)
        ackedPerCall.set(call, (ackedPerCall.get(call) ?? 0) + 1);
    });
    const days = new Set<string>();
    let missingRecords = 0;
    let lostDeliveries = 0;
    let wrongRecords = 0;
    await forEachLimited(workload.calls, 16, async (call) => {
      const stored = await stack.pipeline.store.getRecord(call.provider, call.callId);
      if (!stored) {
        missingRecords += 1;
        return;
      }
      // Whichever instant the table lists a record under (arrival or call time), its day is queried.
      for (const time of [stored.record.receivedAt, stored.record.startedAt, stored.record.endedAt]) {
        if (time) days.add(time.slice(0, 10));
      }
      // Convergence: the Bandwidth record must have merged its answer, whatever the arrival order.
      if (call.provider === 'bandwidth' && stored.record.durationSeconds !== 60) wrongRecords += 1;
      const deliveries = await stack.pipeline.store.loadDeliveries(call.provider, call.callId);
      const acked = ackedPerCall.get(workload.calls.indexOf(call)) ?? 0;
      if (deliveries.length < acked) lostDeliveries += acked - deliveries.length;
    });
    if (missingRecords > 0) problems.push(`${missingRecords} calls have no record`);
    if (lostDeliveries > 0) problems.push(`${lostDeliveries} acknowledged deliveries are not stored`);
    if (wrongRecords > 0) problems.push(`${wrongRecords} Bandwidth records did not merge their answer event`);

    // 4. The byDay index, every shard of every day used: each call listed exactly once, nothing else.
    const listed = new Map<string, number>();
    for (const day of days) {
      for (let shard = 0; shard < DAY_SHARDS; shard++) {
        let start: Record<string, unknown> | undefined;
        for (let page = 0; page < 1_000; page++) {
          const { items, next } = await stack.pipeline.store.query({
            IndexName: INDEX.day,
            KeyConditionExpression: 'dayKey = :day',
            ExpressionAttributeValues: { ':day': { S: dayKey(day, shard) } },
            ...(start && { ExclusiveStartKey: start as never }),
          });
          for (const item of items) {
            const sortKey = item.sortKey?.S ?? '';
            const key = sortKey.slice(sortKey.indexOf('#') + 1); // <provider>#<callId>
            listed.set(key, (listed.get(key) ?? 0) + 1);
          }
          start = next;
          if (!start) break;
        }
      }
    }
    const expectedKeys = new Set(workload.calls.map((c) => `${c.provider}#${c.callId}`));
    const doubled = [...listed.values()].filter((n) => n > 1).length;
    const unlisted = [...expectedKeys].filter((key) => !listed.has(key)).length;
    const unexpected = [...listed.keys()].filter((key) => !expectedKeys.has(key)).length;
    const indexCount = [...listed.values()].reduce((a, b) => a + b, 0);
    if (doubled > 0) problems.push(`${doubled} calls listed more than once in ${INDEX.day}`);
    if (unlisted > 0) problems.push(`${unlisted} calls missing from ${INDEX.day}`);
    if (unexpected > 0) problems.push(`${unexpected} unexpected entries in ${INDEX.day}`);

    const machine = machineInfo();
    const summary = {
      machine,
      webhooks: workload.requests.length,
      calls: workload.calls.length,
      concurrency,
      sent,
      refused,
      acksPerSecond: round(acksPerSecond, 1),
      ackP50Ms: round(ack.p50Ms, 2),
      ackP99Ms: round(ack.p99Ms, 2),
      ackMaxMs: round(ack.maxMs, 1),
      serverLoopDelayP99Ms: round(loopDelay.percentile(99) / 1e6, 1),
      drainSeconds: round(drainMs / 1000, 1),
      recordsFound: workload.calls.length - missingRecords,
      byDayCount: indexCount,
      days: [...days].sort(),
      totalSeconds: round((performance.now() - runStarted) / 1000, 1),
      ok: problems.length === 0,
      problems,
    };
    console.log(
      [
        `## npm run load — ${machine.date.slice(0, 10)}, ${machine.cpu} ×${machine.cores}, Node ${machine.node}`,
        '',
        '| figure | value |',
        '|---|---|',
        `| webhooks sent (calls) | ${sent} of ${summary.webhooks} (${summary.calls} calls: ${callkaroCalls} CallKaro ×2, ${bandwidthCalls} Bandwidth answer+hangup, ${Math.round(bandwidthCalls * retriedHangupShare)} hangups retried) |`,
        `| concurrency | ${concurrency} |`,
        `| non-2xx acks | ${refused} |`,
        `| acks/s | ${summary.acksPerSecond} |`,
        `| ack latency p50 / p99 / max | ${summary.ackP50Ms} / ${summary.ackP99Ms} / ${summary.ackMaxMs} ms |`,
        `| server event-loop delay p99 while sending | ${summary.serverLoopDelayP99Ms} ms |`,
        `| drain after last ack | ${summary.drainSeconds} s |`,
        `| records found (GetItem) | ${summary.recordsFound} of ${summary.calls} |`,
        `| byDay entries (${summary.days.join(', ')}, ${DAY_SHARDS} shards each) | ${indexCount} for ${summary.calls} calls, ${doubled} doubled |`,
        `| result | ${summary.ok ? 'OK: nothing lost, nothing doubled' : `FAILED: ${problems.join('; ')}`} |`,
        `| total time | ${summary.totalSeconds} s |`,
        '',
        `\`${JSON.stringify(summary)}\``,
      ].join('\n'),
    );
    return summary.ok;
  } finally {
    await client.stop();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const USAGE = `usage: npm run -s load

The load test (≈ 40 s): thousands of CallKaro and Bandwidth webhooks with their duplicates through
a local stack on free ports, then checks every call has exactly one record and no request was
refused. Exit status 1 if anything was lost, doubled or refused. No options; the environment sets:
  LOAD_CALLKARO_CALLS (1500), LOAD_BANDWIDTH_CALLS (1000), LOAD_RETRIED_HANGUPS (0.1: share of
  Bandwidth hangups sent twice), LOAD_CONCURRENCY (64)
`;

const argv = process.argv.slice(2);
if (wantsHelp(argv)) {
  process.stdout.write(USAGE);
  process.exit(0);
}
try {
  parseCommandLine(argv, { help: { type: 'boolean', short: 'h' } });
} catch (error) {
  process.stderr.write(usageLine('npm run -s load --', (error as Error).message));
  process.exit(USAGE_EXIT);
}

// A hard bound on the whole run, whatever hangs.
const watchdog = setTimeout(() => {
  console.error('load: did not finish within 170 s');
  process.exit(2);
}, 170_000);
watchdog.unref();

runLoad().then(
  (ok) => process.exit(ok ? 0 : 1),
  (error: unknown) => {
    console.error('load failed:', (error as Error)?.stack ?? error);
    process.exit(1);
  },
);
