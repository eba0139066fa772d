# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end tests under load and concurrency: real ansible-playbook runs against the emulator, checked in its
state and log and in real PostgreSQL.

- 20 inventory hosts (all local) with 20 forks create, check, create again and delete different users of one
  addon at the same time: every task succeeds, nothing is written twice, and the users left are exactly the expected
  ones, with the passwords they were given.
- Two ansible-playbook processes create the same user at the same moment: both end without error and exactly one
  user exists; the run that lost the race got "name already taken", read the users again and reported no change.
- Ten hosts reset one user's password at once: the last reset wins, nine returned passwords no longer work.
- One task creates 300 users whose passwords Scalingo generates: nothing garbled, their passwords work.
"""

from __future__ import annotations

import json

from e2e_support import (
    DEMO_APP,
    info_task,
    new_password,
    psycopg,
    user_task,
)

HOSTS = 20


def test_twenty_hosts_in_parallel(ansible, emu, demo_pg):
    addon = demo_pg.addon_id
    hosts = {}
    for index in range(1, HOSTS + 1):
        hosts['h%02d' % index] = {'e2e_password': new_password(), 'e2e_keep': 'true' if index % 2 else 'false'}
    inventory = ansible.write_inventory(hosts)
    name = 'e2e-load-{{ inventory_hostname }}'
    args = {'name': name, 'password': '{{ e2e_password }}'}
    play = {
        'hosts': 'all',
        'module_defaults': {'group/scalingo.cloud.scalingo': {'app': DEMO_APP, 'addon': addon}},
    }
    tasks = [
        user_task('create', args),
        info_task('check', {'name': name}, register='found', failed_when='found.users | length != 1'),
        user_task('create again', args),
        user_task('delete', {'name': name, 'state': 'absent'}, when='not (e2e_keep | bool)'),
    ]
    run = ansible.playbook(tasks, play=play, inventory=inventory, extra_args=['--forks', str(HOSTS)])

    def by_host(task):
        records = [r for r in run.records if r['task'] == task and not r['item']]
        assert sorted(r['host'] for r in records) == sorted(hosts), (task, records)
        return {r['host']: r for r in records}

    for host, record in by_host('create').items():
        assert record['status'] == 'ok' and record['result']['changed'] is True, record
        assert record['result']['user']['name'] == 'e2e-load-' + host
    for host, record in by_host('check').items():
        assert record['status'] == 'ok', record
        assert [u['name'] for u in record['result']['users']] == ['e2e-load-' + host]
    for host, record in by_host('create again').items():
        assert record['status'] == 'ok' and record['result']['changed'] is False, record
    for host, record in by_host('delete').items():
        if hosts[host]['e2e_keep'] == 'true':
            assert record['status'] == 'skipped', record
        else:
            assert record['status'] == 'ok' and record['result']['changed'] is True, record

    # Nothing was refused, retried or written twice.
    statuses = {}
    for entry in run.requests():
        statuses.setdefault(entry['route'], []).append(entry['status'])
    assert statuses['users.create'] == [201] * HOSTS
    assert statuses['users.delete'] == [204] * (HOSTS // 2)
    assert all(status == 200 for route, found in statuses.items() for status in found
               if route not in ('users.create', 'users.delete')), statuses
    kept = sorted('e2e-load-' + host for host in hosts if hosts[host]['e2e_keep'] == 'true')
    names = [u['name'] for u in emu.users(addon)]
    assert names[0] == demo_pg.info['owner'] and sorted(names[1:]) == kept, names  # in the order they were made
    for host, variables in hosts.items():
        user = 'e2e-load-' + host
        if variables['e2e_keep'] == 'true':
            demo_pg.assert_login(user, variables['e2e_password'])
        else:
            assert demo_pg.role(user) is None
    demo_pg.assert_owner_untouched()


def test_two_runs_create_the_same_user_at_once(ansible, emu, demo_pg):
    """Both runs read the users (absent) and create; the emulator holds each creation until both have arrived, so that
    both reads come first whatever the pace of the machine. One creation lands; the other gets "name already taken",
    and that run reads the users again and reports the user as present, unchanged, with a warning that someone else
    created it. One user, one role, and the winner's password."""
    addon = demo_pg.addon_id
    name = 'e2e-same-user'
    passwords = [new_password(), new_password()]
    emu.add_fault('users.create', action='hold', until=2, count=2)
    runs = ansible.playbooks_together([
        {'tasks': [user_task('create', {'app': DEMO_APP, 'addon': addon, 'name': name, 'password': password})]}
        for password in passwords])

    results = [run.result('create') for run in runs]
    assert sorted(r['changed'] for r in results) == [False, True], results
    winner = [i for i, r in enumerate(results) if r['changed']][0]
    loser = 1 - winner
    for result in results:
        assert result['user']['name'] == name and 'password' not in result
    assert results[loser]['password_changed'] is False
    assert any('created by someone else' in warning for warning in results[loser].get('warnings', [])), results[loser]

    log = runs[0].log
    creations = [e for e in log if e['route'] == 'users.create']
    assert sorted(e['status'] for e in creations) == [201, 422]
    assert [e for e in creations if e['status'] == 422][0]['response_body'].find('has already been taken') > 0
    assert len([e for e in log if e['route'] == 'users.list']) == 3  # one each, and the loser's second look

    assert [u['name'] for u in emu.users(addon)].count(name) == 1
    assert demo_pg.role(name) == {'login': True}
    demo_pg.assert_login(name, passwords[winner])
    demo_pg.assert_login_fails(name, passwords[loser])


