/**
 * Settings that modules read when they load (CallKaro's zone builds its normalizer at import): the
 * scripts check them before importing anything else, so a bad value is one line naming the
 * variable, not a stack trace from deep inside an import.
 */
import { IANAZone } from 'luxon';
import { PROVIDERS } from '../providers/list';

/** Every provider's zone setting (CALLKARO_TIMEZONE, PLIVO_TIMEZONE, …): name and default. */
export const ZONE_SETTINGS = PROVIDERS.flatMap(({ name, consumerSettings }) =>
  consumerSettings
    .filter((setting) => setting.env.endsWith('_TIMEZONE'))
    .map((setting) => ({ provider: name, variable: setting.env, default: setting.default })),
);

export function environmentProblem(env: Readonly<Record<string, string | undefined>>): string | null {
  for (const { variable } of ZONE_SETTINGS) {
    const zone = env[variable];
    if (zone && !IANAZone.isValidZone(zone)) {
      return `${variable}=${zone} is not an IANA time zone name (e.g. Asia/Kolkata, UTC): fix or unset it`;
    }
  }
  return null;
}

/** For scripts/: prints the problem as `error: …` and exits 1, or returns. */
export function exitOnEnvironmentProblem(): void {
  const problem = environmentProblem(process.env);
  if (problem === null) return;
  console.error(`error: ${problem}`);
  process.exit(1);
}

/**
 * Before a deploy: can the account's Lambda concurrency carry the consumer at its cap and the
 * webhooks at the API's burst at once? Every function in the account and Region draws from one
 * pool; new accounts get a reduced one (docs/deploy.md). The consumer takes up to its cap
 * (`consumerConcurrency`) during a backlog, exactly when providers keep calling; what is left is
 * all the webhooks have, and a throttled webhook is a 5xx to a provider that may not retry.
 */
export interface ConcurrencyFacts {
  /** Lambda GetAccountSettings: AccountLimit.ConcurrentExecutions. */
  accountLimit: number;
  /** AccountLimit.UnreservedConcurrentExecutions: what functions without reserved concurrency share. */
  unreserved: number;
  /** The stage's consumerConcurrency (SQS event source maximumConcurrency). */
  consumerCap: number;
  /** The stage's throttleBurst: requests the HTTP API lets through at once, each one a webhook run. */
  apiBurst: number;
}

/** One line per problem; none when the pool holds the consumer's cap plus the API's burst. */
export function concurrencyWarnings({
  accountLimit,
  unreserved,
  consumerCap,
  apiBurst,
}: ConcurrencyFacts): string[] {
  const pool = Math.min(accountLimit, unreserved);
  const needed = consumerCap + apiBurst;
  const request = `request a Lambda "Concurrent executions" quota of at least ${needed} (Service Quotas, this Region), or lower consumerConcurrency`;
  if (consumerCap >= pool) {
    return [
      `the consumer's cap (${consumerCap}) can take all ${pool} unreserved concurrent executions of this account: during a backlog every webhook is throttled and answered 5xx; ${request}`,
    ];
  }
  if (pool < needed) {
    return [
      `${pool} unreserved concurrent executions leave ${pool - consumerCap} for the webhooks while the consumer runs at its cap (${consumerCap}), fewer than the API's burst (${apiBurst}): a burst during a backlog is throttled and answered 5xx; ${request}`,
    ];
  }
  return [];
}
