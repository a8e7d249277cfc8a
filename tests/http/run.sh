#!/usr/bin/env bash
# HTTP proxies against real clients and a real server nobody here wrote
# (SPEC 11, issue 13): nginx (Debian's nginx-light, started here on a
# loopback port, its config and paths in a temporary directory), with curl
# and wrk through jinx. python3 plays the client where byte-exact control is
# needed (pipelining) and the server that answers an upgrade.
#
#   tests/http/run.sh JINX_BINARY
#
# Prints one line per failure, then `N passed, M failed`; exits 1 if any
# check failed or a tool is missing (make test installs them: a skipped
# referee would hide a missing install step).
set -u

if [ $# -ne 1 ]; then
  echo "usage: $0 JINX_BINARY" >&2
  exit 2
fi
case "$1" in
  /*) JINX=$1 ;;
  *) JINX=$PWD/$1 ;;
esac
for tool in nginx curl wrk jq python3 sha256sum; do
  if ! command -v "$tool" >/dev/null && [ ! -x "/usr/sbin/$tool" ]; then
    echo "FAIL: $tool is missing (make test-deps installs it)" >&2
    exit 1
  fi
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/jinx-http.XXXXXX")
chmod 755 "$TMP"  # nginx's worker may run as another user (nobody, when we are root)
NGINX_PID=""
cleanup() {
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
cd "$TMP" || exit 2

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() {  # NAME REASON [DETAILS]
  failed=$((failed + 1))
  echo "FAIL $1: $2"
  if [ -n "${3:-}" ]; then
    printf '%s\n' "$3" | head -n 30 | cut -c 1-300 | sed 's/^/    /'
  fi
}
check() {  # NAME CONDITION-RESULT REASON [DETAILS]
  if [ "$2" = 0 ]; then pass "$1"; else fail "$1" "$3" "${4:-}"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- nginx on a loopback port, everything under $TMP ---
mkdir -p www temp
python3 -c 'import os,sys; sys.stdout.buffer.write(os.urandom(8*1024*1024))' >www/large.bin
head -c 200000 /dev/urandom | base64 >www/text.txt
PORT=$(free_port)
cat >nginx.conf <<EOF
daemon off;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $TMP/temp/body;
  proxy_temp_path $TMP/temp/proxy;
  fastcgi_temp_path $TMP/temp/fastcgi;
  uwsgi_temp_path $TMP/temp/uwsgi;
  scgi_temp_path $TMP/temp/scgi;
  keepalive_requests 1000000;
  client_max_body_size 64m;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$PORT;
    root $TMP/www;
    gzip on;
    gzip_min_length 0;
    gzip_types *;
    location = /hello { return 200 "hello\n"; }
    location = /a { return 200 "a\n"; }
    location = /b { return 200 "b\n"; }
    location = /c { return 200 "c\n"; }
    # Reads the whole body (sending 100 Continue first) before answering.
    location = /upload { proxy_pass http://127.0.0.1:$PORT/hello; }
  }
}
EOF
"$NGINX" -p "$TMP" -c "$TMP/nginx.conf" 2>"$TMP/nginx.stderr" &
NGINX_PID=$!
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/hello" && break
  sleep 0.05
done
if ! curl -s -o /dev/null "http://127.0.0.1:$PORT/hello"; then
  echo "nginx did not start:" >&2
  cat "$TMP/nginx.stderr" "$TMP/error.log" >&2 2>/dev/null
  exit 1
fi

# scenario NAME TOXIC-LINES : an http proxy "web" in front of nginx.
scenario() {
  {
    printf 'seed = 42\n\n[[proxy]]\nname = "web"\nlisten = "127.0.0.1:0"\n'
    printf 'upstream = "127.0.0.1:%s"\nprotocol = "http"\n' "$PORT"
    [ -n "$2" ] && printf '\n[[toxic]]\nproxy = "web"\n%s\n' "$2"
  } >"$1.toml"
}

# through NAME COMMAND... : runs COMMAND under jinx (JINX_WEB is the proxy);
# events in NAME.events, the command's output in NAME.out.
through() {
  local name=$1
  shift
  timeout -k 2 60 "$JINX" run --no-progress "$name.toml" -- "$@" >"$name.events" 2>"$name.out"
}

# 1. Bytes intact: an 8 MiB response (Content-Length) and a gzip'd one
#    (chunked), checked by sha256; one http_request event each.
scenario intact ""
through intact bash -c 'curl -sS -o large.bin "http://$JINX_WEB/large.bin" &&
  curl -sS --compressed -o text.txt -D headers.txt "http://$JINX_WEB/text.txt"'
want=$(sha256sum <www/large.bin | cut -d' ' -f1)
got=$(sha256sum <large.bin 2>/dev/null | cut -d' ' -f1)
check "large response intact" "$([ "$want" = "$got" ]; echo $?)" "sha256 differs" "$(cat intact.out)"
want=$(sha256sum <www/text.txt | cut -d' ' -f1)
got=$(sha256sum <text.txt 2>/dev/null | cut -d' ' -f1)
chunked=$(grep -ci '^transfer-encoding: chunked' headers.txt 2>/dev/null)
check "chunked response intact" "$([ "$want" = "$got" ] && [ "$chunked" = 1 ]; echo $?)" \
  "sha256 differs or not chunked ($chunked)" "$(cat intact.out)"
events=$(jq -c 'select(.event == "http_request") | [.method, .path, .status, .bytes_down]' intact.events)
check "one http_request event per exchange" \
  "$([ "$events" = "$(printf '["GET","/large.bin",200,8388608]\n["GET","/text.txt",200,%s]' \
    "$(jq -r 'select(.event == "http_request" and .path == "/text.txt") | .bytes_down' intact.events)")" ]; echo $?)" \
  "events" "$events"

# 2. first = 3: exactly three errors, then none, on one kept-alive connection.
scenario first 'type = "http_error"
first = 3
match = { path = "/hello" }'
urls=$(for i in $(seq 10); do printf -- '-o /dev/null http://$JINX_WEB/hello '; done)
through first bash -c "curl -sS -w '%{http_code}\n' $urls"
codes=$(tr '\n' ' ' <first.out)
check "first = 3: three 503 then 200s" \
  "$([ "$codes" = "503 503 503 200 200 200 200 200 200 200 " ]; echo $?)" "codes: $codes" \
  "$(cat first.events)"
conns=$(jq -s '[.[] | select(.event == "http_request") | .conn] | unique | length' first.events)
answered=$(jq -s '[.[] | select(.event == "http_request" and .answered_by == "http_error")] | length' first.events)
check "keep-alive survives injected errors" "$([ "$conns" = 1 ] && [ "$answered" = 3 ]; echo $?)" \
  "connections: $conns, answered by jinx: $answered"

timeout -k 2 60 "$JINX" run --no-progress --format text first.toml -- \
  bash -c "curl -sS $urls" >first.text 2>&1
summary=$(grep '^jinx: proxy web:' first.text)
check "text summary counts status classes per proxy" \
  "$([ "$summary" = "jinx: proxy web: 7 2xx, 3 5xx." ]; echo $?)" "summary: $summary" "$(tail -5 first.text)"

# 3. Pipelined requests in one write: each matched and answered in order.
scenario pipe 'type = "http_error"
status = 418
match = { path = "/b" }'
cat >pipe.py <<'EOF'
import os, re, socket
host, port = os.environ["JINX_WEB"].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
req = "".join(f"GET /{p} HTTP/1.1\r\nHost: x\r\n\r\n" for p in "abcb")
s.sendall(req.encode())
data = b""
while data.count(b"HTTP/1.1 ") < 4 or not data.endswith((b"a\n", b"b\n", b"c\n", b"\r\n\r\n")):
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(" ".join(s.decode() for s in re.findall(rb"HTTP/1\.1 (\d{3}) ", data)))
EOF
through pipe timeout 10 python3 pipe.py
check "pipelined requests answered in order" "$([ "$(tr -d '\n' <pipe.out)" = "200 418 200 418" ]; echo $?)" \
  "statuses: $(cat pipe.out)" "$(cat pipe.events)"

# 3b. close = true: the answer ends the connection; the request pipelined
#     behind it never reaches nginx.
scenario pipe_close 'type = "http_error"
close = true
match = { path = "/b" }'
cat >pipe_close.py <<'EOF'
import os, re, socket
host, port = os.environ["JINX_WEB"].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
s.sendall(b"".join(b"GET /%s HTTP/1.1\r\nHost: x\r\n\r\n" % p for p in (b"a", b"b", b"c")))
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(" ".join(s.decode() for s in re.findall(rb"HTTP/1\.1 (\d{3}) ", data)))
EOF
through pipe_close timeout 10 python3 pipe_close.py
paths=$(jq -r -s '[.[] | select(.event == "http_request") | .path] | join(" ")' pipe_close.events)
check "http_error close = true: answer, then FIN; nothing after it goes upstream" \
  "$([ "$(tr -d '\n' <pipe_close.out)" = "200 503" ] && [ "$paths" = "/a /b" ]; echo $?)" \
  "statuses: $(cat pipe_close.out), exchanges: $paths" "$(cat pipe_close.events)"

# 3c. An 8 MiB upload streams through (curl sends Expect: 100-continue).
scenario upload ""
through upload bash -c 'curl -sS -o /dev/null -w "%{http_code}" --data-binary @www/large.bin "http://$JINX_WEB/upload"'
up=$(jq -r 'select(.event == "http_request") | "\(.method) \(.status) \(.bytes_up)"' upload.events)
check "an 8 MiB upload with Expect: 100-continue" \
  "$([ "$(cat upload.out)" = 200 ] && [ "$up" = "POST 200 8388608" ]; echo $?)" \
  "curl: $(cat upload.out), event: $up" "$(cat upload.events)"

# 4. An upgrade (101) turns the connection into a plain relay: bytes after
#    it are echoed by the upstream, untouched by the HTTP layer.
UPORT=$(free_port)
cat >upgrade_server.py <<EOF
import socket
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", $UPORT))
srv.listen(1)
print("ready", flush=True)
c, _ = srv.accept()
data = b""
while b"\r\n\r\n" not in data:
    data += c.recv(4096)
c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
rest = data.split(b"\r\n\r\n", 1)[1]
if rest:
    c.sendall(rest)
while True:
    chunk = c.recv(65536)
    if not chunk:
        break
    c.sendall(chunk)
c.close()
EOF
cat >upgrade_client.py <<'EOF'
import os, socket
host, port = os.environ["JINX_WEB"].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
s.sendall(b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
data = b""
while b"\r\n\r\n" not in data:
    data += s.recv(4096)
payload = b"NOT HTTP \x00\x01\x02 GET / HTTP/1.1\r\n\r\n" * 100
s.sendall(payload)
got = data.split(b"\r\n\r\n", 1)[1]
while len(got) < len(payload):
    chunk = s.recv(65536)
    if not chunk:
        break
    got += chunk
print("echo ok" if got == payload else f"echo differs: {len(got)} of {len(payload)}")
EOF
timeout 30 python3 upgrade_server.py >upgrade_server.out 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q ready upgrade_server.out 2>/dev/null && break; sleep 0.05; done
sed "s/127.0.0.1:$PORT/127.0.0.1:$UPORT/" <pipe.toml | sed '/\[\[toxic\]\]/,$d' >upgrade.toml
through upgrade timeout 10 python3 upgrade_client.py
kill "$server_pid" 2>/dev/null
wait "$server_pid" 2>/dev/null
warnings=$(jq -s '[.[] | select(.event == "warning")] | length' upgrade.events)
status=$(jq -r 'select(.event == "http_request") | .status' upgrade.events)
check "an upgrade passes through" \
  "$([ "$(cat upgrade.out)" = "echo ok" ] && [ "$warnings" = 0 ] && [ "$status" = 101 ]; echo $?)" \
  "client: $(cat upgrade.out), warnings: $warnings, status: $status" "$(cat upgrade.events)"

# 5. Not HTTP from the client: a plain relay with one warning, no byte lost.
cat >garbage.py <<'EOF'
import os, socket
host, port = os.environ["JINX_WEB"].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
s.sendall(b"\x16\x03\x01 this is not HTTP\r\n\r\n")
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print("400" if b" 400 " in data.split(b"\r\n")[0] else repr(data[:80]))
EOF
scenario garbage ""
through garbage timeout 10 python3 garbage.py
warnings=$(jq -s '[.[] | select(.event == "warning")] | length' garbage.events)
check "not HTTP: plain relay with one warning" \
  "$([ "$(cat garbage.out)" = "400" ] && [ "$warnings" = 1 ]; echo $?)" \
  "nginx said: $(cat garbage.out), warnings: $warnings" "$(cat garbage.events)"

# 6. The same seed gives the same failed request numbers.
scenario seeded 'type = "http_error"
toxicity = 0.3'
urls=$(for i in $(seq 40); do printf -- '-o /dev/null http://$JINX_WEB/hello '; done)
failed_numbers() {
  jq -c -s '[.[] | select(.event == "http_request" and .status == 503) | .request]' "$1"
}
through seeded bash -c "curl -sS $urls"
first_run=$(failed_numbers seeded.events)
through seeded bash -c "curl -sS $urls"
second_run=$(failed_numbers seeded.events)
check "same seed, same failed requests" \
  "$([ "$first_run" = "$second_run" ] && [ "$first_run" != "[]" ]; echo $?)" \
  "$first_run vs $second_run"

# 7. http_delay: 200 ms before the request goes upstream, 100 ms before the
#    response's first byte; a request on another connection meanwhile is
#    not held up.
scenario delay 'type = "http_delay"
request = "200ms"
response = "100ms"
match = { path = "/a" }'
through delay bash -c 'curl -sS -o /dev/null -w "%{time_starttransfer}" "http://$JINX_WEB/a" >a.time &
  sleep 0.05; curl -sS -o /dev/null -w "%{time_starttransfer}" "http://$JINX_WEB/b" >b.time; wait'
ok=$(python3 -c "a, b = float(open('a.time').read()), float(open('b.time').read()); print(0 if a >= 0.3 and b < 0.15 else 1)" 2>&1)
# upstream_ms counts from the (late) request to the response headers, before
# the response delay: the upstream itself was quick.
times=$(jq -r 'select(.event == "http_request" and .path == "/a") | "\(.upstream_ms) \(.duration_ms)"' delay.events)
check "http_delay: request and response late, other connections not" \
  "$([ "$ok" = 0 ] && python3 -c "import sys; u, d = map(float, '$times'.split()); sys.exit(0 if u < 100 and d >= 300 else 1)"; echo $?)" \
  "/a first byte after $(cat a.time 2>/dev/null) s, /b after $(cat b.time 2>/dev/null) s, upstream_ms duration_ms: $times" \
  "$(cat delay.events)"

# 8. http_abort: the 8 MiB body cut after 1000 bytes, by FIN and by RST.
scenario abort 'type = "http_abort"
after = 1000
match = { path = "/large.bin" }'
through abort bash -c 'curl -sS -o cut.bin "http://$JINX_WEB/large.bin"; echo "exit $?"'
size=$(stat -c %s cut.bin 2>/dev/null)
check "http_abort how = close: 1000 body bytes, then FIN" \
  "$([ "$size" = 1000 ] && grep -q 'exit 18' abort.out; echo $?)" "size $size, $(tail -1 abort.out)" \
  "$(cat abort.events)"
scenario abort_reset 'type = "http_abort"
after = 1000
how = "reset"
match = { path = "/large.bin" }'
through abort_reset bash -c 'curl -sS -o cut.bin "http://$JINX_WEB/large.bin"; echo "exit $?"'
reason=$(jq -r 'select(.event == "conn_close") | .reason' abort_reset.events)
check "http_abort how = reset: the connection is reset" \
  "$(grep -Eq 'exit (56|18)' abort_reset.out && [ "$reason" = toxic ]; echo $?)" \
  "$(tail -1 abort_reset.out), reason $reason" "$(cat abort_reset.events)"

# 9. http_rate_limit: 5 requests per second, then 429 with Retry-After.
scenario limit 'type = "http_rate_limit"
rate = 5'
urls=$(for i in $(seq 20); do printf -- '-o /dev/null http://$JINX_WEB/hello '; done)
through limit bash -c "curl -sS -w '%{http_code} ' $urls"
codes=$(cat limit.out)
ok=$(python3 -c "
c = '$codes'.split()
print(0 if c[:5] == ['200'] * 5 and c.count('429') >= 10 and len(c) == 20 else 1)")
check "http_rate_limit: 5 through, then 429" "$ok" "codes: $codes"

# 10. toxicity 0.1 over 10,000 requests: wrk sees 10 % +- 1 pt non-2xx. Each
#    of wrk's 4 threads stops after 2,500 responses (wrk itself then waits
#    out -d, the bound).
scenario rate 'type = "http_error"
toxicity = 0.1'
cat >stop.lua <<'EOF'
local n = 0
response = function(status, headers, body)
  n = n + 1
  if n >= 2500 then wrk.thread:stop() end
end
EOF
through rate bash -c 'wrk -t4 -c4 -d15s -s stop.lua "http://$JINX_WEB/hello"'
total=$(jq -s '[.[] | select(.event == "http_request")] | length' rate.events)
errors=$(jq -s '[.[] | select(.event == "http_request" and .status == 503)] | length' rate.events)
non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' rate.out)
requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' rate.out)
ok=$(python3 -c "
t, e, n, r = $total, $errors, ${non2xx:-0}, ${requests:-0}
print(0 if t >= 10000 and r >= 10000 and abs(n / r - 0.1) <= 0.01 and abs(e / t - 0.1) <= 0.01 else 1)")
check "toxicity 0.1 over 10,000 requests: 10 % +- 1 pt" "$ok" \
  "wrk: $non2xx of $requests non-2xx; jinx: $errors of $total answered" "$(cat rate.out)"

# 11. An unreachable upstream (connect refused): http_error still answers the
#     requests it matches, on a kept-alive connection and to a client that
#     half-closes after its request; the first request that needs the
#     upstream ends the connection (upstream_unreachable), as on a TCP proxy.
dead=$(free_port)
printf 'seed = 42\n\n[[proxy]]\nname = "web"\nlisten = "127.0.0.1:0"\nupstream = "127.0.0.1:%s"
protocol = "http"\n\n[[toxic]]\nproxy = "web"\ntype = "http_error"\nmatch = { path = "/down" }\n' \
  "$dead" >refused.toml
cat >halfclose.py <<'EOF'
import os, socket
host, port = os.environ["JINX_WEB"].rsplit(":", 1)
s = socket.create_connection((host, int(port)), 5)
s.sendall(b"GET /down HTTP/1.1\r\nHost: x\r\n\r\n")
s.shutdown(socket.SHUT_WR)
got = b""
while chunk := s.recv(65536):
    got += chunk
print(got.split(b"\r\n", 1)[0].decode())
EOF
through refused bash -c 'curl -sS -w "%{http_code} " -o /dev/null "http://$JINX_WEB/down" \
    -o /dev/null "http://$JINX_WEB/down"; echo "exit $?"
  python3 halfclose.py
  curl -sS -o /dev/null "http://$JINX_WEB/other"; echo "exit $?"'
got=$(tr '\n' ' ' <refused.out)
conns=$(jq -s '[.[] | select(.event == "http_request" and .answered_by == "http_error") | .conn]
  | group_by(.) | map(length)' -c refused.events)
reasons=$(jq -r 'select(.event == "conn_close") | .reason' refused.events | sort -u)
check "unreachable upstream: http_error still answers, other requests end the connection" \
  "$(grep -Eq '^503 503 exit 0 HTTP/1.1 503 Service Unavailable (curl: .*)?exit 5[26] $' <<<"$got" &&
    [ "$conns" = "[2,1]" ] && [ "$reasons" = upstream_unreachable ]; echo $?)" \
  "output: $got, answered per connection: $conns, close reasons: $reasons" "$(cat refused.events)"

# 12. A byte-level toxic with match acts on the exchanges it picks only: a
#     300 ms latency on /text.txt's responses, on one kept-alive connection;
#     /hello before and after it is not held. Pipelined behind /text.txt,
#     /hello waits for it (one TCP stream keeps its order).
scenario match_latency 'type = "latency"
name = "slow-text"
latency = "300ms"
match = { path = "/text*" }'
through match_latency bash -c 'curl -sS -w "%{time_total}\n" -o /dev/null "http://$JINX_WEB/hello" \
  -o /dev/null "http://$JINX_WEB/text.txt" -o /dev/null "http://$JINX_WEB/hello"'
times=$(tr '\n' ' ' <match_latency.out)
touched=$(jq -c -s '[.[] | select(.event == "http_request") | [.path, .toxics]]' match_latency.events)
check "latency with match: only the matching response is late" \
  "$(python3 -c "import sys; a, b, c = map(float, '$times'.split()); sys.exit(0 if a < 0.2 and b >= 0.3 and c < 0.2 else 1)" 2>/dev/null &&
    [ "$touched" = '[["/hello",[]],["/text.txt",["slow-text"]],["/hello",[]]]' ]; echo $?)" \
  "times: $times, toxics: $touched" "$(cat match_latency.events)"
cat >match_pipe.py <<'EOF'
import os, socket, time
host, port = os.environ["JINX_WEB"].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
start = time.monotonic()
s.sendall(b"GET /text.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
data = b""
while data.count(b"HTTP/1.1 ") < 2 or not data.endswith(b"hello\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
first = data.find(b"HTTP/1.1 200")
second = data.find(b"HTTP/1.1 200", first + 1)
ok = 0 < second and data.index(b"hello\n") > second and time.monotonic() - start >= 0.3
print("in order, late" if ok else "wrong: %r" % data[:200])
EOF
through match_latency timeout 10 python3 match_pipe.py
check "latency with match: a pipelined response waits behind the held one" \
  "$([ "$(cat match_latency.out)" = "in order, late" ]; echo $?)" "$(cat match_latency.out)"

# 13. nth = 2 on the request side (stream = "upstream"): every second
#     request on the connection reaches nginx 300 ms late.
scenario match_nth 'type = "latency"
stream = "upstream"
latency = "300ms"
nth = 2'
through match_nth bash -c 'curl -sS -w "%{time_total}\n" -o /dev/null "http://$JINX_WEB/hello" \
  -o /dev/null "http://$JINX_WEB/hello" -o /dev/null "http://$JINX_WEB/hello" \
  -o /dev/null "http://$JINX_WEB/hello"'
times=$(tr '\n' ' ' <match_nth.out)
check "latency with nth = 2: requests 2 and 4 late" \
  "$(python3 -c "import sys; t = list(map(float, '$times'.split())); sys.exit(0 if len(t) == 4 and max(t[0], t[2]) < 0.2 and min(t[1], t[3]) >= 0.3 else 1)" 2>/dev/null; echo $?)" \
  "times: $times" "$(cat match_nth.events)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
