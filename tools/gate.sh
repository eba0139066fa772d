#!/usr/bin/env bash
# The gates that run a tool of a virtualenv from a copy of the collection (see `make help` for what each checks):
#
#   gate.sh GATE VENV_BIN COLLECTION_DIR [ARGS...]
#
#   units PYTHON_VERSION [ansible-test units args]    ansible-test exits 0 when it finds no test: that fails here
#   sanity PYTHON_VERSION PYBIN_DIR auto|none [ansible-test sanity args]
#       no ignore or skip file is allowed: findings are fixed. With auto, ansible-test runs compile and import on every
#       python3.X of PATH that tests/config.yml's python_requires claims: PYBIN_DIR, ahead on PATH, links to every
#       interpreter of PATH and pyenv (pyenv's shims fail for a version that is not active); a claimed version this
#       machine lacks is written to $GATE_NOTES. With none, only PYTHON_VERSION.
#   lint PLAYBOOK_DIR       ansible-lint on the collection, then on the documented playbooks and modules' EXAMPLES
#   docs DEST               antsibull-docs lint-collection-docs, then the plugin reference (RST) into DEST; every path
#                           of the repository that the Markdown files name must exist
#   coverage FLOOR [OTHER_COLLECTION_DIR...]
#       the data of ansible-test --coverage, with that of the other copies (the integration gate's), combined and
#       reported for plugins/; fails below FLOOR percent of lines and branches
#   changelog WORK_DIR [ROOT]
#       antsibull-changelog release, for the version of galaxy.yml, in a scratch copy in WORK_DIR; without ROOT (the
#       gate: after antsibull-changelog lint) its changelog.yaml and CHANGELOG.md must be the committed ones; with ROOT
#       they are written there
#   galaxy-import TARBALL WORK_DIR      any WARNING or ERROR of galaxy-importer fails, as does a module without docs
#   ee TARBALL COLLECTIONS_PATH WORK_DIR
#       ansible-builder introspect of the installed artifact must find meta/'s Python requirements; ansible-builder
#       create must make a build context that installs the artifact
set -euo pipefail

gate="$1"
collection="$3"
here="$(cd "$(dirname "$0")" && pwd)"
collections_path="$(cd "$collection/../../.." && pwd)"
export PATH="$2:$PATH"
shift 3
cd "$collection"

fail() {
    echo "$gate: $*" >&2
    exit 1
}
# Ansible and Python see this copy of the collection, and no other.
in_collection() {
    ANSIBLE_COLLECTIONS_PATH="$collections_path" PYTHONPATH="$collections_path" "$@"
}
modules() {
    for module in plugins/modules/[!_]*.py; do
        basename "$module" .py
    done | LC_ALL=C sort
}

case "$gate" in
units)
    rm -rf tests/output/junit
    ansible-test units --color no --python "$@"
    grep -qsE 'tests="[1-9]' tests/output/junit/*.xml || fail 'ansible-test ran no test (no JUnit report of a test)'
    ;;
sanity)
    controller="$1" pybin="$2" pythons="$3"
    shift 3
    ignores="$(ls tests/sanity/ignore-*.txt tests/sanity/skip-*.txt 2>/dev/null || true)"
    [ -z "$ignores" ] || fail "ignore and skip files are not allowed here, fix the findings instead: $ignores"
    # ansible-test skips the shellcheck test, with a mere warning, when the program is missing.
    command -v shellcheck > /dev/null || fail 'shellcheck is not on PATH (tests/requirements/sanity.txt installs it)'
    # ansible-test bootstraps pip in its virtualenvs with a script it downloads, out of reach here: get_pip_offline.py
    # in its cache instead, for each pip version it asks for.
    ansible_test="$(python -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')"
    grep -oP "\bpip\s*=\s*['\"]\K[0-9][0-9a-z.]*" "$ansible_test/_internal/python_requirements.py" | sort -u | while read -r pip; do
        cached="$HOME/.ansible/test/cache/get_pip_${pip//./_}.py"
        mkdir -p "${cached%/*}"
        { echo '# scalingo.cloud offline pip bootstrap (tools/get_pip_offline.py)'; cat "$here/get_pip_offline.py"; } > "$cached.$$"
        mv "$cached.$$" "$cached"
    done
    rm -rf "$pybin" && mkdir -p "$pybin"
    python_arg=(--python "$controller")
    if [ "$pythons" = auto ]; then
        python_arg=()
        "$here/find_python.sh" --all | while read -r version path; do ln -s "$path" "$pybin/python$version"; done
    fi
    status=0
    PATH="$pybin:$PATH" ansible-test sanity --color no "${python_arg[@]}" "$@" 2>&1 | tee "$pybin/sanity.log" || status=$?
    skipped='^WARNING: Skipping sanity test "\(.*\)" on Python \(.*\) because it could not be found\.$'
    sed -n "s/$skipped/\1 NOT checked on Python \2: no python\2 on PATH or in pyenv/p" "$pybin/sanity.log" | sort -u |
        tee -a "${GATE_NOTES:-/dev/null}"
    exit "$status"
    ;;
lint)
    echo '==> ansible-lint on the whole collection'
    in_collection ansible-lint --offline --nocolor --profile production
    echo '==> ansible-lint on the playbooks of README.md and docs/*.md, and on the EXAMPLES of the modules'
    playbooks="$(python "$here/extract_doc_playbooks.py" --extracted-only . "$1")"
    [ -n "$playbooks" ] || fail 'no playbook in the Markdown files, no EXAMPLES'
    mapfile -t files <<< "$playbooks"
    echo "${files[*]}"
    in_collection ansible-lint --offline --nocolor --profile production "${files[@]}"
    ;;
docs)
    in_collection antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs --validate-collection-refs all \
        --disallow-unknown-collection-refs .
    echo '==> antsibull-docs lint-collection-docs --plugin-docs: no finding'
    rm -rf "$1" && mkdir -p "$1" && chmod 755 "$1"
    ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false in_collection antsibull-docs collection --use-current --squash-hierarchy \
        --fail-on-error --output-format simplified-rst --dest-dir "$1" scalingo.cloud
    echo "==> antsibull-docs collection: the reference of scalingo.cloud in $1: $(cd "$1" && echo *.rst)"
    # Readers follow the docs literally: every path of the repository they name must exist (the one written by
    # make integration aside).
    missing="$(grep -ohE '\b(tests|tools|docs|plugins|changelogs|meta)/[A-Za-z0-9_./-]*[A-Za-z0-9_]' ./*.md docs/*.md tests/*/README.md |
        sort -u | grep -vx 'tests/integration/integration_config.yml' | while read -r path; do [ -e "$path" ] || echo "$path"; done)"
    [ -z "$missing" ] || fail "paths named in the docs that do not exist: ${missing//$'\n'/ }"
    echo '==> every path the docs name exists'
    ;;
