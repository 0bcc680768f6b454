/**
 * Stands in for `@aws-sdk/credential-provider-node` in the deployed bundles only (an esbuild alias in
 * serverless.yml). Lambda hands every function its role's credentials as environment variables, the
 * first source the default chain would try anyway; the rest of that chain (SSO, INI files, process,
 * IMDS, STS and the clients they load) is ~135 KB that every cold start would parse for nothing.
 * Local tools run unbundled and keep the full chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (_init?: unknown) => fromEnv();
