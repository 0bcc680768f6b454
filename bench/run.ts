/**
 * `npm run bench`: ingress and consumer overhead against bare baselines, cold starts of the
 * production bundles, end-to-end lag and the cost model — loopback only, bounded (a watchdog ends
 * the run after 420 s; a full run takes 150–260 s on a busy shared machine). Progress goes to
 * stderr; the markdown table to stdout; the figures to bench/results.json.
 *
 * `npm run bench -- --only=ingress,consumer` runs some sections (results.json is then not written).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { didYouMean, parseCommandLine, USAGE_EXIT, UsageError, usageLine, wantsHelp } from '../lib/cli/args';
import { startLocalStack } from '../lib/local/stack';
import { functionInfos } from './bundles';
import { benchColdStart, type ColdStartResult } from './cold-start';
import { benchConsumer, type ConsumerResult } from './consumer';
import { type CostInputs, measureCostInputs, priceScenario, type ScenarioCost } from './cost';
import { benchEndToEnd, type E2eResult } from './e2e';
import { startLoadClient } from './http-load';
import { benchIngress, type IngressResult } from './ingress';
import { prices } from './prices';
import { type BenchResults, judge, renderMarkdown } from './report';
import { benchSecretsEnv, machineInfo, round } from './support';

const SECTIONS = ['cold-start', 'cost', 'ingress', 'consumer', 'e2e'] as const;
type Section = (typeof SECTIONS)[number];

const RESULTS_FILE = fileURLToPath(new URL('./results.json', import.meta.url));
const WATCHDOG_MS = 420_000;

async function main() {
  const started = performance.now();
  const log = (line: string) =>
    console.error(`[${Math.round((performance.now() - started) / 1000)}s] ${line}`);
  const only = sectionsToRun();
  const runs = (section: Section) => !only || only.includes(section);

  const machine = machineInfo();
  const workDir = mkdtempSync(join(tmpdir(), 'call-intake-bench-'));
  let coldStart: ColdStartResult | undefined;
  let costInputs: CostInputs | undefined;
  let ingress: IngressResult | undefined;
  let consumer: ConsumerResult | undefined;
  let e2e: E2eResult | undefined;
  try {
    if (runs('cold-start')) coldStart = await benchColdStart({ workDir: join(workDir, 'cold-start'), log });
    if (runs('cost')) costInputs = await measureCostInputs({ log });
    if (runs('ingress') || runs('consumer') || runs('e2e')) {
      log('starting the local stack…');
      const stack = await startLocalStack({
        port: 0,
        sqsPort: 0,
        dynamoPort: 0,
        dataDir: join(workDir, 'stack'),
        env: benchSecretsEnv(),
        log: () => {},
      });
      const client = await startLoadClient();
      try {
        if (runs('ingress')) ingress = await benchIngress({ stack, client, log });
        if (runs('consumer')) consumer = await benchConsumer({ stack, log });
        if (runs('e2e')) e2e = await benchEndToEnd({ stack, log });
      } finally {
        await client.stop();
        await stack.stop();
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }

  const functions = functionInfos();
  const webhookLogBytes = coldStart
    ? Math.max(
        ...functions
          .filter((fn) => fn.isIngress)
          .map((fn) => coldStart.functions[fn.name]?.warmLogBytesPerInvocationProd ?? 0),
      )
    : undefined;
  const logBytes =
    coldStart && webhookLogBytes !== undefined
      ? {
          webhookPerDelivery: webhookLogBytes,
          consumerPerMessage: coldStart.functions.consumer?.warmLogBytesPerInvocationProd ?? 0,
        }
      : undefined;
  const scenarios: Record<string, ScenarioCost> = costInputs
    ? Object.fromEntries(
        Object.entries(costInputs.scenarios).map(([name, m]) => [name, priceScenario(name, m, logBytes)]),
      )
    : {};
  const durationSeconds = round((performance.now() - started) / 1000, 1);

  if (!coldStart || !costInputs || !ingress || !consumer || !e2e) {
    console.log(
      JSON.stringify(
        { machine, durationSeconds, coldStart, ingress, consumer, e2e, cost: scenarios },
        null,
        2,
      ),
    );
    log('partial run: bench/results.json not written');
    return;
  }
  const partial: Omit<BenchResults, 'targets'> = {
    machine,
    durationSeconds,
    loadAverageAtEnd: machineInfo().loadAverage,
    ingress,
    consumer,
    coldStart: Object.fromEntries(
      Object.entries(coldStart.functions).map(([name, f]) => [
        name,
        { bytes: f.bytes, ratioVsNode: f.ratioVsNode, ratioVsBareSdk: f.ratioVsBareSdk },
      ]),
    ),
    coldStartDetail: coldStart,
    e2e,
    cost: {
      usdPerMillion: Object.fromEntries(
        Object.entries(scenarios).map(([name, s]) => [name, s.usdPerMillionCalls]),
      ),
      region: prices.region,
      pricesAsOf: prices.asOf,
      scenarios,
    },
  };
  const results: BenchResults = {
    ...partial,
    targets: judge(
      partial,
      functions.filter((fn) => fn.isIngress).map((fn) => fn.name),
    ),
  };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  console.log(renderMarkdown(results, prices));
  log(`wrote ${RESULTS_FILE}`);
}

const USAGE = `usage: npm run -s bench -- [--only=<section>,…] > report.md

Benchmarks on loopback (a run takes 150–260 s): ingress and consumer overhead against bare
baselines, cold starts of the production bundles, end-to-end lag and the cost model. Progress goes
to stderr, the markdown report to stdout, the figures to bench/results.json (full runs only).

  --only=<sections>  some of: ${SECTIONS.join(', ')} (comma-separated; results.json is not written)
  -h, --help         this text
`;

/** The sections asked for (undefined: all), or a one-line error and exit 2 before anything runs. */
function sectionsToRun(argv = process.argv.slice(2)): Section[] | undefined {
  try {
    const { values } = parseCommandLine(argv, { only: { type: 'string' }, help: { type: 'boolean' } });
    const only = values.only?.split(',');
    const unknown = only?.filter((s) => !SECTIONS.includes(s as Section)) ?? [];
    if (unknown.length > 0) {
      const [first = ''] = unknown;
      throw new UsageError(
        `unknown section(s) ${unknown.join(', ')}${didYouMean(first, SECTIONS)}; known: ${SECTIONS.join(', ')}`,
      );
    }
    return only as Section[] | undefined;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(usageLine('npm run -s bench --', error.message));
    process.exit(USAGE_EXIT);
  }
}

if (wantsHelp(process.argv.slice(2))) {
  process.stdout.write(USAGE);
  process.exit(0);
}
sectionsToRun();

const watchdog = setTimeout(() => {
  console.error(`bench: did not finish within ${WATCHDOG_MS / 1000} s`);
  process.exit(2);
}, WATCHDOG_MS);
watchdog.unref();

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('bench failed:', (error as Error)?.stack ?? error);
    process.exit(1);
  },
);
