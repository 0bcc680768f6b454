/**
 * Issue 18, item 4 (headers and the local server): header count and size are capped at what a
 * real callback needs and checked before any signature work, in the ingress every route shares;
 * the local HTTP server stops reading a body at the ingress's limit (MAX_BODY_BYTES), answers 413
 * and closes, so held uploads cannot each pin up to 6 MiB.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../lib/envelope';
import { MAX_HEADER_BYTES, MAX_HEADERS, receiveWebhook } from '../../lib/ingress';
import { close, createLocalServer, listen } from '../../lib/local/server';
import { callkaroIngress } from '../../lib/providers/callkaro/ingress';
import type { ProviderIngress } from '../../lib/providers/types';
import { staticSecrets } from '../../lib/secrets';
import { callkaroCallEnded } from '../fixtures';
import { callkaroRequest, jsonBody } from '../support/requests';
import { CALLKARO_SECRETS } from '../support/stack';

/** An ingress that counts its signature checks: a refusal must come before any. */
function countingIngress() {
  let checks = 0;
  const ingress: ProviderIngress = {
    ...callkaroIngress,
    authenticate(...args) {
      checks += 1;
      return callkaroIngress.authenticate(...args);
    },
  };
  return { ingress, checks: () => checks };
}

const deps = () => ({
  secrets: staticSecrets(CALLKARO_SECRETS),
  enqueue: async () => 'message-1',
});

describe('header caps in the shared ingress', () => {
  const body = JSON.stringify(callkaroCallEnded());

  it(`refuses more than ${MAX_HEADERS} headers with 431 before any signature check`, async () => {
    const { ingress, checks } = countingIngress();
    const event = callkaroRequest(body);
    for (let i = 0; i < MAX_HEADERS; i++) event.headers[`x-pad-${i}`] = 'v';

    const response = await receiveWebhook(ingress, event, deps());

    expect(response.statusCode).toBe(431);
    expect(jsonBody(response).error).toMatch(/^more than \d+ headers$/);
    expect(checks()).toBe(0);
  });

  it(`refuses headers over ${MAX_HEADER_BYTES} bytes in all with 431 before any signature check`, async () => {
    const { ingress, checks } = countingIngress();
    const event = callkaroRequest(body);
    event.headers['x-big'] = 'x'.repeat(MAX_HEADER_BYTES);

    const response = await receiveWebhook(ingress, event, deps());

    expect(response.statusCode).toBe(431);
    expect(jsonBody(response).error).toMatch(/^headers are larger than \d+ bytes$/);
    expect(checks()).toBe(0);
  });

  it('accepts a callback with the headers a real one carries', async () => {
    const event = callkaroRequest(body);
    Object.assign(event.headers, {
      'user-agent': 'CallKaro-Webhook/1.0',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      'x-amzn-trace-id': `Root=1-${'0'.repeat(8)}-${'0'.repeat(24)}`,
    });

    const response = await receiveWebhook(callkaroIngress, event, deps());

    expect(response.statusCode).toBe(200);
  });
});

describe('the local HTTP server and held uploads', () => {
  const servers: ReturnType<typeof createLocalServer>[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => close(s, 100)));
    servers.length = 0;
  });

  /** Opens a chunked upload, sends `bytes` of body in 64 KiB chunks and never ends it. */
  function heldUpload(port: number, bytes: number) {
    const socket: Socket = connect(port, '127.0.0.1');
    let response = '';
    let written = 0;
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('data', (chunk) => {
      response += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('connect', () => {
      socket.write('POST /webhooks/callkaro/t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (written < bytes && !socket.destroyed) {
          written += chunk.length;
          if (!socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`, 'latin1'))
            return socket.once('drain', pump);
        }
      };
      pump();
    });
    return { closed, response: () => response, written: () => written };
  }

  it('answers 413 and closes each of 200 held chunked uploads at MAX_BODY_BYTES, the handler never called', async () => {
    // Prepare
    let handled = 0;
    const server = createLocalServer({
      routes: [
        {
          method: 'POST',
          path: '/webhooks/callkaro/{token}',
          handler: async () => {
            handled += 1;
            return { statusCode: 200, body: '{}' };
          },
        },
      ],
    });
    servers.push(server);
    const port = await listen(server, 0);

    // Act: each upload would send 4 MiB (under the old 6 MiB cap) and then hold the connection.
    const uploads = Array.from({ length: 200 }, () => heldUpload(port, 4 * 1024 * 1024));
    await Promise.all(uploads.map((u) => u.closed));

    // Assess: the server closed every connection itself, after answering 413.
    for (const upload of uploads) {
      expect(upload.response()).toMatch(/^HTTP\/1\.1 413 /);
    }
    expect(handled).toBe(0);
    expect(MAX_BODY_BYTES).toBeLessThan(1_048_576);
  }, 60_000);
});
