/** bench/results.json's shape, the targets it is judged against, and its markdown rendering. */
import type { ColdStartResult } from './cold-start';
import type { ConsumerResult } from './consumer';
import type { ScenarioCost } from './cost';
import type { E2eResult } from './e2e';
import type { IngressResult } from './ingress';
import type { Prices } from './prices';
import type { MachineInfo } from './support';

export interface BenchResults {
  machine: MachineInfo;
  durationSeconds: number;
  /** 1-minute load average when the run ended (see machine.loadAverage for the start). */
  loadAverageAtEnd: number;
  ingress: IngressResult;
  consumer: ConsumerResult;
  /** Per function in serverless.yml. */
  coldStart: Record<string, { bytes: number; ratioVsNode: number; ratioVsBareSdk: number }>;
  coldStartDetail: ColdStartResult;
  e2e: E2eResult;
  cost: {
    usdPerMillion: Record<string, number>;
    region: string;
    pricesAsOf: string;
    scenarios: Record<string, ScenarioCost>;
  };
  targets: Target[];
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
}

export function judge(results: Omit<BenchResults, 'targets'>, ingressFunctions: string[]): Target[] {
  const { ingress, consumer, coldStart, e2e } = results;
  const cost = results.cost.usdPerMillion;
  const targets: Target[] = [
    {
      name: 'ingress CPU per request',
      goal: '≤ 1.10× bare baseline (c=1 and c=32), median over repeats',
      measured: ingress.points
        .map((p) => `${p.cpuPerRequestRatio}× at c=${p.concurrency} (${p.spread.cpuPerRequest.join('–')})`)
        .join(', '),
      met: ingress.cpuPerRequestRatio <= 1.1,
    },
    {
      name: 'ingress throughput',
      goal: '≥ 0.85× bare baseline (c=1 and c=32)',
      measured: ingress.points
        .map((p) => `${p.throughputRatio}× at c=${p.concurrency} (${p.spread.throughput.join('–')})`)
        .join(', '),
      met: ingress.throughputRatio >= 0.85,
    },
    {
      name: 'ingress p99 latency',
      goal: '≤ 1.2× bare baseline (c=1 and c=32)',
      measured: ingress.points
        .map((p) => `${p.p99Ratio}× at c=${p.concurrency} (${p.spread.p99.join('–')})`)
        .join(', '),
      met: ingress.p99Ratio <= 1.2,
    },
    {
      name: 'consumer throughput',
      goal: '≥ 0.8× bare PutItem baseline',
      measured: `${consumer.throughputRatio}× (${consumer.throughputRatioSpread.join('–')})`,
      met: consumer.throughputRatio >= 0.8,
    },
    {
      name: 'consumer DynamoDB requests per message',
      goal: '≤ 2.2',
      measured: `${consumer.requestsPerMessage.ours} (baseline ${consumer.requestsPerMessage.baseline})`,
      met: consumer.requestsPerMessage.ours <= 2.2,
    },
    {
      name: `consumer: one call of ${consumer.manyEvents} events vs ${consumer.manyEvents} calls`,
      goal: '≤ 1.5× time per event',
      measured: `${consumer.manyEventsRatio}× (${consumer.manyEventsRatioSpread.join('–')})`,
      met: consumer.manyEventsRatio <= 1.5,
    },
    {
      name: 'cost per million calls, seed payloads',
      goal: '≤ $4.00 each',
      measured: `Bandwidth $${cost.bandwidth}, CallKaro $${cost.callkaro}`,
      met: (cost.bandwidth ?? Infinity) <= 4 && (cost.callkaro ?? Infinity) <= 4,
    },
    {
      name: 'cost per million calls, 50 KB transcript',
      goal: '≤ $25',
      measured: `$${cost.callkaro50k}`,
      met: (cost.callkaro50k ?? Infinity) <= 25,
    },
    // Only the webhooks the cold-start bench drives (bench/cold-start.ts: two stand for all nine).
    ...ingressFunctions
      .filter((fn) => coldStart[fn] !== undefined)
      .map((fn) => ({
        name: `${fn} cold start`,
        goal: '≤ 1.1× bare-SDK bundle',
        measured: `${coldStart[fn]?.ratioVsBareSdk}×`,
        met: (coldStart[fn]?.ratioVsBareSdk ?? Number.POSITIVE_INFINITY) <= 1.1,
      })),
    {
      name: 'end-to-end p99',
      goal: '< 1000 ms, nothing missing',
      measured: `${e2e.p99Ms} ms (${e2e.missing} missing)`,
      met: e2e.p99Ms < 1000 && e2e.missing === 0,
    },
  ];
  return targets;
}

const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
const usd = (n: number) => `$${n.toFixed(n < 0.01 ? 4 : n < 1 ? 3 : 2)}`;

