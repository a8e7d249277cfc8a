#!/usr/bin/env bash
# Every route of the control API with curl (issue 12): status codes and
# Toxiproxy's error bodies, the browser guard, the request id header.
# Usage: tests/api/curl.sh JINX
set -u
JINX=$1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jinx-curl.XXXXXX")
"$JINX" run --api 127.0.0.1:0 --no-progress --quiet >"$TMP/events" 2>"$TMP/stderr" &
jinx=$!
trap 'kill $jinx 2>/dev/null; wait $jinx 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do
  grep -q api_listen "$TMP/events" 2>/dev/null && break
  sleep 0.05
done
API=$(sed -n 's/.*"event":"api_listen","address":"\([^"]*\)".*/\1/p' "$TMP/events")
[ -n "$API" ] || { echo "FAIL: no api_listen event"; cat "$TMP/stderr"; exit 1; }
UP=127.0.0.1:9  # nothing is relayed here: only the API is under test

passed=0 failed=0
# check METHOD PATH BODY STATUS [TEXT]: the answer has STATUS and contains TEXT.
check() {
  local method=$1 path=$2 body=$3 want=$4 text=${5:-}
  local args=(-s -o "$TMP/body" -D "$TMP/head" -w '%{http_code}' -X "$method")
  [ -n "$body" ] && args+=(--data-binary "$body")
  local got
  got=$(curl "${args[@]}" "http://$API$path")
  if [ "$got" != "$want" ] || { [ -n "$text" ] && ! grep -qF -- "$text" "$TMP/body"; }; then
    failed=$((failed + 1))
    echo "FAIL $method $path ${body:0:200}: want $want ${text:+and '$text'}, got $got: $(cat "$TMP/body")"
  elif ! grep -qi '^X-Toxiproxy-Request-Id: ' "$TMP/head"; then
    failed=$((failed + 1))
    echo "FAIL $method $path: no X-Toxiproxy-Request-Id"
  else
    passed=$((passed + 1))
  fi
}

check GET /version "" 200 '"version"'
check GET /proxies "" 200 '{}'
check POST /proxies "" 400 '{"error":"bad request body: EOF","status":400}'
check POST /proxies '{"name":' 400 '"status":400'
check POST /proxies '{"upstream":"'$UP'"}' 400 '{"error":"missing required field: name","status":400}'
check POST /proxies '{"name":"a"}' 400 '{"error":"missing required field: upstream","status":400}'
check POST /proxies '{"name":"a","listen":"127.0.0.1:0","upstream":"'$UP'"}' 201 '"enabled":true'
check POST /proxies '{"name":"a","listen":"127.0.0.1:0","upstream":"'$UP'"}' 409 \
  '{"error":"proxy already exists","status":409}'
A_LISTEN=$(sed -n 's/.*"listen":"\([^"]*\)".*/\1/p' "$TMP/body")
check POST /proxies '{"name":"b","listen":"'"$(curl -s "http://$API/proxies/a" | sed -n 's/.*"listen":"\([^"]*\)".*/\1/p')"'","upstream":"'$UP'"}' 500 '"status":500'
check GET /proxies "" 200 '"a":{"name":"a"'
check GET /proxies/a "" 200 '"toxics":[]'
check GET /proxies/zz "" 404 '{"error":"proxy not found","status":404}'
check PATCH /proxies/a '{"enabled":false}' 200 '"enabled":false'
check POST /proxies/a '{"enabled":true}' 200 '"enabled":true'
check PATCH /proxies/zz '{"enabled":false}' 404 '{"error":"proxy not found","status":404}'
check PATCH /proxies/a '[1' 400 '"status":400'
check GET /proxies/a/toxics "" 200 '[]'
check GET /proxies/zz/toxics "" 404 '{"error":"proxy not found","status":404}'
check POST /proxies/a/toxics '{"type":"latency","attributes":{"latency":100}}' 200 \
  '{"attributes":{"latency":100,"jitter":0},"name":"latency_downstream","type":"latency","stream":"downstream","toxicity":1}'
check POST /proxies/a/toxics '{"type":"latency"}' 409 '{"error":"toxic already exists","status":409}'
check POST /proxies/a/toxics '{"type":"nope"}' 400 '{"error":"invalid toxic type","status":400}'
check POST /proxies/a/toxics '{"type":"latency","stream":"sideways"}' 400 \
  '{"error":"stream was invalid, can be either upstream or downstream","status":400}'
