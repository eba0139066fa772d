#!/usr/bin/env bash
# The docs gate: the collection's documentation as the docsite builds it, then the module reference.
#
#   check_docs.sh VENV_BIN COLLECTION_DIR DEST
#
# 1. antsibull-docs lint-collection-docs --plugin-docs on the collection copy: the plugin docs
#    (schema, markup, references to options and plugins) and the extra docs with their references;
#    any finding fails.
# 2. build_docs.py: the module reference rendered to RST and HTML into DEST, and checked against
#    ansible-doc.
# COLLECTION_DIR is build/ansible_collections/scalingo/cloud; antsibull-docs runs there through run_in_collection.sh.
set -euo pipefail

if [ "$#" -ne 3 ]; then
    echo "usage: $0 VENV_BIN COLLECTION_DIR DEST" >&2
    exit 2
fi

venv_bin="$1"
collection="$2"
dest="$3"
here="$(cd "$(dirname "$0")" && pwd)"
collections_path="$(cd "$collection/../../.." && pwd)"

"$here/run_in_collection.sh" "$venv_bin" "$collection" antsibull-docs lint-collection-docs --plugin-docs \
    --check-extra-docs-refs --validate-collection-refs all --disallow-unknown-collection-refs .
echo '==> antsibull-docs lint-collection-docs --plugin-docs: no finding'
"$venv_bin/python" "$here/build_docs.py" --collections-path "$collections_path" --dest "$dest"
