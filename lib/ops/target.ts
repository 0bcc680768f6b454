/**
 * Where an operator command (redrive, replay) acts: a deployed stage (`--stage`: the SDK's usual
 * credentials, region and endpoint settings; names as serverless.yml builds them) or, without a
 * stage, the local stack (its default ports, SQS_PORT / DYNAMODB_PORT, or the SDK's standard
 * AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL_DYNAMODB, with dummy credentials).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULT_DYNAMODB_PORT, DEFAULT_SQS_PORT, LOCAL_STAGE, stageNames } from '../local/names';

// As lib/local/emulators.ts, which is not imported here: it loads the emulators themselves.
const LOCAL_REGION = 'us-east-1';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface TargetOptions {
  stage?: string;
  region?: string;
  /** Overrides of the stage's resource names (e.g. a test's table). */
  table?: string;
  queue?: string;
  deadLetterQueue?: string;
}

export interface OpsTarget {
  /** For messages: `stage dev` or `local stack (SQS http://127.0.0.1:9324)`. */
  describe(service: 'SQS' | 'DynamoDB'): string;
  /** Without --stage: the local stack's ports or AWS_ENDPOINT_URL_* (what an error should suggest). */
  local: boolean;
  names: { table: string; queue: string; deadLetterQueue: string };
  sqs(): SQSClient;
  dynamo(): DynamoDBClient;
}

type Env = Readonly<Record<string, string | undefined>>;

export function resolveTarget(options: TargetOptions, env: Env = process.env): OpsTarget {
  const defaults = stageNames(options.stage ?? LOCAL_STAGE);
  const names = {
    table: options.table ?? defaults.table,
    queue: options.queue ?? defaults.queue,
    deadLetterQueue: options.deadLetterQueue ?? defaults.deadLetterQueue,
  };
  if (options.stage !== undefined) {
    const config = options.region ? { region: options.region } : {};
    return {
      describe: () => `stage ${options.stage}${options.region ? ` (${options.region})` : ''}`,
      local: false,
      names,
      sqs: () => new SQSClient(config),
      dynamo: () => new DynamoDBClient({ ...config, maxAttempts: 5 }),
    };
  }
  const sqsEndpoint = env.AWS_ENDPOINT_URL_SQS || `http://127.0.0.1:${env.SQS_PORT || DEFAULT_SQS_PORT}`;
  const dynamoEndpoint =
    env.AWS_ENDPOINT_URL_DYNAMODB || `http://127.0.0.1:${env.DYNAMODB_PORT || DEFAULT_DYNAMODB_PORT}`;
  const local = { region: options.region ?? LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  return {
    describe: (service) => `local stack (${service} ${service === 'SQS' ? sqsEndpoint : dynamoEndpoint})`,
    local: true,
    names,
    sqs: () => new SQSClient({ ...local, endpoint: sqsEndpoint }),
    dynamo: () => new DynamoDBClient({ ...local, endpoint: dynamoEndpoint, maxAttempts: 5 }),
  };
}
