// Loads the rules core (the wasm-pack `--target web` build in ../pkg) in Node.
// The browser page imports ../pkg/pve_snapshots.js itself and calls init()
// with a URL; Node has no fetch for file: URLs, so here we hand over the bytes.
import { readFile } from 'node:fs/promises';
import init from '../pkg/pve_snapshots.js';

const wasmUrl = new URL('../pkg/pve_snapshots_bg.wasm', import.meta.url);
await init({ module_or_path: await readFile(wasmUrl) });

export * from '../pkg/pve_snapshots.js';
