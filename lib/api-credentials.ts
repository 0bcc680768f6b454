/**
 * A provider's list-API credential (spec §7): one JSON object, locally in `<PROVIDER>_API_CREDENTIALS`,
 * deployed in the SSM SecureString `<secretsPath>/<provider>-api`. Errors are one line naming the
 * variable or parameter, and never quote the value.
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { ApiCredentialsError, type ProviderApi } from './providers/api';
import { apiParameterName, baseUrlVariable, credentialsVariable } from './providers/api-registry';

export interface ResolvedCredentials<C> {
  credentials: C;
  /** The variable or parameter it came from, for messages. */
  source: string;
}

function parseJson<C>(api: ProviderApi<C>, text: string, source: string): C {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiCredentialsError(`${source} is not JSON: it holds one JSON object (docs/reconcile.md)`);
  }
  return api.parseCredentials(value, source);
}

/** From the environment; null when the variable is unset (the provider cannot be reconciled locally). */
export function credentialsFromEnv<C>(
  api: ProviderApi<C>,
  env: Readonly<Record<string, string | undefined>>,
): ResolvedCredentials<C> | null {
  const variable = credentialsVariable(api.name);
  const text = env[variable];
  if (text === undefined || text.trim() === '') return null;
  return { credentials: parseJson(api, text, variable), source: variable };
}

export async function credentialsFromSsm<C>(
  api: ProviderApi<C>,
  ssm: SSMClient,
  secretsPath: string,
): Promise<ResolvedCredentials<C>> {
  const name = apiParameterName(secretsPath, api.name);
  const source = `SSM parameter ${name}`;
  let text: string | undefined;
  try {
    // Loaded on first use: npm start and backfill without --stage never need the SSM client.
    const { GetParameterCommand } = await import('@aws-sdk/client-ssm');
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    text = Parameter?.Value;
  } catch (error) {
    const code = (error as Error)?.name;
    if (code === 'ParameterNotFound')
      throw new ApiCredentialsError(`${source} does not exist: create it (docs/reconcile.md)`);
    throw new ApiCredentialsError(`cannot read ${source}: ${code ?? 'error'}`);
  }
  if (text === undefined) throw new ApiCredentialsError(`${source} is empty`);
  return { credentials: parseJson(api, text, source), source };
}

/** `<PROVIDER>_API_BASE_URL` (the tests' fakes, a regional host), else the provider's own. */
export function apiBaseUrl(
  api: ProviderApi<unknown>,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const value = env[baseUrlVariable(api.name)];
  if (value === undefined || value === '') return api.defaultBaseUrl;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ApiCredentialsError(`${baseUrlVariable(api.name)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ApiCredentialsError(`${baseUrlVariable(api.name)} must be an http(s) URL`);
  return value;
}
