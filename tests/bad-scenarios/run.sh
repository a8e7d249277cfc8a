#!/usr/bin/env bash
# Invalid scenarios (SPEC 9, issue 6 item 5): for every NAME.toml here,
# `jinx check NAME.toml`, run from this directory, must exit 2, print nothing
# on stdout and print exactly NAME.expected on stderr (one
# `NAME.toml:LINE:COL: error: MESSAGE` per line). A few files also go through
# `jinx run`, which must refuse them the same way without starting anything.
# Files too big to commit (over the 4 MiB limit, or many thousands of tables)
# are generated in a temporary directory.
#
# Usage: tests/bad-scenarios/run.sh JINX_BINARY
# Prints one line per failure (followed by a diff), then `N passed, M failed`;
# exits 1 if anything failed.
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

HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jinx-bad.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

TIMEOUT=10
passed=0
failed=0

fail() {  # NAME REASON [DIFF]
  failed=$((failed + 1))
  echo "FAIL $1: $2"
  if [ -n "${3:-}" ]; then
    printf '%s\n' "$3" | sed 's/^/    /'
  fi
}

# expect_refusal DIR SUBCOMMAND NAME EXPECTED_FILE
# Runs `jinx SUBCOMMAND NAME.toml` in DIR and compares with EXPECTED_FILE.
expect_refusal() {
  local dir=$1 sub=$2 name=$3 expected=$4
  local label="$sub $name.toml"
  local out="$TMP/out" err="$TMP/err" rc
  if [ ! -f "$expected" ]; then
    fail "$label" "no $name.expected"
    return
  fi
  if [ "$sub" = run ]; then
    (cd "$dir" && exec timeout -k 2 "$TIMEOUT" "$JINX" run --no-progress "$name.toml") \
      </dev/null >"$out" 2>"$err"
  else
    (cd "$dir" && exec timeout -k 2 "$TIMEOUT" "$JINX" check "$name.toml") \
      </dev/null >"$out" 2>"$err"
  fi
  rc=$?
  local problems=()
  case $rc in
    2) ;;
    124 | 137) problems+=("did not finish within ${TIMEOUT}s") ;;
    *) problems+=("exit code $rc, expected 2") ;;
  esac
  if [ -s "$out" ]; then
    problems+=("printed on stdout: $(head -c 200 "$out" | tr '\n' ' ')")
  fi
  local diff=""
  if ! cmp -s "$expected" "$err"; then
    problems+=("stderr differs from $name.expected")
    diff=$(diff -u --label "$name.expected" --label "stderr of jinx $sub" \
      "$expected" "$err" 2>&1 | cut -c 1-300 | head -n 40)
  fi
  if [ ${#problems[@]} -eq 0 ]; then
    passed=$((passed + 1))
  else
    local joined
    joined=$(printf '%s; ' "${problems[@]}")
    fail "$label" "${joined%; }" "$diff"
  fi
}

# 1. Every committed file, through `jinx check`.
shopt -s nullglob
files=("$HERE"/*.toml)
if [ ${#files[@]} -lt 45 ]; then
  fail "inventory" "only ${#files[@]} scenario files in $HERE, expected at least 45"
fi
for f in "${files[@]}"; do
  name=$(basename "$f" .toml)
  expect_refusal "$HERE" check "$name" "$HERE/$name.expected"
done

# 2. A handful through `jinx run`: same diagnostics, exit 2, nothing started
# (stdout empty: no session_start, no proxy_listen).
for name in syntax-unterminated-string unknown-key-toxic several-errors duplicate-listen \
            env-name-collision every-without-duration binary-garbage proxy-empty-array \
            missing-proxy-reference deep-nesting-arrays; do
  expect_refusal "$HERE" run "$name" "$HERE/$name.expected"
done

# 3. Generated files.
gen="$TMP/gen"
mkdir -p "$gen"
PROXY='[[proxy]]
name = "db"
listen = "127.0.0.1:0"
upstream = "127.0.0.1:5432"
'

# Over the 4 MiB limit: a valid scenario padded with comments. jinx must
# refuse it by size, before parsing, with one error at 1:1.
{
  printf '%s' "$PROXY"
  line=$(printf '#%.0s' $(seq 1 1023))
  for _ in $(seq 1 4200); do printf '%s\n' "$line"; done
} >"$gen/huge.toml"
size=$(stat -c %s "$gen/huge.toml")
echo "huge.toml:1:1: error: file is too large ($size bytes; a scenario is at most 4194304)" \
  >"$gen/huge.expected"
expect_refusal "$gen" check huge "$gen/huge.expected"
expect_refusal "$gen" run huge "$gen/huge.expected"

# Under the size limit but with many tables: 45,000 proxies (about 3.5 MB)
# and one error at the end. Loading must stay fast (no quadratic checks
# between proxies).
python3 - "$gen/many-proxies.toml" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(45000):
        f.write(f'[[proxy]]\nname = "p{i}"\nlisten = "127.0.0.1:0"\nupstream = "127.0.0.1:{1 + i}"\n')
    f.write('[[toxic]]\nproxy = "ghost"\ntype = "stall"\n')
EOF
lines=$(wc -l <"$gen/many-proxies.toml")
echo "many-proxies.toml:$((lines - 1)):9: error: no proxy named 'ghost'" \
  >"$gen/many-proxies.expected"
expect_refusal "$gen" check many-proxies "$gen/many-proxies.expected"

# 60,000 toxics without names (about 2 MB), so each gets a default name, and
# one error at the end.
python3 - "$gen/many-toxics.toml" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write('[[proxy]]\nname = "db"\nlisten = "127.0.0.1:0"\nupstream = "127.0.0.1:5432"\n')
    for i in range(60000):
        f.write('\n[[toxic]]\nproxy = "db"\ntype = "stall"\n')
    f.write('\n[[toxic]]\nproxy = "db"\ntype = "stal"\n')
EOF
lines=$(wc -l <"$gen/many-toxics.toml")
echo "many-toxics.toml:$lines:8: error: unknown toxic type 'stal'; did you mean 'stall'?" \
  >"$gen/many-toxics.expected"
expect_refusal "$gen" check many-toxics "$gen/many-toxics.expected"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
