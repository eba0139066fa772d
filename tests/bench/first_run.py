# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What ``make demo`` costs on a first run, and on the next ones: the figures the README gives.

A first run builds the demo's virtualenv (pip, ansible-core, requests, PostgreSQL's wheel, psycopg: from the index
or pip's cache), then runs the demo, which is all the next runs do. Here the virtualenv is built afresh in a
temporary directory with the Makefile's script and pins (tools/make_venv.sh), and the demo runs once with it.
"""

from __future__ import annotations

import os
import sys

from _harness import COLLECTION_ROOT, main


def measure(args, h):  # pylint: disable=unused-argument
    tools, venv = os.path.join(COLLECTION_ROOT, 'tools'), os.path.join(h.work, 'venv-demo')
    pins = [os.path.join(COLLECTION_ROOT, 'tests', 'requirements', name)
            for name in ('pip.txt', 'constraints.txt', 'ansible.txt', 'demo.txt')]
    # The virtualenv is built with the interpreter of this one; the environment is the caller's, as make gives it.
    built = h.run([os.path.join(tools, 'make_venv.sh'), venv, os.path.realpath(sys.executable)] + pins,
                  cwd=COLLECTION_ROOT, timeout=None).check('make_venv.sh').seconds
    ran = h.run([os.path.join(tools, 'run_in_collection.sh'), os.path.join(venv, 'bin'), COLLECTION_ROOT, 'python',
                 'tests/demo/demo.py'], cwd=COLLECTION_ROOT, timeout=None).check('the demo').seconds
    print('\nmake demo: its virtualenv built afresh %.0f s (pip\'s cache as this machine has it), the demo %.0f s; '
          'a first run %.0f s, the next ones %.0f s' % (built, ran, built + ran, ran))


if __name__ == '__main__':
    sys.exit(main(measure))
