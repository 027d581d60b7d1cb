#!/usr/bin/env bash
# Fuzzes the REST shim against its own OpenAPI document with schemathesis (from PyPI): a live
# Quire on a scratch data directory, a token for one company, every documented operation with
# generated inputs. Fails on any 5xx or any answer that does not match its documented schema.
#   scripts/fuzz-rest.sh [max examples per operation, default 25]
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-25}
bin=${QUIRE_BIN:-target/debug/quire}
python3 -c 'import schemathesis' 2>/dev/null || python3 -m pip install --quiet 'schemathesis==4.32.5'
data=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
QUIRE_DATA_DIR="$data" QUIRE_BIND="127.0.0.1:$port" QUIRE_LOG=warn "$bin" serve >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
company=$(python3 -c 'import uuid; print(uuid.uuid4())')
token=$(QUIRE_DATA_DIR="$data" "$bin" token --user fuzzer --company "$company:admin")
base="http://127.0.0.1:$port"
# Something to find: a folder with a file, so that generated requests reach more than 404s.
curl -sf -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"item":{"name":"Fuzzed","parent_id":"root","is_directory":true}}' \
  "$base/internal/services/documents/v1/companies/$company/item" >/dev/null
# The company is the token's (random ones only meet 403s); everything else is generated.
cat >"$data/schemathesis.toml" <<TOML
[parameters]
"path.company_id" = "$company"
TOML
# From the scratch directory: schemathesis and hypothesis keep their caches in the working one.
(cd "$data" && python3 -m schemathesis.cli --config-file "$data/schemathesis.toml" \
  run "$base/internal/services/documents/v1/openapi.json" \
  --url "$base" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance,content_type_conformance \
  --max-examples "$examples" \
  --phases examples,coverage,fuzzing \
  --seed 1 \
  --no-color)
if grep -q ' ERROR ' "$data/server.log"; then
  echo "the server logged errors while fuzzed:"; grep ' ERROR ' "$data/server.log"; exit 1
fi
