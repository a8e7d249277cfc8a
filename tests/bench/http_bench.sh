#!/usr/bin/env bash
# The HTTP proxy's benchmark (issue 13): wrk (keep-alive, 1 KiB responses)
# against nginx directly, through jinx's HTTP proxy with no request toxic,
# and through haproxy in `mode http`. Prints requests/s and p50 latency of
# each, and jinx's figures against haproxy's (targets: requests/s >= 1.0x,
# added p50 <= haproxy's). Loopback only; not part of `make test`.
#
#   tests/bench/http_bench.sh build/jinx [SECONDS] [CONNECTIONS]
set -u
JINX=$(realpath "$1")
SECONDS_EACH=${2:-10}
CONNS=${3:-50}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
for tool in "$NGINX" "$HAPROXY" wrk python3; do
  command -v "$tool" >/dev/null || [ -x "$tool" ] || { echo "$tool is missing" >&2; exit 2; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/jinx-http-bench.XXXXXX")
chmod 755 "$TMP"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
cd "$TMP" || exit 2
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
  for _ in $(seq 200); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nothing listens on $1" >&2
  cat "$TMP"/*.log "$TMP"/*.err 2>/dev/null | tail -5 >&2
  exit 1
}

mkdir -p www temp
head -c 1024 /dev/urandom >www/1k.bin
NPORT=$(free_port)
cat >nginx.conf <<EOF
daemon off;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $TMP/temp/body;
  proxy_temp_path $TMP/temp/proxy;
  fastcgi_temp_path $TMP/temp/fastcgi;
  uwsgi_temp_path $TMP/temp/uwsgi;
  scgi_temp_path $TMP/temp/scgi;
  keepalive_requests 10000000;
  server { listen 127.0.0.1:$NPORT; root $TMP/www; }
}
EOF
"$NGINX" -p "$TMP" -c "$TMP/nginx.conf" 2>/dev/null &
pids+=($!)
wait_port "$NPORT"

JPORT=$(free_port)
cat >jinx.toml <<EOF
[[proxy]]
name = "web"
listen = "127.0.0.1:$JPORT"
upstream = "127.0.0.1:$NPORT"
protocol = "http"
EOF
"$JINX" run --quiet --no-progress jinx.toml >jinx.events 2>jinx.err &
pids+=($!)
wait_port "$JPORT"

HPORT=$(free_port)
cat >haproxy.cfg <<EOF
global
  maxconn 4000
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
frontend f
  bind 127.0.0.1:$HPORT
  default_backend b
backend b
  server s 127.0.0.1:$NPORT
EOF
"$HAPROXY" -f haproxy.cfg -db >haproxy.log 2>&1 &
pids+=($!)
wait_port "$HPORT"

# run NAME PORT: wrk's requests/s and p50 (ms) through PORT.
declare -A RPS P50
run() {
  wrk -t2 -c"$CONNS" -d"${SECONDS_EACH}s" --latency "http://127.0.0.1:$2/1k.bin" >"$1.wrk" 2>&1
  RPS[$1]=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$1.wrk")
  P50[$1]=$(awk '$1 == "50%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 }
                               else if (v ~ /ms$/) sub(/ms/, "", v); else { sub(/s/, "", v); v *= 1000 }
                               print v }' "$1.wrk")
  printf '%-8s %10s req/s   p50 %8s ms\n' "$1" "${RPS[$1]}" "${P50[$1]}"
}
run direct "$NPORT"
run jinx "$JPORT"
run haproxy "$HPORT"
python3 - "${RPS[jinx]}" "${RPS[haproxy]}" "${P50[direct]}" "${P50[jinx]}" "${P50[haproxy]}" <<'EOF'
import sys
rj, rh, pd, pj, ph = map(float, sys.argv[1:])
print(f"jinx/haproxy requests/s: {rj / rh:.2f}x (target >= 1.0x)")
print(f"added p50: jinx {pj - pd:.3f} ms, haproxy {ph - pd:.3f} ms (target: jinx <= haproxy)")
EOF
