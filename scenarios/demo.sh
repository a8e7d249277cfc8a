#!/usr/bin/env bash
# demo.sh BUILD_DIR: a 13-second jinx session you can watch.
#
# Starts a local echo server, then runs jinx in front of it with a scenario
# given on standard input (a heredoc, `jinx run -`). jinx wraps a pinger
# (`-- jinx-loopback ping ...`) that finds the proxy in $JINX_ECHO and sends
# a 64-byte message every 250 ms through it, printing each round-trip time.
# The timeline:
#
#   0 s -  3 s   clean                      rtt well under 1 ms
#   3 s -  7 s   latency 200 ms +/- 50 ms   rtt 150-250 ms
#   7 s -  9 s   stall (a partition)        no echo at all, then a burst
#   9 s - 12 s   bandwidth 1 -> 64 kbit/s   rtt long, then shrinking
#  12 s - 13 s   clean again; at 13 s the scenario ends and jinx stops ping
#
# jinx's events (stdout) are shown one per line, through `jq -c` if jq is
# installed; the pinger's lines come through jinx's standard error.
#
#   make demo                  # builds, then runs scenarios/demo.sh build
#   scenarios/demo.sh build    # if already built
set -uo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$1
jinx=$build/jinx
loopback=$build/tests/bench/jinx-loopback
for tool in "$jinx" "$loopback"; do
  if [[ ! -x $tool ]]; then
    echo "$0: $tool not found; build first (make)" >&2
    exit 2
  fi
done

# The echo server binds any free port and prints it as its first line.
coproc ECHO_SERVER { exec "$loopback" echo --port 0; }
echo_pid=$ECHO_SERVER_PID
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  kill "$echo_pid" 2>/dev/null
  wait "$echo_pid" 2>/dev/null
}
trap cleanup EXIT

port=
read -r -t 5 port <&"${ECHO_SERVER[0]}"
if [[ ! $port =~ ^[0-9]+$ ]]; then
  echo "$0: the echo server did not report its port" >&2
  exit 1
fi
echo "echo server on 127.0.0.1:$port; jinx starts now (Ctrl-C stops it)" >&2

# Events: compact JSON, one per line. Lines that are not JSON (should the
# wrapped command's output reach stdout) are passed through untouched.
show_events() {
  if command -v jq >/dev/null 2>&1; then
    jq -c -r -R --unbuffered '. as $line | try (fromjson | tojson) catch $line'
  else
    cat
  fi
}

# The proxy listens on port 0 (any free port); jinx passes the real address
# to the pinger as JINX_ECHO, after the proxy named "echo".
"$jinx" run --no-progress - -- \
    "$loopback" ping --to-env JINX_ECHO --interval 250ms --count 1000 <<TOML | show_events
name = "jinx demo: one echo connection, four phases"
duration = "13s"   # then jinx stops the pinger (SIGTERM) and exits
seed = 42          # the same jitter on every run

[[proxy]]
name = "echo"
listen = "127.0.0.1:0"
upstream = "127.0.0.1:$port"

# 3 s to 7 s: each echo comes back 200 ms +/- 50 ms late.
[[toxic]]
name = "slow-echo"
proxy = "echo"
type = "latency"
latency = "200ms"
jitter = "50ms"
start = "3s"
duration = "4s"

# 7 s to 9 s: echoes are held, nothing is lost; at 9 s they all arrive, in
# order, like a network partition that heals.
[[toxic]]
name = "partition"
proxy = "echo"
type = "stall"
start = "7s"
duration = "2s"

# 9 s to 12 s: a thin pipe that widens from 1 kbit/s to 64 kbit/s, one
# step every 500 ms (each step is a toxic_update event).
[[toxic]]
name = "thin-pipe"
proxy = "echo"
type = "bandwidth"
rate = { from = "1kbit/s", to = "64kbit/s" }
ramp_step = "500ms"
start = "9s"
duration = "3s"
TOML
status=${PIPESTATUS[0]}

# jinx exits with the pinger's status. This demo is meant to end with the
# scenario: jinx sends the pinger SIGTERM, which it answers by exiting 0
# (143 is accepted too, should a pinger die of the signal instead).
if [[ $status -eq 0 || $status -eq 143 ]]; then
  exit 0
fi
echo "$0: jinx exited with status $status" >&2
exit "$status"
