/**
 * The local stack as `npm start` runs it: `node --import tsx scripts/start.ts`, a child process in
 * its own process group (as a terminal's foreground job), plus a bounded load of distinct CallKaro
 * calls and a check that every delivery answered 200 became exactly one record.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { getCall, getRawDeliveries } from '../../lib/calls/query';
import { localDynamoClient, localSqsClient } from '../../lib/local/emulators';
import { stageNames } from '../../lib/local/names';
import { normalizers } from '../../lib/providers/registry';
import { buildCallStore } from '../../lib/store';
import { callkaroCallEnded } from '../fixtures';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX_LOADER = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
export const STACK_TOKEN = 'crash-token';
const NAMES = stageNames('local');

export interface StackProcess {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the URLs from the banner once `ready:` is printed. */
  ready(timeoutMs?: number): Promise<{ url: string; sqs: string; dynamo: string }>;
  /** Sends `signal` to the whole process group, as a terminal does. */
  signalGroup(signal: NodeJS.Signals): void;
}

const live = new Set<StackProcess>();

/** Starts scripts/start.ts in `cwd` (data under `cwd/.local`), on free ports. */
export function spawnStack(cwd: string, env: NodeJS.ProcessEnv = {}): StackProcess {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, join(ROOT, 'scripts/start.ts')], {
    cwd,
    detached: true,
    env: {
      ...process.env,
      PORT: '0',
      SQS_PORT: '0',
      DYNAMODB_PORT: '0',
      CALLKARO_WEBHOOK_TOKEN: STACK_TOKEN,
      AWS_ENDPOINT_URL_SQS: '',
      AWS_ENDPOINT_URL_DYNAMODB: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk) => {
    output.stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output.stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const stack: StackProcess = {
    child,
    output,
    exited,
    async ready(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let exitedEarly = false;
      exited.then(() => {
        exitedEarly = true;
      });
      while (!/^ready: call intake listening on (\S+)$/m.test(output.stdout)) {
        if (exitedEarly || Date.now() > deadline) {
          throw new Error(`the stack did not start:\n${output.stdout}\n${output.stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const find = (pattern: RegExp) => output.stdout.match(pattern)?.[1] ?? '';
      return {
        url: find(/^ready: call intake listening on (\S+)$/m),
        sqs: find(/^SQS +(\S+) /m),
        dynamo: find(/^DynamoDB +(\S+) /m),
      };
    },
    signalGroup(signal) {
      try {
        process.kill(-(child.pid as number), signal);
      } catch {
        // Already gone.
      }
    },
  };
  live.add(stack);
  exited.then(() => live.delete(stack));
  return stack;
}

/** For afterEach: SIGKILLs every stack process group still running. */
export async function killAllStacks(): Promise<void> {
  const left = [...live];
  for (const stack of left) stack.signalGroup('SIGKILL');
  await Promise.all(left.map((stack) => stack.exited));
}

export const callkaroBody = (callId: string, transcription = `transcript of ${callId}`): string => {
  const body = callkaroCallEnded();
  body.data.callSid = callId;
  body.data.transcription = transcription;
  return JSON.stringify(body);
};

/** callId → delivery id (or null when the 200 arrived but its body did not). */
export type Acked = Map<string, string | null>;

/**
 * `senders` concurrent senders post distinct calls `<prefix>-<n>` (at most `limit` in all) until
 * the stack stops answering. Every 200 is recorded in `acked` as soon as its status line arrives.
 */
export async function sendLoad(
  url: string,
  {
    prefix,
    acked,
    senders = 6,
    limit = 2_000,
  }: { prefix: string; acked: Acked; senders?: number; limit?: number },
): Promise<{ sent: number; refused: number }> {
  let next = 0;
  let refused = 0;
  let gone = false;
  const sender = async () => {
    while (!gone && next < limit) {
      const callId = `${prefix}-${next++}`;
      try {
        const response = await fetch(`${url}/webhooks/callkaro/${STACK_TOKEN}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: callkaroBody(callId),
          signal: AbortSignal.timeout(10_000),
        });
        if (response.status !== 200) {
          refused += 1;
          continue;
        }
        acked.set(callId, null);
        const ack = (await response.json()) as { id: string };
        acked.set(callId, ack.id);
      } catch {
        // Connection refused or cut: the stack is stopping or gone.
        gone = true;
      }
    }
  };
  await Promise.all(Array.from({ length: senders }, sender));
  return { sent: next, refused };
}

/**
 * Waits (at most `timeoutMs`) until the queue is empty, then lists every acknowledged call that
 * does not have exactly one record built from exactly its one delivery.
 */
export async function missingRecords(
  endpoints: { sqs: string; dynamo: string },
  acked: Acked,
  timeoutMs = 45_000,
): Promise<string[]> {
  const sqs = localSqsClient(endpoints.sqs);
  const dynamo = localDynamoClient(endpoints.dynamo);
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: NAMES.queue }));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { Attributes: a } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      if (Number(a?.ApproximateNumberOfMessages) + Number(a?.ApproximateNumberOfMessagesNotVisible) === 0)
        break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const reader = { store: buildCallStore(dynamo, NAMES.table), normalizers };
    const problems: string[] = [];
    const calls = [...acked];
    for (let i = 0; i < calls.length; i += 16) {
      await Promise.all(
        calls.slice(i, i + 16).map(async ([callId, deliveryId]) => {
          const record = await getCall(reader, 'callkaro', callId);
          const deliveries = await getRawDeliveries(reader, 'callkaro', callId);
          if (!record) problems.push(`${callId}: no record`);
          else if (deliveries.length !== 1) problems.push(`${callId}: ${deliveries.length} deliveries`);
          else if (deliveryId !== null && deliveries[0]?.deliveryId !== deliveryId) {
            problems.push(`${callId}: delivery ${deliveries[0]?.deliveryId}, acknowledged ${deliveryId}`);
          }
        }),
      );
    }
    return problems;
  } finally {
    sqs.destroy();
    dynamo.destroy();
  }
}
