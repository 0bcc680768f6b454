/**
 * The pure parts of the Plivo and Vonage listers: Plivo's account-zone times, Vonage's application
 * JWT (checked by the official @vonage/jwt, and the fake checked against the token that SDK mints),
 * and a calls list nested in `_embedded`.
 */
import { createPublicKey } from 'node:crypto';
import { tokenGenerate, verifySignature } from '@vonage/jwt';
import { afterEach, describe, expect, it } from 'vitest';
import { arrayElementTexts } from '../../lib/providers/api';
import { createPlivoApi, plivoInstant } from '../../lib/providers/plivo/api';
import { vonageApi, vonageJwt } from '../../lib/providers/vonage/api';
import { startVonageFake, VONAGE_FAKE_CREDENTIALS, type VonageFake } from '../fakes/vonage-api';

describe('plivoInstant', () => {
  it('reads an offset when the time has one, else the account zone', () => {
    expect(plivoInstant('2022-06-28 19:39:05+05:30', 'America/New_York')).toBe('2022-06-28T14:09:05.000Z');
    expect(plivoInstant('2022-06-28 19:39:05', 'Asia/Kolkata')).toBe('2022-06-28T14:09:05.000Z');
    expect(plivoInstant('2022-06-28 19:39:05', 'UTC')).toBe('2022-06-28T19:39:05.000Z');
    expect(plivoInstant('yesterday', 'UTC')).toBeNull();
    expect(plivoInstant(null, 'UTC')).toBeNull();
  });

  it('a lister for an unknown zone is refused when built, not when a call is read', () => {
    expect(() => createPlivoApi('Mars/Olympus')).toThrow();
  });
});

describe('Plivo and Vonage credentials', () => {
  it('name the field and never echo a secret', () => {
    const plivo = createPlivoApi('UTC');
    expect(() =>
      plivo.parseCredentials({ authId: 'MA/../x', authToken: 't' }, 'PLIVO_API_CREDENTIALS'),
    ).toThrow('PLIVO_API_CREDENTIALS: authId (the 20-character Auth ID) is required');
    const bad = () =>
      vonageApi.parseCredentials(
        { applicationId: VONAGE_FAKE_CREDENTIALS.applicationId, privateKey: 'secret-not-a-pem' },
        'VONAGE_API_CREDENTIALS',
      );
    expect(bad).toThrow('VONAGE_API_CREDENTIALS: privateKey');
    expect(bad).not.toThrow(/secret-not-a-pem/);
  });
});

describe('vonageJwt', () => {
  let fake: VonageFake | undefined;
  afterEach(async () => {
    await fake?.close();
  });

  it('is an RS256 application JWT that @vonage/jwt verifies with the public key', () => {
    const token = vonageJwt(VONAGE_FAKE_CREDENTIALS);
    const publicPem = createPublicKey(VONAGE_FAKE_CREDENTIALS.privateKey)
      .export({ type: 'spki', format: 'pem' })
      .toString();
    expect(verifySignature(token, publicPem)).toBe(true);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
    expect(claims).toMatchObject({ application_id: VONAGE_FAKE_CREDENTIALS.applicationId });
    expect(claims.exp - claims.iat).toBe(3600);
    expect(typeof claims.jti).toBe('string');
  });

  it('the fake accepts the token @vonage/jwt mints, and refuses another key', async () => {
    fake = await startVonageFake([]);
    const sdkToken = tokenGenerate(VONAGE_FAKE_CREDENTIALS.applicationId, VONAGE_FAKE_CREDENTIALS.privateKey);
    const get = (token: string) =>
      fetch(`${fake?.url}/v1/calls`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect(await get(sdkToken)).toBe(200);
    expect(await get(`${sdkToken.slice(0, -4)}AAAA`)).toBe(401);
  });
});

describe('arrayElementTexts with a key path', () => {
  it('reads a nested array byte for byte, and nothing when a level is missing or not an object', () => {
    const page =
      '{"count":2,"_embedded": {"other":[0], "calls":[ {"uuid":"a","x":"}]"} , {"uuid":"b"} ]},"z":1}';
    expect(arrayElementTexts(page, ['_embedded', 'calls'])).toEqual([
      '{"uuid":"a","x":"}]"}',
      '{"uuid":"b"}',
    ]);
    expect(arrayElementTexts('{"_embedded":{}}', ['_embedded', 'calls'])).toBeNull();
    expect(arrayElementTexts('{"_embedded":[1]}', ['_embedded', 'calls'])).toBeNull();
    expect(arrayElementTexts('{"_embedded":{"calls":{}}}', ['_embedded', 'calls'])).toBeNull();
    // A later duplicate of the outer key wins, as with JSON.parse.
    expect(
      arrayElementTexts('{"_embedded":{"calls":[1]},"_embedded":{"calls":[2]}}', ['_embedded', 'calls']),
    ).toEqual(['2']);
  });
});
