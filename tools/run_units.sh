#!/usr/bin/env bash
# Run the unit tests with ansible-test units, from the collection copy.
#
#   run_units.sh VENV_BIN COLLECTION_DIR PYTHON_VERSION [ansible-test units args...]
#
# ansible-test runs pytest (with pytest-xdist and its own plugins: collection loader, forked
# tests) on the Python of VENV_BIN, found on PATH as pythonX.Y; the virtualenv already holds the
# pinned test requirements (tests/requirements/units.txt), so nothing is installed here.
# ansible-test exits 0 when it finds no test at all: the JUnit reports are counted, and zero
# tests run is a failure.
set -euo pipefail

if [ "$#" -lt 3 ]; then
    echo "usage: $0 VENV_BIN COLLECTION_DIR PYTHON_VERSION [ansible-test units args...]" >&2
    exit 2
fi

venv_bin="$1"
collection="$2"
version="$3"
shift 3

cd "$collection"

if [ ! -d tests/unit ]; then
    echo "run_units: no tests/unit directory in $collection" >&2
    exit 1
fi

core="$("$venv_bin/python" -c 'from ansible.release import __version__; print(__version__)')"
rm -rf tests/output/junit

echo "==> ansible-test units on Python $version, ansible-core $core"
PATH="$venv_bin:$PATH" "$venv_bin/ansible-test" units --color no --python "$version" "$@"

"$venv_bin/python" - "$core" "$version" <<'EOF'
import glob
import sys
import xml.etree.ElementTree as ET

core, version = sys.argv[1:3]
tests = failures = skipped = 0
for path in glob.glob('tests/output/junit/*.xml'):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == 'testsuite' else root.iter('testsuite')
    for suite in suites:
        tests += int(suite.get('tests', 0))
        failures += int(suite.get('failures', 0)) + int(suite.get('errors', 0))
        skipped += int(suite.get('skipped', 0))
if tests == 0:
    sys.exit('run_units: ansible-test units ran no test (no JUnit report in tests/output/junit)')
print('==> units with ansible-core %s on Python %s: %d tests, %d failed, %d skipped'
      % (core, version, tests, failures, skipped))
sys.exit(1 if failures else 0)
EOF
