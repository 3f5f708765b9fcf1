#!/usr/bin/env bash
# Runs the product: builds the package, then starts the panel's server. Without
# PVE_URL it embeds the Proxmox simulator with demo data and prints the logins.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec node www/server/main.mjs "$@"
