#!/usr/bin/env bash
# Install the collection artifact the way users do, offline.
#
#   install_artifact.sh VENV_BIN TARBALL DEST
#
# `ansible-galaxy collection install --offline TARBALL` into DEST (emptied first), from DEST's
# parent directory, with DEST as the only collections path.
set -euo pipefail

if [ "$#" -ne 3 ]; then
    echo "usage: $0 VENV_BIN TARBALL DEST" >&2
    exit 2
fi

venv_bin="$1"
tarball="$2"
dest="$3"

rm -rf "$dest"
mkdir -p "$dest"
cd "$dest/.."
ANSIBLE_COLLECTIONS_PATH="$dest" "$venv_bin/ansible-galaxy" collection install --offline "$tarball" -p "$dest"