check POST /proxies/a/toxics '{"type":"latency","name":"l2","attributes":{"latency":"x"}}' 400 \
  "bad request body: attribute 'latency' must be a number"
check POST /proxies/a/toxics '{"type":"bandwidth","stream":"upstream","toxicity":0.5,"attributes":{"rate":64}}' 200 \
  '"name":"bandwidth_upstream","type":"bandwidth","stream":"upstream","toxicity":0.5'
check POST /proxies/zz/toxics '{"type":"latency"}' 404 '{"error":"proxy not found","status":404}'
check GET /proxies/a/toxics/latency_downstream "" 200 '"latency":100'
check GET /proxies/a/toxics/zz "" 404 '{"error":"toxic not found","status":404}'
check PATCH /proxies/a/toxics/latency_downstream '{"attributes":{"jitter":5}}' 200 '"latency":100,"jitter":5'
check POST /proxies/a/toxics/latency_downstream '{"toxicity":0.25}' 200 '"toxicity":0.25'
check PATCH /proxies/a/toxics/zz '{}' 404 '{"error":"toxic not found","status":404}'
check DELETE /proxies/a/toxics/latency_downstream "" 204
check DELETE /proxies/a/toxics/latency_downstream "" 404 '{"error":"toxic not found","status":404}'
check POST /populate '[{"name":"c","listen":"127.0.0.1:0","upstream":"'$UP'"}]' 201 '{"proxies":[{"name":"c"'
check POST /populate '[{"name":"d","upstream":"'$UP'"},{"upstream":"'$UP'"}]' 400 \
  '"error":"missing required field: name at proxy 2","status":400'
check GET /proxies/d "" 404  # populate is all or nothing
check POST /populate '{"name":"c"}' 400 '"status":400'
check POST /reset "" 204
check GET /proxies/a/toxics "" 200 '[]'
check DELETE /proxies/c "" 204
check DELETE /proxies/c "" 404 '{"error":"proxy not found","status":404}'
# Hostile bodies (curl reads @FILE): 300,000 levels of nesting, and 2 MB
# (over the 1 MiB cap).
{ printf '%*s' 300000 '' | tr ' ' '['; printf '%*s' 300000 '' | tr ' ' ']'; } >"$TMP/deep.json"
head -c 2000000 /dev/zero | tr '\0' ' ' >"$TMP/big.json"
check POST /populate "@$TMP/deep.json" 400 'a proxy must be a JSON object'
check POST /proxies "@$TMP/big.json" 413 'request body too large'
check GET /version "" 200 '"version"'
check GET /metrics "" 200 'toxiproxy_proxy_sent_bytes_total{direction="upstream",proxy="a",'
check GET /metrics "" 200 'jinx_api_requests_total '
check POST /metrics "" 405
# Bytes through a proxy whose upstream is the API itself: received (read
# from each side) and sent (written to the other), as curl counts them.
check POST /proxies '{"name":"m","listen":"127.0.0.1:0","upstream":"'$API'"}' 201
LISTEN_M=$(sed -n 's/.*"listen":"\([^"]*\)".*/\1/p' "$TMP/body")
sizes=$(curl -s -o /dev/null -w '%{size_request} %{size_header} %{size_download}' \
  "http://$LISTEN_M/version")
read -r req head down <<<"$sizes"
labels="proxy=\"m\",listener=\"$LISTEN_M\",upstream=\"$API\""
for line in "toxiproxy_proxy_received_bytes_total{direction=\"upstream\",$labels} $req" \
  "toxiproxy_proxy_received_bytes_total{direction=\"downstream\",$labels} $((head + down))" \
  "toxiproxy_proxy_sent_bytes_total{direction=\"upstream\",$labels} $req" \
  "toxiproxy_proxy_sent_bytes_total{direction=\"downstream\",$labels} $((head + down))"; do
  check GET /metrics "" 200 "$line"
done
check DELETE /proxies/m "" 204
# Wrong method, unknown path, browsers.
check PUT /proxies "" 405
check GET /populate "" 405
check GET /reset "" 405
check DELETE /proxies/a/toxics "" 405
check GET /nope "" 404
check GET /proxies/a/nope "" 404
got=$(curl -s -o "$TMP/body" -w '%{http_code}' -A 'Mozilla/5.0 (X11)' "http://$API/proxies")
if [ "$got" = 403 ] && grep -q 'User agent not allowed' "$TMP/body"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1)); echo "FAIL browser User-Agent: got $got"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
