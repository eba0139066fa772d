# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Large sets of users in one ``database_users`` task, against the local Scalingo emulator (users in memory).

For N users, one task creates them, Scalingo generating every password, then one task removes them: as many requests,
so what a creation costs more is the module's own work on N secrets, redaction included. The CPU time of
ansible-playbook and its module is measured apart from the emulator's, without PostgreSQL (CREATE ROLE is dearer than
DROP ROLE). Target (issue 15): 5,000 creations cost at most 5,000 deletions plus 20%. ``scale.py [--users N ...]``.
"""

from __future__ import annotations

import sys

from _harness import CREATE_APP, emulator, main, print_table

TARGET = 1.2


def run(h, emu, addon, count, state):
    """One ansible-playbook run of ``database_users`` over ``count`` names, checked; its ``Measured``."""
    users = [{'name': 'bench-scale-%05d' % index, 'state': state} for index in range(count)]
    measured = h.playbook(emu, [{'name': '%d users %s' % (count, state), 'no_log': True,
                                 'scalingo.cloud.database_users': {'app': CREATE_APP, 'addon': addon, 'users': users}}])
    route = 'users.create' if state == 'present' else 'users.delete'
    done = emu.counters().get(route, {}).get('count', 0)
    return measured.check('%d users %s' % (count, state), ['%d %s' % (done, route) if done != count else ''])


def measure(args, h):
    rows = []
    with emulator(pg='off') as emu:
        addon = emu.addon_id(CREATE_APP, 'postgresql')
        for count in args.users:
            created, removed = run(h, emu, addon, count, 'present'), run(h, emu, addon, count, 'absent')
            rows.append([str(count), '%.1f' % created.seconds, '%.1f' % removed.seconds,
                         '%.2f' % (created.seconds / removed.seconds), '%.1f' % created.cpu, '%.1f' % removed.cpu,
                         '%.2f' % (created.cpu / removed.cpu), 'target <= %.1f' % TARGET if count == 5000 else 'reported'])
    print('\ndatabase_users creating N users (passwords generated) and removing them, one task each: wall seconds, and '
          'CPU seconds of ansible-playbook and its module (the emulator apart), whose ratio is the cost the target '
          'bounds')
    print_table(['users', 'create s', 'delete s', 'wall ratio', 'create cpu', 'delete cpu', 'cpu ratio', 'target'], rows,
                right={0, 1, 2, 3, 4, 5, 6})


if __name__ == '__main__':
    sys.exit(main(measure, '--users', [1000, 5000], [200, 1000], 'sizes'))
