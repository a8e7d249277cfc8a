#!/usr/bin/env bash
# `make install` (cmake --install) into a temporary prefix (issue 15): the
# binary, the gzipped man pages, and each completion script where its shell
# finds it by itself: bash-completion's loader, zsh's compinit over
# site-functions, fish's vendor_completions.d (both found through
# XDG_DATA_DIRS / fpath pointing into the prefix).
# Usage: tests/package/install.sh BUILD_DIR
set -u
BUILD=$1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jinx-install.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
prefix=$TMP/local
failed=0
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

cmake --install "$BUILD" --prefix "$prefix" >"$TMP/install.log" 2>&1 ||
  { cat "$TMP/install.log"; fail "cmake --install"; exit 1; }
"$prefix/bin/jinx" --version >/dev/null || fail "installed jinx --version"
for page in "1 jinx" "5 jinx-scenario"; do
  found=$(MANPATH=$prefix/share/man man -w $page 2>&1)
  [[ $found == "$prefix/share/man/"* ]] || fail "man -w $page: $found"
done

got=$(XDG_DATA_DIRS=$prefix/share bash --norc --noprofile -c '
  source /usr/share/bash-completion/bash_completion
  __load_completion jinx && complete -p jinx' 2>&1)
[[ $got == *"-F _jinx jinx"* ]] || fail "bash-completion does not load it: $got"

got=$(zsh -f -c "fpath=($prefix/share/zsh/site-functions \$fpath)
  autoload -U compinit && compinit -u -D && print -r -- \$_comps[jinx]" 2>&1)
[ "$got" = _jinx ] || fail "zsh compinit does not find _jinx: $got"

# Not --no-config, which empties fish_complete_path; a fresh HOME instead. fish
# autoloads completions only for a command it finds on PATH.
got=$(HOME=$TMP XDG_CONFIG_HOME=$TMP/config XDG_DATA_HOME=$TMP/data XDG_DATA_DIRS=$prefix/share \
  PATH=$prefix/bin:$PATH fish -c 'complete -C "jinx ru"' 2>&1 | cut -f1)
grep -qx run <<<"$got" || fail "fish does not find it in vendor_completions.d: $got"

[ "$failed" -eq 0 ] && echo "install ok"
[ "$failed" -eq 0 ]
