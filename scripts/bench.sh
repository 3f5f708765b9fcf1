#!/usr/bin/env bash
# Runs the benchmarks and prints their figures as Markdown tables (median,
# p10/p90, min/max), also saved under target/bench/. A missed target is a
# figure, not a failure: the exit code is non-zero only when a bench could
# not run. See BENCHMARKS.md for what each one measures.
#
# Usage: scripts/bench.sh [--quick] [BENCH...]
#   BENCH: size startup page fleet job countdown server instructions (default: all)
#   --quick: fewer repetitions and no callgrind (a smoke run, ~2 min)
# The size breakdown needs twiggy (`cargo install twiggy`); without it the
# sizes are still measured.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

quick=0
benches=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    size|startup|page|fleet|job|countdown|server|instructions) benches+=("$arg") ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
if [ ${#benches[@]} -eq 0 ]; then
  benches=(size startup page fleet job countdown server)
  [ $quick = 1 ] || benches+=(instructions)
fi

if [ ! -d node_modules/playwright-core ] || [ ! -x /usr/bin/chromium ]; then
  scripts/setup.sh --browser || { echo "bench: setup failed" >&2; exit 1; }
fi
# Measure the package as the sources are now, never a stale pkg/.
if [ ! -f pkg/pve_snapshots.js ] || [ -n "$(find src Cargo.toml Cargo.lock -newer pkg/pve_snapshots_bg.wasm 2>/dev/null | head -1)" ]; then
  scripts/build.sh || { echo "bench: cannot build pkg/" >&2; exit 1; }
fi

if [ $quick = 1 ]; then
  declare -A args=([size]="" [startup]="--runs 10" [page]="--samples 10" [fleet]="--runs 5" [job]="--runs 1" [countdown]="--ticks 30" [server]="--seconds 3" [instructions]="")
else
  declare -A args=([size]="" [startup]="--runs 30" [page]="--samples 30" [fleet]="--runs 15" [job]="--runs 3" [countdown]="--ticks 120" [server]="--seconds 10" [instructions]="")
fi

mkdir -p target/bench
out="target/bench/bench-$(date -u +%Y%m%dT%H%M%SZ).md"
failed=()
for b in "${benches[@]}"; do
  printf '\n## %s\n\n' "$b" | tee -a "$out"
  # shellcheck disable=SC2086  # the argument lists are meant to split
  if ! node "bench/$b.mjs" ${args[$b]} 2>&1 | tee -a "$out"; then
    failed+=("$b")
    echo "bench: $b could not run" | tee -a "$out" >&2
  fi
done
echo
echo "figures saved in $out"
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench: FAILED to run: ${failed[*]}" >&2
  exit 1
fi
