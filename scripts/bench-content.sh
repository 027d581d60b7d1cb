#!/usr/bin/env bash
# Uploads, downloads and zips 1 GiB through a release Quire on the local store, compares each
# with `cp` of the same bytes on the same disk, and reports the server's peak RSS per phase.
#   scripts/bench-content.sh            (needs ~5 GiB free under target/)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
work=$(mktemp -d "$PWD/target/bench-content.XXXX")
port=${PORT:-18090}
data="$work/data"
mkdir -p "$data"
QUIRE_DATA_DIR="$data" QUIRE_BIND="127.0.0.1:$port" QUIRE_LOG=warn target/release/quire serve >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

company=$(python3 -c 'import uuid; print(uuid.uuid4())')
token=$(QUIRE_DATA_DIR="$data" target/release/quire token --user bench --company "$company:admin")
base="http://127.0.0.1:$port/internal/services"
auth=(-H "authorization: Bearer $token")

kib() { awk '/VmHWM/ {print $2}' "/proc/$pid/status"; }
reset_peak() { echo 5 > "/proc/$pid/clear_refs"; }
seconds() { local start=$1; python3 -c "import time; print(f'{time.time() - $start:.2f}')"; }
now() { python3 -c 'import time; print(time.time())'; }
row() { printf '| %-44s | %8s s | %8s s | %6s MiB |\n' "$1" "$2" "$3" "$(( $4 / 1024 ))"; }

echo "idle RSS: $(( $(awk '/VmRSS/ {print $2}' "/proc/$pid/status") / 1024 )) MiB"
head -c 1073741824 /dev/urandom >"$work/big.bin"
sync

start=$(now); cp "$work/big.bin" "$work/copy.bin"; sync; cp_time=$(seconds "$start"); rm "$work/copy.bin"

reset_peak; start=$(now)
id=$(curl -sf "${auth[@]}" -X POST -H 'content-type: application/octet-stream' -T "$work/big.bin" "$base/files/v1/companies/$company/files?filename=big.bin&type=application/octet-stream" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["resource"]["id"])')
sync; upload_time=$(seconds "$start"); upload_peak=$(kib)
item=$(curl -sf "${auth[@]}" -H 'content-type: application/json' \
  -d "{\"item\":{\"name\":\"big.bin\",\"parent_id\":\"root\"},\"version\":{\"file_metadata\":{\"external_id\":\"$id\"}}}" \
  "$base/documents/v1/companies/$company/item" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

reset_peak; start=$(now)
curl -sf "${auth[@]}" -o "$work/down.bin" "$base/documents/v1/companies/$company/item/$item/download"
sync; download_time=$(seconds "$start"); download_peak=$(kib)
cmp -s "$work/big.bin" "$work/down.bin" || { echo "downloaded bytes differ"; exit 1; }
rm "$work/down.bin"

# A folder of 1,000 files of 1 MiB each.
mkdir "$work/parts"; split -b 1048576 -a 4 -d "$work/big.bin" "$work/parts/part-"
folder=$(curl -sf "${auth[@]}" -H 'content-type: application/json' -d '{"item":{"name":"Folder","parent_id":"root","is_directory":true},"version":{}}' \
  "$base/documents/v1/companies/$company/item" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for part in "$work"/parts/part-*; do
  name=$(basename "$part")
  curl -sf "${auth[@]}" -F "item={\"name\":\"$name\",\"parent_id\":\"$folder\"}" -F 'version={}' -F "file=@$part" \
    "$base/documents/v1/companies/$company/item" >/dev/null
done
reset_peak; start=$(now)
curl -sf "${auth[@]}" -o "$work/folder.zip" "$base/documents/v1/companies/$company/item/$folder/download"
sync; zip_time=$(seconds "$start"); zip_peak=$(kib)
entries=$(python3 -c "import zipfile,sys; print(len(zipfile.ZipFile('$work/folder.zip').namelist()))")

echo
echo "| scenario (1 GiB, local store)                | Quire      | cp         | peak RSS   |"
echo "|----------------------------------------------|------------|------------|------------|"
row "upload (POST files, raw body)" "$upload_time" "$cp_time" "$upload_peak"
row "download (GET item/:id/download)" "$download_time" "$cp_time" "$download_peak"
row "zip a folder of 1,000 × 1 MiB ($entries entries)" "$zip_time" "$cp_time" "$zip_peak"
