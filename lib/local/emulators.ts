/**
 * In-process stand-ins for AWS, used by the local stack, the tests and the benchmarks: dynalite
 * (DynamoDB) and fauxqs (SQS), plus creating the table and queues from the same definitions that
 * serverless.yml deploys (lib/table-schema.json, lib/queue-settings.json).
 */
import type { AddressInfo } from 'node:net';
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

/** SQS on 127.0.0.1:`port` (0: any free port), in memory. */
export async function startSqs({ port = 0 }: { port?: number } = {}): Promise<Emulator> {
  const { startFauxqs } = await import('fauxqs');
  const server = await startFauxqs({ port, host: '127.0.0.1', logger: false, defaultRegion: LOCAL_REGION });
  return { endpoint: `http://127.0.0.1:${server.port}`, port: server.port, stop: () => server.stop() };
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
