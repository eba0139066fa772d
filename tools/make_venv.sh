#!/usr/bin/env bash
# Build a virtualenv from pinned requirement files, or leave it alone when it is up to date.
#
#   make_venv.sh VENV PYTHON PIP_REQUIREMENTS CONSTRAINTS REQUIREMENTS...
#
# VENV is created afresh with PYTHON; pip is brought to the version PIP_REQUIREMENTS pins
# (tests/requirements/pip.txt), then REQUIREMENTS are installed under CONSTRAINTS (the lock of
# `make lock`).  The stamp file VENV/.installed-<hash> carries a hash of the content of every
# requirement file and of the interpreter (path and version): when none changed since the virtualenv
# was built, nothing is done; when one did, the virtualenv is built again.
#
# With VENV_CACHE set to a directory (the Makefile's default: ~/.cache/scalingo-cloud/venvs), the
# virtualenv is built there, as VENV_CACHE/venv-<hash>, and VENV is a link to it: every clone of the
# project on this machine (CI's fresh one too) finds it built.  A lock keeps two builds of one hash
# from running at once; entries unused for 30 days are removed when a new one is built.  Nothing
# writes into a virtualenv once it is built: change a requirement file instead.
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

interpreter="$("$python" -c 'import sys; print(sys.executable, sys.version)')"
hash="$( { cat "$pip_requirements" "$@" "$constraints"; echo "$python $interpreter"; } | sha256sum | cut -c1-16)"
cache="${VENV_CACHE:-}"
target="$venv"
if [ -n "$cache" ]; then
    mkdir -p "$cache"
    cache="$(cd "$cache" && pwd)"
    target="$cache/venv-$hash"
fi
stamp="$target/.installed-$hash"

# VENV itself, or a link to the entry of the cache.
link() {
    [ "$target" != "$venv" ] || return 0
    if [ "$(readlink "$venv" 2>/dev/null)" != "$target" ]; then
        rm -rf "$venv"
        mkdir -p "$(dirname "$venv")"
        ln -s "$target" "$venv"
    fi
}

if [ -e "$stamp" ]; then
    [ -z "$cache" ] || touch "$stamp"
    link
    exit 0
fi

if [ -n "$cache" ]; then
    exec 9> "$target.lock"
    flock 9
    if [ -e "$stamp" ]; then
        link
        exit 0
    fi
fi

pip_install() {
    echo "$target/bin/python -m pip install $*"
    "$target/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}

echo "--> creating $target with $python${cache:+ (cached for every clone, linked from $venv)}"
rm -rf "$target"
"$python" -m venv "$target"
pip_install -r "$pip_requirements"
requirements=()
for file in "$@"; do
    requirements+=(-r "$file")
done
pip_install -c "$constraints" "${requirements[@]}"
touch "$stamp"
link

if [ -n "$cache" ]; then
    for old in "$cache"/venv-*/.installed-*; do
        [ -e "$old" ] && [ -n "$(find "$old" -mtime +30)" ] || continue
        entry="${old%/.installed-*}"
        echo "--> removing $entry (unused for 30 days)"
        rm -rf "$entry" "$entry.lock"
    done
fi
