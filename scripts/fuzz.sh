#!/usr/bin/env bash
# Fuzzes the rules core with cargo-fuzz (libFuzzer + AddressSanitizer): runs
# every target in fuzz/ for SECONDS_PER_TARGET (default 10) from its committed
# seeds (fuzz/seeds/<target>) plus the local working corpus (fuzz/corpus,
# git-ignored). Exits non-zero if any target crashed, i.e. the core panicked
# or an answer broke an invariant; the input is saved in fuzz/artifacts/.
#   scripts/fuzz.sh 5      CI smoke pass (about 2 minutes on 2 cores, warm or cold)
#   scripts/fuzz.sh 600    a real campaign; see fuzz/README.md
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

seconds="${1:-10}"
case "$seconds" in
  '' | *[!0-9]* | 0) echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2; exit 2 ;;
esac

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz 0.13"
  cargo install cargo-fuzz --version '^0.13'
fi

# cargo-fuzz passes nightly-only flags (-Zsanitizer=address); the stable
# compiler accepts them with RUSTC_BOOTSTRAP=1, and no other toolchain can be
# downloaded here (see /work/shared/TOOLCHAIN.md).
export RUSTC_BOOTSTRAP=1
# -a (debug assertions) makes integer overflow a crash instead of a silently
# wrong answer, which is what the release wasm would give.
cargo fuzz build -a >fuzz/build.log 2>&1 || { cat fuzz/build.log >&2; exit 1; }
rm -f fuzz/build.log
bin=fuzz/target/x86_64-unknown-linux-gnu/release
logs=fuzz/target/logs
mkdir -p "$logs" fuzz/artifacts

failed=()
for target in $(cargo fuzz list); do
  mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
  log="$logs/$target.log"
  # Run the built binary directly (cargo fuzz run would re-check the build
  # for every target); the outer timeout only guards against a hung process.
  status=0
  ASAN_OPTIONS=detect_odr_violation=0 timeout --kill-after=10 $((seconds + 120)) \
    "$bin/$target" "fuzz/corpus/$target" "fuzz/seeds/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -dict=fuzz/json.dict -artifact_prefix="fuzz/artifacts/$target/" \
    >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
  if [ "$status" -eq 0 ]; then
    printf 'fuzz: %-20s ok      %10s executions in %ss\n' "$target" "${runs:-?}" "$seconds"
  else
    printf 'fuzz: %-20s FAILED  (exit %s)\n' "$target" "$status"
    grep -E "panicked at|^[A-Z_]+:|^SUMMARY|Test unit written to|ERROR: libFuzzer" -A2 "$log" | head -20 | sed 's/^/    /'
    failed+=("$target")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]} (logs in $logs/, inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz: all targets passed"
