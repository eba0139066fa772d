#!/usr/bin/env bash
# Run a command from the collection copy, with a virtualenv's programs and the copy importable.
#
#   run_in_collection.sh VENV_BIN COLLECTION_DIR COMMAND [ARGS...]
#
# COLLECTION_DIR is build/ansible_collections/scalingo/cloud.  The command runs there with
# VENV_BIN first on PATH (so `python` is the virtualenv's), Ansible finding the collection through
# build/ (ANSIBLE_COLLECTIONS_PATH), and ansible_collections.scalingo.cloud importable from Python
# (PYTHONPATH=build/).  Used by `make e2e`, `make pytest`, `make demo`, `make bench`, and the lint and docs gates.
set -euo pipefail

if [ "$#" -lt 3 ]; then
    echo "usage: $0 VENV_BIN COLLECTION_DIR COMMAND [ARGS...]" >&2
    exit 2
fi

venv_bin="$1"
collection="$2"
shift 2
collections_path="$(cd "$collection/../../.." && pwd)"

cd "$collection"
PYTHONPATH="$collections_path" ANSIBLE_COLLECTIONS_PATH="$collections_path" PATH="$venv_bin:$PATH" exec "$@"
