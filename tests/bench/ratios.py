# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whole ansible-playbook runs compared side by side, against the local Scalingo emulator (real PostgreSQL).

A ratio is the median over the rounds of the ratio of two runs made one after the other, so that a busy moment weighs
on both alike: a no-op ``database_user`` (the user exists) against a hand-rolled ``ansible.builtin.uri`` playbook doing
the same (exchange, database token, list, create only when missing) and against one ``ansible.builtin.ping``;
``database_users`` keeping 500 users against that no-op; ``database_users`` creating 200 against ``database_user``
creating one. With the requests of each, by service. ``python tests/bench/ratios.py [--rounds N] [--quick]``.
"""

from __future__ import annotations

import secrets
import statistics
import sys
from collections import Counter

from _harness import APP, CREATE_APP, GROUP, WRITES, emulator, main, print_table

# The targets the project set itself (issue #9); printed next to the figures, never asserted.
TARGETS = {('no-op module', 'no-op uri'): 0.6, ('500 unchanged', 'no-op module'): 1.3, ('200 created', 'one created'): 2.0}
PAIRS = [('no-op module', 'no-op uri'), ('no-op module', 'ping'), ('500 unchanged', 'no-op module'),
         ('200 created', 'one created')]
EXPECTED_WRITES = {'one created': {'users.create': 1}, '200 created': {'users.create': 200}}
KEPT = ['bench-kept-%03d' % i for i in range(500)]
CREATED = ['bench-new-%03d' % i for i in range(200)]
PASSWORD = 'Bench_' + secrets.token_urlsafe(30)


def hand_rolled(name):
    """ansible.builtin.uri tasks doing what a no-op database_user does."""
    uri = {'method': 'POST', 'return_content': True, 'status_code': [200, 201]}
    database = dict(uri, headers={'Authorization': 'Bearer {{ token.json.addon.token }}'},
                    url='{{ db_api_url }}/api/databases/{{ addon_id }}/users')
    return [
        {'name': 'exchange', 'ansible.builtin.uri': dict(uri, url='{{ auth_url }}/v1/tokens/exchange', headers={
            'Authorization': "Basic {{ (':' ~ api_token) | b64encode }}"}), 'register': 'bearer', 'no_log': True},
        {'name': 'database token', 'ansible.builtin.uri': dict(
            uri, url='{{ api_url }}/v1/apps/{{ app }}/addons/{{ addon_id }}/token',
            headers={'Authorization': 'Bearer {{ bearer.json.token }}'}), 'register': 'token', 'no_log': True},
        {'name': 'list', 'ansible.builtin.uri': dict(database, method='GET'), 'register': 'listed'},
        {'name': 'create when missing', 'ansible.builtin.uri': dict(database, status_code=[201], body_format='json', body={
            'database_user': {'name': name, 'read_only': False, 'password': '{{ bench_password }}',
                              'password_confirmation': '{{ bench_password }}'}}),
         'when': "'%s' not in (listed.json['database-users'] | map(attribute='name'))" % name, 'no_log': True},
    ]


def measure(args, h):
    with emulator() as emu:
        addon, create_addon = emu.addon_id(APP, 'postgresql'), emu.addon_id(CREATE_APP, 'postgresql')
        token = emu.fetch_tokens(APP, addon)[1]
        for name in KEPT:
            emu.create_user_over_http(APP, addon, name, PASSWORD, database_token=token)
        urls = emu.urls
        play = {'vars_files': [h.write('bench-vars.json', {
            'bench_password': PASSWORD, 'auth_url': urls['auth'], 'api_url': urls['api'], 'db_api_url': urls['db'],
            'app': APP, 'addon_id': addon, 'api_token': emu.api_token()}, 0o600)]}
        kept = dict(play, module_defaults={GROUP: {'app': APP, 'addon': addon}})
        # The runs that create users do so in an addon of their own, emptied before each run.
        creating = dict(play, module_defaults={GROUP: {'app': CREATE_APP, 'addon': create_addon}})
        one = {'name': KEPT[0], 'password': '{{ bench_password }}'}
        scenarios = {
            'no-op module': ([{'name': 'one user', 'scalingo.cloud.database_user': one}], kept),
            'no-op uri': (hand_rolled(KEPT[0]), kept),
            'ping': ([{'name': 'ping', 'ansible.builtin.ping': {}}], kept),
            '500 unchanged': ([{'name': '500 users', 'scalingo.cloud.database_users': {
                'users': [{'name': name} for name in KEPT]}}], kept),
            'one created': ([{'name': 'one user', 'scalingo.cloud.database_user': dict(one, name=CREATED[0])}], creating),
            '200 created': ([{'name': '200 users', 'scalingo.cloud.database_users': {
                'users': [{'name': name, 'password': '{{ bench_password }}'} for name in CREATED]}}], creating),
        }

        def run(label):
            """One whole run, its writes checked: (seconds, requests by service)."""
            if label in EXPECTED_WRITES:
                emu.reset_users(create_addon)
            measured = h.playbook(emu, scenarios[label][0], play=scenarios[label][1])
            writes = {route: data['count'] for route, data in emu.counters().items() if route in WRITES}
            measured.check(label, ['writes %s, expected %s' % (writes, EXPECTED_WRITES.get(label, {}))
                                   if writes != EXPECTED_WRITES.get(label, {}) else ''])
            return measured.seconds, sum((Counter({data['service']: data['count']}) for data in emu.counters().values()),
                                         Counter())

        seconds, requests, per_round = {label: [] for label in scenarios}, {}, {pair: [] for pair in PAIRS}
        for label in scenarios:  # warm-up: caches, compiled files, connections of the emulator
            run(label)
        for dummy in range(args.rounds):
            for label in scenarios:
                wall, requests[label] = run(label)
                seconds[label].append(wall)
            for first, second in PAIRS:
                per_round[(first, second)].append(seconds[first][-1] / seconds[second][-1])

    print('\nwhole ansible-playbook runs, %d rounds (median wall time; requests by service)' % args.rounds)
    print_table(['scenario', 'wall s', 'auth', 'api', 'db'], [
        [label, '%.2f' % statistics.median(values)] + [str(requests[label].get(service, 0)) for service in
                                                       ('auth', 'api', 'db')]
        for label, values in seconds.items()], right={1, 2, 3, 4})
    print('\nratios (median of the ratios of each round)')
    print_table(['ratio', 'median', 'target', 'each round'], [
        ['%s / %s' % pair, '%.2f' % statistics.median(values),
         'target <= %.1f' % TARGETS[pair] if pair in TARGETS else 'reported', ', '.join('%.2f' % value for value in values)]
        for pair, values in per_round.items()], right={1})


if __name__ == '__main__':
    sys.exit(main(measure, '--rounds', 5, 2, 'rounds of every scenario'))
