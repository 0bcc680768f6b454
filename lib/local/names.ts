/**
 * Resource names per stage, built like serverless.yml builds them (`${self:service}-${sls:stage}-…`),
 * so the local stack (stage `local`) and the `calls` CLI (`--stage`) name the same things.
 * Kept free of emulator imports: the CLI loads it too.
 */
export const SERVICE = 'call-intake';
export const LOCAL_STAGE = 'local';

export const stageNames = (stage: string) => ({
  table: `${SERVICE}-${stage}-calls`,
  queue: `${SERVICE}-${stage}-deliveries`,
  deadLetterQueue: `${SERVICE}-${stage}-deliveries-dlq`,
});

export const DEFAULT_DYNAMODB_PORT = 8000;
export const DEFAULT_SQS_PORT = 9324;
export const DEFAULT_HTTP_PORT = 3000;

/** What the CLI sends to a local emulator (which accepts any); as lib/local/emulators.ts, without its imports. */
export const EMULATOR_REGION = 'us-east-1';
export const EMULATOR_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
