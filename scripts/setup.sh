#!/usr/bin/env bash
# Installs what is missing and skips what is there, so a warm machine sets up
# in seconds. Usage: scripts/setup.sh [--browser | --test]
#   --browser: Chromium and ChromeDriver too (the page tests)
#   --test:    everything scripts/test.sh needs: the browser, and promtool
#              (Debian's prometheus) that checks the metrics outputs
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=; want_promtool=
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    --test) want_browser=1; want_promtool=1 ;;
    *) echo "usage: scripts/setup.sh [--browser | --test]" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

# The CLI must match the wasm-bindgen crate exactly; Cargo.toml pins it with "=".
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack (about 1.5 min)"
  cargo install --locked wasm-pack
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wb_version" ]; then
  say "installing wasm-bindgen-cli $wb_version (about 2 min)"
  # No --locked: its lock file names a yanked webpki-roots (see TOOLCHAIN.md).
  cargo install wasm-bindgen-cli --version "$wb_version" --force
fi
if [ ! -d node_modules/binaryen ] || [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund
fi
# The native module of better-sqlite3 builds from source when no prebuilt
# binary can be fetched; a failed build leaves a package that cannot load.
if ! node -e "new (require('better-sqlite3'))(':memory:').close()" 2>/dev/null; then
  say "building better-sqlite3's native module"
  npm rebuild better-sqlite3
fi
# The store tests start a throwaway PostgreSQL cluster (initdb, pg_ctl).
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  say "installing PostgreSQL from Debian"
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -q postgresql
fi
need_browser=; need_promtool=
if [ -n "$want_browser" ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then need_browser=1; fi
if [ -n "$want_promtool" ] && ! command -v promtool >/dev/null; then need_promtool=1; fi
if [ -n "$need_browser$need_promtool" ]; then
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get update -q
fi
if [ -n "$need_browser" ]; then
  say "installing Chromium and ChromeDriver from Debian"
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -q chromium chromium-driver
fi
if [ -n "$need_promtool" ]; then
  # Only promtool is used; the package's server is never started.
  say "installing promtool (Debian package prometheus)"
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -q --no-install-recommends prometheus
fi
# The WHMCS module's tests run Debian's PHP CLI with curl (the module's HTTP client).
if ! command -v php >/dev/null || ! php -r 'exit(function_exists("curl_init") ? 0 : 1);' 2>/dev/null; then
  say "installing php-cli and php-curl from Debian (the WHMCS module's tests)"
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -q php-cli php-curl
fi
