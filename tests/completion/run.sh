#!/usr/bin/env bash
# `jinx completion bash|zsh|fish` in the real shells (issue 15): each script is
# loaded the way the shell loads an installed one, then asked to complete a
# handful of command lines: subcommands, options, option values
# (--format json|text), *.toml files for the scenario, subcommand names for
# `help`, shells for `completion`.
# Usage: tests/completion/run.sh JINX
set -u
JINX=$1
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jinx-completion.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

mkdir -p "$TMP/scripts" "$TMP/work/scenarios"
"$JINX" completion bash >"$TMP/scripts/jinx.bash" || { echo "FAIL: jinx completion bash"; exit 1; }
"$JINX" completion zsh >"$TMP/scripts/_jinx" || { echo "FAIL: jinx completion zsh"; exit 1; }
"$JINX" completion fish >"$TMP/scripts/jinx.fish" || { echo "FAIL: jinx completion fish"; exit 1; }
# A directory to complete file names in: one scenario, one other file, a subdirectory.
cd "$TMP/work" && touch game-day.toml notes.txt

passed=0 failed=0
# check SHELL "LINE" WORD... : completing LINE offers every WORD (one per
# argument; "!WORD" = must not be offered).
check() {
  local shell=$1 line=$2 got
  shift 2
  case $shell in
    bash) got=$(bash --norc --noprofile -c '
            source "$1" && complete -p jinx >/dev/null || exit 3
            read -ra COMP_WORDS <<<"$2"
            [[ $2 == *" " ]] && COMP_WORDS+=("")
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$2 COMP_POINT=${#2}
            _jinx && printf "%s\n" "${COMPREPLY[@]}"' _ "$TMP/scripts/jinx.bash" "$line") ;;
    zsh) got=$(timeout 30 zsh -f "$HERE/zsh-complete.zsh" "$TMP/scripts" "$line") ;;
    fish) got=$(fish --no-config -c 'source $argv[1]; complete -C $argv[2]' \
            "$TMP/scripts/jinx.fish" "$line" | cut -f1) ;;
  esac
  local missing=()
  for want in "$@"; do
    if [[ $want == !* ]]; then
      grep -qxF -- "${want#!}" <<<"$got" && missing+=("offered ${want#!}")
    else
      grep -qxF -- "$want" <<<"$got" || missing+=("$want")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $shell '$line': missing ${missing[*]}; got: $(tr '\n' ' ' <<<"$got")"
  fi
}

for shell in bash zsh fish; do
  if ! command -v "$shell" >/dev/null; then
    failed=$((failed + 1))
    echo "FAIL $shell is not installed (.ci/install-deps installs it)"
    continue
  fi
  check "$shell" "jinx " run check plan toxics schema completion help
  check "$shell" "jinx ru" run '!check'
  check "$shell" "jinx run --f" --format '!--seed'
  check "$shell" "jinx run --format " json text
  check "$shell" "jinx plan --format j" json '!text'
  check "$shell" "jinx toxics --format " json text
  check "$shell" "jinx completion " bash zsh fish
  check "$shell" "jinx help " run plan completion
  check "$shell" "jinx check " game-day.toml '!notes.txt'
  check "$shell" "jinx run --quiet g" game-day.toml
done
# bash: after "--", the wrapped command's name.
check bash "jinx run game-day.toml -- ech" echo

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
