#!/usr/bin/env bash
# Runs every test: Rust unit, property and API-schema tests; the wasm boundary
# in Node and headless Chromium; a short fuzzing pass; the JS suites (client,
# simulator, job, server, drills, page in Chromium via Playwright). Installs
# what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
start=$(date +%s)

step "Rust: unit, property and API-schema tests"
cargo test --locked

step "build the npm package (pkg/)"
scripts/build.sh

step "wasm boundary in Node"
wasm-pack test --node

step "wasm boundary in headless Chromium"
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome

step "fuzz smoke: every cargo-fuzz target for 5 s (longer campaigns: fuzz/README.md)"
scripts/fuzz.sh 5

step "JS: client, simulator, expiry job, server, page (node:test + Playwright)"
node --test --test-concurrency=3 www/test/*.test.mjs

step "all tests passed in $(( $(date +%s) - start )) s"
