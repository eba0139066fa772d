#!/usr/bin/env bash
# Find Python 3 interpreters: python3.X on PATH, then every pyenv installation. Pyenv shims that do not run (a version
# not activated), free-threaded builds and builds without venv/ensurepip are left out.
#
#   find_python.sh --all
#       "<X.Y> <path>" for every minor version found (its newest micro release), oldest first
#   find_python.sh --pick CACHE MIN_MINOR MAX_MINOR PREFER_MINOR [GIVEN]
#       "<X.Y> <path>" of the interpreter of a Makefile line: GIVEN when it is passed at all (an empty GIVEN prints
#       nothing, "?" stands for the version of one that does not run), else the one remembered in CACHE while it
#       exists, else 3.PREFER_MINOR when found, else the newest of 3.MIN_MINOR..3.MAX_MINOR, then remembered in CACHE
set -uo pipefail

if [ "${1:-}" = --pick ]; then
    cache="$2" min="$3" max="$4" prefer="$5"
    if [ "$#" -ge 6 ]; then
        [ -n "$6" ] || exit 0
        echo "$("$6" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2> /dev/null || echo '?') $6"
        exit 0
    fi
    if [ -f "$cache" ] && read -r version path < "$cache" && [ -e "${path:-}" ]; then
        echo "$version $path"
        exit 0
    fi
    found="$("$0" --all | awk -v min="$min" -v max="$max" '{ split($1, v, ".") } v[2] >= min && v[2] <= max')"
    picked="$(grep "^3\.$prefer " <<< "$found" || tail -n 1 <<< "$found")"
    [ -n "$picked" ] || exit 1
    mkdir -p "$(dirname "$cache")"
    echo "$picked" | tee "$cache"
    exit 0
fi

candidates=()
for minor in $(seq 6 20); do
    path="$(command -v "python3.$minor")" && candidates+=("$path")
done
for root in "$(pyenv root 2> /dev/null)" "${PYENV_ROOT:-}" "$HOME/.pyenv"; do
    [ -n "$root" ] && candidates+=("$root"/versions/3.*/bin/python3)
done
probe='import sys, sysconfig, venv, ensurepip
if not sysconfig.get_config_var("Py_GIL_DISABLED"):
    print("%d.%d.%d %s" % (sys.version_info[:3] + (sys.executable,)))'
# The newest micro release of each minor version.
for candidate in "${candidates[@]}"; do
    [ -x "$candidate" ] && "$candidate" -c "$probe" 2> /dev/null
done | sort -V | awk '{ split($1, v, "."); key = v[1] "." v[2]; if (!(key in best)) order[++n] = key; best[key] = $2 }
    END { for (i = 1; i <= n; i++) print order[i], best[order[i]] }'
