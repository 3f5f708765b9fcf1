// Loads the rules core (the wasm-pack `--target web` build in ../pkg) in Node.
// The browser page imports ../pkg/pve_snapshots.js itself and calls init()
// with a URL. Node has no fetch for file: URLs, so here we hand over the
// bytes, synchronously: initSync is ~16 ms faster than the async init() in
// Node 20 (BENCHMARKS.md, start-up).
import { readFileSync } from 'node:fs';
import { initSync } from '../pkg/pve_snapshots.js';

initSync({ module: readFileSync(new URL('../pkg/pve_snapshots_bg.wasm', import.meta.url)) });

export * from '../pkg/pve_snapshots.js';
