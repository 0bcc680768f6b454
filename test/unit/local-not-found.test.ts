/** The local stack's 404: the path asked for, the route probably meant, every route; never a secret. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerRouteDefinitions } from '../../lib/local/routes';
import { close, createLocalServer, listen } from '../../lib/local/server';

const logs: string[] = [];
const server = createLocalServer({
  log: (line) => logs.push(line),
  routes: providerRouteDefinitions().map(({ method, path }) => ({
    method,
    path,
    handler: async () => ({ statusCode: 200, body: '{}' }),
  })),
});
let url = '';
beforeAll(async () => {
  url = `http://127.0.0.1:${await listen(server, 0)}`;
});
afterAll(() => close(server));

const ROUTES =
  'routes: POST /webhooks/bandwidth, POST /webhooks/callkaro/{token}, POST /webhooks/twilio, POST /webhooks/plivo, POST /webhooks/telnyx, POST /webhooks/vonage, POST /webhooks/bandwidth-v2, POST /webhooks/retell, POST /webhooks/vapi';

const post = async (path: string) => {
  logs.length = 0;
  const response = await fetch(`${url}${path}`, { method: 'POST', body: '{}' });
  return {
    status: response.status,
    body: (await response.json()) as { message: string; error: string },
    log: logs.join('\n'),
  };
};

describe('local stack: a request to no route', () => {
  it('names the path, the route probably meant and every route, in the log line and the answer', async () => {
    // Act
    const typo = await post('/webhooks/twillio?x=1');

    // Assess
    expect(typo).toEqual({
      status: 404,
      body: {
        message: 'Not Found',
        error: `POST /webhooks/twillio: no such route (did you mean /webhooks/twilio?); ${ROUTES}`,
      },
      log: `POST /webhooks/twillio 404 (no such route (did you mean /webhooks/twilio?); ${ROUTES})`,
    });
  });

  it('says a CallKaro URL without its token is missing the token', async () => {
    // Act
    const bare = await post('/webhooks/callkaro');
    const slash = await post('/webhooks/callkaro/');

    // Assess
    for (const answer of [bare, slash]) {
      expect(answer.status).toBe(404);
      expect(answer.body.error).toMatch(
        /^POST \/webhooks\/callkaro\/?: the \{token\} is missing: POST \/webhooks\/callkaro\/\{token\}; routes: /,
      );
      expect(answer.log).toMatch(/^POST \/webhooks\/callkaro\/? 404 \(the \{token\} is missing: /);
    }
  });

  it('never shows a segment past the second (it may be a token), and escapes what it shows', async () => {
    // Act
    const mistyped = await post('/webhook/callkaro/my-secret-token');
    const control = await post('/webhooks/%1b%5b2J');

    // Assess
    expect(mistyped.body.error).toMatch(/^POST \/webhook\/callkaro\/…: no such route \(did you mean /);
    expect(mistyped.log).not.toContain('my-secret-token');
    expect(JSON.stringify(mistyped.body)).not.toContain('my-secret-token');
    expect(control.log).toMatch(/^POST \/webhooks\/%1b%5b2J 404 /);
    expect(control.log.split('\n')).toHaveLength(1);
  });
});
