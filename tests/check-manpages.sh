#!/usr/bin/env bash
# check-manpages.sh PAGE...
#
# Renders each man page the way man(1) would on an 80-column terminal and
# fails if groff or man prints any warning, or exits non-zero. The warnings
# are printed, prefixed with the page they came from.
set -uo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 PAGE..." >&2
  exit 2
fi

if ! command -v man >/dev/null 2>&1; then
  echo "$0: man(1) not found (install man-db and groff-base)" >&2
  exit 1
fi

status=0
for page in "$@"; do
  if [[ ! -r "$page" ]]; then
    echo "$page: cannot read" >&2
    status=1
    continue
  fi
  # --warnings enables groff's warnings; -l reads the file, not a page name.
  warnings=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
  rc=$?
  if [[ $rc -ne 0 || -n "$warnings" ]]; then
    if [[ -n "$warnings" ]]; then
      while IFS= read -r line; do
        echo "$page: $line"
      done <<<"$warnings" >&2
    fi
    if [[ $rc -ne 0 ]]; then
      echo "$page: man exited with status $rc" >&2
    fi
    status=1
  else
    echo "$page: ok"
  fi
done
exit $status
