/**
 * The scaffolding every fake provider API shares (test/fakes/*-api.ts): a node:http server on
 * 127.0.0.1, a request log, and the faults a real API shows — 429 with Retry-After for the next n
 * requests, a malformed page, a 5xx.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakeResponse {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface Faults {
  /** The next n requests answer 429 with this Retry-After (seconds). */
  rateLimit?: { count: number; retryAfter: string };
  /** The next request answers this body with 200 (a malformed page). */
  malformed?: string;
}

export interface FakeApi {
  url: string;
  requests: FakeRequest[];
  faults: Faults;
  close(): Promise<void>;
}

export async function startFakeApi(
  handle: (request: FakeRequest) => FakeResponse,
  { port = 0 }: { port?: number } = {},
): Promise<FakeApi> {
  const requests: FakeRequest[] = [];
  const faults: Faults = {};
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const request: FakeRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      let response: FakeResponse;
      if (faults.rateLimit && faults.rateLimit.count > 0) {
        faults.rateLimit.count -= 1;
        response = {
          status: 429,
          body: JSON.stringify({ message: 'Too Many Requests' }),
          headers: { 'retry-after': faults.rateLimit.retryAfter },
        };
      } else if (faults.malformed !== undefined) {
        response = { status: 200, body: faults.malformed };
        faults.malformed = undefined;
      } else {
        try {
          response = handle(request);
        } catch (error) {
          response = { status: 500, body: JSON.stringify({ message: (error as Error).message }) };
        }
      }
      res.writeHead(response.status, { 'content-type': 'application/json', ...response.headers });
      res.end(response.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}`,
    requests,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const json = (status: number, value: unknown): FakeResponse => ({
  status,
  body: JSON.stringify(value, null, 2),
});

/** Basic credentials of a request, or null. */
export function basicCredentials(headers: IncomingMessage['headers']): [string, string] | null {
  const value = headers.authorization;
  if (!value?.startsWith('Basic ')) return null;
  const text = Buffer.from(value.slice(6), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? null : [text.slice(0, colon), text.slice(colon + 1)];
}

export const bearer = (headers: IncomingMessage['headers']): string | null =>
  headers.authorization?.startsWith('Bearer ') ? headers.authorization.slice(7) : null;
