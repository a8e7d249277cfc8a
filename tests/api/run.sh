#!/usr/bin/env bash
# Toxiproxy's own node client drives a jinx session (issue 12): jinx serves
# the API and wraps the client script, which reads TOXIPROXY_URL as it would
# from Toxiproxy. The script's exit status is jinx's.
# Usage: tests/api/run.sh JINX BUILD_DIR SOURCE_DIR
set -u
JINX=$1 BUILD=$2 SOURCE=$3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jinx-api.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export NODE_PATH=$BUILD/npm/toxiproxy-node-client/node_modules
timeout 60 "$JINX" run --api 127.0.0.1:0 --seed 7 --no-progress --quiet \
  -- node "$SOURCE/tests/api/client.js" >"$TMP/events" 2>"$TMP/stderr"
status=$?
cat "$TMP/stderr"
if [ $status -ne 0 ]; then
  echo "FAIL: jinx and the client exited $status; events:"
  tail -40 "$TMP/events"
  exit 1
fi
# What the client did is in the events, marked as the API's doing.
for event in api_listen proxy_listen proxy_close toxic_on toxic_update toxic_off; do
  grep -q "\"event\":\"$event\"" "$TMP/events" || { echo "FAIL: no $event event"; exit 1; }
done
if grep '"event":"toxic_on"' "$TMP/events" | grep -vq '"source":"api"'; then
  echo "FAIL: a toxic_on without source api"; exit 1
fi
echo "ok"
