#!/usr/bin/env bash
# Starts Quire on a scratch data directory, opens the GraphQL playground in headless Chromium
# (Debian's `chromium`, no internet needed) and writes a screenshot. Usage:
#   scripts/playground-screenshot.sh [out.png]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/playground.png}
command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }
cargo build --workspace -q
data=$(mktemp -d)
port=${PORT:-18080}
QUIRE_DATA_DIR="$data" QUIRE_BIND="127.0.0.1:$port" target/debug/quire serve >"$data/log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$data/chromium" --window-size=1400,900 --virtual-time-budget=8000 \
  --screenshot="$out" "http://127.0.0.1:$port/graphql" 2>/dev/null
echo "screenshot: $out"
