/**
 * The deployed pipeline wired to any SQS/DynamoDB endpoint (emulated or real): the local stack,
 * the tests and the benchmarks all run exactly these handlers and adapters.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type ConsumerDeps, type ConsumerHandler, createConsumerHandler } from '../consumer';
import { createWebhookHandler, type IngressDeps, type WebhookHandler } from '../ingress';
import { normalizers } from '../providers/registry';
import type { ProviderIngress } from '../providers/types';
import { buildEnqueue } from '../queue';
import { staticSecrets } from '../secrets';
import { buildCallStore, type CallStore } from '../store';
import { ensureQueues, ensureTable, type QueueUrls } from './emulators';

export interface LocalPipelineOptions {
  sqs: SQSClient;
  dynamo: DynamoDBClient;
  tableName: string;
  queueNames: { queue: string; deadLetterQueue: string };
  queueOverrides?: { visibilityTimeout?: number; maxReceiveCount?: number };
  /** Wraps the ingress dependencies (e.g. to observe outcomes or inject faults). */
  ingressDeps?: (deps: IngressDeps) => IngressDeps;
  consumerDeps?: (deps: ConsumerDeps) => ConsumerDeps;
}

/** What a deployed webhook function reads from its environment (PUBLIC_BASE_URL, provider settings). */
export interface WebhookSetup {
  /** Read per request: the local stack knows its port only once it listens. */
  publicBaseUrl?: () => string | undefined;
  settings?: Readonly<Record<string, string | undefined>>;
}

export interface LocalPipeline {
  tableName: string;
  queueUrls: QueueUrls;
  store: CallStore;
  webhookHandler(provider: ProviderIngress, secrets: readonly string[], setup?: WebhookSetup): WebhookHandler;
  consumer: ConsumerHandler;
}

export async function createLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  await ensureTable(options.dynamo, options.tableName);
  const queueUrls = await ensureQueues(options.sqs, options.queueNames, options.queueOverrides);
  const store = buildCallStore(options.dynamo, options.tableName);
  const enqueue = buildEnqueue(options.sqs, queueUrls.queueUrl);
  const consumerDeps = (options.consumerDeps ?? ((d) => d))({ store, normalizers });
  return {
    tableName: options.tableName,
    queueUrls,
    store,
    webhookHandler: (provider, secrets, setup = {}) => {
      const deps = (options.ingressDeps ?? ((d) => d))({
        secrets: staticSecrets(secrets),
        enqueue,
        settings: setup.settings ?? {},
      });
      const { publicBaseUrl } = setup;
      return createWebhookHandler(
        provider,
        publicBaseUrl ? () => ({ ...deps, publicBaseUrl: publicBaseUrl() }) : () => deps,
      );
    },
    consumer: createConsumerHandler(() => consumerDeps),
  };
}
