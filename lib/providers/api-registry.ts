/**
 * The providers with a list-calls API (spec §7): what backfill, the reconciler and the consumer's
 * merge look up by name. CallKaro has no list API and Bandwidth v1's has no time filter
 * (see docs/reconcile.md). Every other provider of ours has one here.
 */
import type { ProviderApi } from './api';
import { bandwidthV2Api } from './bandwidth-v2/api';
import { plivoApi } from './plivo/api';
import { retellApi } from './retell/api';
import { telnyxApi } from './telnyx/api';
import { twilioApi } from './twilio/api';
import { vapiApi } from './vapi/api';
import { vonageApi } from './vonage/api';

// biome-ignore lint/suspicious/noExplicitAny: each entry has its own credential type
export const providerApis: Readonly<Record<string, ProviderApi<any>>> = Object.freeze({
  [twilioApi.name]: twilioApi,
  [retellApi.name]: retellApi,
  [vapiApi.name]: vapiApi,
  [bandwidthV2Api.name]: bandwidthV2Api,
  [telnyxApi.name]: telnyxApi,
  [plivoApi.name]: plivoApi,
  [vonageApi.name]: vonageApi,
});

export const API_PROVIDER_NAMES: readonly string[] = Object.keys(providerApis);

/** `<PROVIDER>_API_CREDENTIALS`: the provider name upper-cased, `-` → `_` (spec §7). */
export const credentialsVariable = (provider: string) =>
  `${provider.toUpperCase().replace(/-/g, '_')}_API_CREDENTIALS`;
export const baseUrlVariable = (provider: string) =>
  `${provider.toUpperCase().replace(/-/g, '_')}_API_BASE_URL`;
/** The SSM SecureString holding the credential JSON on a deployed stage. */
export const apiParameterName = (secretsPath: string, provider: string) => `${secretsPath}/${provider}-api`;
