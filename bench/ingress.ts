/**
 * Ingress overhead: our path (HTTP → local stack server → webhook handler → SQS) against a bare
 * baseline measured in the same run (HTTP → one SendMessage to the same fauxqs with the same SQS
 * client, no auth, no validation), at concurrency 1 and 32. Fixed request counts, a warm-up first,
 * variants alternated on every repeat. The load comes from a separate process.
 *
 * While this runs the local consumer is paused (its DynamoDB calls wait at a gate) so it does not
 * compete for the CPU with one variant only: on AWS it runs in other Lambdas. Both queues are
 * purged afterwards.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  PurgeQueueCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { LocalStack } from '../lib/local/stack';
import type { LoadClient, LoadReport, LoadRequest } from './http-load';
import {
  BENCH_SECRETS,
  bandwidthAuthorization,
  bandwidthHangup,
  callkaroCallEnded,
  median,
  newCallId,
  round,
  summarize,
} from './support';

/** The bare baseline: read the body, one SendMessage, answer 200. */
export async function startBaselineServer(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ port: number; stop(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      sqs
        .send(
          new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: Buffer.concat(chunks).toString('utf8') }),
        )
        .then(
          () => {
            response.writeHead(200, { 'content-type': 'application/json' });
            response.end('{"received":true}');
          },
          () => {
            response.writeHead(503, { 'content-type': 'application/json' });
            response.end('{"error":"enqueue failed"}');
          },
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Holds every request of `client` until opened: pauses the local consumer without touching it. */
export function gateClient(client: DynamoDBClient) {
  const name = `benchGate${Math.random().toString(36).slice(2)}`;
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  client.middlewareStack.add(
    (next) => async (args) => {
      if (gate) await gate;
      return next(args);
    },
    { step: 'initialize', name },
  );
  return {
    close() {
      gate ??= new Promise<void>((resolve) => {
        release = resolve;
      });
    },
    open() {
      release?.();
      gate = undefined;
    },
    remove() {
      this.open();
      client.middlewareStack.remove(name);
    },
  };
}

/** A mix of both providers' seed payloads, each with its own call id. */
export function webhookRequests(count: number): LoadRequest[] {
  return Array.from(
    { length: count },
    (_, i): LoadRequest =>
      i % 2 === 0
        ? {
            path: '/webhooks/bandwidth',
            headers: { 'content-type': 'application/json', authorization: bandwidthAuthorization() },
            body: bandwidthHangup(newCallId('ingress')),
          }
        : {
            path: `/webhooks/callkaro/${BENCH_SECRETS.callkaroToken}`,
            headers: { 'content-type': 'application/json' },
            body: callkaroCallEnded(newCallId('ingress')),
          },
  );
}

interface Run {
  report: LoadReport;
  rps: number;
  /** CPU time of this (server) process per request: fauxqs + the server under test. */
  cpuMsPerRequest: number;
}

interface VariantFigures {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerRequest: number;
}

export interface IngressPoint {
  concurrency: number;
  requestsPerRun: number;
  repeats: number;
  ours: VariantFigures;
  baseline: VariantFigures;
  throughputRatio: number;
  p50Ratio: number;
  p99Ratio: number;
  /**
   * The primary figure: median over the repeats of ours ÷ baseline CPU per request, each pair run
   * back to back. Far less sensitive to other processes on the machine than throughput or p99.
   */
  cpuPerRequestRatio: number;
  /** Lowest and highest per-repeat ratio, to tell a verdict from noise. */
  spread: { throughput: [number, number]; p99: [number, number]; cpuPerRequest: [number, number] };
}

export interface IngressResult {
  /** The higher of the two concurrencies' CPU-per-request ratios (medians over the repeats). */
  cpuPerRequestRatio: number;
  /** The lower of the two concurrencies' ratios (the one the target must hold for). */
  throughputRatio: number;
  /** The higher of the two concurrencies' ratios. */
  p99Ratio: number;
  points: IngressPoint[];
}

const checkAllOk = (label: string, report: LoadReport) => {
  const bad = report.statuses.filter((s) => s !== 200).length;
  if (bad > 0)
    throw new Error(`${label}: ${bad} of ${report.statuses.length} requests failed: ${report.failures[0]}`);
};

export async function benchIngress({
  stack,
  client,
  points = [
    { concurrency: 1, requestsPerRun: 500 },
    { concurrency: 32, requestsPerRun: 2_000 },
  ],
  repeats = 5,
  log = () => {},
}: {
  stack: LocalStack;
  client: LoadClient;
  points?: { concurrency: number; requestsPerRun: number }[];
  repeats?: number;
  log?: (line: string) => void;
}): Promise<IngressResult> {
  const { QueueUrl: baselineQueueUrl } = await stack.sqs.send(
    new CreateQueueCommand({
      QueueName: 'bench-ingress-baseline',
      Attributes: { MaximumMessageSize: '1048576' },
    }),
  );
  if (!baselineQueueUrl) throw new Error('could not create the baseline queue');
  const baseline = await startBaselineServer(stack.sqs, baselineQueueUrl);
  const gate = gateClient(stack.dynamo);
  const oursPort = stack.port;
  const requests = webhookRequests(256);
  const order = (count: number, offset: number) =>
    Array.from({ length: count }, (_, i) => (offset + i) % requests.length);
  const results: IngressPoint[] = [];
  gate.close();
  try {
    for (const { concurrency, requestsPerRun } of points) {
      const run = (port: number, count: number, offset: number) =>
        client.run({
          port,
          requests,
          order: order(count, offset),
          concurrency,
          maxMs: 60_000,
          timeoutMs: 10_000,
        });
      // Warm-up: connections, JIT and both code paths, untimed.
      checkAllOk('warm-up ours', await run(oursPort, Math.min(300, requestsPerRun), 0));
      checkAllOk('warm-up baseline', await run(baseline.port, Math.min(300, requestsPerRun), 0));
      const ours: Run[] = [];
      const base: Run[] = [];
      for (let rep = 0; rep < repeats; rep++) {
        // Alternate which goes first, so drift (the queue growing, the machine's other load) hits both.
        const pair = rep % 2 === 0 ? (['ours', 'base'] as const) : (['base', 'ours'] as const);
        for (const variant of pair) {
          const cpu = process.cpuUsage();
          const report = await run(variant === 'ours' ? oursPort : baseline.port, requestsPerRun, rep * 7);
          const used = process.cpuUsage(cpu);
          checkAllOk(`${variant} c=${concurrency}`, report);
          (variant === 'ours' ? ours : base).push({
            report,
            rps: (report.latencies.length / report.elapsedMs) * 1000,
            cpuMsPerRequest: (used.user + used.system) / 1000 / report.latencies.length,
          });
        }
        log(`ingress: concurrency ${concurrency}, repeat ${rep + 1}/${repeats}`);
      }
      const describe = (runs: Run[]) => {
        const latency = summarize(runs.flatMap((r) => r.report.latencies));
        return {
          rps: round(median(runs.map((r) => r.rps)), 1),
          p50Ms: round(latency.p50Ms, 3),
          p99Ms: round(latency.p99Ms, 3),
          cpuMsPerRequest: round(median(runs.map((r) => r.cpuMsPerRequest)), 4),
        };
      };
      const o = describe(ours);
      const b = describe(base);
      const pairs = (of: (r: Run) => number) => ours.map((r, i) => of(r) / of(base[i] as Run));
      const spread = (values: number[]): [number, number] => [
        round(Math.min(...values), 3),
        round(Math.max(...values), 3),
      ];
      const rpsRatios = pairs((r) => r.rps);
      const p99Ratios = pairs((r) => summarize(r.report.latencies).p99Ms);
      const cpuRatios = pairs((r) => r.cpuMsPerRequest);
      results.push({
        concurrency,
        requestsPerRun,
        repeats,
        ours: o,
        baseline: b,
        // Each repeat's pair ran back to back: the median of their ratios cancels slow drift.
        throughputRatio: round(median(rpsRatios), 3),
        p50Ratio: round(o.p50Ms / b.p50Ms, 3),
        p99Ratio: round(median(p99Ratios), 3),
        cpuPerRequestRatio: round(median(cpuRatios), 3),
        spread: { throughput: spread(rpsRatios), p99: spread(p99Ratios), cpuPerRequest: spread(cpuRatios) },
      });
    }
  } finally {
    await stack.sqs
      .send(new PurgeQueueCommand({ QueueUrl: stack.pipeline.queueUrls.queueUrl }))
      .catch(() => {});
    await stack.sqs.send(new PurgeQueueCommand({ QueueUrl: baselineQueueUrl })).catch(() => {});
    gate.remove();
    await baseline.stop();
  }
  return {
    cpuPerRequestRatio: Math.max(...results.map((r) => r.cpuPerRequestRatio)),
    throughputRatio: Math.min(...results.map((r) => r.throughputRatio)),
    p99Ratio: Math.max(...results.map((r) => r.p99Ratio)),
    points: results,
  };
}
