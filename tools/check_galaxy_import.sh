#!/usr/bin/env bash
# Run galaxy-importer on the collection artifact, as Ansible Galaxy and Automation Hub do on upload.
#
#   check_galaxy_import.sh VENV_BIN TARBALL WORK_DIR CONFIG
#
# CONFIG is tools/galaxy-importer.cfg (offline ansible-lint, Automation Hub's tag and version
# rules).  galaxy-importer logs problems as "WARNING: ..." or "ERROR: ..." lines and still exits 0
# for most of them (ansible-lint findings, a missing changelog, sanity ignore files): here any such
# line fails the gate, and so does an import result without the collection's modules and their docs.
set -euo pipefail

if [ "$#" -ne 4 ]; then
    echo "usage: $0 VENV_BIN TARBALL WORK_DIR CONFIG" >&2
    exit 2
fi

venv_bin="$1"
tarball="$2"
work="$3"
config="$4"

rm -rf "$work"
mkdir -p "$work"
cd "$work"

status=0
env -u ANSIBLE_COLLECTIONS_PATH -u ANSIBLE_CONFIG -u PYTHONPATH GALAXY_IMPORTER_CONFIG="$config" \
    PATH="$venv_bin:$PATH" "$venv_bin/python" -m galaxy_importer.main "$tarball" > importer.log 2>&1 || status=$?
cat importer.log

problems="$(grep -E '^(WARNING|ERROR|CRITICAL)\b' importer.log || true)"
if [ "$status" -ne 0 ]; then
    echo "check_galaxy_import: galaxy-importer exited with status $status" >&2
    exit 1
fi
if [ -n "$problems" ]; then
    echo "check_galaxy_import: galaxy-importer reported $(printf '%s\n' "$problems" | wc -l) problem(s):" >&2
    printf '%s\n' "$problems" >&2
    exit 1
fi
if ! grep -q '^Importer processing completed successfully' importer.log; then
    echo "check_galaxy_import: galaxy-importer did not complete" >&2
    exit 1
fi

"$venv_bin/python" - "$tarball" <<'PY'
import json
import posixpath
import sys
import tarfile

with tarfile.open(sys.argv[1]) as archive:
    expected = sorted(posixpath.splitext(posixpath.basename(name))[0] for name in archive.getnames()
                      if posixpath.dirname(name).lstrip('./') == 'plugins/modules' and name.endswith('.py')
                      and not posixpath.basename(name).startswith('_'))
with open('importer_result.json', encoding='utf-8') as handle:
    result = json.load(handle)
modules = sorted(item['name'] for item in result.get('contents', []) if item.get('content_type') == 'module')
documented = sorted(item['content_name'] for item in result['docs_blob']['contents']
                    if item['content_type'] == 'module' and item.get('doc_strings'))
if not expected or modules != expected or documented != expected:
    sys.exit('check_galaxy_import: the artifact has modules %s; the import result lists %s, with docs %s'
             % (expected, modules, documented))
print('==> galaxy-importer: no warning, no error; modules imported with their docs: %s' % ', '.join(modules))
PY
