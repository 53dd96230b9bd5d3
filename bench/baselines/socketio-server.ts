/**
 * The Socket.IO 4 baseline: websocket transport only, every client in the default namespace.
 * POST /publish with the event's JSON text broadcasts it with io.emit (Socket.IO encodes a broadcast
 * packet once and writes it to every client's websocket).
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const http = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/publish') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      io.emit('message', Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"delivered":${io.engine.clientsCount}}`);
    });
    return;
  }
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{"clients":${io.engine.clientsCount}}`);
    return;
  }
  if (!req.url?.startsWith('/socket.io/')) {
    res.writeHead(404);
    res.end();
  }
});
const io = new Server(http, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
http.keepAliveTimeout = 60_000;
http.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
const stop = () => {
  io.close();
  setTimeout(() => process.exit(0), 2_000).unref();
  http.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
