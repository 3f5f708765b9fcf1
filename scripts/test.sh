#!/usr/bin/env bash
# Runs every test: Rust unit, property and API-schema tests; a type check of
# the JS host against the package's types; the wasm boundary in Node and
# headless Chromium; a short fuzzing pass; the JS suites (client,
# simulator, job, server, drills, page in Chromium via Playwright). Installs
# what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
start=$(date +%s)

step "Rust: unit, property and API-schema tests"
cargo test --locked

step "build the npm package (pkg/)"
scripts/build.sh

step "type-check the JS host (tsc --noEmit, checkJs)"
tsc -p . --noEmit

step "wasm boundary in Node"
wasm-pack test --node

step "wasm boundary in headless Chromium; the core's requests over HTTP to the simulator"
# tests/browser_http.rs sends the core's requests from the test page to a
# simulator on a random loopback port. The page is on another port, so the
# simulator must answer CORS (--cors-loopback, test-only). The URL and token
# are compiled into the test; without them it fails rather than passes.
sim_log=$(mktemp)
sim_token="root@pam!wasm-test=$(node -e 'process.stdout.write(crypto.randomUUID())')"
node www/simulator/cli.mjs --port 0 --cors-loopback --task-ms 100 --token "$sim_token" >"$sim_log" 2>&1 &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null || true; rm -f "$sim_log"' EXIT
sim_url=
for _ in $(seq 200); do
  sim_url=$(sed -n 's/^pve simulator listening on \(http:[^ ]*\) .*/\1/p' "$sim_log")
  if [ -n "$sim_url" ] || ! kill -0 "$sim_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$sim_url" ]; then
  cat "$sim_log" >&2
  echo "the simulator for the browser tests did not start" >&2
  exit 1
fi
PVE_SIM_URL=$sim_url PVE_SIM_TOKEN=$sim_token CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_USE_BROWSER=1 \
  wasm-pack test --headless --chrome
kill "$sim_pid"
wait "$sim_pid" || true
rm -f "$sim_log"
trap - EXIT

step "fuzz smoke: every cargo-fuzz target for 5 s (longer campaigns: fuzz/README.md)"
scripts/fuzz.sh 5

step "JS: client, simulator, expiry job, server, page (node:test + Playwright)"
node --test --test-concurrency=3 www/test/*.test.mjs

step "all tests passed in $(( $(date +%s) - start )) s"
