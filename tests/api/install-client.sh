#!/usr/bin/env bash
# Test setup (a CTest fixture): installs toxiproxy-node-client, pinned, into
# the build tree (BUILD_DIR/npm/toxiproxy-node-client/node_modules: a prefix of
# its own, since npm prunes from a prefix what it was not asked for now, such
# as taplo), unless that version is already there.
# Usage: tests/api/install-client.sh BUILD_DIR
set -euo pipefail
PACKAGE=toxiproxy-node-client
VERSION=4.1.0  # uses Node's fetch: Node 18 or later
build=$1
prefix=$build/npm/toxiproxy-node-client
installed=$(node -p "require('$prefix/node_modules/$PACKAGE/package.json').version" 2>/dev/null || true)
if [ "$installed" = "$VERSION" ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "$0: npm is missing; run .ci/install-deps (make test does)" >&2
  exit 1
fi
mkdir -p "$prefix"
npm install --prefix "$prefix" --no-audit --no-fund --no-save --loglevel=error "$PACKAGE@$VERSION"
node -p "require('$prefix/node_modules/$PACKAGE/package.json').version"
