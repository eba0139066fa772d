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
"""

from __future__ import annotations

from e2e_support import DEMO_APP, info_task, new_password, psycopg, user_task

HOSTS = 20
GROUP = 'group/scalingo.cloud.scalingo'


def test_twenty_hosts_in_parallel(ansible, emu, demo_pg):
    addon = demo_pg.addon_id
    hosts = {'h%02d' % index: {'e2e_password': new_password(), 'e2e_keep': 'true' if index % 2 else 'false'}
             for index in range(1, HOSTS + 1)}
    inventory = ansible.write_inventory(hosts)
    name = 'e2e-load-{{ inventory_hostname }}'
    args = {'name': name, 'password': '{{ e2e_password }}'}
    play = {'hosts': 'all', 'module_defaults': {GROUP: {'app': DEMO_APP, 'addon': addon}}}
    tasks = [
        user_task('create', args),
        info_task('check', {'name': name}, register='found', failed_when='found.users | length != 1'),
        user_task('create again', args),
        user_task('delete', {'name': name, 'state': 'absent'}, when='not (e2e_keep | bool)'),
    ]
    run = ansible.playbook(tasks, play=play, inventory=inventory, extra_args=['--forks', str(HOSTS)])

    # Every task of every host: (status, changed) as expected, each host saw its own user only, and the users kept log
    # in with the passwords they were given.
    expected = {'create': ('ok', True), 'check': ('ok', False), 'create again': ('ok', False)}
    for host, variables in hosts.items():
        kept = variables['e2e_keep'] == 'true'
        records = {r['task']: r for r in run.records if r['host'] == host and not r['item']}
        outcomes = {task: (r['status'], r['result'].get('changed')) for task, r in records.items()}
        assert outcomes == dict(expected, delete=('skipped', False) if kept else ('ok', True)), (host, records)
        assert records['create']['result']['user']['name'] == 'e2e-load-' + host
        assert [u['name'] for u in records['check']['result']['users']] == ['e2e-load-' + host]
        if kept:
            demo_pg.assert_login('e2e-load-' + host, variables['e2e_password'])
        else:
            assert demo_pg.role('e2e-load-' + host) is None

    # Nothing was refused, retried or written twice.
    statuses = {route: data['statuses'] for route, data in emu.counters().items()}
    assert statuses.pop('users.create') == {'201': HOSTS}
    assert statuses.pop('users.delete') == {'204': HOSTS // 2}
    assert all(list(found) == ['200'] for found in statuses.values()), statuses
    kept = sorted('e2e-load-' + host for host in hosts if hosts[host]['e2e_keep'] == 'true')
    names = [u['name'] for u in emu.users(addon)]
    assert names[0] == demo_pg.info['owner'] and sorted(names[1:]) == kept, names  # in the order they were made
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
    demo_pg.assert_login(name, passwords[winner])
    demo_pg.assert_login_fails(name, passwords[loser])


def test_of_ten_parallel_resets_of_one_user_only_the_last_password_works(ansible, emu, demo_pg, tmp_path):
    """The README's and the guide's figure: ten hosts reset one user's password at once; every task succeeds, and the
    last reset Scalingo applies wins, so nine of the ten returned passwords no longer work."""
    name = 'e2e-shared-user'
    emu.create_user_over_http(DEMO_APP, demo_pg.addon_id, name, new_password())
    hosts = dict(('h%02d' % index, {}) for index in range(1, 11))
    inventory = ansible.write_inventory(hosts)
    play = {'hosts': 'all', 'module_defaults': {GROUP: {'app': DEMO_APP, 'addon': demo_pg.addon_id}}}
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
