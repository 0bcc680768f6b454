/**
 * Webhook secrets: the currently valid values for one provider (current + next, for rotation).
 * Deployed, they live in one SSM SecureString per provider and stage, one secret per line, read at
 * cold start and refreshed at most every `maxAgeSeconds`, so a rotation needs no redeploy.
 */
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { ServiceUnavailableError } from './errors';

export type SecretSource = () => Promise<readonly string[]>;

/** At most two secrets are valid at once: the current one and the next during a rotation. */
export const MAX_ACTIVE_SECRETS = 2;

const secretLines = (value: string): string[] =>
  value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');

export const parseSecretList = (value: string): string[] => secretLines(value).slice(0, MAX_ACTIVE_SECRETS);

export const staticSecrets =
  (secrets: readonly string[]): SecretSource =>
  async () =>
    secrets;

/** Secrets (≤ 1.5 s) plus the enqueue (≤ 2.5 s) must fit CallKaro's 5 s with a cold start to spare. */
export const SECRETS_DEADLINE_MS = 1_500;

const boundedSsmProvider = () =>
  new SSMProvider({
    clientConfig: {
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 300, requestTimeout: 800, throwOnRequestTimeout: true },
    },
  });

function withDeadline<T>(work: Promise<T>, deadlineMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${deadlineMs} ms`)), deadlineMs);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

export function ssmSecretSource(
  parameterName: string,
  {
    maxAgeSeconds = 300,
    provider = boundedSsmProvider(),
    deadlineMs = SECRETS_DEADLINE_MS,
    warn = () => {},
  }: {
    maxAgeSeconds?: number;
    provider?: SSMProvider;
    deadlineMs?: number;
    /** Told about a misconfigured parameter (never its values). */
    warn?: (message: string) => void;
  } = {},
): SecretSource {
  let lastGood: readonly string[] | undefined;
  return async () => {
    try {
      const value = await withDeadline(
        provider.get(parameterName, { decrypt: true, maxAge: maxAgeSeconds }),
        deadlineMs,
      );
      const lines = secretLines(typeof value === 'string' ? value : '');
      if (lines.length > MAX_ACTIVE_SECRETS || lines.length === 0) {
        warn(`${parameterName} holds ${lines.length} secrets; the first ${MAX_ACTIVE_SECRETS} are used`);
      }
      lastGood = lines.slice(0, MAX_ACTIVE_SECRETS);
    } catch (error) {
      // A failed refresh keeps the last known secrets: SSM hiccups must not turn into rejected calls.
      if (lastGood === undefined)
        throw new ServiceUnavailableError('could not load webhook credentials', error);
    }
    return lastGood;
  };
}
