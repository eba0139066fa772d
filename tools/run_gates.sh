#!/usr/bin/env bash
# Run every gate of `make test`, each as `make <gate>`, and print a summary.
#
#   run_gates.sh STATUS_DIR GATE...
#
# Every gate runs even when an earlier one failed.  A gate reports to STATUS_DIR:
#   <gate>.skipped   it could not run at all (the reason inside), e.g. no suitable Python;
#   <gate>.notes     it ran, but left something out (one line each), e.g. a Python version
#                    of the claim that this machine does not have.
# The summary gives each gate's result and time, then the notes, and ends with the line
# "gates: N passed, N failed, N skipped".  Exit status: 1 if a gate failed; also 1 if a gate
# was skipped and REQUIRE_ALL_GATES=1 (the default when CI=true: CI's machine has every
# interpreter, so a skipped gate there means a broken set-up, not a missing tool).
#
# Environment: MAKE (default: make).
set -uo pipefail

if [ "$#" -lt 2 ]; then
    echo "usage: $0 STATUS_DIR GATE..." >&2
    exit 2
fi

status_dir="$1"
shift
make_cmd="${MAKE:-make}"
if [ -z "${REQUIRE_ALL_GATES:-}" ]; then
    if [ "${CI:-}" = "true" ]; then REQUIRE_ALL_GATES=1; else REQUIRE_ALL_GATES=0; fi
fi

mkdir -p "$status_dir"
results=()
passed=0
failed=0
skipped=0
failed_names=()
skipped_names=()
now_us() { local t="${EPOCHREALTIME:-$(date +%s.%N)}"; t="${t/./}"; echo "${t:0:16}"; }
seconds_since() { local us=$(( $(now_us) - $1 )); printf '%d.%d' $((us / 1000000)) $(((us % 1000000) / 100000)); }
total_start=$(now_us)

for gate in "$@"; do
    rm -f "$status_dir/$gate".*
    echo
    echo "==> make $gate"
    start=$(now_us)
    "$make_cmd" --no-print-directory "$gate"
    rc=$?
    seconds=$(seconds_since "$start")
    if [ "$rc" -ne 0 ]; then
        result=FAILED
        failed=$((failed + 1))
        failed_names+=("$gate")
    elif [ -f "$status_dir/$gate.skipped" ]; then
        result=SKIPPED
        skipped=$((skipped + 1))
        skipped_names+=("$gate")
    else
        result=passed
        passed=$((passed + 1))
    fi
    results+=("$(printf '  %-15s %-8s %7ss' "$gate" "$result" "$seconds")")
    echo "==> make $gate: $result in ${seconds}s"
done

total=$(seconds_since "$total_start")

echo
echo "==> summary of make test (${total}s)"
printf '%s\n' "${results[@]}"
for gate in "$@"; do
    if [ -f "$status_dir/$gate.skipped" ]; then
        echo "  SKIPPED $gate: $(cat "$status_dir/$gate.skipped")"
    fi
    if [ -f "$status_dir/$gate.notes" ]; then
        while IFS= read -r line; do
            echo "  note ($gate): $line"
        done < "$status_dir/$gate.notes"
    fi
done

status=0
if [ "$failed" -gt 0 ]; then
    echo "==> FAILED gates: ${failed_names[*]}" >&2
    status=1
fi
if [ "$skipped" -gt 0 ]; then
    if [ "$REQUIRE_ALL_GATES" = "1" ]; then
        echo "==> skipped gates count as failures here (REQUIRE_ALL_GATES=1, CI=${CI:-}): ${skipped_names[*]}" >&2
        status=1
    else
        echo "==> skipped gates: ${skipped_names[*]} (set REQUIRE_ALL_GATES=1 to make that an error)" >&2
    fi
fi
echo "gates: $passed passed, $failed failed, $skipped skipped"
exit "$status"
