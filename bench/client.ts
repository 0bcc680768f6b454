/**
 * The load generator, run in its own process (forked by bench/http-load.ts) so the server under test
 * keeps its event loop to itself: sends the given requests to 127.0.0.1 over keep-alive connections,
 * `concurrency` at a time, and reports each one's latency and status. Bounded by count and time.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface LoadRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface LoadJob {
  id: number;
  port: number;
  requests: LoadRequest[];
  /** Sent in order of `order` (indexes into `requests`), so a few templates can make many requests. */
  order?: number[];
  concurrency: number;
  /** Nothing new is sent after this long; what is in flight finishes or times out. */
  maxMs: number;
  /** Per-request timeout. */
  timeoutMs?: number;
}

export interface LoadReport {
  id: number;
  elapsedMs: number;
  /** Latency in ms of each request sent, in completion order. */
  latencies: number[];
  /** Status of each request sent (0: no response), aligned with `indexes`. */
  statuses: number[];
  /** Index into `order`/`requests` of each completed request. */
  indexes: number[];
  /** Response bodies of non-2xx answers (at most 20), for diagnosis. */
  failures: string[];
}

function send(
  agent: Agent,
  port: number,
  req: LoadRequest,
  timeoutMs: number,
): Promise<{ status: number; failure?: string }> {
  return new Promise((resolve) => {
    const body = Buffer.from(req.body);
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: req.path,
        agent,
        headers: { ...req.headers, 'content-length': body.length },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          const failure = status >= 300 ? Buffer.concat(chunks).toString('utf8').slice(0, 200) : undefined;
          resolve({ status, failure });
        });
        response.on('error', (error) => resolve({ status: 0, failure: error.message }));
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('timeout')));
    outgoing.on('error', (error) => resolve({ status: 0, failure: error.message }));
    outgoing.end(body);
  });
}

export async function runJob(job: LoadJob): Promise<LoadReport> {
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  const order = job.order ?? job.requests.map((_, i) => i);
  const report: LoadReport = {
    id: job.id,
    elapsedMs: 0,
    latencies: [],
    statuses: [],
    indexes: [],
    failures: [],
  };
  const started = performance.now();
  const deadline = started + job.maxMs;
  let next = 0;
  const worker = async () => {
    while (next < order.length && performance.now() < deadline) {
      const position = next++;
      const req = job.requests[order[position] as number] as LoadRequest;
      const t0 = performance.now();
      const { status, failure } = await send(agent, job.port, req, job.timeoutMs ?? 10_000);
      report.latencies.push(performance.now() - t0);
      report.statuses.push(status);
      report.indexes.push(position);
      if (failure !== undefined && report.failures.length < 20) report.failures.push(`${status} ${failure}`);
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  report.elapsedMs = performance.now() - started;
  agent.destroy();
  return report;
}

// Forked: one job per message, one report back per job.
if (process.send) {
  process.on('message', (job: LoadJob) => {
    runJob(job).then(
      (report) => process.send?.(report),
      (error: unknown) => process.send?.({ id: job.id, error: String((error as Error)?.message ?? error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
