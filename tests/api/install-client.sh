#!/usr/bin/env bash
# Test setup (a CTest fixture): installs toxiproxy-node-client, pinned, into
# the build tree (BUILD_DIR/toxiproxy-client/node_modules), unless that
# version is already there. A prefix of its own: npm prunes what it did not
# install itself from a shared one (taplo's, BUILD_DIR/node_modules).
# Usage: tests/api/install-client.sh BUILD_DIR
set -euo pipefail
PACKAGE=toxiproxy-node-client
VERSION=4.1.0  # uses Node's fetch: Node 18 or later
build=$1/toxiproxy-client
installed=$(node -p "require('$build/node_modules/$PACKAGE/package.json').version" 2>/dev/null || true)
if [ "$installed" = "$VERSION" ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "$0: npm is missing; run .ci/install-deps (make test does)" >&2
  exit 1
fi
mkdir -p "$build"
npm install --prefix "$build" --no-audit --no-fund --no-save --loglevel=error "$PACKAGE@$VERSION"
node -p "require('$build/node_modules/$PACKAGE/package.json').version"
