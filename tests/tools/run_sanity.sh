#!/usr/bin/env bash
# Run ansible-test sanity from the collection copy.
#
#   run_sanity.sh VENV_BIN COLLECTION_DIR CONTROLLER_VERSION PYBIN_DIR TARGET_PYTHONS [ansible-test args...]
#
# 1. Every sanity test on the controller Python (the virtualenv's version).
# 2. The tests that run once per Python version (compile, import) on each other
#    Python the modules support and that this machine has.  TARGET_PYTHONS is
#    "auto" (find them with find_python.sh, from 3.9, the oldest version in
#    tests/config.yml's python_requires) or a space separated list of X.Y
#    versions, or "none".  ansible-test finds pythonX.Y on PATH, so links to
#    the interpreters are laid out in PYBIN_DIR, ahead of everything else.
#
# Extra ansible-test arguments apply to every run; with --test among them only
# the controller run happens.  Every run happens even if an earlier one failed; the exit status is non-zero
# if any failed.
set -euo pipefail

if [ "$#" -lt 5 ]; then
    echo "usage: $0 VENV_BIN COLLECTION_DIR CONTROLLER_VERSION PYBIN_DIR TARGET_PYTHONS [ansible-test args...]" >&2
    exit 2
fi

venv_bin="$1"
collection="$2"
controller="$3"
pybin="$4"
targets="$5"
shift 5

here="$(cd "$(dirname "$0")" && pwd)"

rm -rf "$pybin"
mkdir -p "$pybin"

declare -A interpreters=()
if [ "$targets" != "none" ]; then
    while read -r version path; do
        [ -n "$version" ] && interpreters["$version"]="$path"
    done < <(MIN_MINOR=9 MAX_MINOR=14 "$here/find_python.sh" --all 2>/dev/null || true)
fi

selected=()
if [ "$targets" = "auto" ]; then
    while read -r version; do
        [ -n "$version" ] && selected+=("$version")
    done < <(printf '%s\n' "${!interpreters[@]}" | sort -V)
elif [ "$targets" != "none" ]; then
    read -r -a selected <<< "$targets"
fi

# Specific tests asked for: only the controller run.
for arg in "$@"; do
    if [ "$arg" = "--test" ]; then
        selected=()
    fi
done

extra_versions=()
for version in "${selected[@]}"; do
    [ "$version" = "$controller" ] && continue
    if [ -z "${interpreters[$version]:-}" ]; then
        echo "run_sanity: Python $version requested but not found" >&2
        exit 1
    fi
    ln -s "${interpreters[$version]}" "$pybin/python$version"
    extra_versions+=("$version")
done

export PATH="$pybin:$venv_bin:$PATH"
cd "$collection"

# ansible-test skips the shellcheck test, with a mere warning, when the program is missing.
if ! command -v shellcheck >/dev/null 2>&1; then
    echo "run_sanity: shellcheck not found on PATH (tests/requirements/sanity.txt installs it)" >&2
    exit 1
fi

failed=()

echo "==> ansible-test sanity on Python $controller (all tests)"
if ! "$venv_bin/ansible-test" sanity --color no --python "$controller" "$@"; then
    failed+=("all tests on Python $controller")
fi

for version in "${extra_versions[@]}"; do
    echo "==> ansible-test sanity on Python $version (compile, import)"
    if ! "$venv_bin/ansible-test" sanity --color no --python "$version" --test compile --test import "$@"; then
        failed+=("compile/import on Python $version")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "==> sanity FAILED: $(IFS=';'; echo "${failed[*]}")" >&2
    exit 1
fi

echo "==> sanity passed on Python $controller${extra_versions[*]:+ (compile, import also on ${extra_versions[*]})}"
