#!/usr/bin/env bash
# Bad command lines and runtime failures (SPEC 1, 8, 9; issue 6 item 5).
#
#   tests/cli/run.sh JINX_BINARY
#
# Usage errors must exit 2 without starting anything; runtime failures (a
# listen address that cannot be bound, an upstream that cannot be resolved)
# must exit 1 / be reported as events naming the proxy and the address. All
# traffic stays on loopback (203.0.113.1 is only ever bound, never dialled),
# and every wait is bounded.
#
# Prints one line per failure (with details indented below it), then
# `N passed, M failed`; exits 1 if anything failed.
set -u

if [ $# -ne 1 ]; then
  echo "usage: $0 JINX_BINARY" >&2
  exit 2
fi
case "$1" in
  /*) JINX=$1 ;;
  *) JINX=$PWD/$1 ;;
esac
if [ ! -x "$JINX" ]; then
  echo "$0: $JINX is not an executable" >&2
  exit 2
fi
command -v python3 >/dev/null || { echo "$0: python3 is needed" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/jinx-cli.XXXXXX")
chmod 755 "$TMP"
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 2

passed=0
failed=0
skipped=0

pass() { passed=$((passed + 1)); }
fail() {  # NAME REASON [DETAILS]
  failed=$((failed + 1))
  echo "FAIL $1: $2"
  if [ -n "${3:-}" ]; then
    printf '%s\n' "$3" | head -n 30 | cut -c 1-300 | sed 's/^/    /'
  fi
}
skip() { skipped=$((skipped + 1)); echo "SKIP $1: $2"; }

# A valid scenario that never touches the network when it is only parsed.
cat >ok.toml <<'EOF'
duration = "1s"

[[proxy]]
name = "web"
listen = "127.0.0.1:0"
upstream = "127.0.0.1:9"

[[toxic]]
proxy = "web"
type = "latency"
latency = "10ms"
EOF

# run_jinx ARGS... : runs jinx with a 10 s limit; sets RC, OUT, ERR.
run_jinx() {
  timeout -k 2 10 "$JINX" "$@" </dev/null >"$TMP/stdout" 2>"$TMP/stderr"
  RC=$?
  OUT=$(cat "$TMP/stdout")
  ERR=$(cat "$TMP/stderr")
}

# usage NAME CODE STDOUT_RE STDERR_RE -- ARGS...
# Expects exit CODE, stdout matching STDOUT_RE (grep -E; "^$" = empty),
# stderr matching STDERR_RE. A usage error (CODE 2) must print nothing on
# stdout whatever STDOUT_RE says.
usage() {
  local name=$1 code=$2 out_re=$3 err_re=$4
  shift 5
  run_jinx "$@"
  local problems=()
  [ "$RC" = "$code" ] || problems+=("exit code $RC, expected $code")
  if [ "$out_re" = '^$' ]; then
    [ -z "$OUT" ] || problems+=("stdout should be empty")
  elif ! grep -Eq -- "$out_re" "$TMP/stdout"; then
    problems+=("stdout does not match /$out_re/")
  fi
  if [ "$err_re" = '^$' ]; then
    [ -z "$ERR" ] || problems+=("stderr should be empty")
  elif ! grep -Eq -- "$err_re" "$TMP/stderr"; then
    problems+=("stderr does not match /$err_re/")
  fi
  if [ ${#problems[@]} -eq 0 ]; then
    pass
  else
    local joined
    joined=$(printf '%s; ' "${problems[@]}")
    fail "$name (jinx $*)" "${joined%; }" "stdout: ${OUT:0:600}
stderr: ${ERR:0:600}"
  fi
}

# ---------------------------------------------------------------- usage (2)
usage "unknown subcommand" 2 '^$' 'nosuch' -- nosuch
usage "unknown top-level option" 2 '^$' '--bogus' -- --bogus
usage "unknown run option" 2 '^$' '--bogus' -- run --bogus ok.toml
usage "unknown short option" 2 '^$' '-x' -- run -x ok.toml
usage "run without scenario" 2 '^$' 'SCENARIO' -- run
usage "check without scenario" 2 '^$' 'SCENARIO' -- check
usage "plan without scenario" 2 '^$' 'SCENARIO' -- plan
usage "run with two scenarios" 2 '^$' 'ok\.toml' -- run ok.toml ok.toml
usage "--format xml" 2 '^$' 'xml' -- run --format xml ok.toml
usage "--format without a value" 2 '^$' '--format' -- run ok.toml --format
usage "plan --format xml" 2 '^$' 'xml' -- plan --format xml ok.toml
usage "toxics --format xml" 2 '^$' 'xml' -- toxics --format xml
usage "--seed -1" 2 '^$' "--seed.*'-1'" -- run --seed -1 ok.toml
usage "--seed abc" 2 '^$' "--seed.*'abc'" -- run --seed abc ok.toml
usage "--seed 2^64 overflows" 2 '^$' '--seed.*18446744073709551616' -- run --seed 18446744073709551616 ok.toml
usage "--seed empty" 2 '^$' '--seed' -- run --seed "" ok.toml
usage "plan --seed abc" 2 '^$' "--seed.*'abc'" -- plan --seed abc ok.toml
usage "--duration 5 needs a unit" 2 '^$' '--duration.*needs a unit' -- run --duration 5 ok.toml
usage "--duration -5s" 2 '^$' "--duration.*'-5s'" -- run --duration -5s ok.toml
usage "--duration twice" 2 '^$' '--duration' -- run --duration 1h --duration 2h ok.toml
usage "--start-at yesterday" 2 '^$' "--start-at.*yesterday" -- run --start-at yesterday ok.toml
usage "--start-at in the past" 2 '^$' "--start-at.*2020-01-01T00:00:00Z.*(passed|past)" \
  -- run --start-at 2020-01-01T00:00:00Z ok.toml
usage "--start-at +5 needs a unit" 2 '^$' '--start-at.*needs a unit' -- run --start-at +5 ok.toml
usage "plan --width 5" 2 '^$' '--width' -- plan --width 5 ok.toml
usage "plan --width abc" 2 '^$' '--width' -- plan --width abc ok.toml
usage "help nosuch" 2 '^$' "nosuch" -- help nosuch
usage "-- COMMAND without run" 2 '^$' '-- COMMAND' -- -- true
usage "-- COMMAND with check" 2 '^$' '-- COMMAND' -- check ok.toml -- true
for sub in run check plan; do
  usage "$sub: missing scenario file" 2 '^$' '/nonexistent/jinx-cli/missing\.toml' \
    -- $sub /nonexistent/jinx-cli/missing.toml
done
mkdir -p adir
usage "run: scenario is a directory" 2 '^$' 'adir: error: .*[Dd]irectory' -- run adir
usage "check: scenario is a directory" 2 '^$' 'adir: error: .*[Dd]irectory' -- check adir

# ---------------------------------------------------------------- help (0)
usage "--version" 0 '^jinx [0-9]+\.[0-9]+\.[0-9]+$' '^$' -- --version
run_jinx --version
if [ "$(wc -l <"$TMP/stdout")" -eq 1 ]; then pass; else fail "--version prints one line" "$(cat "$TMP/stdout")"; fi
usage "--help" 0 'run' '^$' -- --help
run_jinx --help
for word in run check plan toxics; do
  grep -q "^ *$word " "$TMP/stdout" || { fail "--help lists '$word'" "missing" "$OUT"; continue; }
  pass
done
top_help=$OUT
usage "help run" 0 '--format' '^$' -- help run
run_jinx help run
for opt in --format --seed --duration --start-at --quiet --no-progress; do
  grep -q -- "$opt" "$TMP/stdout" || { fail "help run lists $opt" "missing" "$OUT"; continue; }
  pass
done
# Its usage line must be one a user can type: "jinx run ...", as `jinx run --help` prints.
if grep -q '^Usage: jinx run ' "$TMP/stdout"; then pass; else
  fail "help run: usage line names 'jinx run'" "$(grep -i '^usage' "$TMP/stdout")" \
    "jinx run --help says: $("$JINX" run --help | grep -i '^usage')"
fi
usage "help check" 0 'SCENARIO' '^$' -- help check
usage "help plan" 0 '--width' '^$' -- help plan
usage "help toxics" 0 '--format' '^$' -- help toxics
# `jinx help` alone is `jinx --help`.
run_jinx help
if [ "$RC" = 0 ] && [ "$OUT" = "$top_help" ]; then pass; else
  fail "help (no topic) prints the same as --help" "exit $RC" "$OUT"
fi
usage "run --help" 0 '--start-at' '^$' -- run --help

# ------------------------------------------------------- runtime failures (1)
# The rest needs processes and sockets; a small python driver does it.
cat >"$TMP/runtime.py" <<'PY'
import json, os, selectors, signal, socket, subprocess, sys, time

JINX = sys.argv[1]
failures = []
passes = 0
skips = []


def check(name, ok, detail=""):
    global passes
    if ok:
        passes += 1
    else:
        failures.append((name, detail))


def guarded(name, fn, *args):
    try:
        fn(*args)
    except Exception as e:  # a broken step is a failure, not a crash of the driver
        check(f"{name}: runs without an exception", False, repr(e))


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def scenario(path, proxies, duration=None):
    text = f'duration = "{duration}"\n' if duration else ""
    for name, listen, upstream in proxies:
        text += f'\n[[proxy]]\nname = "{name}"\nlisten = "{listen}"\nupstream = "{upstream}"\n'
    return write(path, text)


def events(text):
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append({"event": "<not json>", "line": line})
    return out


def run(args, timeout=10, pre=None):
    """Runs jinx to completion (bounded); returns (code, stdout, stderr)."""
    try:
        p = subprocess.run([JINX] + args, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=timeout, preexec_fn=pre)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        def text(b):
            return b.decode(errors="replace") if isinstance(b, bytes) else (b or "")
        return "timeout", text(e.stdout), text(e.stderr)


class Live:
    """A jinx run in the background whose events are read line by line."""

    def __init__(self, args):
        self.p = subprocess.Popen([JINX] + args, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.p.stdout, selectors.EVENT_READ)
        self.buf = b""
        self.lines = []

    def wait_event(self, pred, timeout=5):
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            while seen < len(self.lines):
                ev = self.lines[seen]
                seen += 1
                if pred(ev):
                    return ev
            left = deadline - time.monotonic()
            if left <= 0 or self.p.stdout.closed:
                return None
            if not self.sel.select(left):
                return None
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.buf += chunk
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                self.lines += events(line.decode(errors="replace"))

    def finish(self, sig=None, timeout=8):
        if sig is not None and self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            rest, err = self.p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rest, err = self.p.communicate()
            return "timeout", self.lines, err.decode(errors="replace")
        self.buf += rest
        self.lines += events(self.buf.decode(errors="replace"))
        self.buf = b""
        return self.p.returncode, self.lines, err.decode(errors="replace")


def bind_failure(name, code, out, err, proxy, address, command_marker=None):
    """A listener that cannot be bound: exit 1, stderr and an event name the
    proxy and the address, session_end says error, nothing was relayed."""
    evs = events(out)
    detail = f"exit {code}\nstdout:\n{out}\nstderr:\n{err}"
    check(f"{name}: exit code 1", code == 1, detail)
    check(f"{name}: stderr names proxy '{proxy}' and {address}",
          proxy in err and address in err and "error" in err, detail)
    check(f"{name}: stdout is JSON events only", all(e.get("event") != "<not json>" for e in evs), detail)
    ends = [e for e in evs if e.get("event") == "session_end"]
    check(f"{name}: last event is session_end with reason 'error' and exit_code 1",
          len(ends) == 1 and evs[-1] is ends[0] and ends[0].get("reason") == "error"
          and ends[0].get("exit_code") == 1, detail)
    errors = [e for e in evs if e.get("event") == "error"]
    check(f"{name}: an 'error' event names the proxy and the address",
          any(proxy in e.get("message", "") and address in e.get("message", "") for e in errors),
          detail)
    check(f"{name}: no proxy_listen for '{proxy}'",
          not any(e.get("event") == "proxy_listen" and e.get("proxy") == proxy for e in evs), detail)
    if command_marker is not None:
        check(f"{name}: the wrapped command was not started",
              not os.path.exists(command_marker)
              and not any(e.get("event") == "command_start" for e in evs), detail)


def free_port_holder():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s, s.getsockname()[1]


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # bound, never listened: nothing accepts on it
    return port


# 1. Listen address in use (held by a plain socket), two proxies, the second busy.
def in_use_by_socket():
    holder, port = free_port_holder()
    try:
        in_use_by_socket_checks(port)
    finally:
        holder.close()


def in_use_by_socket_checks(port):
    path = scenario("inuse.toml", [("front", "127.0.0.1:0", "127.0.0.1:9"),
                                   ("web", f"127.0.0.1:{port}", "127.0.0.1:9")], "5s")
    code, out, err = run(["run", "--no-progress", path])
    bind_failure("listen in use (socket)", code, out, err, "web", f"127.0.0.1:{port}")

    # 2. The same with -- COMMAND: the command must not run.
    marker = os.path.abspath("command-ran")
    code, out, err = run(["run", "--no-progress", path, "--", "sh", "-c", f"echo ran > {marker}"])
    bind_failure("listen in use, with -- COMMAND", code, out, err, "web", f"127.0.0.1:{port}",
                 command_marker=marker)


guarded("listen in use (socket)", in_use_by_socket)


# 3. Listen address in use by another jinx.
def in_use_by_jinx():
    first = Live(["run", "--no-progress",
                  scenario("first.toml", [("one", "127.0.0.1:0", "127.0.0.1:9")], "8s")])
    try:
        ev = first.wait_event(lambda e: e.get("event") == "proxy_listen", 5)
        if ev is None:
            check("listen in use (jinx): first jinx binds", False, "no proxy_listen event")
            return
        address = ev["listen"]
        code, out, err = run(["run", "--no-progress",
                              scenario("second.toml", [("two", address, "127.0.0.1:9")], "5s")])
        bind_failure("listen in use (another jinx)", code, out, err, "two", address)
        code1, _, err1 = first.finish(signal.SIGTERM)
        check("listen in use (jinx): the first jinx is unaffected and stops on SIGTERM with 143",
              code1 == 143, f"exit {code1}, stderr {err1}")
    finally:
        if first.p.poll() is None:
            first.finish(signal.SIGKILL)


guarded("listen in use (another jinx)", in_use_by_jinx)


# 4. An address that is not on this machine: bound, never dialled.
def foreign_address():
    code, out, err = run(["run", "--no-progress",
                          scenario("foreign.toml", [("edge", "203.0.113.1:0", "127.0.0.1:9")], "5s")])
    bind_failure("listen on an address not on this machine", code, out, err, "edge", "203.0.113.1")


guarded("listen on an address not on this machine", foreign_address)


# 5. A listen host that cannot be resolved.
def unresolvable_listen():
    code, out, err = run(["run", "--no-progress",
                          scenario("nohost.toml", [("edge", "no-such-host.invalid:0", "127.0.0.1:9")], "5s")])
    bind_failure("listen host that cannot be resolved", code, out, err, "edge", "no-such-host.invalid")


guarded("listen host that cannot be resolved", unresolvable_listen)

# 6. A privileged port as an unprivileged user.
def privileged():
    setpriv = "/usr/bin/setpriv" if os.path.exists("/usr/bin/setpriv") else None
    try:
        start = int(open("/proc/sys/net/ipv4/ip_unprivileged_port_start").read())
    except OSError:
        start = 1024
    if setpriv is None:
        skips.append(("privileged port as non-root", "setpriv is not installed"))
        return
    if start <= 80:
        skips.append(("privileged port as non-root",
                      f"net.ipv4.ip_unprivileged_port_start is {start}: port 80 is not privileged here"))
        return
    if os.geteuid() == 0:
        cmd = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", JINX]
    else:
        cmd = [JINX]
    probe = subprocess.run(cmd + ["--version"], capture_output=True, text=True, timeout=10)
    if probe.returncode != 0:
        skips.append(("privileged port as non-root",
                      f"jinx cannot run as uid 65534 here: {probe.stderr.strip()[:200]}"))
        return
    path = scenario("priv.toml", [("low", "127.0.0.1:80", "127.0.0.1:9")], "5s")
    try:
        # On standard input, so that uid 65534 needs no access to the temp dir.
        p = subprocess.run(cmd + ["run", "--no-progress", "-"], input=open(path).read(),
                           capture_output=True, text=True, timeout=10)
        code, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        code, out, err = "timeout", "", ""
    bind_failure("privileged port as non-root", code, out, err, "low", "127.0.0.1:80")

guarded("privileged port as non-root", privileged)


# 7. Upstreams that cannot be reached: the client is reset or closed, the
# session goes on, conn_close says upstream_unreachable with the error.
def client_sees_end(address, send=b"hello"):
    host, port = address.rsplit(":", 1)
    try:
        s = socket.create_connection((host, int(port)), timeout=5)
    except ConnectionResetError:
        return "reset"  # the RST can beat connect() back on loopback
    except OSError as e:
        return f"connect failed: {e}"
    s.settimeout(5)
    try:
        try:
            s.sendall(send)
        except OSError:
            return "reset"
        data = s.recv(4096)
        return "closed" if data == b"" else f"got data {data!r}"
    except ConnectionResetError:
        return "reset"
    except socket.timeout:
        return "timeout"
    finally:
        s.close()


def unreachable(name, upstream, needle):
    live = Live(["run", "--no-progress",
                 scenario(f"{name}.toml", [("api", "127.0.0.1:0", upstream)], "3s")])
    try:
        unreachable_checks(name, live, needle)
    finally:
        if live.p.poll() is None:
            live.finish(signal.SIGKILL)


def unreachable_checks(name, live, needle):
    ev = live.wait_event(lambda e: e.get("event") == "proxy_listen", 5)
    if ev is None:
        code, evs, err = live.finish(signal.SIGKILL)
        check(f"{name}: jinx starts", False, f"exit {code}, events {evs}, stderr {err}")
        return
    results = [client_sees_end(ev["listen"]) for _ in range(2)]
    closes = []
    for _ in range(2):
        c = live.wait_event(lambda e: e.get("event") == "conn_close" and e not in closes, 8)
        if c is not None:
            closes.append(c)
    code, evs, err = live.finish(None, timeout=8)
    detail = f"client saw {results}; exit {code}\nevents:\n" + "\n".join(map(json.dumps, evs)) + f"\nstderr:\n{err}"
    check(f"{name}: each client connection is reset or closed",
          all(r in ("reset", "closed") for r in results), detail)
    closes = [e for e in evs if e.get("event") == "conn_close"]
    check(f"{name}: two conn_close events with reason upstream_unreachable",
          len(closes) == 2 and all(c.get("reason") == "upstream_unreachable" for c in closes), detail)
    check(f"{name}: conn_close names the proxy and has an error naming {needle}",
          len(closes) == 2 and all(c.get("proxy") == "api" and needle in (c.get("error") or "")
                                   for c in closes), detail)
    check(f"{name}: no conn_upstream event",
          not any(e.get("event") == "conn_upstream" for e in evs), detail)
    ends = [e for e in evs if e.get("event") == "session_end"]
    check(f"{name}: the session runs on to its duration (exit 0, reason duration)",
          code == 0 and len(ends) == 1 and ends[0].get("reason") == "duration"
          and ends[0].get("connections") == 2, detail)


guarded("upstream host cannot be resolved", unreachable, "upstream host cannot be resolved",
        "no-such-host.invalid:80", "no-such-host.invalid")
port = closed_port()
guarded("upstream refuses connections", unreachable, "upstream refuses connections",
        f"127.0.0.1:{port}", f"127.0.0.1:{port}")

for name, detail in failures:
    print(f"FAIL {name}")
    for line in detail.splitlines()[:40]:
        print("    " + line[:300])
for name, why in skips:
    print(f"SKIP {name}: {why}")
print(f"RESULT {passes} {len(failures)} {len(skips)}")
PY

timeout -k 5 180 python3 "$TMP/runtime.py" "$JINX" >"$TMP/runtime.out" 2>&1
grep -v '^RESULT ' "$TMP/runtime.out"
result=$(grep '^RESULT ' "$TMP/runtime.out" | tail -n 1)
if [ -z "$result" ]; then
  fail "runtime checks" "the python driver did not finish" "$(tail -n 20 "$TMP/runtime.out")"
else
  read -r _ p f s <<<"$result"
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + s))
fi

if [ "$skipped" -gt 0 ]; then
  echo "($skipped skipped)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
