// Serves the page (www/panel/) and the wasm package (pkg/). Paths are matched
// segment by segment against a strict pattern before touching the disk, so
// `..`, encoded slashes and dotfiles never reach the file system.
import { readFile, realpath, stat } from 'node:fs/promises';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = new Map([
  ['.html', 'text/html; charset=utf-8'],
  ['.mjs', 'text/javascript; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.wasm', 'application/wasm'],
  ['.json', 'application/json; charset=utf-8'],
  ['.svg', 'image/svg+xml'],
  ['.png', 'image/png'],
  ['.ico', 'image/x-icon'],
  ['.woff2', 'font/woff2'],
  ['.txt', 'text/plain; charset=utf-8'],
]);
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Snapshots</title></head>
<body><main><h1>Snapshots</h1><p>The Snapshots page is not installed yet (www/panel/index.html is missing). The API is available under /api/.</p></main></body></html>
`;

export const DEFAULT_PANEL_DIR = fileURLToPath(new URL('../panel/', import.meta.url));
export const DEFAULT_PKG_DIR = fileURLToPath(new URL('../../pkg/', import.meta.url));
export const DEFAULT_ADMIN_DIR = fileURLToPath(new URL('../admin/', import.meta.url));

/**
 * @param {string} root
 * @param {string[]} segments raw (undecoded) path segments below the root
 * @returns {Promise<{body: Buffer, type: string} | null>}
 */
async function load(root, segments) {
  if (segments.length === 0 || !segments.every((s) => SEGMENT.test(s))) return null;
  const last = segments[segments.length - 1];
  const type = TYPES.get(last.slice(last.lastIndexOf('.')));
  if (!type || !last.includes('.')) return null;
  try {
    const rootReal = await realpath(root);
    const fileReal = await realpath(`${rootReal}${sep}${segments.join(sep)}`);
    if (!fileReal.startsWith(rootReal + sep) || !(await stat(fileReal)).isFile()) return null;
    return { body: await readFile(fileReal), type };
  } catch {
    return null;
  }
}

/**
 * @param {{panelDir?: string, pkgDir?: string, adminDir?: string}} [options]
 * @returns {(method: string, segments: string[]) => Promise<{status: number, body: Buffer | string, type: string} | null>}
 *   null when the path is not a static path at all
 */
export function createStaticFiles({ panelDir = DEFAULT_PANEL_DIR, pkgDir = DEFAULT_PKG_DIR, adminDir = DEFAULT_ADMIN_DIR } = {}) {
  return async (method, segments) => {
    let found;
    if (segments.length === 1 && (segments[0] === '' || segments[0] === 'index.html')) {
      found = (await load(panelDir, ['index.html'])) ?? { body: PLACEHOLDER, type: 'text/html; charset=utf-8' };
    } else if (segments[0] === 'admin') {
      // The operator's page: /admin/ is its index, the rest its modules.
      found = await load(adminDir, segments.length === 2 && segments[1] === '' ? ['index.html'] : segments.slice(1));
    } else if (segments[0] === 'panel') {
      found = await load(panelDir, segments.slice(1));
    } else if (segments[0] === 'pkg') {
      found = await load(pkgDir, segments.slice(1));
    } else {
      return null;
    }
    if (!found) return { status: 404, body: 'not found\n', type: 'text/plain; charset=utf-8' };
    return { status: 200, ...found };
  };
}
