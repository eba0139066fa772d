#!/usr/bin/env bash
# The lint gate: ansible-lint --profile production, offline, from the collection copy.
#
#   run_lint.sh VENV_BIN COLLECTION_DIR PLAYBOOK_DIR
#
# 1. The whole collection as ansible-lint discovers it (playbooks, modules' EXAMPLES, galaxy.yml,
#    meta/, changelogs/; .ansible-lint says what is left out and why).
# 2. The playbooks shown in README.md and docs/*.md, and the modules' EXAMPLES as the tasks of a
#    playbook, extracted into PLAYBOOK_DIR by extract_doc_playbooks.py.
# COLLECTION_DIR is build/ansible_collections/scalingo/cloud; ansible-lint runs there through run_in_collection.sh.
set -euo pipefail

if [ "$#" -ne 3 ]; then
    echo "usage: $0 VENV_BIN COLLECTION_DIR PLAYBOOK_DIR" >&2
    exit 2
fi

venv_bin="$1"
collection="$2"
playbook_dir="$3"
here="$(cd "$(dirname "$0")" && pwd)"

lint() {
    "$here/run_in_collection.sh" "$venv_bin" "$collection" ansible-lint --offline --nocolor --profile production "$@"
}

cd "$collection"
echo '==> ansible-lint on the whole collection'
lint
echo '==> ansible-lint on the playbooks of README.md and docs/*.md, and on the EXAMPLES of the modules'
playbooks="$("$venv_bin/python" "$here/extract_doc_playbooks.py" --extracted-only . "$playbook_dir")"
if [ -n "$playbooks" ]; then
    # One path per line: one argument each.
    mapfile -t files <<< "$playbooks"
    echo "${files[*]}"
    lint "${files[@]}"
else
    echo 'no playbook in the Markdown files, no EXAMPLES'
fi
