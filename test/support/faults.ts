/**
 * Faults at the SDK/network boundary for the reliability tests: a TCP proxy that can forward,
 * blackhole or reset connections, SDK middleware that fails chosen DynamoDB calls, a store that
 * crashes after N writes, and the probes that check "nothing enqueued, nothing stored".
 */
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import {
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { Message } from '@aws-sdk/client-sqs';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { ConsumerHandler } from '../../lib/consumer';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../lib/local/emulators';
import type { CallStore } from '../../lib/store';
import type { Item } from '../../lib/table';

// ---------------------------------------------------------------- network

export type ProxyMode = 'forward' | 'blackhole' | 'reset';

export interface TcpFaultProxy {
  endpoint: string;
  /** forward: pass bytes both ways; blackhole: accept and never answer; reset: drop at once. */
  setMode(mode: ProxyMode): void;
  /** The next `count` connections are blackholed whatever the mode; later ones follow the mode. */
  stallNext(count: number): void;
  /** Connections accepted so far (whatever the mode). */
  readonly accepted: number;
  stop(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 in front of `targetPort` whose behaviour a test switches at will. */
export async function startFaultProxy(
  targetPort: number,
  mode: ProxyMode = 'forward',
): Promise<TcpFaultProxy> {
  let current = mode;
  let accepted = 0;
  let stalls = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };
  const server = createServer((client) => {
    accepted += 1;
    track(client);
    if (current === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const stall = stalls > 0;
    if (stall) stalls -= 1;
    if (current === 'blackhole' || stall) {
      client.resume(); // read and discard, never write
      return;
    }
    const upstream = tcpConnect(targetPort, '127.0.0.1');
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setMode: (next) => {
      current = next;
    },
    stallNext: (count) => {
      stalls = count;
    },
    get accepted() {
      return accepted;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------- DynamoDB

export interface DynamoFault {
  /** Calls failed so far. */
  readonly injected: number;
  /** Stop failing; calls go to DynamoDB again. */
  heal(): void;
}

/** A throttling error as DynamoDB returns it when a partition is over its capacity. */
export const throttled = () =>
  new ProvisionedThroughputExceededException({
    message: 'Injected fault: the level of configured provisioned throughput was exceeded',
    $metadata: { httpStatusCode: 400 },
  });

/** A DynamoDB client for fault tests: one attempt per call, so an injected error is final. */
export const singleAttemptDynamoClient = (endpoint: string) =>
  new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });

/**
 * Fails every `commandName` call whose input matches `when`, before it leaves the client: the
 * real SDK stack, and DynamoDB never sees the call.
 */
export function failDynamoCalls(
  client: DynamoDBClient,
  commandName: string,
  when: (input: Record<string, unknown>) => boolean,
  error: () => Error = throttled,
): DynamoFault {
  let active = true;
  let injected = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (active && context.commandName === commandName && when(args.input as Record<string, unknown>)) {
        injected += 1;
        throw error();
      }
      return next(args);
    },
    { step: 'initialize', name: `fault-${commandName}-${Math.random().toString(36).slice(2)}` },
  );
  return {
    get injected() {
      return injected;
    },
    heal: () => {
      active = false;
    },
  };
}

/**
 * Throttles every item of a BatchWriteItem that matches `when` as DynamoDB does under load: the
 * request succeeds and hands those items back as UnprocessedItems, the others are written.
 * `injected` counts the distinct items refused, however often they are asked again.
 */
export function throttleBatchWrites(client: DynamoDBClient, when: (item: Item) => boolean): DynamoFault {
  let active = true;
  const refused = new Set<string>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!active || context.commandName !== 'BatchWriteItemCommand') return next(args);
      const input = args.input as { RequestItems: Record<string, { PutRequest?: { Item: Item } }[]> };
      const kept: typeof input.RequestItems = {};
      const unprocessed: typeof input.RequestItems = {};
      for (const [table, requests] of Object.entries(input.RequestItems)) {
        for (const request of requests) {
          const item = request.PutRequest?.Item;
          const target = item && when(item) ? unprocessed : kept;
          if (item && target === unprocessed) refused.add(`${item.pk?.S}\u0000${item.sk?.S}`);
          target[table] = [...(target[table] ?? []), request];
        }
      }
      if (Object.keys(unprocessed).length === 0) return next(args);
      if (Object.keys(kept).length === 0)
        return {
          output: { UnprocessedItems: unprocessed, $metadata: {} },
          response: {},
        } as never;
      const result = await next({ ...args, input: { ...input, RequestItems: kept } });
      const output = result.output as { UnprocessedItems?: typeof unprocessed };
      return {
        ...result,
        output: { ...output, UnprocessedItems: { ...output.UnprocessedItems, ...unprocessed } },
      } as never;
    },
    { step: 'initialize', name: `fault-batch-${Math.random().toString(36).slice(2)}` },
  );
  return {
    get injected() {
      return refused.size;
    },
    heal: () => {
      active = false;
    },
  };
}

