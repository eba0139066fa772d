#!/usr/bin/env bash
# Run gates, each as `make <gate>`, every one even when an earlier one failed, and print a summary.
#
#   run_gates.sh STATUS_DIR [--background 'GATE...'] GATE...
#
# The gates named in --background (among GATE...) start first, each alongside all the others, their output printed
# once the others are done; the others run one after the other. The summary keeps the order of GATE...: each gate's
# result, its time and the CPU time of its processes (user + system, from the shell's `times`: what a gate costs on a
# shared machine, where its wall time depends on what runs alongside it), then what the gates left in STATUS_DIR:
#   <gate>.skipped   the reason a gate could not run at all (the Makefile's rule for a gate without its Python);
#   <gate>.notes     what a gate that ran left out, a line each (written to $GATE_NOTES, e.g. a Python it lacks).
# Exit status 1 when a gate failed, or was skipped with REQUIRE_ALL_GATES=1 (the default when CI=true: CI's machine
# has every interpreter, so a skipped gate there is a broken set-up). Environment: MAKE (default: make).
set -uo pipefail

status_dir="$1"
shift
background=""
if [ "${1:-}" = --background ]; then
    background=" $2 "
    shift 2
fi
[ "${CI:-}" = true ] && : "${REQUIRE_ALL_GATES:=1}"
mkdir -p "$status_dir"
now_us() { local t="${EPOCHREALTIME/./}"; echo "${t:0:16}"; }
seconds_since() { local us=$(($(now_us) - $1)); printf '%d.%d' $((us / 1000000)) $(((us % 1000000) / 100000)); }
total_start=$(now_us)

# <gate>.result: exit status, seconds, CPU seconds (from the `times` line of the children of the subshell).
run_gate() {
    local start
    rm -f "$status_dir/$1".*
    start=$(now_us)
    (GATE_NOTES="$status_dir/$1.notes" "${MAKE:-make}" --no-print-directory "$1"
     rc=$?
     times > "$status_dir/$1.cpu"  # not in a pipeline: that would be another subshell, with no children
     exit "$rc")
    local rc=$?
    echo "$rc $(seconds_since "$start") $(tail -n 1 "$status_dir/$1.cpu" |
        awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] } printf "%.0f", t }')" \
        > "$status_dir/$1.result"
}
# FAILED (a gate that never wrote its result too), SKIPPED or passed.
result_of() {
    local rc=1
    [ -f "$status_dir/$1.result" ] && read -r rc _ < "$status_dir/$1.result"
    if [ "$rc" -ne 0 ]; then
        echo FAILED
    elif [ -f "$status_dir/$1.skipped" ]; then
        echo SKIPPED
    else
        echo passed
    fi
}

pids=()
for gate in "$@"; do
    [[ "$background" == *" $gate "* ]] || continue
    echo "==> in the background, output below once the other gates are done: $gate"
    run_gate "$gate" > "$status_dir/output-$gate.log" 2>&1 &
    pids+=($!)
done
for gate in "$@"; do
    [[ "$background" == *" $gate "* ]] && continue
    printf '\n==> make %s\n' "$gate"
    run_gate "$gate"
    read -r _ seconds _ < "$status_dir/$gate.result"
    echo "==> make $gate: $(result_of "$gate") in ${seconds}s"
done
wait "${pids[@]}"
for gate in "$@"; do
    [[ "$background" == *" $gate "* ]] || continue
    printf '\n==> make %s (ran in the background)\n' "$gate"
    cat "$status_dir/output-$gate.log"
done

printf '\n==> summary of the gates (%ss)\n' "$(seconds_since "$total_start")"
failed=() skipped=() passed=0 total_cpu=0
for gate in "$@"; do
    seconds=0 cpu=0
    [ -f "$status_dir/$gate.result" ] && read -r _ seconds cpu < "$status_dir/$gate.result"
    total_cpu=$((total_cpu + cpu))
    result="$(result_of "$gate")"
    case "$result" in
    FAILED) failed+=("$gate") ;;
    SKIPPED) skipped+=("$gate") ;;
    *) passed=$((passed + 1)) ;;
    esac
    printf '  %-21s %-8s %7ss %7ss CPU\n' "$gate" "$result" "$seconds" "$cpu"
done
echo "  (${total_cpu}s of CPU)"
for gate in "$@"; do
    [ -f "$status_dir/$gate.skipped" ] && echo "  SKIPPED $gate: $(cat "$status_dir/$gate.skipped")"
    [ -f "$status_dir/$gate.notes" ] && sed "s/^/  note ($gate): /" "$status_dir/$gate.notes"
done

status=0
if [ "${#failed[@]}" -gt 0 ]; then
    echo "==> FAILED gates: ${failed[*]}" >&2
    status=1
fi
if [ "${#skipped[@]}" -gt 0 ] && [ "${REQUIRE_ALL_GATES:-0}" = 1 ]; then
    echo "==> skipped gates count as failures here (REQUIRE_ALL_GATES=1): ${skipped[*]}" >&2
    status=1
elif [ "${#skipped[@]}" -gt 0 ]; then
    echo "==> skipped gates: ${skipped[*]} (set REQUIRE_ALL_GATES=1 to make that an error)" >&2
fi
echo "gates: $passed passed, ${#failed[@]} failed, ${#skipped[@]} skipped"
exit "$status"
