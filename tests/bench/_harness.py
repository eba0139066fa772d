# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the benchmarks share: the command line (``main``), the emulator (``emulator``, e2e_support's), programs run
and measured by ``os.wait4`` (``Harness``, ``Measured``), tables. A benchmark prints figures and never judges them: it
exits 1 only when a run fails (``BenchError``), 2 when it cannot run (``CannotRun``). Each runs with the virtualenv's
Python from the collection copy of ``make collection``: ``make bench``, or tools/run_in_collection.sh as the Makefile
does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(COLLECTION_ROOT, 'tests', 'emulator'), os.path.join(COLLECTION_ROOT, 'tests', 'e2e')]

from e2e_support import ansible_environment, bin_dir, collections_path, running_emulator  # noqa: E402  pylint: disable=wrong-import-position

APP = 'emu-demo-app'
CREATE_APP = 'emu-twin-pg'  # the seed's second PostgreSQL addon, for the runs that create users
GROUP = 'group/scalingo.cloud.scalingo'
WRITES = ('users.create', 'users.update', 'users.reset', 'users.delete')
emulator = running_emulator  # the benchmarks' name for it


class BenchError(Exception):
    """A run failed: the figures would mean nothing."""


class CannotRun(Exception):
    """The benchmark cannot run here; ``str()`` says why."""


class Measured:
    """One child process run to its end: ``rc``, ``seconds`` (wall), ``maxrss`` (KiB) and ``cpu`` (seconds) of it and
    of the children it waited for, its output in ``log_path``."""

    def __init__(self, argv, env, cwd, log_path, timeout=600):
        self.log_path = log_path
        with open(log_path, 'w') as log:
            began = time.perf_counter()
            process = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT)
            watchdog = threading.Timer(timeout or 1e9, process.kill)
            watchdog.start()
            try:
                dummy, status, usage = os.wait4(process.pid, 0)  # wait4 rather than wait: this child's own usage
            finally:
                watchdog.cancel()
            self.seconds = time.perf_counter() - began
        self.rc = os.waitstatus_to_exitcode(status)
        process.returncode = self.rc  # reaped here: Popen must not wait for it again
        self.maxrss = usage.ru_maxrss
        self.cpu = usage.ru_utime + usage.ru_stime  # the module processes' included, not the emulator's

    def output(self):
        with open(self.log_path) as handle:
            return handle.read()

    def check(self, what, problems=()):
        """Raise BenchError naming ``what`` when the run exited non-zero or ``problems`` says anything, with the last
        lines of its output; else return the run."""
        problems = (['exit %s' % self.rc] if self.rc else []) + [problem for problem in problems if problem]
        if problems:
            raise BenchError('%s: %s\n--- last lines of the output\n%s' % (
                what, '; '.join(problems), '\n'.join(self.output().splitlines()[-25:])))
        return self


class Harness:
    """The temporary directory of one benchmark: its files, and the programs it runs."""

    def __init__(self, work):
        self.work = work
        self.runs = 0
        # An explicit interpreter: discovery could pick a Python without requests.
        self.inventory = self.write('inventory.ini', 'localhost ansible_connection=local '
                                    'ansible_python_interpreter=%s\n' % sys.executable)

    def write(self, name, content, mode=0o644):
        """A file of the directory, ``content`` a string or written as JSON (which is YAML); its path."""
        path = os.path.join(self.work, name)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), 'w') as handle:
            handle.write(content if isinstance(content, str) else json.dumps(content, indent=1))
        return path

    def run(self, argv, env=None, cwd=None, timeout=600):
        self.runs += 1
        return Measured(argv, env, cwd or self.work, os.path.join(self.work, 'run-%d.log' % self.runs), timeout)

    def ansible(self, emu, program, args, **variables):
        """ansible-``program`` of the virtualenv against ``emu``, its log of requests emptied first: the emulator's
        variables, updated with ``variables`` (None leaves one out), and none of the caller's."""
        env = ansible_environment(self.work, dict(emu.env(), **variables))
        emu.reset_log()
        return self.run([os.path.join(bin_dir(), 'ansible-' + program)] + args, env)

    def playbook(self, emu, tasks, check=False, play=None, **variables):
        """One play of ``tasks`` on localhost, run by ansible-playbook (``ansible``)."""
        path = self.write('playbook-%d.yml' % self.runs, [dict(
            {'name': 'bench', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}, **(play or {}))])
        return self.ansible(emu, 'playbook', ['-i', self.inventory, path] + (['--check'] if check else []), **variables)


def print_table(headers, rows, right=()):
    """An aligned plain-text table; columns whose index is in ``right`` are right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells):
        return '  ' + '  '.join(str(cell).rjust(widths[index]) if index in right else str(cell).ljust(widths[index])
                                for index, cell in enumerate(cells)).rstrip()

    print(line(headers))
    print('  ' + '  '.join('-' * width for width in widths))
    for row in rows:
        print(line(row))


def prepare():
    """Make the collection importable; raise CannotRun when the benchmark cannot run here."""
    if collections_path() is None:
        raise CannotRun('run it from a copy laid out as ansible_collections/scalingo/cloud '
                        '(make collection, then cd build/ansible_collections/scalingo/cloud)')
    if not os.access(os.path.join(bin_dir(), 'ansible-playbook'), os.X_OK):
        raise CannotRun('ansible-playbook not found next to %s: run it with the virtualenv Python' % sys.executable)
    sys.path.insert(0, collections_path())


def main(measure, flag=None, full=None, quick=None, text=''):
    """Run ``measure(args, harness)`` from the command line: ``--quick``, and ``flag`` (an int, or ints when ``full``
    is a list) defaulting to ``full``, or ``quick`` with --quick. Returns the exit status."""
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    parser = argparse.ArgumentParser(description=sys.modules[measure.__module__].__doc__.strip().split('\n')[0])
    parser.add_argument('--quick', action='store_true', help='smaller sizes, fewer runs')
    if flag:
        parser.add_argument(flag, type=int, nargs='+' if isinstance(full, list) else None,
                            help='%s (default %s; %s with --quick)' % (text, full, quick))
    args = parser.parse_args()
    if flag:
        value = getattr(args, flag[2:])
        value = (quick if args.quick else full) if value is None else value
        if min(value if isinstance(value, list) else [value]) < 1:
            parser.error('%s must be at least 1' % flag)
        setattr(args, flag[2:], value)
    began = time.perf_counter()
    work = tempfile.mkdtemp(prefix='scalingo-%s-' % name)
    try:
        prepare()
        measure(args, Harness(work))
    except CannotRun as exc:
        sys.stderr.write('%s: %s\n' % (name, exc))
        return 2
    except BenchError as exc:
        sys.stderr.write('%s: FAILED: %s\n' % (name, exc))
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print('\n%s: %.0f s in all' % (name, time.perf_counter() - began))
    return 0
