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