/** True for an item of one of the calls. */
export const itemOfCalls =
  (provider: string, callIds: readonly string[]) =>
  (item: Item): boolean =>
    callIds.some((callId) => item.pk?.S === `CALL#${provider}#${callId}`);

/** True for a PutItem input whose item belongs to one of the calls. */
export const putsForCalls =
  (provider: string, callIds: readonly string[]) =>
  (input: Record<string, unknown>): boolean => {
    const pk = (input.Item as Item | undefined)?.pk?.S;
    return callIds.some((callId) => pk === `CALL#${provider}#${callId}`);
  };

// ---------------------------------------------------------------- consumer crashes

export class ConsumerCrash extends Error {
  constructor() {
    super('injected consumer crash');
    this.name = 'ConsumerCrash';
  }
}

export interface CrashPlan {
  /** 1-based index of the store write at which the crash happens. */
  atWrite: number;
  /** before: the write never happens; after: it is stored but its acknowledgement is lost. */
  when: 'before' | 'after';
}

/**
 * A store that crashes once, at one write, and a handler wrapper that then fails the whole batch
 * (as a Lambda that crashed or timed out would): everything in the batch comes back.
 */
export function crashOnce(plan: CrashPlan) {
  let writes = 0;
  let crashed = false;
  let pending = false;
  const write = async <T>(run: () => Promise<T>): Promise<T> => {
    writes += 1;
    const now = !crashed && writes === plan.atWrite;
    if (now) {
      crashed = true;
      pending = true;
      if (plan.when === 'before') throw new ConsumerCrash();
    }
    const result = await run();
    if (now) throw new ConsumerCrash();
    return result;
  };
  return {
    get crashed() {
      return crashed;
    },
    store: (inner: CallStore): CallStore => ({
      ...inner,
      putDelivery: (delivery, options) => write(() => inner.putDelivery(delivery, options)),
      putDeliveries: (writes) => write(() => inner.putDeliveries(writes)),
      putRecord: (record, expectedVersion) => write(() => inner.putRecord(record, expectedVersion)),
      putRecordIfNewer: (recordWrite) => write(() => inner.putRecordIfNewer(recordWrite)),
      markRecordCount: (provider, callId, seen, count) =>
        write(() => inner.markRecordCount(provider, callId, seen, count)),
    }),
    handler:
      (inner: ConsumerHandler): ConsumerHandler =>
      async (event, context) => {
        const response = await inner(event, context);
        if (pending) {
          pending = false;
          throw new ConsumerCrash();
        }
        return response;
      },
  };
}

/** Every batch the consumer was handed and what it answered, for assertions on redelivery. */
export function recordBatches(inner: ConsumerHandler) {
  const batches: { records: SQSRecord[]; failed: string[] | 'crashed' }[] = [];
  const handler: ConsumerHandler = async (event, context) => {
    try {
      const response = await inner(event, context);
      batches.push({
        records: event.Records,
        failed: response.batchItemFailures.map((f) => f.itemIdentifier),
      });
      return response;
    } catch (error) {
      batches.push({ records: event.Records, failed: 'crashed' });
      throw error;
    }
  };
  return { batches, handler };
}

// ---------------------------------------------------------------- probes

/** Whatever the queue would hand out now (and hides for its visibility timeout). */
export async function receiveAny(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return Messages;
}

/** Every item of a test table. Tests only: the product never scans. */
export async function scanAll(client: DynamoDBClient, tableName: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Waits until `check` holds (polling), or fails with `what` after `timeoutMs`. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
