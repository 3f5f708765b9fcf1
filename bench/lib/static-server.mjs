// A tiny static file server on 127.0.0.1 (port 0) for the browser benches:
// serves pkg/ and bench/ of the repository, nothing else.

import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { extname, join, normalize, sep } from 'node:path';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** @type {Record<string, string>} */
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html; charset=utf-8', '.json': 'application/json' };
const ALLOWED = ['pkg', 'bench'];

/**
 * @param {Record<string, string>} [pages] extra HTML pages by path, e.g. {'/page.html': '<!doctype html>…'}
 * @returns {Promise<{url: string, close: () => Promise<void>}>}
 */
export async function startStaticServer(pages = {}) {
  const server = http.createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (pages[path]) {
      res.writeHead(200, { 'content-type': TYPES['.html'] }).end(pages[path]);
      return;
    }
    const rel = normalize(path).replace(/^[/\\]+/, '');
    if (!ALLOWED.includes(rel.split(sep)[0]) || rel.includes('..')) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(join(root, rel));
      res.writeHead(200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
