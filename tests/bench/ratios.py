# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whole ansible-playbook runs compared side by side, against the local Scalingo emulator (real PostgreSQL).

Figures, never judged: the exit status is 1 only when a run fails or does not do what it should, 2 when the
benchmark cannot run. Each ratio is the median, over the rounds, of the ratio of two runs made one right after the
other in the same round, so that a machine busy at one moment weighs on both sides alike.

- no-op: one ``database_user`` task for a user that exists, against a hand-rolled ``ansible.builtin.uri`` playbook
  doing the same work (token exchange, database token, users list, creation only when missing), and against one
  ``ansible.builtin.ping`` task (what any module costs);
- ``database_users`` with 500 unchanged users, against the one-user no-op;
- ``database_users`` creating 200 users, against ``database_user`` creating one;
- the requests each scenario sends, by service.

Run it like bench.py, from the collection copy: ``python tests/bench/ratios.py [--rounds N] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import shutil
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench import (  # noqa: E402  pylint: disable=wrong-import-position
    APP,
    ADDON_TYPE,
    Bench,
    BenchError,
    Measured,
    bench_emulator_start,
    prepare_environment,
    print_table,
)

# The targets the project set itself (issue #9); printed next to the figures, never asserted.
CREATE_APP = 'emu-twin-pg'
TARGETS = {('no-op module', 'no-op uri'): 0.6, ('500 unchanged', 'no-op module'): 1.3, ('200 created', 'one created'): 2.0}


class Ratios(Bench):
    """The scenarios: a playbook file each, run as a whole, its requests counted by service."""

    def __init__(self, emu, workdir):
        super(Ratios, self).__init__(emu, workdir, 1)
        self.create_addon = emu.addon_id(CREATE_APP, 'postgresql')
        self.existing = ['bench-kept-%03d' % i for i in range(500)]
        self.created = ['bench-new-%03d' % i for i in range(200)]
        urls = emu.urls
        self.vars = {'bench_password': self.password, 'auth_url': urls['auth'], 'api_url': urls['api'],
                     'db_api_url': urls['db'], 'app': APP, 'addon_id': self.addon_id, 'api_token': emu.api_token()}
        with open(os.path.join(workdir, 'bench-vars.json'), 'w') as handle:
            json.dump(self.vars, handle)
        os.chmod(os.path.join(workdir, 'bench-vars.json'), 0o600)

    def write_playbook(self, name, tasks, creating=False):
        """A playbook of ``tasks``; ``creating``: against the addon kept for creations, emptied before each run."""
        where = {'app': CREATE_APP, 'addon': self.create_addon} if creating else {'app': APP, 'addon': self.addon_id}
        play = {'name': name, 'hosts': 'localhost', 'gather_facts': False,
                'vars_files': [os.path.join(self.workdir, 'bench-vars.json')],
                'module_defaults': {'group/scalingo.cloud.scalingo': where},
                'tasks': tasks}
        path = os.path.join(self.workdir, name + '.yml')
        with open(path, 'w') as handle:
            json.dump([play], handle, indent=2)
        return path

    def scenarios(self):
        first = self.existing[0]
        uri = {'url': None, 'method': 'POST', 'return_content': True, 'status_code': [200, 201]}
        hand_rolled = [
            {'name': 'exchange', 'ansible.builtin.uri': dict(uri, url='{{ auth_url }}/v1/tokens/exchange', headers={
                'Authorization': "Basic {{ (':' ~ api_token) | b64encode }}"}), 'register': 'bearer', 'no_log': True},
            {'name': 'database token', 'ansible.builtin.uri': dict(
                uri, url='{{ api_url }}/v1/apps/{{ app }}/addons/{{ addon_id }}/token',
                headers={'Authorization': 'Bearer {{ bearer.json.token }}'}), 'register': 'token', 'no_log': True},
            {'name': 'list', 'ansible.builtin.uri': dict(
                uri, method='GET', url='{{ db_api_url }}/api/databases/{{ addon_id }}/users',
                headers={'Authorization': 'Bearer {{ token.json.addon.token }}'}), 'register': 'listed'},
            {'name': 'create when missing', 'ansible.builtin.uri': dict(
                uri, url='{{ db_api_url }}/api/databases/{{ addon_id }}/users', status_code=[201],
                headers={'Authorization': 'Bearer {{ token.json.addon.token }}'}, body_format='json',
                body={'database_user': {'name': first, 'read_only': False, 'password': '{{ bench_password }}',
                                        'password_confirmation': '{{ bench_password }}'}}),
             'when': "'%s' not in (listed.json['database-users'] | map(attribute='name'))" % first, 'no_log': True},
        ]
        one = {'name': first, 'password': '{{ bench_password }}'}
        return {
            'no-op module': self.write_playbook('noop-module', [{'name': 'one user', 'scalingo.cloud.database_user': one}]),
            'no-op uri': self.write_playbook('noop-uri', hand_rolled),
            'ping': self.write_playbook('ping', [{'name': 'ping', 'ansible.builtin.ping': {}}]),
            '500 unchanged': self.write_playbook('unchanged-500', [{'name': '500 users', 'scalingo.cloud.database_users': {
                'users': [{'name': name} for name in self.existing]}}]),
            'one created': self.write_playbook('create-one', [{'name': 'one user', 'scalingo.cloud.database_user': {
                'name': self.created[0], 'password': '{{ bench_password }}'}}], creating=True),
            '200 created': self.write_playbook('create-200', [{'name': '200 users', 'scalingo.cloud.database_users': {
                'users': [{'name': name, 'password': '{{ bench_password }}'} for name in self.created]}}],
                creating=True),
        }

    def run(self, label, path):
        """One whole ansible-playbook run; checks what it did; returns (seconds, requests by service)."""
        if label in ('one created', '200 created'):
            self.emu.reset_users(self.create_addon)
        env = self.base_environment()
        env.update({'ANSIBLE_COLLECTIONS_PATH': self.collections, 'ANSIBLE_NOCOLOR': '1',
                    'ANSIBLE_CONFIG': os.path.join(self.workdir, 'no-ansible.cfg'),
                    'ANSIBLE_LOCAL_TEMP': os.path.join(self.workdir, 'ansible-tmp'), 'ANSIBLE_RETRY_FILES_ENABLED': '0',
                    'NETRC': os.path.join(self.workdir, 'no-netrc'), 'SCALINGO_API_TOKEN': self.emu.api_token(),
                    'SCALINGO_AUTH_URL': self.emu.urls['auth'], 'SCALINGO_API_URL': self.emu.urls['api'],
                    'SCALINGO_DB_API_URL': self.emu.urls['db']})
        self.runs += 1
        self.emu.reset_log()
        run = Measured([os.path.join(self.bin, 'ansible-playbook'), '-i', self.inventory, path], env, self.workdir,
                       os.path.join(self.workdir, 'run-%d.log' % self.runs))
        counters = self.emu.counters()
        writes = dict((route, data['count']) for route, data in counters.items() if route in (
            'users.create', 'users.update', 'users.reset', 'users.delete'))
        expected = {'one created': {'users.create': 1}, '200 created': {'users.create': 200}}.get(label, {})
        if run.rc != 0 or writes != expected:
            raise BenchError('%s: exit %s, writes %s (expected %s)\n%s' % (label, run.rc, writes, expected, run.tail()))
        by_service = {}
        for data in counters.values():
            by_service[data['service']] = by_service.get(data['service'], 0) + data['count']
        return run.seconds, by_service


