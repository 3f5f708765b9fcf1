#!/usr/bin/env bash
# Builds the npm package into pkg/ (release, optimised by a current wasm-opt).
# Concurrent callers are serialised so pkg/ is never half-written.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# Debian's wasm-opt 108 produces modules Node 20 cannot instantiate; only the
# npm binaryen package's wasm-opt may be used (TOOLCHAIN.md).
case "$(command -v wasm-opt || true)" in
  "$PWD/node_modules/.bin/wasm-opt") ;;
  *) echo "build: node_modules/.bin/wasm-opt missing; run scripts/setup.sh" >&2; exit 1 ;;
esac

mkdir -p target
exec 9>target/.pkg-build.lock
flock 9
# Build beside pkg/ and move files in one by one (rename is atomic), so
# tests running against pkg/ meanwhile never see it half-written.
out=target/pkg-build
rm -rf "$out"
wasm-pack build --release --target web --out-dir "$out" --out-name pve_snapshots >target/wasm-pack.log 2>&1 \
  || { cat target/wasm-pack.log >&2; exit 1; }
grep -qF "found wasm-opt at \"$PWD/node_modules/.bin/wasm-opt\"" target/wasm-pack.log \
  || { echo "build: wasm-pack did not use node_modules' wasm-opt" >&2; cat target/wasm-pack.log >&2; exit 1; }
mkdir -p pkg
(cd "$out" && find . -type f) | while read -r f; do
  mkdir -p "pkg/$(dirname "$f")"
  cp "$out/$f" "pkg/$f.tmp" && mv -f "pkg/$f.tmp" "pkg/$f"
done
# Drop what this build no longer produces (e.g. snippets of older builds).
(cd pkg && find . -type f) | while read -r f; do [ -e "$out/$f" ] || rm -f "pkg/$f"; done
find pkg -type d -empty -delete
raw=$(stat -c %s pkg/pve_snapshots_bg.wasm)
gz=$(gzip -9c pkg/pve_snapshots_bg.wasm | wc -c)
echo "built pkg/: pve_snapshots_bg.wasm ${raw} bytes raw, ${gz} bytes gzipped"