coverage)
    floor="$1"
    shift
    mkdir -p tests/output/coverage
    for other in "$@"; do
        cp "$other"/tests/output/coverage/* tests/output/coverage/ 2> /dev/null || true
    done
    compgen -G 'tests/output/coverage/*' > /dev/null || fail 'no coverage data: run make coverage'
    ansible-test coverage combine --color no > /dev/null
    report="$(ansible-test coverage report --color no --include 'plugins/*' --show-missing)"
    echo "$report"
    total="$(awk '$1 == "TOTAL" { sub(/%$/, "", $NF); print $NF }' <<< "$report")"
    echo "==> coverage of plugins/ (lines and branches): ${total:-no TOTAL line}%, floor ${floor}%"
    awk -v total="$total" -v floor="$floor" 'BEGIN { exit !(total != "" && total + 0 >= floor + 0) }' ||
        fail "below the floor of ${floor}%"
    ;;
changelog)
    work="$1" root="${2:-}"
    scratch="$work/ansible_collections/scalingo/cloud"
    version="$(sed -n 's/^version: *//p' galaxy.yml)"
    if [ -z "$root" ]; then
        antsibull-changelog lint
        antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
        echo '==> antsibull-changelog lint and lint-changelog-yaml: no finding'
    fi
    # The release reads the modules with ansible-doc, from an ansible_collections tree; antsibull-changelog hands it the
    # files that git does not ignore, so the copy gets a repository of its own (the ignored build/ would hide them all):
    # sync_collection.py lays it out so.
    rm -rf "$work"
    python "$here/sync_collection.py" . "$scratch"
    echo "==> antsibull-changelog release (version $version) in a scratch copy"
    (cd "$scratch" && ANSIBLE_COLLECTIONS_PATH="$work" antsibull-changelog release --reload-plugins) > "$work/release.log" 2>&1 ||
        { cat "$work/release.log"; fail 'antsibull-changelog release failed'; }
    # (ansible-core's internal _protomatter collection has no version: antsibull-changelog warns about it.)
    grep -v -e "_protomatter' does not have a MANIFEST.json" -e "WARNING release $version already exists" \
        -e 'WARNING Found no release_summary section' "$work/release.log" || true
    # With no module seen through ansible-doc, a release would silently lose its "New Modules" section.
    seen="$(python -c 'import sys, yaml; print("\n".join(sorted(yaml.safe_load(open(sys.argv[1]))["plugins"]["module"])))' \
        "$scratch/changelogs/.plugin-cache.yaml")"
    [ "$seen" = "$(modules)" ] ||
        fail "antsibull-changelog found the modules $(tr '\n' ' ' <<< "$seen"), plugins/modules/ has $(modules | tr '\n' ' ')"
    if [ -z "$root" ]; then
        for file in changelogs/changelog.yaml CHANGELOG.md; do
            diff -u "$file" "$scratch/$file" ||
                fail "$file is not what the fragments give for $version: run \`make changelog-release\` and commit the result"
        done
        echo "==> changelog up to date: CHANGELOG.md and changelogs/changelog.yaml match the fragments for $version"
    else
        cp "$scratch/changelogs/changelog.yaml" "$root/changelogs/changelog.yaml"
        cp "$scratch/CHANGELOG.md" "$root/CHANGELOG.md"
        echo "==> wrote $root/changelogs/changelog.yaml and $root/CHANGELOG.md (release $version)"
    fi
    ;;
