/**
 * The provider list (providers.json) for TypeScript: the local stack's routes, the calls CLI's names
 * and the docs' tables read it here; serverless.yml reads the same file through lib/deploy/providers.cjs.
 */
import list from './providers.json';

/** A deployment setting: an environment variable of the function, set from a stage param. */
export interface ProviderSetting {
  env: string;
  param: string;
  default: string;
}

export interface ProviderEntry {
  name: string;
  title: string;
  /** The HTTP API route, POST only. */
  path: string;
  verifiedBy: string;
  /** What one line of the provider's SSM parameter holds. */
  secret: string;
  /** Local stack: the environment variables the secret comes from. */
  localEnv: readonly string[];
  /** An end-of-call body as the provider sends it (a fixture), for the local stack's `try:` lines. */
  sample: string;
  /** Environment of the provider's webhook function. */
  webhookSettings: readonly ProviderSetting[];
  /** Environment of the consumer, for the provider's normalizer. */
  consumerSettings: readonly ProviderSetting[];
}

export const PROVIDERS: readonly ProviderEntry[] = list.providers;
export const PROVIDER_NAMES: readonly string[] = PROVIDERS.map((provider) => provider.name);

const camel = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Named as lib/deploy/providers.cjs names them in serverless.yml. */
export const webhookFunctionName = (provider: string) => `${camel(provider)}Webhook`;
export const webhookModule = (provider: string) => `functions/${provider}-webhook`;
export const secretsParameterSuffix = (provider: string) => `/${provider}/webhook-secrets`;
