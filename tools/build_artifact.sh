#!/usr/bin/env bash
# Build the collection artifact from the work tree, as a maintainer would.
#
#   build_artifact.sh VENV_BIN ROOT DIST_DIR
#
# `ansible-galaxy collection build` at ROOT, into DIST_DIR (emptied first); build_ignore in
# galaxy.yml keeps the tooling and the leftovers out (the artifact gate checks that it does).
set -euo pipefail

if [ "$#" -ne 3 ]; then
    echo "usage: $0 VENV_BIN ROOT DIST_DIR" >&2
    exit 2
fi

venv_bin="$1"
root="$2"
dist="$3"

rm -rf "$dist"
mkdir -p "$dist"
cd "$root"
"$venv_bin/ansible-galaxy" collection build --output-path "$dist"
