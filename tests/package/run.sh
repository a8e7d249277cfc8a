#!/usr/bin/env bash
# The Debian package (issue 15): cpack builds it from BUILD_DIR into a
# temporary directory; it is unpacked with dpkg -x into a temporary root (the
# machine is left as it was), jinx runs from there, man finds both pages, the
# completions, copyright and changelog are in place, Depends names libuv, and
# lintian reports no error.
# Usage: tests/package/run.sh BUILD_DIR
set -u
BUILD=$1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jinx-package.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

failed=0
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

if ! cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$TMP/out" >"$TMP/cpack.log" 2>&1; then
  cat "$TMP/cpack.log"
  fail "cpack -G DEB"
  exit 1
fi
deb=$(ls "$TMP"/out/jinx_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { fail "no jinx_*.deb in $(ls "$TMP/out")"; exit 1; }
echo "built $(basename "$deb")"

depends=$(dpkg-deb -f "$deb" Depends)
grep -q 'libuv1' <<<"$depends" || fail "Depends '$depends' does not name libuv1"

root=$TMP/root
dpkg -x "$deb" "$root"
version=$("$root/usr/bin/jinx" --version 2>&1) || fail "jinx --version exited $?"
[[ $version == "jinx "* ]] || fail "jinx --version printed '$version'"
for page in "1 jinx" "5 jinx-scenario"; do
  found=$(MANPATH=$root/usr/share/man man -w $page 2>&1)
  [[ $found == "$root/usr/share/man/"*.gz ]] || fail "man -w $page: $found"
done
for file in usr/share/bash-completion/completions/jinx usr/share/zsh/vendor-completions/_jinx \
            usr/share/fish/vendor_completions.d/jinx.fish usr/share/doc/jinx/copyright \
            usr/share/doc/jinx/changelog.Debian.gz; do
  [ -s "$root/$file" ] || fail "$file is missing"
done

# Errors fail the test; warnings and notes are printed for people.
lintian --tag-display-limit 0 "$deb" >"$TMP/lintian.log" 2>&1
cat "$TMP/lintian.log"
if grep -q '^E:' "$TMP/lintian.log"; then fail "lintian reports errors"; fi

[ "$failed" -eq 0 ] && echo "package ok"
[ "$failed" -eq 0 ]
