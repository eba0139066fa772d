# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end tests of scalingo.cloud.database_users, and of many tasks within Scalingo's rate limit: real
ansible-playbook runs against the emulator, checked in its log and in real PostgreSQL.

- 100 users in one task (read-write with generated passwords, read-write and read-only with passwords from the
  play), with one creation's answer lost on the way: one token chain, one list, one request per change; a sample logs
  in with the returned passwords, the read-only ones are refused writes; a second run changes nothing.
- exclusive: --check --diff names the users it would remove and removes none; the real run removes them, their roles
  can no longer log in, and the protected user still can.
- a loop of 75 database_user tasks against Scalingo's documented limit of 60 requests a minute on its main API: all
  are created, some after waiting for the window.
"""

from __future__ import annotations

from e2e_support import DEMO_APP, fault, new_password, user_task, wait_for_requests

USERS_MODULE = 'scalingo.cloud.database_users'


def users_task(name, args, **keywords):
    task = {'name': name, USERS_MODULE: args}
    task.update(keywords)
    return task


def test_a_hundred_users_in_one_task(ansible, emu, demo_pg):
    addon = demo_pg.addon_id
    generated = ['e2e-gen-%03d' % i for i in range(50)]
    given = dict(('e2e-rw-%03d' % i, new_password()) for i in range(25))
    readers = dict(('e2e-ro-%03d' % i, new_password()) for i in range(25))
    users = ([{'name': name} for name in generated]
             + [{'name': name, 'password': password} for name, password in given.items()]
             + [{'name': name, 'password': password, 'read_only': True} for name, password in readers.items()])
    task = users_task('a hundred users', {'app': DEMO_APP, 'addon': addon, 'users': users})
    run = ansible.playbook([task, dict(task, name='the same again')],
                           at_task={'a hundred users': [fault('users.create', action='drop', when='after', count=1)]})

    result = run.result('a hundred users')
    assert result['changed'] is True and sorted(result['created']) == sorted(user['name'] for user in users)
    assert sorted(result['passwords']) == generated
    # One token chain and one list; then one request per user, but for the lost answer: a list and a reset.
    assert run.counts('a hundred users') == {'auth.exchange': 1, 'api.addon_token': 1, 'users.list': 2,
                                             'users.create': 100, 'users.reset': 1}
    listed = dict((user['name'], user) for user in emu.users(addon))
    assert all(name in listed for name in result['created'])
    for name in generated[:3] + generated[-2:]:
        demo_pg.assert_login(name, result['passwords'][name])
    for name in list(given)[:3]:
        demo_pg.assert_writes(name, given[name])
    for name in list(readers)[:3]:
        assert listed[name]['read_only'] is True
        demo_pg.assert_cannot_write(name, readers[name])

    again = run.result('the same again')
    assert again['changed'] is False and again['created'] == [] and again['passwords'] == {}
    assert run.writes('the same again') == []


def test_exclusive_removes_the_unlisted_users_and_never_the_protected_one(ansible, emu, demo_pg):
    addon = demo_pg.addon_id
    passwords = dict(('e2e-x-%d' % i, new_password()) for i in range(4))
    for name, password in passwords.items():
        emu.create_user_over_http(DEMO_APP, addon, name, password)
    kept = {'e2e-x-0': passwords['e2e-x-0'], 'e2e-x-1': passwords['e2e-x-1']}
    args = {'app': DEMO_APP, 'addon': addon, 'exclusive': True,
            'users': [{'name': name, 'password': password} for name, password in kept.items()]}
    run = ansible.playbook([users_task('exclusive', args)], check=True)
    checked = run.result('exclusive')
    assert checked['removed'] == ['e2e-x-2', 'e2e-x-3'] and run.writes() == []
    assert sorted(checked['diff']['before']) == ['e2e-x-2', 'e2e-x-3']
    assert all(checked['diff']['after'][name] == {'name': name, 'state': 'absent'} for name in ('e2e-x-2', 'e2e-x-3'))

    run = ansible.playbook([users_task('exclusive', args)])
    done = run.result('exclusive')
    assert done['removed'] == ['e2e-x-2', 'e2e-x-3'] and done['created'] == []
    assert sorted(user['name'] for user in emu.users(addon)) == sorted([demo_pg.info['owner']] + list(kept))
    for name in ('e2e-x-2', 'e2e-x-3'):
        assert demo_pg.role(name) is None
        demo_pg.assert_login_fails(name, passwords[name])
    for name, password in kept.items():
        demo_pg.assert_login(name, password)
    demo_pg.assert_owner_untouched()


def test_a_loop_of_75_tasks_lives_within_scalingos_rate_limit(ansible, emu, demo_pg):
    """60 requests a minute on the main API, answered 429 "Retry later" without Retry-After, as Scalingo documents.
    Each task asks the main API for one database token (addon given by id): the 61st waits for the window."""
    emu.set_settings(api_rate_limit=60, rate_limit_body='text')
    addon = demo_pg.addon_id
    passwords = dict(('e2e-loop-%02d' % i, new_password()) for i in range(75))
    task = user_task('create', {'app': DEMO_APP, 'addon': addon, 'name': '{{ item }}',
                                'password': '{{ passwords[item] }}'},
                     loop=sorted(passwords), vars={'passwords': passwords})
    run = ansible.playbook([task])
    items = run.items('create')
    assert len(items) == 75 and all(item['status'] == 'ok' and item['result']['changed'] for item in items)
    tokens = emu.requests(route='api.addon_token')
    assert len([e for e in tokens if e['status'] == 200]) == 75
    assert any(e['status'] == 429 and e['response_body'] == 'Retry later' for e in tokens), 'the limit was not reached'
    wait_for_requests(emu, 'users.create', 75)
    listed = [user['name'] for user in emu.users(addon)]
    assert all(name in listed for name in passwords)
    for name in sorted(passwords)[::15]:
        demo_pg.assert_login(name, passwords[name])
