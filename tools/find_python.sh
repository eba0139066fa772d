#!/usr/bin/env bash
# Find Python 3 interpreters.
#
#   find_python.sh          print the path of the newest usable interpreter for the
#                           controller (ansible-core 2.20+ needs Python >= 3.12, the
#                           pinned ansible-core supports up to 3.14); exit 1 if none
#   find_python.sh --all    print "<major.minor> <path>" for every usable minor version
#                           in the range (newest micro release of each), oldest first
#   find_python.sh --pick CACHE [GIVEN]
#                           print "<major.minor> <path>" of the interpreter the Makefile uses:
#                           GIVEN when it is passed at all (an empty GIVEN prints nothing; "?" stands
#                           for the version of one that does not run), else the one remembered in
#                           CACHE while it exists, else the newest usable one (of PREFER_MINOR when
#                           there is one of that minor version), then remembered in CACHE
#
# Candidates: python3.X on PATH (pyenv shims that are not activated fail to run and
# are skipped), then every pyenv installation.  Free-threaded builds and builds
# without venv/ensurepip are skipped.
#
# Environment: MIN_MINOR / MAX_MINOR (defaults 12 / 14) bound the accepted minor versions; PREFER_MINOR
# (default: none) is the minor version --pick takes when this machine has it, the newest otherwise.
set -uo pipefail

min_minor="${MIN_MINOR:-12}"
max_minor="${MAX_MINOR:-14}"
mode="${1:-}"

if [ "$mode" = "--pick" ]; then
    cache="${2:?usage: find_python.sh --pick CACHE [GIVEN]}"
    if [ "$#" -ge 3 ]; then
        given="$3"
        [ -n "$given" ] || exit 0
        version="$("$given" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" || version=""
        echo "${version:-?} $given"
        exit 0
    fi
    if [ -f "$cache" ] && read -r version path < "$cache" && [ -n "${path:-}" ] && [ -e "$path" ]; then
        echo "$version $path"
        exit 0
    fi
fi

candidates=()

for minor in $(seq "$max_minor" -1 "$min_minor"); do
    if path="$(command -v "python3.${minor}" 2>/dev/null)"; then
        candidates+=("$path")
    fi
done

pyenv_roots=()
if command -v pyenv >/dev/null 2>&1; then
    pyenv_roots+=("$(pyenv root 2>/dev/null)")
fi
pyenv_roots+=("${PYENV_ROOT:-}" "${HOME:-/root}/.pyenv" "/root/.pyenv")

for root in "${pyenv_roots[@]}"; do
    [ -n "$root" ] && [ -d "$root/versions" ] || continue
    for dir in "$root"/versions/3.*; do
        name="${dir##*/}"
        minor="$(echo "$name" | cut -d. -f2)"
        case "$minor" in
            '' | *[!0-9]*) continue ;;
        esac
        [ "$minor" -ge "$min_minor" ] && [ "$minor" -le "$max_minor" ] || continue
        [ -x "$dir/bin/python3" ] && candidates+=("$dir/bin/python3")
    done
done

# Each usable candidate prints "<major>.<minor>.<micro> <executable>".
probe='import sys, sysconfig, venv, ensurepip
if not sysconfig.get_config_var("Py_GIL_DISABLED"):
    print("%d.%d.%d %s" % (sys.version_info[:3] + (sys.executable,)))'

found=""
for candidate in "${candidates[@]}"; do
    line="$("$candidate" -c "$probe" 2>/dev/null)" || continue
    [ -n "$line" ] || continue
    minor="$(echo "${line%% *}" | cut -d. -f2)"
    [ "$minor" -ge "$min_minor" ] && [ "$minor" -le "$max_minor" ] || continue
    found="${found}${line}"$'\n'
done

if [ -z "$found" ]; then
    echo "find_python.sh: no Python 3.${min_minor}..3.${max_minor} interpreter found" >&2
    exit 1
fi

sorted="$(printf '%s' "$found" | sort -V -k1,1)"
newest="$(printf '%s\n' "$sorted" | tail -n 1)"

if [ "$mode" = "--pick" ]; then
    preferred="$(printf '%s\n' "$sorted" | grep "^3\.${PREFER_MINOR:-none}\.[0-9]* " | tail -n 1)"
    picked="${preferred:-$newest}"
    micro="${picked%% *}"
    mkdir -p "$(dirname "$cache")"
    echo "${micro%.*} ${picked#* }" | tee "$cache"
elif [ "$mode" = "--all" ]; then
    # Keep the newest micro release of each minor version.
    printf '%s\n' "$sorted" | awk '{ split($1, v, "."); key = v[1] "." v[2]; best[key] = $2; if (!(key in seen)) { seen[key] = 1; order[++n] = key } }
        END { for (i = 1; i <= n; i++) print order[i], best[order[i]] }'
else
    echo "${newest#* }"
fi
