#!/usr/bin/env bash
# Build a virtualenv from pinned requirement files, or leave it alone when it is up to date.
#
#   make_venv.sh VENV PYTHON PIP_REQUIREMENTS CONSTRAINTS REQUIREMENTS...
#
# VENV is created afresh with PYTHON; pip is brought to the version PIP_REQUIREMENTS pins
# (tests/requirements/pip.txt), then REQUIREMENTS are installed under CONSTRAINTS (the lock of
# `make lock`).  The stamp file VENV/.installed-<hash> carries a hash of the content of every
# requirement file and of the interpreter's path: when neither changed since the virtualenv was
# built, nothing is done; when either did, the virtualenv is built again.
set -euo pipefail

if [ "$#" -lt 5 ]; then
    echo "usage: $0 VENV PYTHON PIP_REQUIREMENTS CONSTRAINTS REQUIREMENTS..." >&2
    exit 2
fi

venv="$1"
python="$2"
pip_requirements="$3"
constraints="$4"
shift 4

hash="$( { cat "$pip_requirements" "$@" "$constraints"; echo "$python"; } | sha256sum | cut -c1-16)"
stamp="$venv/.installed-$hash"
[ -e "$stamp" ] && exit 0

pip_install() {
    echo "$venv/bin/python -m pip install $*"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}

echo "--> creating $venv with $python"
rm -rf "$venv"
"$python" -m venv "$venv"
pip_install -r "$pip_requirements"
requirements=()
for file in "$@"; do
    requirements+=(-r "$file")
done
pip_install -c "$constraints" "${requirements[@]}"
touch "$stamp"
