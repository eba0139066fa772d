#!/usr/bin/env bash
# Stop make with a message saying what is missing.
#
#   need.sh VALUE MESSAGE    exit 1 with "make: MESSAGE" on stderr when VALUE is empty
if [ -z "${1:-}" ]; then
    echo "make: ${2:-something is missing}" >&2
    exit 1
fi
