#!/usr/bin/env bash
# Line and branch coverage of plugins/ by the unit tests (and the integration tests), with ansible-test's commands.
#
#   report_coverage.sh VENV_BIN COLLECTION_DIR FLOOR [OTHER_COLLECTION_DIR...]
#
# The units gate (ansible-test units --coverage) leaves its data in COLLECTION_DIR/tests/output/coverage, the
# integration gate in its own copy of the collection (OTHER_COLLECTION_DIR): that data is copied beside the units'
# (ansible-test coverage combine maps every .../ansible_collections/scalingo/cloud/ path to the collection it runs
# from), combined, and reported for plugins/. Fails when there is no data, or when the total (lines and branches,
# coverage.py's "Cover") is below FLOOR percent.
set -euo pipefail

if [ "$#" -lt 3 ]; then
    echo "usage: $0 VENV_BIN COLLECTION_DIR FLOOR [OTHER_COLLECTION_DIR...]" >&2
    exit 2
fi

venv_bin="$1"
collection="$2"
floor="$3"
shift 3

data="$collection/tests/output/coverage"
for other in "$@"; do
    if compgen -G "$other/tests/output/coverage/*" > /dev/null; then
        mkdir -p "$data"
        cp "$other"/tests/output/coverage/* "$data/"
    fi
done
if ! compgen -G "$data/*" > /dev/null; then
    echo "report_coverage: no coverage data in $data: run make units integration COVERAGE=1 (make test does)" >&2
    exit 1
fi

cd "$collection"
export PATH="$venv_bin:$PATH"
ansible-test coverage combine --color no > /dev/null
report="$(ansible-test coverage report --color no --include 'plugins/*' --show-missing)"
echo "$report"
total="$(awk '$1 == "TOTAL" { sub(/%$/, "", $NF); print $NF }' <<< "$report")"
if [ -z "$total" ]; then
    echo "report_coverage: no TOTAL line in the report" >&2
    exit 1
fi
echo "==> coverage of plugins/ (lines and branches): ${total}%, floor ${floor}%"
if awk -v total="$total" -v floor="$floor" 'BEGIN { exit !(total + 0 < floor + 0) }'; then
    echo "report_coverage: ${total}% is below the floor of ${floor}%" >&2
    exit 1
fi
