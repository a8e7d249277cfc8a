#!/usr/bin/env bash
# `jinx schema` against taplo (issue 15): every example in scenarios/ is
# valid, and every file of tests/bad-scenarios/ is rejected, except those
# listed below, whose mistake no JSON Schema can see (a rule between values or
# tables, or a value range a pattern does not express). A file that leaves or
# joins that list fails the test, so the list stays true.
# Usage: tests/schema/run.sh JINX TAPLO SOURCE_DIR
set -u
JINX=$1 TAPLO=$2 SOURCE=$3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jinx-schema.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# Accepted by the schema, refused by `jinx check`; why the schema cannot see it.
declare -A ACCEPTED=(
  [duplicate-listen]="two proxies' addresses compared"
  [duplicate-proxy-name]="names compared across tables"
  [duplicate-toxic-name]="names compared across tables"
  [env-name-collision]="names compared across tables"
  [env-name-collision-case]="names compared across tables"
  [every-shorter-than-window]="two durations compared"
  [every-without-duration]="a key that needs another"
  [repeat-without-every]="a key that needs another, above 1"
  [ramp-without-duration]="a ramp that needs a window duration"
  [missing-proxy-reference]="a toxic's proxy looked up among the proxies"
  [ramp-step-too-small]="a duration's minimum (10ms)"
  [range-backwards]="two ends of a range compared"
  [slicer-variation-too-large]="two attributes compared"
  [slicer-ramps-cross]="two ramps compared at their ends"
  [rate-too-large]="a rate's maximum (1 EB/s)"
  [upstream-port-zero]="port 0 is fine to listen on, not to dial"
  [udp-idle-timeout-on-tcp]="a key that needs protocol = udp"
  [udp-max-flows-on-tcp]="a key that needs protocol = udp"
  [udp-duplicate-listen]="two proxies' addresses and protocols compared"
  [udp-tcp-toxic-on-udp]="a toxic's type checked against its proxy's protocol"
  [udp-loss-on-tcp]="a toxic's type checked against its proxy's protocol"
  [udp-reorder-attr-on-tcp]="an attribute checked against its proxy's protocol"
  [udp-burst-below-one]="a count's minimum (1)"
  [udp-idle-timeout-too-small]="a duration's minimum (10ms)"
  [http-error-on-tcp-proxy]="a toxic's type compared with its proxy's protocol"
)

# taplo itself overflows its stack on these (it exits non-zero, which counts
# as a refusal), so they go alone: a crash would end a batch.
ALONE=(deep-nesting-arrays deep-nesting-tables)

"$JINX" schema >"$TMP/schema.json" || { echo "FAIL: jinx schema exited $?"; exit 1; }
lint() {  # FILE...: exit 0 when taplo finds all valid; its messages in $TMP/out
  "$TAPLO" lint --no-auto-config --colors never --schema "file://$TMP/schema.json" "$@" \
    >"$TMP/out" 2>&1
}

passed=0 failed=0
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

# The examples, in one run (taplo takes seconds to start).
if lint "$SOURCE"/scenarios/*.toml; then
  passed=$((passed + 1))
else
  fail "an example in scenarios/ is refused:"
  grep -a -v INFO "$TMP/out" | head -40 | sed 's/^/    /'
fi

# The bad files, in one run: taplo names each file it refuses.
batch=()
for f in "$SOURCE"/tests/bad-scenarios/*.toml; do
  name=$(basename "$f" .toml)
  [[ " ${ALONE[*]} " == *" $name "* ]] || batch+=("$f")
done
lint "${batch[@]}"
refused=$(grep -a -o 'invalid file error=.* path="[^"]*"' "$TMP/out" | sed 's/.*path="//; s/"$//' |
  xargs -r -n 1 basename | sed 's/\.toml$//' | sort -u)
for name in "${ALONE[@]}"; do
  lint "$SOURCE/tests/bad-scenarios/$name.toml" || refused+=$'\n'"$name"
done

for f in "$SOURCE"/tests/bad-scenarios/*.toml; do
  name=$(basename "$f" .toml)
  if ! grep -qxF -- "$name" <<<"$refused"; then
    if [ -n "${ACCEPTED[$name]:-}" ]; then passed=$((passed + 1)); else fail "$name: accepted"; fi
  elif [ -n "${ACCEPTED[$name]:-}" ]; then
    fail "$name: refused, though listed as invisible to a schema (${ACCEPTED[$name]})"
  else
    passed=$((passed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
