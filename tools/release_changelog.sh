#!/usr/bin/env bash
# Release the changelog (`antsibull-changelog release`) in a scratch copy, then either check that
# the committed changelog is that release (the changelog gate) or write it to the work tree.
#
#   release_changelog.sh check VENV_BIN COLLECTION_DIR WORK_DIR
#   release_changelog.sh write VENV_BIN COLLECTION_DIR WORK_DIR ROOT
#
# COLLECTION_DIR is the collection copy (build/ansible_collections/scalingo/cloud); WORK_DIR a
# scratch directory that becomes WORK_DIR/ansible_collections/scalingo/cloud.
#
# check:   antsibull-changelog lint (the fragments) and lint-changelog-yaml; then, in a scratch copy,
#          `antsibull-changelog release` for the version of galaxy.yml, and the resulting
#          changelogs/changelog.yaml and CHANGELOG.md must be the committed ones byte for byte.
#          So the check fails when a fragment is not in the changelog yet (whether the version is
#          already in changelog.yaml or not), when CHANGELOG.md was edited by hand or is stale, and
#          when the modules' short descriptions recorded for this release no longer match.
# write:   the same release in a scratch copy, then its changelog.yaml and CHANGELOG.md are copied
#          to ROOT and the fragments it consumed are deleted from ROOT/changelogs/fragments.  It can
#          be run again while the version is not published: new fragments join the same release.
set -euo pipefail

mode="${1:-}"
if [ "$#" -lt 4 ] || { [ "$mode" != check ] && [ "$mode" != write ]; } || { [ "$mode" = write ] && [ "$#" -lt 5 ]; }; then
    echo "usage: $0 check VENV_BIN COLLECTION_DIR WORK_DIR | write VENV_BIN COLLECTION_DIR WORK_DIR ROOT" >&2
    exit 2
fi

venv_bin="$2"
collection="$3"
work="$4"
root="${5:-}"
changelog="$venv_bin/antsibull-changelog"
scratch="$work/ansible_collections/scalingo/cloud"
export PATH="$venv_bin:$PATH"

cd "$collection"
version="$(sed -n 's/^version: *//p' galaxy.yml)"

if [ "$mode" = check ]; then
    echo "==> antsibull-changelog lint (changelogs/fragments)"
    "$changelog" lint
    echo "==> antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml"
    "$changelog" lint-changelog-yaml changelogs/changelog.yaml
fi

# A scratch copy in its own ansible_collections tree: the release reads the modules with ansible-doc.
rm -rf "$work"
mkdir -p "$scratch"
tar --exclude=./.git --exclude=./tests/output -cf - . | tar -xf - -C "$scratch"
# antsibull-changelog hands ansible-doc the files that git does not ignore: the scratch copy gets a
# repository of its own, or the ignored build/ around it would hide every file.
git init -q "$scratch"

echo "==> antsibull-changelog release (version $version) in a scratch copy"
# (ansible-core's internal _protomatter collection has no version: antsibull-changelog warns about it.)
status=0
(cd "$scratch" && ANSIBLE_COLLECTIONS_PATH="$work" "$changelog" release --reload-plugins) > "$work/release.log" 2>&1 || status=$?
grep -v -e "_protomatter' does not have a MANIFEST.json" -e "WARNING release $version already exists" \
    -e 'WARNING Found no release_summary section' "$work/release.log" || true
if [ "$status" -ne 0 ]; then
    echo "changelog: antsibull-changelog release failed (exit status $status)" >&2
    exit 1
fi

# The modules antsibull-changelog saw (through ansible-doc) must be the collection's: with none, a
# release would silently lose its "New Modules" section.
"$venv_bin/python" - "$scratch" <<'PY'
import os
import sys

import yaml

scratch = sys.argv[1]
with open(os.path.join(scratch, 'changelogs', '.plugin-cache.yaml'), encoding='utf-8') as handle:
    seen = sorted(((yaml.safe_load(handle) or {}).get('plugins') or {}).get('module') or {})
modules = sorted(name[:-3] for name in os.listdir(os.path.join(scratch, 'plugins', 'modules'))
                 if name.endswith('.py') and not name.startswith('_'))
if seen != modules:
    sys.exit('changelog: antsibull-changelog found the modules %s, plugins/modules/ has %s' % (seen, modules))
print('==> antsibull-changelog found the modules: %s' % ', '.join(seen))
PY
[ -f "$scratch/changelogs/changelog.yaml" ] && [ -f "$scratch/CHANGELOG.md" ] || {
    echo "changelog: antsibull-changelog release produced no changelog.yaml or CHANGELOG.md" >&2
    exit 1
}

pending=""
for fragment in changelogs/fragments/*.yml changelogs/fragments/*.yaml; do
    [ -e "$fragment" ] && pending="$pending${pending:+ }${fragment##*/}"
done

if [ "$mode" = check ]; then
    stale=0
    for file in changelogs/changelog.yaml CHANGELOG.md; do
        if [ ! -f "$file" ]; then
            echo "changelog: $file is missing" >&2
            stale=1
        elif ! diff -u "$file" "$scratch/$file"; then
            stale=1
        fi
    done
    if [ "$stale" = 1 ]; then
        echo "changelog: changelogs/changelog.yaml and CHANGELOG.md are not what the fragments give for $version" \
            "(fragments not released yet: ${pending:-none})." >&2
        echo "changelog: run \`make changelog-release\` and commit the result." >&2
        exit 1
    fi
    echo "==> changelog up to date: CHANGELOG.md and changelogs/changelog.yaml match the fragments for $version"
    exit 0
fi

cp "$scratch/changelogs/changelog.yaml" "$root/changelogs/changelog.yaml"
cp "$scratch/CHANGELOG.md" "$root/CHANGELOG.md"
echo "==> wrote $root/changelogs/changelog.yaml and $root/CHANGELOG.md (release $version)"
for fragment in $pending; do
    if [ ! -e "$scratch/changelogs/fragments/$fragment" ] && [ -e "$root/changelogs/fragments/$fragment" ]; then
        rm -- "$root/changelogs/fragments/$fragment"
        echo "==> released and removed changelogs/fragments/$fragment"
    fi
done