export function renderMarkdown(results: BenchResults, prices: Prices): string {
  const { machine, ingress, consumer, coldStartDetail: detail, e2e, cost } = results;
  const lines: string[] = [
    `# npm run bench — ${machine.date}`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.platform}, Node ${machine.node}; ` +
      `load average ${machine.loadAverage} at start, ${results.loadAverageAtEnd} at the end` +
      (Math.max(machine.loadAverage, results.loadAverageAtEnd) > machine.cores
        ? ' (above the core count: other processes shared the CPUs, timings are noisier)'
        : '') +
      `; run took ${results.durationSeconds} s. Loopback only.`,
    '',
    '## Targets',
    '',
    row(['target', 'goal', 'measured', 'met']),
    row(['---', '---', '---', '---']),
    ...results.targets.map((t) => row([t.name, t.goal, t.measured, t.met ? 'yes' : '**no**'])),
    '',
    '## 1. Ingress overhead (HTTP → handler → SQS on the local stack vs HTTP → one SendMessage)',
    '',
    row([
      'concurrency',
      'requests × repeats',
      'ours req/s',
      'bare req/s',
      'throughput ratio',
      'ours p50 / p99 ms',
      'bare p50 / p99 ms',
      'p50 ratio',
      'p99 ratio',
      'server CPU/request ratio',
    ]),
    row(Array(10).fill('---')),
    ...ingress.points.map((p) =>
      row([
        p.concurrency,
        `${p.requestsPerRun} × ${p.repeats}`,
        p.ours.rps,
        p.baseline.rps,
        `${p.throughputRatio}×`,
        `${p.ours.p50Ms} / ${p.ours.p99Ms}`,
        `${p.baseline.p50Ms} / ${p.baseline.p99Ms}`,
        `${p.p50Ratio}×`,
        `${p.p99Ratio}×`,
        `${p.cpuPerRequestRatio}× (${p.ours.cpuMsPerRequest} vs ${p.baseline.cpuMsPerRequest} ms)`,
      ]),
    ),
    '',
    '## 2. Consumer overhead (our handler vs PutItem of the same pre-built items)',
    '',
    row([
      'messages × repeats',
      'batch × in flight',
      'ours records/s',
      'bare records/s',
      'ratio',
      'DynamoDB requests/message',
    ]),
    row(Array(6).fill('---')),
    row([
      `${consumer.messagesPerRun} × ${consumer.repeats}`,
      `${consumer.batchSize} × ${consumer.batchesInFlight}`,
      consumer.oursRecordsPerSecond,
      consumer.baselineRecordsPerSecond,
      `${consumer.throughputRatio}×`,
      `ours ${consumer.requestsPerMessage.ours}, bare ${consumer.requestsPerMessage.baseline}`,
    ]),
    '',
  ];
  lines.push(
    `## 3. Cold start (fresh node process: load the production bundle, answer one event; median of ${detail.repeats})`,
    '',
    row([
      'bundle',
      'bytes',
      'zip bytes',
      'wall ms',
      'require ms',
      'first event ms',
      '× node -e 0',
      '× bare SDK',
      'warm call ms',
      'log B per warm call (default / prod level)',
    ]),
    row(Array(10).fill('---')),
    row(['node -e 0', '–', '–', detail.nodeMedianMs, '–', '–', '1×', '–', '–', '–']),
    row([
      'bare SQS bundle',
      detail.bareSdk.bytes,
      '–',
      detail.bareSdk.medianWallMs,
      detail.bareSdk.medianRequireMs,
      '–',
      `${detail.bareSdk.ratioVsNode}×`,
      '1×',
      '–',
      '–',
    ]),
    ...Object.entries(detail.functions).map(([name, f]) =>
      row([
        name,
        f.bytes,
        f.zipBytes,
        f.medianWallMs,
        f.medianRequireMs,
        f.medianFirstEventMs,
        `${f.ratioVsNode}×`,
        `${f.ratioVsBareSdk}×`,
        f.medianWarmMs,
        `${f.warmLogBytesPerInvocation} / ${f.warmLogBytesPerInvocationProd}`,
      ]),
    ),
    '',
  );
  lines.push(
    `## 4. End to end (ack → record readable; ${e2e.ratePerSecond} req/s for ${e2e.durationSeconds} s, polled every ${e2e.pollIntervalMs} ms)`,
    '',
    row(['acked', 'missing', 'lag p50', 'lag p99', 'lag max', 'ack p50 / p99']),
    row(Array(6).fill('---')),
    row([
      `${e2e.acked}/${e2e.requests}`,
      e2e.missing,
      `${e2e.p50Ms} ms`,
      `${e2e.p99Ms} ms`,
      `${e2e.maxMs} ms`,
      `${e2e.ackP50Ms} / ${e2e.ackP99Ms} ms`,
    ]),
    '',
    `## 5. Cost model (USD per million calls, ${prices.region} list prices as of ${prices.asOf}, ${prices.lambda.architecture})`,
    '',
    row(['scenario', 'USD / million calls', 'largest item', 'storage added / month']),
    row(Array(4).fill('---')),
    ...Object.entries(cost.scenarios).map(([name, s]) => {
      const top = [...s.lines].sort((a, b) => b.usdPerMillionCalls - a.usdPerMillionCalls)[0];
      return row([
        `${name} (${s.description})`,
        usd(s.usdPerMillionCalls),
        top
          ? `${top.item} ${usd(top.usdPerMillionCalls)} (${Math.round((100 * top.usdPerMillionCalls) / s.usdPerMillionCalls)}%)`
          : '–',
        `${usd(s.storageUsdPerMonthPerMillionCalls)} (${s.bytesStoredPerCall} B/call)`,
      ]);
    }),
    '',
  );
  for (const [name, s] of Object.entries(cost.scenarios)) {
    lines.push(
      `### ${name}: ${s.description} — ${usd(s.usdPerMillionCalls)} per million calls`,
      '',
      row(['item', 'USD / million calls', 'basis (measured)']),
      row(['---', '---', '---']),
      ...s.lines.map((l) => row([l.item, usd(l.usdPerMillionCalls), l.basis])),
      '',
    );
  }
  lines.push(
    'Handler times are measured against the local emulators (fauxqs, dynalite), not AWS, so Lambda durations',
    'here are lower bounds; log bytes are the production bundles’ own output at the prod stage’s log level.',
    'Consumer batches are assumed full (batchSize from serverless.yml). Not in the totals: storage (recurs',
    'monthly), KMS/SSM for secrets (cached per container), billed cold-start INIT time, data transfer.',
  );
  return lines.join('\n');
}
