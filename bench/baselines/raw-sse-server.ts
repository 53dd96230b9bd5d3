/**
 * The floor for SSE fan-out: a minimal node:http server that keeps every stream in a Set and writes one
 * Buffer to each of them. No auth, no routing, no database. POST /publish with the event's JSON text
 * writes `id: <n>\ndata: <json>\n\n` to every stream (encoded once, like Parley) before answering.
 */
import { createServer, type ServerResponse } from 'node:http';

const streams = new Set<ServerResponse>();
let pos = 0;

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url?.startsWith('/sse')) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
    });
    // The same opening as a Parley stream: a connection event, then the resume point.
    res.write(`retry: 2000\ndata: {"type":"connection","channel_id":null,"data":{}}\n\nid: ${pos}\n\n`);
    streams.add(res);
    res.on('close', () => streams.delete(res));
    return;
  }
  if (req.method === 'POST' && req.url === '/publish') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const frame = Buffer.from(`id: ${++pos}\ndata: ${Buffer.concat(chunks).toString('utf8')}\n\n`);
      let n = 0;
      for (const s of streams) {
        s.write(frame);
        n++;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"delivered":${n}}`);
    });
    return;
  }
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{"streams":${streams.size}}`);
    return;
  }
  res.writeHead(404);
  res.end();
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
const stop = () => {
  for (const s of streams) s.destroy();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
