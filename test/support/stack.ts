/** A fresh pipeline on in-process emulators (port 0), torn down after each test file. */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  type Emulator,
  localDynamoClient,
  localSqsClient,
  startDynamo,
  startSqs,
} from '../../lib/local/emulators';
import { createLocalPipeline, type LocalPipeline, type LocalPipelineOptions } from '../../lib/local/pipeline';
import { type QueuePoller, startQueuePoller } from '../../lib/local/poller';
import { bandwidthIngress } from '../../lib/providers/bandwidth/ingress';
import { callkaroIngress } from '../../lib/providers/callkaro/ingress';

export const BANDWIDTH_SECRETS = ['bw-user:bw-pass', 'bw-next:next-pass'] as const;
export const CALLKARO_SECRETS = ['ck-token-current', 'ck-token-next'] as const;

export interface TestStack extends LocalPipeline {
  sqsEmulator: Emulator;
  dynamoEmulator: Emulator;
  sqs: SQSClient;
  dynamo: DynamoDBClient;
  bandwidth: ReturnType<LocalPipeline['webhookHandler']>;
  callkaro: ReturnType<LocalPipeline['webhookHandler']>;
  startPoller(): Promise<QueuePoller>;
  stop(): Promise<void>;
}

let counter = 0;

export async function startTestStack(
  options: Partial<Pick<LocalPipelineOptions, 'queueOverrides' | 'ingressDeps' | 'consumerDeps'>> = {},
): Promise<TestStack> {
  const [sqsEmulator, dynamoEmulator] = await Promise.all([startSqs(), startDynamo()]);
  const sqs = localSqsClient(sqsEmulator.endpoint);
  const dynamo = localDynamoClient(dynamoEmulator.endpoint);
  counter += 1;
  const pipeline = await createLocalPipeline({
    sqs,
    dynamo,
    tableName: `calls-test-${counter}`,
    queueNames: { queue: `deliveries-${counter}`, deadLetterQueue: `deliveries-dlq-${counter}` },
    ...options,
  });
  const pollers: QueuePoller[] = [];
  return {
    ...pipeline,
    sqsEmulator,
    dynamoEmulator,
    sqs,
    dynamo,
    bandwidth: pipeline.webhookHandler(bandwidthIngress, BANDWIDTH_SECRETS),
    callkaro: pipeline.webhookHandler(callkaroIngress, CALLKARO_SECRETS),
    async startPoller() {
      const poller = await startQueuePoller({
        sqs,
        queueUrl: pipeline.queueUrls.queueUrl,
        consumer: pipeline.consumer,
        waitSeconds: 0,
        onError: () => {},
      });
      pollers.push(poller);
      return poller;
    },
    async stop() {
      await Promise.all(pollers.map((p) => p.stop()));
      sqs.destroy();
      dynamo.destroy();
      await Promise.all([sqsEmulator.stop(), dynamoEmulator.stop()]);
    },
  };
}
