/**
 * End to end: a steady stream of webhooks through the local stack (HTTP → ingress → SQS → poller →
 * consumer → DynamoDB); for each acknowledged delivery, how long until its call's record can be
 * read with store.getRecord. Bounded: a fixed number of requests at a fixed rate, each record
 * awaited for at most `recordTimeoutMs`.
 */
import { Agent, request } from 'node:http';
import type { LocalStack } from '../lib/local/stack';
import {
  BENCH_SECRETS,
  bandwidthAuthorization,
  bandwidthHangup,
  callkaroCallEnded,
  newCallId,
  round,
  sleep,
  summarize,
} from './support';

function post(agent: Agent, port: number, path: string, headers: Record<string, string>, body: string) {
  return new Promise<number>((resolve) => {
    const data = Buffer.from(body);
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        agent,
        headers: { ...headers, 'content-length': data.length },
        timeout: 10_000,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('timeout')));
    outgoing.on('error', () => resolve(0));
    outgoing.end(data);
  });
}

export interface E2eResult {
  ratePerSecond: number;
  durationSeconds: number;
  requests: number;
  acked: number;
  /** Acknowledged deliveries whose record was not readable within the bound. */
  missing: number;
  pollIntervalMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  ackP50Ms: number;
  ackP99Ms: number;
}

export async function benchEndToEnd({
  stack,
  ratePerSecond = 20,
  durationSeconds = 10,
  pollIntervalMs = 5,
  recordTimeoutMs = 10_000,
  log = () => {},
}: {
  stack: LocalStack;
  ratePerSecond?: number;
  durationSeconds?: number;
  pollIntervalMs?: number;
  recordTimeoutMs?: number;
  log?: (line: string) => void;
}): Promise<E2eResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const total = ratePerSecond * durationSeconds;
  const lags: number[] = [];
  const acks: number[] = [];
  let acked = 0;
  let missing = 0;

  const one = async (i: number) => {
    const bandwidth = i % 2 === 0;
    const callId = newCallId('e2e');
    const [path, headers, body] = bandwidth
      ? [
          '/webhooks/bandwidth',
          { 'content-type': 'application/json', authorization: bandwidthAuthorization() },
          bandwidthHangup(callId),
        ]
      : [
          `/webhooks/callkaro/${BENCH_SECRETS.callkaroToken}`,
          { 'content-type': 'application/json' },
          callkaroCallEnded(callId),
        ];
    const sent = performance.now();
    const status = await post(agent, stack.port, path, headers, body);
    const ackAt = performance.now();
    acks.push(ackAt - sent);
    if (status !== 200) return;
    acked += 1;
    const provider = bandwidth ? 'bandwidth' : 'callkaro';
    while (performance.now() - ackAt < recordTimeoutMs) {
      if (await stack.pipeline.store.getRecord(provider, callId)) {
        lags.push(performance.now() - ackAt);
        return;
      }
      await sleep(pollIntervalMs);
    }
    missing += 1;
  };

  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    // A fixed schedule (not "after the previous one"), so a slow answer does not lower the rate.
    const due = started + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(one(i));
    if ((i + 1) % (ratePerSecond * 2) === 0) log(`e2e: ${i + 1}/${total} sent`);
  }
  await Promise.all(pending);
  agent.destroy();
  const lag = summarize(lags);
  const ack = summarize(acks);
  return {
    ratePerSecond,
    durationSeconds,
    requests: total,
    acked,
    missing,
    pollIntervalMs,
    p50Ms: round(lag.p50Ms, 1),
    p99Ms: round(lag.p99Ms, 1),
    maxMs: round(lag.maxMs, 1),
    ackP50Ms: round(ack.p50Ms, 2),
    ackP99Ms: round(ack.p99Ms, 2),
  };
}