galaxy-import)
    tarball="$1" work="$2"
    mapfile -t expected < <(modules)
    rm -rf "$work" && mkdir -p "$work" && cd "$work"
    status=0
    env -u ANSIBLE_COLLECTIONS_PATH -u ANSIBLE_CONFIG -u PYTHONPATH GALAXY_IMPORTER_CONFIG="$here/galaxy-importer.cfg" \
        python -m galaxy_importer.main "$tarball" > importer.log 2>&1 || status=$?
    cat importer.log
    [ "$status" = 0 ] || fail "galaxy-importer exited with status $status"
    # galaxy-importer logs most problems (ansible-lint findings, a missing changelog, ignore files) and exits 0.
    ! grep -E '^(WARNING|ERROR|CRITICAL)\b' importer.log || fail 'galaxy-importer reported the problems above'
    grep -q '^Importer processing completed successfully' importer.log || fail 'galaxy-importer did not complete'
    python - "${expected[@]}" <<'PY'
import json
import sys

with open('importer_result.json', encoding='utf-8') as handle:
    result = json.load(handle)
modules = sorted(item['name'] for item in result['contents'] if item['content_type'] == 'module')
documented = sorted(item['content_name'] for item in result['docs_blob']['contents']
                    if item['content_type'] == 'module' and item.get('doc_strings'))
if modules != sys.argv[1:] or documented != sys.argv[1:]:
    sys.exit('galaxy-import: the artifact has modules %s; the import result lists %s, with docs %s'
             % (sys.argv[1:], modules, documented))
print('==> galaxy-importer: no warning, no error; modules imported with their docs: %s' % ', '.join(modules))
PY
    ;;
ee)
    tarball="$1" installed="$2" work="$3"
    name="${tarball##*/}"
    rm -rf "$work" && mkdir -p "$work" && cp "$tarball" "$work/"
    ansible-builder introspect --sanitize "$installed" | tee "$work/introspect.yml"
    python - "$work/introspect.yml" <<'PY'
import sys

import yaml

with open('meta/execution-environment.yml', encoding='utf-8') as handle:
    requirements = yaml.safe_load(handle)['dependencies']['python']
with open(requirements, encoding='utf-8') as handle:
    expected = [line.split('#', 1)[0].strip() for line in handle if line.split('#', 1)[0].strip()]
with open(sys.argv[1], encoding='utf-8') as handle:
    found = [entry.split('#', 1)[0].strip() for entry in yaml.safe_load(handle)['python']
             if entry.endswith('# from collection scalingo.cloud')]
if not expected or any(requirement not in found for requirement in expected):
    sys.exit('ee: ansible-builder introspect finds %s for scalingo.cloud, %s has %s' % (found, requirements, expected))
print('==> ansible-builder introspect finds the Python requirements of scalingo.cloud: %s' % ', '.join(found))
PY
    pin() {
        grep -m 1 "^$1==" "tests/requirements/$2" | cut -d '#' -f 1 | tr -d ' '
    }
    # Any base image with a Python that ansible-core supports and dnf: `create` pulls nothing.
    cat > "$work/execution-environment.yml" << EOF
# Written by tools/gate.sh for make ee: the artifact, with ansible-core and ansible-runner pinned as in tests/requirements.
version: 3
images:
  base_image:
    name: quay.io/fedora/fedora:41
dependencies:
  python_interpreter:
    package_system: python3
    python_path: /usr/bin/python3
  ansible_core:
    package_pip: $(pin ansible-core ansible.txt)
  ansible_runner:
    package_pip: $(pin ansible-runner e2e.txt)
  galaxy:
    collections:
      # The galaxy stage runs in /build, where _build/ of the context is copied.
      - name: collections/$name
        type: file
additional_build_files:
  - src: $name
    dest: collections
EOF
    ansible-builder create --file "$work/execution-environment.yml" --context "$work/context" \
        --output-filename Containerfile -v 2
    for path in Containerfile _build/requirements.yml "_build/collections/$name" _build/scripts/introspect.py \
        _build/scripts/assemble; do
        [ -f "$work/context/$path" ] || fail "the build context $work/context lacks $path"
    done
    grep -q 'ansible-galaxy collection install' "$work/context/Containerfile" ||
        fail 'the Containerfile does not install the collection'
    echo "==> build context in $work/context: Containerfile, the artifact, galaxy requirements, builder scripts"
    ;;
*)
    fail 'no such gate'
    ;;
esac
