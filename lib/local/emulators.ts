/**
 * In-process stand-ins for AWS, used by the local stack, the tests and the benchmarks: dynalite
 * (DynamoDB) and fauxqs (SQS), plus creating the table and queues from the same definitions that
 * serverless.yml deploys (lib/table-schema.json, lib/queue-settings.json).
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import queueSettings from '../queue-settings.json';
import { TABLE_SCHEMA } from '../table';
import { sqliteWalDamage } from './integrity';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface Emulator {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/** DynamoDB on 127.0.0.1:`port` (0: any free port), in memory or persisted under `path`. */
export async function startDynamo({
  port = 0,
  path,
}: {
  port?: number;
  path?: string;
} = {}): Promise<Emulator> {
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${actual}`,
    port: actual,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

/**
 * fauxqs and its persistence load `node:sqlite`, which Node 22 flags with an ExperimentalWarning on
 * every start; that one warning is dropped, every other goes through.
 */
async function withoutSqliteWarning<T>(load: () => Promise<T>): Promise<T> {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.startsWith('SQLite is an experimental feature')) return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return await load();
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** The SQLite file fauxqs keeps its queues and messages in, under its `dataDir`. */
export const sqsDatabaseFile = (dataDir: string) => join(dataDir, 'fauxqs.db');

/**
 * Makes every message that was in flight when the previous process died visible again, keeping its
 * receive count (so a poison message still reaches the DLQ after maxReceiveCount receives): its
 * consumer died with that process, so nothing is left to wait for. Runs before fauxqs loads the file.
 */
async function releaseInFlight(dataDir: string): Promise<number> {
  const file = sqsDatabaseFile(dataDir);
  if (!existsSync(file)) return 0;
  const { DatabaseSync } = await withoutSqliteWarning(() => import('node:sqlite'));
  const db = new DatabaseSync(file);
  try {
    // Damaged pages are refused here, before fauxqs serves (and writes) them.
    const check = db.prepare('PRAGMA quick_check').get() as Record<string, unknown> | undefined;
    const verdict = String(Object.values(check ?? {})[0] ?? '');
    if (verdict !== 'ok') throw new Error(`quick_check: ${verdict.split('\n', 1)[0]}`);
    const table = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqs_messages'")
      .get();
    if (!table) return 0;
    const { changes } = db
      .prepare(
        'UPDATE sqs_messages SET receipt_handle = NULL, visibility_deadline = NULL WHERE receipt_handle IS NOT NULL',
      )
      .run();
    return Number(changes);
  } finally {
    db.close();
  }
}

export interface SqsEmulator extends Emulator {
  /** Messages that were in flight when the previous process stopped, made visible again at start. */
  released: number;
}

/**
 * SQS on 127.0.0.1:`port` (0: any free port): in memory, or with `dataDir` written through to
 * SQLite (`<dataDir>/fauxqs.db`) before each call is answered, so what SendMessage acknowledged
 * survives any crash.
 */
export async function startSqs({
  port = 0,
  dataDir,
}: {
  port?: number;
  dataDir?: string;
} = {}): Promise<SqsEmulator> {
  // Issue 18: a WAL deleted or garbled after a crash, refused before SQLite opens (and tidies) it.
  const damage = dataDir ? sqliteWalDamage(sqsDatabaseFile(dataDir)) : null;
  if (damage) throw new Error(damage);
  const released = dataDir ? await releaseInFlight(dataDir) : 0;
  const { startFauxqs } = await withoutSqliteWarning(() => import('fauxqs'));
  const server = await startFauxqs({
    port,
    host: '127.0.0.1',
    listenHost: '127.0.0.1',
    logger: false,
    defaultRegion: LOCAL_REGION,
    dataDir,
  });
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    port: server.port,
    released,
    stop: () => server.stop(),
  };
}

export const localDynamoClient = (endpoint: string) =>
  new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 5 });
export const localSqsClient = (endpoint: string) =>
  new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });

/** Creates the calls table with the deployed keys and indexes, unless it exists. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(
    new CreateTableCommand({ ...(TABLE_SCHEMA as CreateTableCommandInput), TableName: tableName }),
  );
}

export interface QueueUrls {
  queueUrl: string;
  deadLetterQueueUrl: string;
}

/** Creates the deliveries queue and its dead-letter queue with the deployed settings and redrive. */
export async function ensureQueues(
  client: SQSClient,
  names: { queue: string; deadLetterQueue: string },
  overrides: { visibilityTimeout?: number; maxReceiveCount?: number } = {},
): Promise<QueueUrls> {
  const asStrings = (attributes: Record<string, number>) =>
    Object.fromEntries(Object.entries(attributes).map(([key, value]) => [key, String(value)]));
  const dlq = await client.send(
    new CreateQueueCommand({
      QueueName: names.deadLetterQueue,
      Attributes: asStrings(queueSettings.deadLetterQueue),
    }),
  );
  const dlqUrl = dlq.QueueUrl as string;
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const queue = await client.send(
    new CreateQueueCommand({
      QueueName: names.queue,
      Attributes: {
        ...asStrings({
          ...queueSettings.queue,
          ...(overrides.visibilityTimeout !== undefined && {
            VisibilityTimeout: overrides.visibilityTimeout,
          }),
        }),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: Attributes?.QueueArn,
          maxReceiveCount: overrides.maxReceiveCount ?? queueSettings.maxReceiveCount,
        }),
      },
    }),
  );
  return { queueUrl: queue.QueueUrl as string, deadLetterQueueUrl: dlqUrl };
}
