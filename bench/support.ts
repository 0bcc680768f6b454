/** Shared pieces of the benchmarks: statistics, machine description, payloads and a fake SSM. */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { toHttpApiEvent } from '../lib/local/api-gateway';
import { rawFixture } from '../test/fixtures';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
}

export function summarize(latencies: readonly number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    meanMs: sorted.length ? sum / sorted.length : Number.NaN,
    maxMs: sorted.at(-1) ?? Number.NaN,
  };
}

export const round = (value: number, digits = 2) => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  platform: string;
  date: string;
  /** 1-minute load average when measured: above the core count, other processes shared the CPUs. */
  loadAverage: number;
}

export const machineInfo = (): MachineInfo => ({
  cpu: cpus()[0]?.model.trim() ?? 'unknown',
  cores: cpus().length,
  memoryGb: round(totalmem() / 2 ** 30, 1),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  date: new Date().toISOString(),
  loadAverage: round(loadavg()[0] ?? 0, 2),
});

// --- Secrets the benchmarks configure (never real ones) -------------------------------------------

export const BENCH_SECRETS = {
  bandwidthUser: 'bench-user',
  bandwidthPassword: 'bench-pass',
  callkaroToken: 'bench-token',
};

export const benchSecretsEnv = (): NodeJS.ProcessEnv => ({
  BANDWIDTH_WEBHOOK_USERNAME: BENCH_SECRETS.bandwidthUser,
  BANDWIDTH_WEBHOOK_PASSWORD: BENCH_SECRETS.bandwidthPassword,
  CALLKARO_WEBHOOK_TOKEN: BENCH_SECRETS.callkaroToken,
});

export const bandwidthAuthorization = () =>
  `Basic ${Buffer.from(`${BENCH_SECRETS.bandwidthUser}:${BENCH_SECRETS.bandwidthPassword}`).toString('base64')}`;

// --- Payloads: the seeds byte for byte, with the call id swapped so every call is distinct ---------

const BANDWIDTH_SEED = rawFixture('bandwidth', 'hangup');
const CALLKARO_SEED = rawFixture('callkaro', 'call-ended');
const CALLKARO_SEED_SID = '2303fa770b666a64ab1694c1e';

export const seedBodies = () => ({ bandwidth: BANDWIDTH_SEED, callkaro: CALLKARO_SEED });

export const newCallId = (prefix: string) => `${prefix}-${randomUUID()}`;

/** The Bandwidth seed hangup for `callId` (its `{callId}` placeholders replaced), at `time`. */
export function bandwidthHangup(callId: string, time?: string): string {
  const body = BANDWIDTH_SEED.replaceAll('{callId}', callId);
  return time ? body.replace('2012-11-14T15:56:12.636Z', time) : body;
}

/** The answer event of the same call, shaped like the hangup (Bandwidth v1 sends both to one URL). */
export function bandwidthAnswer(callId: string, time?: string): string {
  return bandwidthHangup(callId, time)
    .replace('"hangup"', '"answer"')
    .replace(/\s*"cause"\s*:\s*"[A-Z_]+",?/, '');
}

const WORDS = (
  'the a to and you I is it that for on this your we can be have with are not do at will me so what ' +
  'appointment clinic doctor Tuesday Wednesday Friday morning afternoon evening week next today tomorrow ' +
  'confirm reschedule booking payment invoice insurance policy number address email phone message ' +
  'customer agent speaking calling about please thank thanks okay yes no sure right great fine sorry ' +
  'would could should like need want check update details account order delivery refund price offer ' +
  'interested callback later time minutes hour moment schedule available busy office team manager ' +
  'report results follow-up question problem help understand explain again change cancel keep send'
).split(' ');

/**
 * A transcript of exactly `bytes` ASCII bytes: speaker turns of words drawn by a seeded generator,
 * so it compresses about like real conversation (a repeated sentence would compress unrealistically).
 */
export function transcript(bytes: number, seed = 7): string {
  let state = seed >>> 0;
  const next = (n: number) => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state % n;
  };
  const parts: string[] = [];
  let length = 0;
  for (let turn = 0; length < bytes; turn++) {
    const words = Array.from({ length: 6 + next(18) }, () => WORDS[next(WORDS.length)] as string);
    const line = `${turn % 2 === 0 ? 'Agent' : 'Customer'}: ${words.join(' ')}.\n`;
    parts.push(line);
    length += line.length;
  }
  return parts.join('').slice(0, bytes);
}

/** The CallKaro seed `call_ended` for `callSid`, optionally with a transcript of `transcriptBytes`. */
export function callkaroCallEnded(callSid: string, transcriptBytes?: number): string {
  let body = CALLKARO_SEED.replaceAll(CALLKARO_SEED_SID, callSid);
  if (transcriptBytes !== undefined) {
    body = body.replace('"Full call transcript..."', JSON.stringify(transcript(transcriptBytes)));
  }
  return body;
}

export const bandwidthEvent = (body: string): APIGatewayProxyEventV2 =>
  toHttpApiEvent({
    method: 'POST',
    path: '/webhooks/bandwidth',
    route: '/webhooks/bandwidth',
    headers: { 'content-type': 'application/json', authorization: bandwidthAuthorization() },
    body: Buffer.from(body),
  });

export const callkaroEvent = (body: string): APIGatewayProxyEventV2 =>
  toHttpApiEvent({
    method: 'POST',
    path: `/webhooks/callkaro/${BENCH_SECRETS.callkaroToken}`,
    route: '/webhooks/callkaro/{token}',
    pathParameters: { token: BENCH_SECRETS.callkaroToken },
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(body),
  });

// --- A fake SSM on loopback: GetParameter only, for the webhook bundles' cold starts --------------

export interface FakeSsm {
  endpoint: string;
  /** GetParameter calls answered so far. */
  calls: () => number;
  stop(): Promise<void>;
}

/** Answers SSM's JSON protocol `GetParameter` from `parameters` (name → value); anything else is 400. */
export async function startFakeSsm(parameters: Record<string, string>): Promise<FakeSsm> {
  let calls = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      let name = '';
      try {
        name = String(JSON.parse(Buffer.concat(chunks).toString('utf8')).Name ?? '');
      } catch {
        // An unparseable request is answered like an unknown parameter.
      }
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(body));
      };
      const value = parameters[name];
      if (target !== 'AmazonSSM.GetParameter' || value === undefined) {
        reply(400, { __type: 'ParameterNotFound', message: 'parameter not found' });
        return;
      }
      calls += 1;
      reply(200, {
        Parameter: {
          Name: name,
          Type: 'SecureString',
          Value: value,
          Version: 1,
          LastModifiedDate: Math.floor(Date.now() / 1000),
          ARN: `arn:aws:ssm:us-east-1:000000000000:parameter${name}`,
          DataType: 'text',
        },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls: () => calls,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
