#!/usr/bin/env bash
# Fail when the collection has ansible-test sanity ignore or skip files: findings are fixed here,
# never ignored.
#
#   check_no_sanity_ignores.sh ROOT
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: $0 ROOT" >&2
    exit 2
fi

found="$(cd "$1" && ls tests/sanity/ignore-*.txt tests/sanity/skip-*.txt 2>/dev/null || true)"
if [ -n "$found" ]; then
    echo "Sanity ignore/skip files are not allowed here, fix the findings instead: $found" >&2
    exit 1
fi
