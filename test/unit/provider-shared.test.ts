/** Shared provider machinery: the URL signatures are checked against (spec §6), form bodies, signature timestamps. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { BadRequestError, UnauthorizedError } from '../../lib/errors';
import { publicUrl, toWebhookRequest } from '../../lib/http';
import { toHttpApiEvent } from '../../lib/local/api-gateway';
import { formPairs, parseForm } from '../../lib/providers/form';
import { requireFresh, timestampMs } from '../../lib/providers/timestamp';

const event = (over: { rawPath?: string; rawQueryString?: string; stage?: string; host?: string } = {}) => {
  const base = toHttpApiEvent({
    method: 'POST',
    path: over.rawPath ?? '/webhooks/twilio',
    route: '/webhooks/twilio',
    headers: { host: over.host ?? 'abc123.execute-api.eu-west-1.amazonaws.com' },
    rawQueryString: over.rawQueryString ?? '',
    body: Buffer.from('a=b'),
  });
  return {
    ...base,
    requestContext: { ...base.requestContext, stage: over.stage ?? '$default' },
  } as APIGatewayProxyEventV2;
};

describe('publicUrl', () => {
  it('is PUBLIC_BASE_URL + the route path + ? + the raw query string, exactly as received', () => {
    // Act
    const url = publicUrl(event({ rawQueryString: 'foo=1&bar=a+b%20c&foo=0' }), 'https://hooks.example.com/');

    // Assess
    expect(url).toBe('https://hooks.example.com/webhooks/twilio?foo=1&bar=a+b%20c&foo=0');
  });

  it('keeps a base path (custom domain mapping key) and drops the stage prefix of rawPath', () => {
    // Act
    const url = publicUrl(
      event({ rawPath: '/prod/webhooks/twilio', stage: 'prod' }),
      'https://hooks.example.com/v1',
    );

    // Assess
    expect(url).toBe('https://hooks.example.com/v1/webhooks/twilio');
  });

  it('is https://<host><rawPath>?<query> deployed without a public base URL', () => {
    // Act
    const url = publicUrl(event({ rawPath: '/prod/webhooks/twilio', stage: 'prod', rawQueryString: 'x=1' }));

    // Assess
    expect(url).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/prod/webhooks/twilio?x=1');
  });

  it('has no ? when there is no query string, and reaches the provider as request.url', () => {
    // Act
    const request = toWebhookRequest(event(), 'http://127.0.0.1:3000');

    // Assess
    expect(request.url).toBe('http://127.0.0.1:3000/webhooks/twilio');
    expect(request.method).toBe('POST');
    expect(request.rawQueryString).toBe('');
  });
});

describe('form bodies', () => {
  it('decode + as space and percent escapes as UTF-8, keeping repeated keys in order', () => {
    // Act
    const pairs = formPairs('Caller=%2B14158675309&Digits=5678&Name=J+Doe&Digits=1234&City=M%C3%BCnchen');

    // Assess
    expect(pairs).toEqual([
      ['Caller', '+14158675309'],
      ['Digits', '5678'],
      ['Name', 'J Doe'],
      ['Digits', '1234'],
      ['City', 'München'],
    ]);
  });

  it('give the first value per key on an object no key can reach the prototype of', () => {
    // Act
    const fields = parseForm('__proto__=x&CallSid=CA1&CallSid=CA2&constructor=y');

    // Assess
    expect(fields.CallSid).toBe('CA1');
    expect(Object.entries(fields)).toContainEqual(['__proto__', 'x']);
    expect(Object.getPrototypeOf(fields)).toBeNull();
  });

  it('refuse a JSON document with a one-line reason', () => {
    // Act & Assess
    expect(() => parseForm('{"CallSid":"CA1"}')).toThrow(new BadRequestError('body is not a form'));
  });
});

describe('signature timestamps', () => {
  const now = new Date('2026-11-29T08:00:00.000Z');
  const seconds = String(now.getTime() / 1000);

  it('read seconds, milliseconds, or either by magnitude', () => {
    // Act & Assess
    expect(timestampMs(seconds, 's')).toBe(now.getTime());
    expect(timestampMs(String(now.getTime()), 'ms')).toBe(now.getTime());
    expect(timestampMs(seconds, 'auto')).toBe(now.getTime());
    expect(timestampMs(String(now.getTime()), 'auto')).toBe(now.getTime());
    expect(timestampMs('12.5', 's')).toBeNull();
    expect(timestampMs('-5', 's')).toBeNull();
    expect(timestampMs(undefined, 's')).toBeNull();
  });

  it.each([
    [0, true],
    [300, true],
    [-300, true],
    [301, false],
    [-301, false],
  ])('a timestamp %i s from now is fresh: %s', (offset, fresh) => {
    // Act
    const check = () => requireFresh(now.getTime() + offset * 1000, now);

    // Assess
    if (fresh) expect(check).not.toThrow();
    else expect(check).toThrow(UnauthorizedError);
  });

  it('refuses a missing timestamp with 401', () => {
    // Act & Assess
    expect(() => requireFresh(null, now)).toThrow(UnauthorizedError);
  });
});
