#!/usr/bin/env bash
# Test setup (a CTest fixture): installs taplo's CLI, pinned, into the build
# tree (BUILD_DIR/node_modules), unless that version is already there.
# Usage: tests/schema/install-taplo.sh BUILD_DIR
set -euo pipefail
PACKAGE=@taplo/cli
VERSION=0.7.0  # bundles taplo 0.9, which checks JSON Schema draft-07
build=$1
taplo=$build/node_modules/.bin/taplo
installed=$(node -p "require('$build/node_modules/$PACKAGE/package.json').version" 2>/dev/null || true)
if [ -x "$taplo" ] && [ "$installed" = "$VERSION" ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "$0: npm is missing; run .ci/install-deps (make test does)" >&2
  exit 1
fi
npm install --prefix "$build" --no-audit --no-fund --no-save --loglevel=error "$PACKAGE@$VERSION"
# (taplo --version exits 1 after printing the version.)
[ -x "$taplo" ] && "$taplo" --version || true
