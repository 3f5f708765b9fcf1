#!/usr/bin/env node
// Part 1: package size, and what each part of the wasm costs.
// Sizes are read from pkg/ (the release build). For the breakdown, a copy
// with function names is built in a temp directory (never pkg/): wasm-pack
// --profiling --no-opt, then the same wasm-opt flags as the release profile
// plus -g, so the code is the release code with a names section; twiggy
// then attributes every byte. Usage: node bench/size.mjs [--no-twiggy]

import { readFileSync, existsSync, mkdirSync, statSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { printTable } from './lib/table.mjs';
import { printMachine } from './lib/machine.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: opt } = parseArgs({ options: { 'no-twiggy': { type: 'boolean', default: false } } });

/** @param {Buffer} buf */
const gz = (buf) => gzipSync(buf, { level: 9 }).length;
/** @param {Buffer} buf */
const br = (buf) => brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
/** @param {number} n */
const kb = (n) => n / 1024;

const wasmPath = join(root, 'pkg/pve_snapshots_bg.wasm');
const gluePath = join(root, 'pkg/pve_snapshots.js');
if (!existsSync(wasmPath) || !existsSync(gluePath)) {
  console.error('size: pkg/ is not built; run scripts/build.sh');
  process.exit(1);
}
const wasm = readFileSync(wasmPath);
// The glue is pve_snapshots.js plus any inline JS snippets wasm-bindgen emits.
const snippetDir = join(root, 'pkg/snippets');
const snippetFiles = existsSync(snippetDir)
  ? readdirSync(snippetDir, { recursive: true }).map(String).filter((f) => f.endsWith('.js')).map((f) => join(snippetDir, f))
  : [];
const glue = Buffer.concat([readFileSync(gluePath), ...snippetFiles.map((f) => readFileSync(f))]);

printMachine();
process.stdout.write(`pkg/ built ${statSync(wasmPath).mtime.toISOString()}\n\n`);
printTable('Package size (pkg/, release)', [
  { figure: 'pve_snapshots_bg.wasm raw', unit: 'KiB', value: kb(wasm.length), note: `${wasm.length} B` },
  { figure: 'pve_snapshots_bg.wasm gzip -9', unit: 'KiB', target: '≤ 75', value: kb(gz(wasm)), met: kb(gz(wasm)) <= 75, note: `${gz(wasm)} B` },
  { figure: 'pve_snapshots_bg.wasm brotli 11', unit: 'KiB', value: kb(br(wasm)), note: `${br(wasm)} B` },
  { figure: 'JS glue raw', unit: 'KiB', value: kb(glue.length), note: `${glue.length} B: pve_snapshots.js + ${snippetFiles.length} snippet(s)` },
  { figure: 'JS glue gzip -9', unit: 'KiB', target: '≤ 10', value: kb(gz(glue)), met: kb(gz(glue)) <= 10, note: `${gz(glue)} B` },
]);

if (opt['no-twiggy']) process.exit(0);

const env = { ...process.env, PATH: `${join(root, 'node_modules/.bin')}:${process.env.HOME}/.cargo/bin:${process.env.PATH}` };
/** @param {string} cmd */
function have(cmd) {
  try {
    execFileSync(cmd, ['--version'], { env, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
if (!have('twiggy') || !have('wasm-pack')) {
  process.stdout.write('breakdown skipped: install twiggy with `cargo install twiggy` (and run scripts/setup.sh)\n');
  process.exit(0);
}

// The release wasm-opt flags, read from Cargo.toml so this stays in step.
const cargo = readFileSync(join(root, 'Cargo.toml'), 'utf8');
const flagsLine = cargo.match(/\[package\.metadata\.wasm-pack\.profile\.release\][^[]*?wasm-opt\s*=\s*\[([^\]]*)\]/);
const optFlags = flagsLine ? [...flagsLine[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]) : ['-Oz'];

// A target dir of our own: sharing target/ with scripts/build.sh would race
// and rebuild each other's artefacts.
const work = join(tmpdir(), 'pve-snapshots-bench-size');
mkdirSync(work, { recursive: true });
const out = join(work, 'pkg');
execFileSync('wasm-pack', ['build', '--profiling', '--no-opt', '--target', 'web', '--out-dir', out, '--out-name', 'pve_snapshots'], {
  cwd: root, env: { ...env, CARGO_TARGET_DIR: join(work, 'target') }, stdio: ['ignore', 'ignore', 'pipe'],
});
const named = join(work, 'named.wasm');
const stripped = join(work, 'stripped.wasm');
execFileSync('wasm-opt', [...optFlags, '-g', join(out, 'pve_snapshots_bg.wasm'), '-o', named], { env });
execFileSync('wasm-opt', [...optFlags, join(out, 'pve_snapshots_bg.wasm'), '-o', stripped], { env });
const strippedSize = statSync(stripped).size;
const sameAsPkg = strippedSize === wasm.length;
process.stdout.write(
  `named copy: ${named} (wasm-opt ${optFlags.join(' ')} -g); without names ${strippedSize} B, ` +
    `${sameAsPkg ? 'identical in size to pkg/' : `pkg/ has ${wasm.length} B (pkg/ is older or newer than src/)`}\n\n`,
);

/** @type {{name: string, shallow_size: number}[]} */
const items = JSON.parse(execFileSync('twiggy', ['top', '-n', '100000', '-f', 'json', named], { env, encoding: 'utf8', maxBuffer: 64 << 20 }));

/**
 * Which crate or part an item belongs to. Order matters: an item such as
 * `<String as core::fmt::Write>::write_char` is formatting, not alloc.
 * @param {string} n
 */
function group(n) {
  if (/subsection|custom section/.test(n)) return null; // names and metadata: not in the release build
  if (/^data segment/.test(n)) return 'data segments (string constants, tables)';
  if (/externref shim|multivalue shim/.test(n)) return 'export shims (bindings with inlined rules and serde code)';
  if (/impl serde(_core)?::ser::Serialize for pve_snapshots/.test(n)) return 'serde derive for our types';
  const ours = n.match(/^<?pve_snapshots::(\w+)/);
  if (ours) return `ours: ${ours[1]}`;
  if (/serde_wasm_bindgen/.test(n)) return 'serde-wasm-bindgen';
  if (/serde(_core)?(\[|::)/.test(n)) return 'serde';
  if (/chrono/.test(n)) return 'chrono';
  if (/dlmalloc|__rdl_|__rust_(alloc|dealloc|realloc)/.test(n)) return 'allocator (dlmalloc)';
  if (/wasm_bindgen|js_sys|__wbindgen|__wbg|__externref/.test(n)) return 'wasm-bindgen / js-sys runtime';
  if (/::fmt|fmt::/.test(n)) return 'core::fmt (formatting)';
  if (/unicode|escape_debug|is_printable|grapheme/.test(n)) return 'core::unicode (escape_debug in quote())';
  if (/slice::sort/.test(n)) return 'core::slice::sort (stable + unstable)';
  if (/str::pattern|TwoWaySearcher|StrSearcher/.test(n)) return 'core::str::pattern (substring search)';
  if (/panic|std\[|std::/.test(n)) return 'panic machinery (std/core)';
  if (/hashbrown/.test(n)) return 'hashbrown';
  if (/^<?(core|alloc)[[:<]|^<[A-Za-z_&]+ as (core|alloc)|^<(str|char)>|core::|alloc::/.test(n)) return 'core/alloc other (str, Vec, String)';
  if (/^code\[\d+\]$/.test(n)) return 'unnamed functions';
  if (/^(type|table|elem|import|export|global|memory|func)\b|^\w+\[\d+\]$/.test(n)) return 'wasm structure (types, tables, imports, exports)';
  return 'other';
}

const groups = new Map();
let total = 0;
for (const it of items) {
  const g = group(it.name);
  if (!g) continue;
  total += it.shallow_size;
  const e = groups.get(g) ?? { bytes: 0, count: 0, top: it.name };
  e.bytes += it.shallow_size;
  e.count += 1;
  groups.set(g, e);
}
/** @param {string} s */
const short = (s) => (s.length > 70 ? `${s.slice(0, 67)}…` : s).replace(/\|/g, '\\|');
printTable(`What the wasm is made of: shallow bytes by crate or part (sum ${total} B vs ${strippedSize} B file; the rest is section headers)`,
  [...groups.entries()].sort((a, b) => b[1].bytes - a[1].bytes).map(([g, e]) => ({
    figure: g, unit: 'B', value: e.bytes, note: `${((100 * e.bytes) / total).toFixed(1)} %, ${e.count} items, largest: ${short(e.top)}`,
  })));

// Retained size: what would go away with an item (its dominator subtree).
/** @typedef {{name: string, shallow_size: number, retained_size: number, children?: TwiggyItem[]}} TwiggyItem twiggy's JSON */
/** @type {{items?: TwiggyItem[]}} */
const dom = JSON.parse(execFileSync('twiggy', ['dominators', '-d', '1', '-f', 'json', named], { env, encoding: 'utf8', maxBuffer: 64 << 20 }));
const roots = (dom.items?.[0]?.children ?? dom.items ?? []).filter((c) => group(c.name));
printTable('Largest retained subtrees (bytes that go away with the item: twiggy dominators)',
  roots.sort((a, b) => b.retained_size - a.retained_size).slice(0, 20).map((c) => ({
    figure: short(c.name), unit: 'B', value: c.retained_size, note: `shallow ${c.shallow_size} B`,
  })));
