/**
 * Memory of the local HTTP server under 200 held chunked uploads (issue 18), reported, not asserted:
 * each upload sends `bytes` (default 4 MiB) in 64 KiB chunks and never ends; after 15 s the process's
 * RSS and how many connections the server closed. test/integration/cheap-refusals.test.ts asserts
 * the behaviour (413 and close at MAX_BODY_BYTES).
 *
 *   node_modules/.bin/node --expose-gc --import tsx bench/held-uploads.ts [bytes]
 */
import { connect } from 'node:net';
import { createLocalServer, listen } from '../lib/local/server';

const perUpload = Number(process.argv[2] ?? 4 * 1024 * 1024);
const server = createLocalServer({
  routes: [
    {
      method: 'POST',
      path: '/webhooks/callkaro/{token}',
      handler: async () => ({ statusCode: 200, body: '{}' }),
    },
  ],
});
const port = await listen(server, 0);
const mb = () => Math.round(process.memoryUsage().rss / 1e6);
const before = mb();
let closed = 0;
for (let i = 0; i < 200; i++) {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.on('close', () => closed++);
  socket.on('connect', () => {
    socket.write('POST /webhooks/callkaro/t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let written = 0;
    const pump = () => {
      while (written < perUpload && !socket.destroyed) {
        written += chunk.length;
        if (!socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`, 'latin1'))
          return socket.once('drain', pump);
      }
    };
    pump();
  });
}
await new Promise((r) => setTimeout(r, 15000));
globalThis.gc?.();
console.log(JSON.stringify({ perUpload, rssBeforeMB: before, rssHeldMB: mb(), closedByServer: closed }));
process.exit(0);
