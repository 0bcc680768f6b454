/** The local stack's secrets from the environment: half a pair is refused with the variable named. */
import { describe, expect, it } from 'vitest';
import { bandwidthIngress } from '../../lib/providers/bandwidth/ingress';
import { bandwidthV2Ingress } from '../../lib/providers/bandwidth-v2/ingress';

const secretOf = (ingress: typeof bandwidthIngress, env: Record<string, string>) => () =>
  ingress.local?.secret(env);

describe('local Basic credentials', () => {
  it.each([
    [bandwidthIngress, 'BANDWIDTH_WEBHOOK_USERNAME', 'BANDWIDTH_WEBHOOK_PASSWORD'],
    [bandwidthV2Ingress, 'BANDWIDTH_V2_WEBHOOK_USERNAME', 'BANDWIDTH_V2_WEBHOOK_PASSWORD'],
  ])(
    '%#: refuses a user name without its password and a password without its user name',
    (ingress, user, pass) => {
      // Act & Assess
      expect(secretOf(ingress, { [user]: 'me' })).toThrow(
        `${user} is set but ${pass} is not: set both (or neither, for the dev defaults)`,
      );
      expect(secretOf(ingress, { [pass]: 'secret' })).toThrow(
        `${pass} is set but ${user} is not: set both (or neither, for the dev defaults)`,
      );
    },
  );

  it('takes both, or neither for the dev defaults', () => {
    // Act
    const both = bandwidthIngress.local?.secret({
      BANDWIDTH_WEBHOOK_USERNAME: 'me',
      BANDWIDTH_WEBHOOK_PASSWORD: 'secret',
    });
    const neither = bandwidthIngress.local?.secret({});

    // Assess
    expect(both).toMatchObject({ secrets: ['me:secret'], display: 'me:***', defaulted: false });
    expect(neither).toMatchObject({ secrets: ['bandwidth:dev-password'], defaulted: true });
  });
});
