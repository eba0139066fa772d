# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Large sets of users in one ``database_users`` task, against the local Scalingo emulator (real PostgreSQL).

Figures, never judged: the exit status is 1 only when a run fails or does not do what it should, 2 when the
benchmark cannot run. For N users, one task creates them, Scalingo generating every password (N secrets that every
answer and the result are kept free of), then one task removes them. Creations and deletions send the same number of
requests: what a creation costs more is the module's own work on the generated passwords, redaction included. The
emulator keeps the users in memory here (no PostgreSQL), so that its CREATE ROLE, dearer than DROP ROLE, does not
count, and the CPU time of ansible-playbook and its module process is measured apart from the emulator's. The
project's target (issue 15): 5,000 creations cost no more than 5,000 deletions plus 20%.

Run it like bench.py, from the collection copy: ``python tests/bench/scale.py [--users N ...] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench import (  # noqa: E402  pylint: disable=wrong-import-position
    SEED,
    Bench,
    BenchError,
    Measured,
    prepare_environment,
    print_table,
)

CREATE_APP = 'emu-twin-pg'
TARGET = 1.2


class Scale(Bench):
    """One playbook per run: ``database_users`` over N names, present or absent."""

    def __init__(self, emu, workdir):
        super(Scale, self).__init__(emu, workdir, 0)
        self.addon_id = emu.addon_id(CREATE_APP, 'postgresql')

    def run(self, count, state):
        """One ansible-playbook run; returns its ``Measured`` after checking what it did."""
        names = ['bench-scale-%05d' % index for index in range(count)]
        play = {'name': 'scale', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [{
            'name': '%d users %s' % (count, state), 'no_log': True,
            'scalingo.cloud.database_users': {'app': CREATE_APP, 'addon': self.addon_id,
                                              'users': [{'name': name, 'state': state} for name in names]}}]}
        path = os.path.join(self.workdir, 'scale-%d-%s.yml' % (count, state))
        with open(path, 'w') as handle:
            json.dump([play], handle)
        env = self.base_environment()
        env.update({'ANSIBLE_COLLECTIONS_PATH': self.collections, 'ANSIBLE_NOCOLOR': '1',
                    'ANSIBLE_CONFIG': os.path.join(self.workdir, 'no-ansible.cfg'),
                    'ANSIBLE_LOCAL_TEMP': os.path.join(self.workdir, 'ansible-tmp'), 'ANSIBLE_RETRY_FILES_ENABLED': '0',
                    'NETRC': os.path.join(self.workdir, 'no-netrc'), 'SCALINGO_API_TOKEN': self.emu.api_token(),
                    'SCALINGO_AUTH_URL': self.emu.urls['auth'], 'SCALINGO_API_URL': self.emu.urls['api'],
                    'SCALINGO_DB_API_URL': self.emu.urls['db']})
        self.emu.reset_log()
        run = Measured([os.path.join(self.bin, 'ansible-playbook'), '-i', self.inventory, path], env, self.workdir,
                       os.path.join(self.workdir, 'scale-%d-%s.log' % (count, state)))
        route = 'users.create' if state == 'present' else 'users.delete'
        done = self.emu.counters().get(route, {}).get('count', 0)
        if run.rc != 0 or done != count:
            raise BenchError('%d users %s: exit %s, %d %s\n%s' % (count, state, run.rc, done, route, run.tail()))
        return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--users', type=int, nargs='+', default=None, help='sizes (default 1000 5000; 200 1000 quick)')
    parser.add_argument('--quick', action='store_true')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    sizes = args.users or ([200, 1000] if args.quick else [1000, 5000])
    problem = prepare_environment()
    if problem:
        sys.stderr.write('scale: %s\n' % problem)
        return 2
    from scalingo_emulator import Emulator  # pylint: disable=import-outside-toplevel

    began = time.perf_counter()
    workdir = tempfile.mkdtemp(prefix='scalingo-scale-')
    emu = None
    rows = []
    try:
        # Users in memory: the figures measure the module and its requests, not PostgreSQL's CREATE and DROP ROLE.
        emu = Emulator(SEED, pg='off')
        emu.start()
        scale = Scale(emu, workdir)
        for count in sizes:
            created = scale.run(count, 'present')
            removed = scale.run(count, 'absent')
            rows.append([str(count), '%.1f' % created.seconds, '%.1f' % removed.seconds,
                         '%.2f' % (created.seconds / removed.seconds), '%.1f' % created.cpu, '%.1f' % removed.cpu,
                         '%.2f' % (created.cpu / removed.cpu), 'target <= %.1f' % TARGET if count == 5000 else 'reported'])
    except BenchError as exc:
        sys.stderr.write('scale: FAILED: %s\n' % exc)
        return 1
    finally:
        if emu is not None:
            emu.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print('\ndatabase_users creating N users (passwords generated) and removing them, one task each: wall seconds, and '
          'CPU seconds of ansible-playbook and its module (the emulator apart), whose ratio is the cost the target '
          'bounds')
    print_table(['users', 'create s', 'delete s', 'wall ratio', 'create cpu', 'delete cpu', 'cpu ratio', 'target'], rows,
                right={0, 1, 2, 3, 4, 5, 6})
    print('\nscale: %.0f s in all' % (time.perf_counter() - began))
    return 0


if __name__ == '__main__':
    sys.exit(main())
