/**
 * Differential testing against a provider's official SDK (spec §6: the SDK verifier is the
 * reference). Each case is one request judged twice — by our check and by the SDK's — and the test
 * asserts they agree, except where our verdict is a documented formatting leniency (we accept, the
 * SDK refuses, the signature itself still matches).
 */
import { expect } from 'vitest';

export interface DifferentialCase {
  name: string;
  /** Our verdict: true when our check accepts the request. */
  ours: boolean;
  /** The SDK's verdict: true when its verifier accepts the request. */
  sdk: boolean;
  /** Why we may accept what the SDK refuses (formatting only); absent: the verdicts must agree. */
  leniency?: string;
}

/** The report line the issue asks for, e.g. `twilio (twilio validateRequest): 80 cases, 0 disagreements`. */
export function disagreementReport(
  provider: string,
  sdkFunction: string,
  cases: readonly DifferentialCase[],
) {
  const disagreements = cases.filter((c) => c.ours !== c.sdk && !(c.leniency && c.ours && !c.sdk));
  return {
    line: `${provider} (${sdkFunction}): ${cases.length} cases, ${disagreements.length} disagreements`,
    disagreements,
  };
}

/** Asserts every case agrees with the SDK and prints the report line; a case list must be non-trivial. */
export function expectAgreement(provider: string, sdkFunction: string, cases: readonly DifferentialCase[]) {
  const { line, disagreements } = disagreementReport(provider, sdkFunction, cases);
  console.log(line);
  expect(
    cases.some((c) => c.sdk) && cases.some((c) => !c.sdk),
    'cases must include accepted and refused',
  ).toBe(true);
  expect(
    disagreements.map(
      (c) => `${c.name}: ours ${c.ours ? 'accepts' : 'refuses'}, SDK ${c.sdk ? 'accepts' : 'refuses'}`,
    ),
  ).toEqual([]);
}
