#!/usr/bin/env bash
# Run every gate of `make test`, each as `make <gate>`, and print a summary.
#
#   run_gates.sh STATUS_DIR [--background 'GATE...']... GATE...
#   run_gates.sh --skip STATUS_DIR GATE REASON
#
# Every gate runs even when an earlier one failed.  A gate reports to STATUS_DIR:
#   <gate>.skipped   it could not run at all (the reason inside), e.g. no suitable Python: the
#                    Makefile's rule for such a gate is `run_gates.sh --skip`, which writes the
#                    file, says so on stderr, and exits 0;
#   <gate>.notes     it ran, but left something out (one line each), e.g. a Python version
#                    of the claim that this machine does not have: each gate runs with
#                    GATE_NOTES set to the path of that file, for the scripts that have notes.
# Both files are removed before the gate runs; <gate>.result gets its exit status, its time, and the CPU time of the
# processes it waited for (user + system, from the shell's `times`: what a gate costs on a shared machine, where its
# wall time depends on what runs alongside it).
# The gates named with --background run alongside the others, their output printed at the end:
# those of one --background, a lane, one after the other; each lane alongside the other lanes.
# The summary keeps the order of GATE....
# The summary gives each gate's result and time, then the notes, and ends with the line
# "gates: N passed, N failed, N skipped".  Exit status: 1 if a gate failed; also 1 if a gate
# was skipped and REQUIRE_ALL_GATES=1 (the default when CI=true: CI's machine has every
# interpreter, so a skipped gate there means a broken set-up, not a missing tool).
#
# Environment: MAKE (default: make).
set -uo pipefail

if [ "${1:-}" = "--skip" ]; then
    if [ "$#" -ne 4 ]; then
        echo "usage: $0 --skip STATUS_DIR GATE REASON" >&2
        exit 2
    fi
    mkdir -p "$2"
    echo "$4" > "$2/$3.skipped"
    echo "SKIPPED make $3: $4" >&2
    exit 0
fi

if [ "$#" -lt 2 ]; then
    echo "usage: $0 STATUS_DIR [--background 'GATE...']... GATE..." >&2
    exit 2
fi

status_dir="$1"
shift
lanes=()
while [ "${1:-}" = "--background" ]; do
    lanes+=("${2:-}")
    shift 2
done
background=" ${lanes[*]} "
make_cmd="${MAKE:-make}"
if [ -z "${REQUIRE_ALL_GATES:-}" ]; then
    if [ "${CI:-}" = "true" ]; then REQUIRE_ALL_GATES=1; else REQUIRE_ALL_GATES=0; fi
fi

mkdir -p "$status_dir"
now_us() { local t="${EPOCHREALTIME:-$(date +%s.%N)}"; t="${t/./}"; echo "${t:0:16}"; }
seconds_since() { local us=$(( $(now_us) - $1 )); printf '%d.%d' $((us / 1000000)) $(((us % 1000000) / 100000)); }
total_start=$(now_us)

# Seconds, from the children's line of `times` ("0m12.340s 0m1.250s"): user + system.
cpu_seconds() { awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] } printf "%.0f", t }'; }

# One gate: its status files cleared, `make GATE` in a subshell whose `times` gives the gate's CPU time, then its exit
# status, time and CPU time in <gate>.result.
run_gate() {
    local gate="$1" start rc
    rm -f "$status_dir/$gate".*
    start=$(now_us)
    (GATE_NOTES="$status_dir/$gate.notes" "$make_cmd" --no-print-directory "$gate"
     rc=$?
     times > "$status_dir/$gate.cpu"  # not in a pipeline: that would be another subshell, with no children
     tail -n 1 "$status_dir/$gate.cpu" | cpu_seconds > "$status_dir/$gate.cpu-seconds"
     exit "$rc")
    rc=$?
    echo "$rc $(seconds_since "$start") $(cat "$status_dir/$gate.cpu-seconds" 2>/dev/null || echo 0)" \
        > "$status_dir/$gate.result"
    rm -f "$status_dir/$gate.cpu" "$status_dir/$gate.cpu-seconds"
}

# The background gates start first, each lane in a process of its own that runs its gates one after the other (those
# of its list that are among GATE...), their output kept in output-<gate>.log and printed once the other gates are
# done.
lane_pids=()
lane_gates=()
for lane in "${lanes[@]}"; do
    gates=()
    for gate in $lane; do
        [[ " $* " == *" $gate "* ]] && gates+=("$gate")
    done
    [ "${#gates[@]}" -gt 0 ] || continue
    echo "==> in the background${gates[1]:+, one after the other}, output below once the other gates are done: ${gates[*]}"
    ( for gate in "${gates[@]}"; do run_gate "$gate" > "$status_dir/output-$gate.log" 2>&1; done ) &
    lane_pids+=($!)
    lane_gates+=("${gates[@]}")
done

for gate in "$@"; do
    [[ "$background" == *" $gate "* ]] && continue
    echo
    echo "==> make $gate"
    run_gate "$gate"
    read -r rc seconds cpu < "$status_dir/$gate.result"
    [ "$rc" -eq 0 ] && echo "==> make $gate: passed in ${seconds}s" || echo "==> make $gate: FAILED in ${seconds}s"
done

for pid in "${lane_pids[@]}"; do
    wait "$pid"
done
for gate in "${lane_gates[@]}"; do
    echo
    echo "==> make $gate (ran in the background)"
    cat "$status_dir/output-$gate.log" 2>/dev/null
done

results=()
passed=0
failed=0
skipped=0
failed_names=()
skipped_names=()
total_cpu=0
for gate in "$@"; do
    rc=1
    seconds=0
    cpu=0
    [ -f "$status_dir/$gate.result" ] && read -r rc seconds cpu < "$status_dir/$gate.result"
    total_cpu=$((total_cpu + ${cpu:-0}))
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
    results+=("$(printf '  %-21s %-8s %7ss %7ss CPU' "$gate" "$result" "$seconds" "${cpu:-0}")")
done

total=$(seconds_since "$total_start")

echo
echo "==> summary of the gates (${total}s, ${total_cpu}s of CPU)"
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