def test_hundreds_of_generated_passwords_garble_no_name_and_every_one_logs_in(ansible, emu, demo_pg, tmp_path):
    """One database_users task creating 300 users whose passwords Scalingo generates: 300 secrets that
    every answer and the result are kept free of, and none of them may garble a name, a key or a returned password."""
    names = ['e2e-bulk-%04d' % index for index in range(300)]
    path = str(tmp_path / 'bulk.json')
    tasks = [
        {'name': 'many users', 'scalingo.cloud.database_users': {
            'app': DEMO_APP, 'addon': demo_pg.addon_id, 'users': [{'name': name} for name in names]},
         'register': 'bulk', 'no_log': True},
        {'name': 'store the result', 'ansible.builtin.copy': {'content': '{{ bulk | to_json }}', 'dest': path,
                                                              'mode': '0600'}, 'no_log': True},
    ]
    ansible.playbook(tasks)
    with open(path) as handle:
        bulk = json.load(handle)
    assert bulk['created'] == names and bulk['password_changed'] == names
    assert sorted(bulk['passwords']) == names and sorted(bulk['diff']['after']) == names
    assert '********' not in json.dumps(bulk)
    assert {user['name'] for user in bulk['users']} >= set(names)
    for name in names[::100] + names[-1:]:
        demo_pg.assert_login(name, bulk['passwords'][name])


def test_of_ten_parallel_resets_of_one_user_only_the_last_password_works(ansible, emu, demo_pg, tmp_path):
    """The README's and the guide's figure: ten hosts reset one user's password at once; every task succeeds, and the
    last reset Scalingo applies wins, so nine of the ten returned passwords no longer work."""
    name = 'e2e-shared-user'
    emu.create_user_over_http(DEMO_APP, demo_pg.addon_id, name, new_password())
    hosts = dict(('h%02d' % index, {}) for index in range(1, 11))
    inventory = ansible.write_inventory(hosts)
    play = {'hosts': 'all', 'module_defaults': {'group/scalingo.cloud.scalingo': {'app': DEMO_APP,
                                                                                  'addon': demo_pg.addon_id}}}
    store = {'name': 'store', 'delegate_to': 'localhost', 'no_log': True, 'ansible.builtin.copy': {
        'content': '{{ reset.password }}', 'dest': str(tmp_path / '{{ inventory_hostname }}.password'),
        'mode': '0600'}}
    ansible.playbook([user_task('reset', {'name': name, 'state': 'reset_password'}, register='reset', no_log=True),
                      store], play=play, inventory=inventory, extra_args=['--forks', '10'])
    passwords = [(tmp_path / ('%s.password' % host)).read_text() for host in sorted(hosts)]
    assert len(set(passwords)) == 10
    working = []
    for password in passwords:
        try:
            demo_pg.assert_login(name, password)
        except psycopg.OperationalError:
            continue
        working.append(password)
    assert len(working) == 1, '%d of the ten returned passwords work' % len(working)
