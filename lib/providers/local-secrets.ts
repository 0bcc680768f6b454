/** Local stack (npm start): a provider's secrets from the environment, as its SSM parameter holds them. */
import { parseSecretList } from '../secrets';
import type { LocalSecrets } from './types';

/**
 * The secrets in `variable` (one per line: current, then next while rotating), or `devDefault` when
 * it is unset; a value the user chose is never printed.
 */
export const envSecrets =
  (variable: string, devDefault: string) =>
  (env: Readonly<Record<string, string | undefined>>): LocalSecrets => {
    const value = env[variable];
    const secrets = value ? parseSecretList(value) : [];
    return secrets.length > 0
      ? { secrets, display: '***', defaulted: false, variables: [variable] }
      : { secrets: [devDefault], display: devDefault, defaulted: true, variables: [variable] };
  };