def measure(ratios, rounds):
    paths = ratios.scenarios()
    pairs = [('no-op module', 'no-op uri'), ('no-op module', 'ping'), ('500 unchanged', 'no-op module'),
             ('200 created', 'one created')]
    seconds = dict((label, []) for label in paths)
    requests = {}
    per_round = dict((pair, []) for pair in pairs)
    for label, path in paths.items():  # warm-up: caches, compiled files, connections of the emulator
        ratios.run(label, path)
    for dummy in range(rounds):
        measured = {}
        for label, path in paths.items():
            measured[label], requests[label] = ratios.run(label, path)
            seconds[label].append(measured[label])
        for first, second in pairs:
            per_round[(first, second)].append(measured[first] / measured[second])
    return seconds, requests, per_round


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--rounds', type=int, default=None, help='rounds of every scenario (default 5, 2 with --quick)')
    parser.add_argument('--quick', action='store_true')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    rounds = args.rounds or (2 if args.quick else 5)
    problem = prepare_environment()
    if problem:
        sys.stderr.write('ratios: %s\n' % problem)
        return 2
    from scalingo_emulator import Emulator  # pylint: disable=import-outside-toplevel

    began = time.perf_counter()
    workdir = tempfile.mkdtemp(prefix='scalingo-ratios-')
    emu = None
    try:
        emu, dummy = bench_emulator_start(Emulator)
        ratios = Ratios(emu, workdir)
        addon = emu.addon_id(APP, ADDON_TYPE)
        token = emu.fetch_tokens(APP, addon)[1]
        for name in ratios.existing:
            emu.create_user_over_http(APP, addon, name, ratios.password, database_token=token)
        seconds, requests, per_round = measure(ratios, rounds)
    except BenchError as exc:
        sys.stderr.write('ratios: FAILED: %s\n' % exc)
        return 1
    finally:
        if emu is not None:
            emu.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print('\nwhole ansible-playbook runs, %d rounds (median wall time; requests by service)' % rounds)
    print_table(['scenario', 'wall s', 'auth', 'api', 'db'], [
        [label, '%.2f' % statistics.median(values)] + [str(requests[label].get(service, 0)) for service in
                                                       ('auth', 'api', 'db')]
        for label, values in seconds.items()], right={1, 2, 3, 4})
    print('\nratios (median of the ratios of each round)')
    rows = []
    for pair, values in per_round.items():
        target = TARGETS.get(pair)
        rows.append(['%s / %s' % pair, '%.2f' % statistics.median(values),
                     'target <= %.1f' % target if target else 'reported', ', '.join('%.2f' % value for value in values)])
    print_table(['ratio', 'median', 'target', 'each round'], rows, right={1})
    print('\nratios: %.0f s in all' % (time.perf_counter() - began))
    return 0


if __name__ == '__main__':
    sys.exit(main())
