#!/usr/bin/env bash
# Run ansible-test sanity from the collection copy, with the ansible-core of one virtualenv.
#
#   run_sanity.sh VENV_BIN COLLECTION_DIR CONTROLLER_VERSION PYBIN_DIR TARGET_PYTHONS [ansible-test args...]
#
# 0. prepare_ansible_test.py --offline: ansible-test's pip bootstrap works without its download.
# 1. Every sanity test on the controller Python (the virtualenv's version).
# 2. The tests that run once per Python version (compile, import) on each other Python
#    version the modules claim: TARGET_PYTHONS is "auto" (the versions of tests/config.yml's
#    python_requires that this ansible-core supports, see list_claimed_pythons.py), "none", or a
#    space separated list of X.Y versions.  ansible-test finds pythonX.Y on PATH, so links to
#    the interpreters (found by find_python.sh on PATH and in pyenv) are laid out in PYBIN_DIR,
#    ahead of everything else.  A claimed version without an interpreter on this machine is
#    skipped, and said so (on stdout, and in the file $GATE_NOTES when it is set); a version
#    named explicitly in TARGET_PYTHONS that cannot be found is an error.
#
# Extra ansible-test arguments apply to every run; with --test among them only the controller
# run happens.  Every run happens even if an earlier one failed; the exit status is non-zero if
# any failed.
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
"$venv_bin/python" "$here/prepare_ansible_test.py" --offline
core="$("$venv_bin/python" -c 'from ansible.release import __version__; print(__version__)')"

note() {
    echo "==> NOTE: $*"
    if [ -n "${GATE_NOTES:-}" ]; then
        mkdir -p "$(dirname "$GATE_NOTES")"
        echo "$*" >> "$GATE_NOTES"
    fi
}

rm -rf "$pybin"
mkdir -p "$pybin"

# Every interpreter this machine has, newest micro release of each minor version.
declare -A interpreters=()
while read -r version path; do
    [ -n "$version" ] && interpreters["$version"]="$path"
done < <(MIN_MINOR=6 MAX_MINOR=20 "$here/find_python.sh" --all 2>/dev/null || true)

explicit=0
selected=()
case "$targets" in
    none) ;;
    auto)
        read -r -a selected <<< "$("$venv_bin/python" "$here/list_claimed_pythons.py" "$collection")"
        echo "==> ansible-core $core: the modules claim Python ${selected[*]}" \
            "(tests/config.yml python_requires, within what this ansible-test supports)"
        ;;
    *)
        explicit=1
        read -r -a selected <<< "$targets"
        ;;
esac

# Specific tests asked for: only the controller run.
for arg in "$@"; do
    if [ "$arg" = "--test" ]; then
        selected=()
    fi
done

extra_versions=()
skipped=()
for version in "${selected[@]}"; do
    [ "$version" = "$controller" ] && continue
    if [ -z "${interpreters[$version]:-}" ]; then
        if [ "$explicit" = 1 ]; then
            echo "run_sanity: Python $version requested but not found on PATH or in pyenv" >&2
            exit 1
        fi
        skipped+=("$version")
        continue
    fi
    ln -s "${interpreters[$version]}" "$pybin/python$version"
    extra_versions+=("$version")
done

echo "==> ansible-core $core: all sanity tests on Python $controller;" \
    "compile and import also on: ${extra_versions[*]:-(none)}"
for version in "${skipped[@]}"; do
    note "ansible-core $core: compile/import NOT checked on Python $version:" \
        "no python$version interpreter on PATH or in pyenv (find_python.sh)"
done

export PATH="$pybin:$venv_bin:$PATH"
cd "$collection"

# ansible-test skips the shellcheck test, with a mere warning, when the program is missing.
if ! command -v shellcheck >/dev/null 2>&1; then
    echo "run_sanity: shellcheck not found on PATH (tests/requirements/sanity.txt installs it)" >&2
    exit 1
fi

failed=()
checked=()

echo "==> ansible-test sanity on Python $controller (all tests), ansible-core $core"
if "$venv_bin/ansible-test" sanity --color no --python "$controller" "$@"; then
    checked+=("$controller")
else
    failed+=("all tests on Python $controller")
fi

for version in "${extra_versions[@]}"; do
    echo "==> ansible-test sanity on Python $version (compile, import), ansible-core $core"
    if "$venv_bin/ansible-test" sanity --color no --python "$version" --test compile --test import "$@"; then
        checked+=("$version")
    else
        failed+=("compile/import on Python $version")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "==> sanity FAILED with ansible-core $core: $(IFS=';'; echo "${failed[*]}")" >&2
    exit 1
fi

echo "==> sanity passed with ansible-core $core: all tests on Python $controller;" \
    "compile and import on Python $(printf '%s\n' "${checked[@]}" | sort -V | tr '\n' ' ')" \
    "${skipped[*]:+(not checked, no interpreter: ${skipped[*]})}"
