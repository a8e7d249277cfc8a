#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS: runs each fuzz target for SECONDS and prints its
# executions and corpus size. Exits non-zero if any target found a crash.
set -uo pipefail
build=$1
seconds=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$build/corpus" "$build/artifacts"
status=0
for target in fuzz_loader fuzz_units fuzz_schedule fuzz_http fuzz_api_request; do
  corpus=$build/corpus/$target
  mkdir -p "$corpus"
  seeds=()
  case $target in
    fuzz_loader) seeds=("$src"/scenarios/*.toml "$src"/tests/bad-scenarios/*.toml "$src"/tests/fuzz/regressions/loader-*) ;;
    fuzz_units) seeds=("$src"/tests/fuzz/seeds/units/* "$src"/tests/fuzz/regressions/units-*) ;;
    fuzz_http) seeds=("$src"/tests/fuzz/seeds/http/*) ;;
    fuzz_api_request) seeds=("$src"/tests/fuzz/seeds/api/* "$src"/tests/fuzz/regressions/api-*) ;;
  esac
  for seed in "${seeds[@]}"; do
    [ -f "$seed" ] && cp "$seed" "$corpus/" 2>/dev/null
  done
  log=$build/$target.log
  "$build/tests/fuzz/$target" "$corpus" -max_total_time="$seconds" -max_len=65536 \
      -artifact_prefix="$build/artifacts/$target-" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  echo "$target: exit $rc, ${execs:-?} executions in ${seconds}s, corpus $(ls "$corpus" | wc -l) files"
  if [ $rc -ne 0 ]; then
    status=1
    grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
  fi
done
exit $status
