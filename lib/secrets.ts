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

export const parseSecretList = (value: string): string[] =>
  value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .slice(0, MAX_ACTIVE_SECRETS);

export const staticSecrets =
  (secrets: readonly string[]): SecretSource =>
  async () =>
    secrets;

export function ssmSecretSource(
  parameterName: string,
  {
    maxAgeSeconds = 300,
    provider = new SSMProvider(),
  }: { maxAgeSeconds?: number; provider?: SSMProvider } = {},
): SecretSource {
  let lastGood: readonly string[] | undefined;
  return async () => {
    try {
      const value = await provider.get(parameterName, { decrypt: true, maxAge: maxAgeSeconds });
      lastGood = parseSecretList(typeof value === 'string' ? value : '');
    } catch (error) {
      // A failed refresh keeps the last known secrets: SSM hiccups must not turn into rejected calls.
      if (lastGood === undefined)
        throw new ServiceUnavailableError('could not load webhook credentials', error);
    }
    return lastGood;
  };
}
