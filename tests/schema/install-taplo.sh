#!/usr/bin/env bash
# Test setup (a CTest fixture): installs taplo's CLI, pinned, into the build
# tree (BUILD_DIR/npm/taplo/node_modules: a prefix of its own, since npm
# prunes from a prefix what it was not asked for now), unless that version is
# already there.
# Usage: tests/schema/install-taplo.sh BUILD_DIR
set -euo pipefail
PACKAGE=@taplo/cli
VERSION=0.7.0  # bundles taplo 0.9, which checks JSON Schema draft-07
build=$1
prefix=$build/npm/taplo
taplo=$prefix/node_modules/.bin/taplo
installed=$(node -p "require('$prefix/node_modules/$PACKAGE/package.json').version" 2>/dev/null || true)
if [ -x "$taplo" ] && [ "$installed" = "$VERSION" ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "$0: npm is missing; run .ci/install-deps (make test does)" >&2
  exit 1
fi
mkdir -p "$prefix"
npm install --prefix "$prefix" --no-audit --no-fund --no-save --loglevel=error "$PACKAGE@$VERSION"
# (taplo --version exits 1 after printing the version.)
[ -x "$taplo" ] && "$taplo" --version || true
