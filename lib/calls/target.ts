/**
 * Which table the `calls` CLI reads. Default: the local stack's (`npm start`) on 127.0.0.1:
 * $DYNAMODB_PORT with dummy credentials. `--stage` is the deployed table on AWS, through the SDK's
 * usual configuration (AWS_REGION, AWS_PROFILE, …). AWS_ENDPOINT_URL_DYNAMODB overrides the endpoint.
 */
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  DEFAULT_DYNAMODB_PORT,
  EMULATOR_CREDENTIALS,
  EMULATOR_REGION,
  LOCAL_STAGE,
  stageNames,
} from '../local/names';
import { type TargetOptions, UsageError } from './args';

export interface CallsTarget {
  tableName: string;
  client: DynamoDBClientConfig;
  /** For messages: where the table is. */
  where: string;
  local: boolean;
}

export function resolveTarget(env: NodeJS.ProcessEnv, options: TargetOptions): CallsTarget {
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB || undefined;
  const region = env.AWS_REGION || undefined;
  if (options.stage !== undefined) {
    return {
      tableName: options.table ?? stageNames(options.stage).table,
      client: { ...(endpoint && { endpoint }), ...(region && { region }) },
      where: endpoint ?? `AWS${region ? ` ${region}` : ''}`,
      local: false,
    };
  }
  const port = env.DYNAMODB_PORT || String(DEFAULT_DYNAMODB_PORT);
  if (!/^\d{1,5}$/.test(port)) throw new UsageError(`DYNAMODB_PORT=${port} is not a port number`);
  const url = endpoint ?? `http://127.0.0.1:${Number(port)}`;
  return {
    tableName: options.table ?? stageNames(LOCAL_STAGE).table,
    client: {
      endpoint: url,
      region: region ?? EMULATOR_REGION,
      // An emulator takes any credentials; real ones are used when the environment has some.
      ...(!(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE) && { credentials: EMULATOR_CREDENTIALS }),
      maxAttempts: 2,
    },
    where: url,
    local: endpoint === undefined,
  };
}
