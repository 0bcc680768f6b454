import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../../lib/lambda-credentials';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the deployed bundles’ credential provider', () => {
  it('reads the role credentials Lambda puts in the environment', async () => {
    // Prepare
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret-example');
    vi.stubEnv('AWS_SESSION_TOKEN', 'session-example');

    // Act
    const credentials = await defaultProvider({})();

    // Assess
    expect(credentials).toMatchObject({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret-example',
      sessionToken: 'session-example',
    });
  });

  it('fails clearly when there are none, instead of searching elsewhere', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
    await expect(defaultProvider({})()).rejects.toThrow(/environment/i);
  });
});
