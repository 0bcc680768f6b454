/**
 * Webhook secrets: the currently valid values for one provider (current + next, for rotation).
 * Deployed, they live in one SSM SecureString per provider and stage, one secret per line, read at
 * cold start and refreshed at most every `maxAgeSeconds`, so a rotation needs no redeploy.
 */
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { SSMClientConfig } from '@aws-sdk/client-ssm';
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

/**
 * How a cold start's first read retries inside SECRETS_DEADLINE_MS. A burst of new containers can
 * exceed Parameter Store's default 40 reads per second (docs/deploy.md, "Secrets and rotation"); a throttled
 * read answers within milliseconds, so several spaced attempts fit where one slow one would.
 * Full jitter (a random wait up to the exponential step) spreads a burst's retries instead of
 * sending them back in step.
 */
export interface RetryBudget {
  /** Attempts at most, the first included. */
  maxAttempts: number;
  /** The first step; each next one doubles, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** An attempt is not started with less time than this left before the deadline. */
  minAttemptMs: number;
}

export const SECRETS_RETRY: RetryBudget = {
  maxAttempts: 6,
  baseDelayMs: 50,
  maxDelayMs: 400,
  minAttemptMs: 100,
};

/**
 * The production client settings: one request per SDK call (the retries are ssmSecretSource's own,
 * bounded by its deadline), short connect and request timeouts so a stalled connection leaves time
 * for another attempt. `overrides` is for tests (a local SSM's endpoint and dummy credentials).
 */
export const boundedSsmProvider = (overrides: SSMClientConfig = {}) =>
  new SSMProvider({
    clientConfig: {
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 300, requestTimeout: 800, throwOnRequestTimeout: true },
      ...overrides,
    },
  });

function withDeadline<T>(work: Promise<T>, deadlineMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${deadlineMs} ms`)), deadlineMs);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const THROTTLING = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ThrottledException',
]);

/**
 * Whether another attempt could succeed: throttling, SSM's 5xx, timeouts and network errors are
 * transient; any other 4xx (AccessDenied, ParameterNotFound, a KMS key it may not use) is not.
 */
export function isTransientSsmError(error: unknown): boolean {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const { name, $metadata } = (cause ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (name !== undefined && THROTTLING.has(name)) return true;
  const status = $metadata?.httpStatusCode;
  return status === undefined || status === 429 || status >= 500;
}

/** Retries `read` with full-jitter backoff while the budget and the deadline allow; the last error otherwise. */
async function readWithRetries<T>(
  read: () => Promise<T>,
  { deadlineMs, budget }: { deadlineMs: number; budget: RetryBudget },
): Promise<T> {
  const started = Date.now();
  const left = () => deadlineMs - (Date.now() - started);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await withDeadline(read(), left());
    } catch (error) {
      const step = Math.min(budget.maxDelayMs, budget.baseDelayMs * 2 ** (attempt - 1));
      const wait = Math.floor(Math.random() * step);
      const another =
        attempt < budget.maxAttempts && isTransientSsmError(error) && left() - wait >= budget.minAttemptMs;
      if (!another) throw error;
      await sleep(wait);
    }
  }
}

export function ssmSecretSource(
  parameterName: string,
  {
    maxAgeSeconds = 300,
    provider = boundedSsmProvider(),
    deadlineMs = SECRETS_DEADLINE_MS,
    retry = SECRETS_RETRY,
    warn = () => {},
  }: {
    maxAgeSeconds?: number;
    provider?: SSMProvider;
    /** The whole read, retries included. */
    deadlineMs?: number;
    retry?: RetryBudget;
    /** Told about a misconfigured parameter (never its values). */
    warn?: (message: string) => void;
  } = {},
): SecretSource {
  let lastGood: readonly string[] | undefined;
  return async () => {
    try {
      // With secrets in hand a refresh makes one attempt: the last good ones serve if it fails, and
      // a throttled SSM gets no extra reads from warm containers.
      const budget = lastGood === undefined ? retry : { ...retry, maxAttempts: 1 };
      const value = await readWithRetries(
        () => provider.get(parameterName, { decrypt: true, maxAge: maxAgeSeconds }),
        { deadlineMs, budget },
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
