#!/usr/bin/env bash
# The docs gate, with antsibull-docs alone:
#
#   check_docs.sh VENV_BIN COLLECTION_DIR DEST
#
# 1. lint-collection-docs --plugin-docs on the collection copy: the plugin docs (schema, markup, references to
#    options and plugins) and the extra docs with their references; any finding fails;
# 2. the module reference, rendered as the docsite renders it (one RST page per plugin, from what ansible-doc reads),
#    into DEST; any error fails.
# COLLECTION_DIR is build/ansible_collections/scalingo/cloud; antsibull-docs runs there through run_in_collection.sh,
# which shows it that copy of the collection and no other.
set -euo pipefail

if [ "$#" -ne 3 ]; then
    echo "usage: $0 VENV_BIN COLLECTION_DIR DEST" >&2
    exit 2
fi

venv_bin="$1"
collection="$2"
dest="$3"
here="$(cd "$(dirname "$0")" && pwd)"

"$here/run_in_collection.sh" "$venv_bin" "$collection" antsibull-docs lint-collection-docs --plugin-docs \
    --check-extra-docs-refs --validate-collection-refs all --disallow-unknown-collection-refs .
echo '==> antsibull-docs lint-collection-docs --plugin-docs: no finding'
rm -rf "$dest" && mkdir -p "$dest" && chmod 755 "$dest"
ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false "$here/run_in_collection.sh" "$venv_bin" "$collection" antsibull-docs collection \
    --use-current --squash-hierarchy --fail-on-error --output-format simplified-rst --dest-dir "$dest" scalingo.cloud
echo "==> antsibull-docs collection: the reference of scalingo.cloud in $dest: $(cd "$dest" && echo *.rst)"
