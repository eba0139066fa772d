# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end tests of scalingo.cloud.database_user: real ansible-playbook runs against the emulator, with the
effect checked in real PostgreSQL (logins with the exact passwords, reads and writes).

Every step runs the task in check mode first, then for real, with --diff: both must report the same thing, and
check mode must send no write. Request counts come from the emulator's log, task by task.
"""

from __future__ import annotations

import json
import re


from e2e_support import (
    DEMO_APP,
    INFO_MODULE,
    TWIN_APP,
    USER_MODULE,
    assert_same_outcome,
    check_and_real,
    new_password,
    user_task,
)

HIDDEN_SET = '(hidden: set)'
HIDDEN_CHANGES = '(hidden: will change)'
GENERATED = re.compile(r'^[A-Za-z0-9_]{32}$')  # what the emulator generates, like Scalingo

# What each task costs on top of its own work: the token chain, and the addon list when addon is a type.
BY_ID = {'auth.exchange': 1, 'api.addon_token': 1}
BY_TYPE = {'auth.exchange': 1, 'api.addons': 1, 'api.addon_token': 1}


def cost(auth, **routes):
    """Expected ``{route: count}``: ``cost(BY_ID, users_list=1)``."""
    expected = dict(auth)
    for route, count in routes.items():
        expected[route.replace('_', '.', 1)] = count
    return expected


def absent(name):
    return {'name': name, 'state': 'absent'}


def present(name, read_only, password=HIDDEN_SET, protected=False, encryption='SCRAM-SHA-256'):
    view = {'name': name, 'state': 'present', 'read_only': read_only, 'protected': protected, 'password': password}
    if encryption:
        view['password_encryption'] = encryption
    return view


def users_path(addon, name=None, action=None):
    path = '/api/databases/%s/users' % addon
    if name:
        path += '/' + name
    if action:
        path += '/' + action
    return path


def step(run, task):
    """Check mode and real results of a step; they must agree, and check mode must write nothing."""
    check, real = run.record(task + ' (check)'), run.record(task)
    assert_same_outcome(check, real)
    assert run.writes(task + ' (check)') == []
    return check['result'], real['result']


def assert_unchanged(run, task, auth=None):
    """A step with nothing to do: no change, no write, and exactly one users list on top of the token chain."""
    check, real = step(run, task)
    assert real['changed'] is False and real['password_changed'] is False
    assert real['diff']['before'] == real['diff']['after']
    assert 'password' not in real
    for name in (task + ' (check)', task):
        assert run.writes(name) == []
        assert run.counts(name) == cost(auth or BY_ID, users_list=1), name
    return real


def test_read_write_user_lifecycle(ansible, emu, demo_pg):
    """check → create → same again → change password → unchanged → delete → delete again, with the user
    visible through database_user_info at each stage, and proved in PostgreSQL."""
    addon = demo_pg.addon_id
    name = 'e2e-writer'
    first, second = new_password(), new_password()
    target = {'app': DEMO_APP, 'addon': addon, 'name': name}
    create = dict(target, password=first)

    # 1. create, then the same task again
    run = ansible.playbook(
        check_and_real('info before', INFO_MODULE, target)
        + check_and_real('create', USER_MODULE, create)
        + check_and_real('create again', USER_MODULE, create)
        + check_and_real('info after create', INFO_MODULE, target))

    check, real = step(run, 'info before')
    assert real == {'changed': False, 'users': []}

    check, real = step(run, 'create')
    assert real['changed'] is True and real['password_changed'] is True
    assert real['diff'] == {'before': absent(name), 'after': present(name, False, HIDDEN_CHANGES, encryption=None)}
    assert real['user'] == {'name': name, 'read_only': False, 'protected': False,
                            'dbms_attributes': {'password_encryption': 'SCRAM-SHA-256'}}
    assert 'password' not in real, 'a password given by the playbook is never returned'
    assert run.counts('create (check)') == cost(BY_ID, users_list=1)
    assert run.counts('create') == cost(BY_ID, users_list=1, users_create=1)
    assert run.writes('create') == ['POST ' + users_path(addon)]

    real = assert_unchanged(run, 'create again')
    assert real['diff']['after'] == present(name, False)

    check, real = step(run, 'info after create')
    assert real['users'] == [{'name': name, 'read_only': False, 'protected': False,
                              'dbms_attributes': {'password_encryption': 'SCRAM-SHA-256'}}]

    assert {'name': name, 'read_only': False, 'protected': False,
            'dbms_attributes': {'password_encryption': 'SCRAM-SHA-256'}} in emu.users(addon)
    assert demo_pg.role(name) == {'login': True}
    demo_pg.assert_login(name, first)
    demo_pg.assert_reads(name, first)
    demo_pg.assert_writes(name, first)
    demo_pg.assert_login_fails(name, second)
    assert first not in run.output()

    # 2. change the password, then the same user with nothing to change
    run = ansible.playbook(
        check_and_real('change password', USER_MODULE, dict(target, password=second, update_password='always'))
        + check_and_real('unchanged', USER_MODULE, dict(target, password=second))
        + check_and_real('unchanged without password', USER_MODULE, target))

    check, real = step(run, 'change password')
    assert real['changed'] is True and real['password_changed'] is True
    assert real['diff'] == {'before': present(name, False), 'after': present(name, False, HIDDEN_CHANGES)}
    assert 'password' not in real
    assert run.counts('change password') == cost(BY_ID, users_list=1, users_update=1)
    assert run.writes('change password') == ['PATCH ' + users_path(addon, name)]
    assert_unchanged(run, 'unchanged')
    assert_unchanged(run, 'unchanged without password')

    demo_pg.assert_login_fails(name, first)
    demo_pg.assert_login(name, second)
    demo_pg.assert_writes(name, second)
    assert second not in run.output()

    # 3. delete, then delete again
    delete = dict(target, state='absent')
    run = ansible.playbook(
        check_and_real('delete', USER_MODULE, delete)
        + check_and_real('delete again', USER_MODULE, delete)
        + check_and_real('info after delete', INFO_MODULE, target))

    check, real = step(run, 'delete')
    assert real['changed'] is True and real['password_changed'] is False
    assert real['diff'] == {'before': present(name, False), 'after': absent(name)}
    assert real['user'] == {} and check['user'] == {}
    assert run.counts('delete') == cost(BY_ID, users_list=1, users_delete=1)
    assert run.writes('delete') == ['DELETE ' + users_path(addon, name)]

    real = assert_unchanged(run, 'delete again')
    assert real['diff'] == {'before': absent(name), 'after': absent(name)} and real['user'] == {}

    check, real = step(run, 'info after delete')
    assert real['users'] == []

    assert name not in [u['name'] for u in emu.users(addon)]
    assert demo_pg.role(name) is None
    demo_pg.assert_login_fails(name, second)
    demo_pg.assert_owner_untouched()


def test_read_only_user_and_recreate(ansible, emu, demo_pg):
    """A read-only user reads and cannot write; a mode change fails without recreate and changes nothing; recreate
    switches the mode in PostgreSQL, with the given password or a generated one."""
    addon = demo_pg.addon_id
    name = 'e2e-reader'
    first, second = new_password(), new_password()
    target = {'app': DEMO_APP, 'addon': addon, 'name': name}

    # 1. a read-only user
    run = ansible.playbook(check_and_real('create read-only', USER_MODULE, dict(target, read_only=True, password=first)))
    check, real = step(run, 'create read-only')
    assert real['changed'] is True
    assert real['diff']['after'] == present(name, True, HIDDEN_CHANGES, encryption=None)
    assert real['user']['read_only'] is True and check['user']['read_only'] is True
    sent = [json.loads(e['request_body'])['database_user'] for e in run.requests('create read-only') if e['route'] == 'users.create']
    assert [(user['name'], user['read_only'], user['password']) for user in sent] == [(name, True, first)]
    assert {'name': name, 'read_only': True, 'protected': False,
            'dbms_attributes': {'password_encryption': 'SCRAM-SHA-256'}} in emu.users(addon)
    demo_pg.assert_login(name, first)
    demo_pg.assert_cannot_write(name, first)

    # 2. another mode without recreate: refused, in check mode as well, and nothing changes
    run = ansible.playbook(
        check_and_real('make read-write', USER_MODULE, dict(target, read_only=False), ignore_errors=True)
        + check_and_real('keep the mode', USER_MODULE, dict(target, read_only=True)))
    check, real = step(run, 'make read-write')
    assert run.record('make read-write')['status'] == 'failed'
    assert real['msg'].startswith("User 'e2e-reader' is read-only and Scalingo cannot change that in place. "
                                  "To make it read-write, set recreate: true")
    assert real['failure'] == {'option': 'read_only', 'user': name}
    assert run.writes() == []
    assert run.counts('make read-write') == cost(BY_ID, users_list=1)
    assert_unchanged(run, 'keep the mode')
    demo_pg.assert_login(name, first)
    demo_pg.assert_cannot_write(name, first)

    # 3. recreate as read-write with a new password, then the same task again (the mode matches: no effect)
    recreate = dict(target, read_only=False, recreate=True, password=second)
    run = ansible.playbook(check_and_real('recreate read-write', USER_MODULE, recreate)
                           + check_and_real('recreate again', USER_MODULE, recreate))
    check, real = step(run, 'recreate read-write')
    assert real['changed'] is True and real['password_changed'] is True
    assert real['diff'] == {'before': present(name, True), 'after': present(name, False, HIDDEN_CHANGES, encryption=None)}
    assert real['user']['read_only'] is False and 'password' not in real
    assert run.writes('recreate read-write') == ['DELETE ' + users_path(addon, name), 'POST ' + users_path(addon)]
    assert_unchanged(run, 'recreate again')
    demo_pg.assert_login_fails(name, first)
    demo_pg.assert_login(name, second)
    demo_pg.assert_writes(name, second)

    # 4. recreate as read-only, letting Scalingo generate the password
    run = ansible.playbook(check_and_real('recreate read-only', USER_MODULE, dict(target, read_only=True, recreate=True)))
    check, real = step(run, 'recreate read-only')
    assert real['changed'] is True and check['changed'] is True
    assert real['diff'] == {'before': present(name, False), 'after': present(name, True, HIDDEN_CHANGES, encryption=None)}
    generated = real['password']
    assert GENERATED.match(generated)
    assert run.writes('recreate read-only') == ['DELETE ' + users_path(addon, name), 'POST ' + users_path(addon)]
    assert generated not in run.output()
    demo_pg.assert_login_fails(name, second)
    demo_pg.assert_login(name, generated)
    demo_pg.assert_cannot_write(name, generated)
    assert [u for u in emu.users(addon) if u['name'] == name][0]['read_only'] is True


def test_generated_password_and_reset(ansible, demo_pg):
    """Without password Scalingo generates one, returned once (not in check mode); reset_password replaces it: the
    old one stops working, the new one works. Resetting an unknown user fails and writes nothing."""
    addon = demo_pg.addon_id
    name = 'e2e-generated'
    target = {'app': DEMO_APP, 'addon': addon, 'name': name}

    run = ansible.playbook(check_and_real('create', USER_MODULE, target))
    check, real = step(run, 'create')
    assert real['changed'] is True and real['password_changed'] is True
    assert 'password' not in check
    first = real['password']
    assert GENERATED.match(first)
    assert first not in run.output()
    demo_pg.assert_login(name, first)
    demo_pg.assert_writes(name, first)

    run = ansible.playbook(
        check_and_real('reset', USER_MODULE, dict(target, state='reset_password'))
        + check_and_real('reset unknown', USER_MODULE, dict(target, name='e2e-nobody', state='reset_password'),
                         ignore_errors=True))
    check, real = step(run, 'reset')
    assert real['changed'] is True and real['password_changed'] is True
    assert real['diff'] == {'before': present(name, False), 'after': present(name, False, HIDDEN_CHANGES)}
    second = real['password']
    assert GENERATED.match(second) and second != first
    assert run.counts('reset') == cost(BY_ID, users_list=1, users_reset=1)
    assert run.writes('reset') == ['POST ' + users_path(addon, name, 'reset_password')]

    check, real = step(run, 'reset unknown')
    assert run.record('reset unknown')['status'] == 'failed'
    assert real['msg'] == "User 'e2e-nobody' does not exist, so its password cannot be reset: create it with state=present."
    assert run.writes('reset unknown') == []

    assert second not in run.output()
    demo_pg.assert_login_fails(name, first)
    demo_pg.assert_login(name, second)
    demo_pg.assert_writes(name, second)


def test_protected_user_is_untouched(ansible, emu, demo_pg):
    """Deleting, resetting, setting the password of or recreating the protected user fails with a clear message,
    in check mode too, sends no write, and its role still logs in with the password the database was made with."""
    addon = demo_pg.addon_id
    owner = demo_pg.info['owner']
    target = {'app': DEMO_APP, 'addon': addon, 'name': owner}
    attempts = [
        ('delete', dict(target, state='absent'), 'deleted'),
        ('set password', dict(target, password=new_password(), update_password='always'), 'given a new password'),
        ('reset password', dict(target, state='reset_password'), 'given a new password'),
        ('recreate read-only', dict(target, read_only=True, recreate=True), 'recreated with read_only=True'),
    ]
    tasks = check_and_real('present', USER_MODULE, target)
    for task, args, dummy in attempts:
        tasks += check_and_real(task, USER_MODULE, args, ignore_errors=True)
    tasks.append(user_task('delete, not ignored', dict(target, state='absent')))
    run = ansible.playbook(tasks, expect_rc=2)

    real = assert_unchanged(run, 'present')
    assert real['diff']['after'] == present(owner, False, protected=True)
    assert real['user']['protected'] is True
    for task, dummy, action in attempts:
        check, real = step(run, task)
        assert run.record(task)['status'] == 'failed'
        assert real['msg'] == "User '%s' is protected by Scalingo and cannot be %s; nothing was changed." % (owner, action)
        assert real['failure'] == {'option': 'name', 'user': owner, 'protected': True}
    assert run.record('delete, not ignored')['status'] == 'failed'
    assert "User '%s' is protected by Scalingo and cannot be deleted; nothing was changed." % owner in run.stdout
    assert run.writes() == []

    assert {'name': owner, 'read_only': False, 'protected': True,
            'dbms_attributes': {'password_encryption': 'SCRAM-SHA-256'}} in emu.users(addon)
    assert demo_pg.role(owner) == {'login': True}
    demo_pg.assert_owner_untouched()


def test_addon_type_module_defaults_and_loop(ansible, emu, demo_pg):
    """module_defaults of the action group give app and addon (a type) to every task; a loop creates a read-only
    and a read-write user, each item paying one addons list for the type; a second run changes nothing and sends
    no write; a loop removes them."""
    addon = demo_pg.addon_id
    users = [
        {'name': 'e2e-loop-reader', 'read_only': True, 'password': new_password()},
        {'name': 'e2e-loop-writer', 'read_only': False, 'password': new_password()},
    ]
    play = {
        'vars': {'e2e_users': users},
        'module_defaults': {'group/scalingo.cloud.scalingo': {'app': DEMO_APP, 'addon': 'postgresql'}},
    }
    loop = {'loop': '{{ e2e_users }}', 'loop_control': {'label': '{{ item.name }}'}}
    args = {'name': '{{ item.name }}', 'read_only': '{{ item.read_only }}', 'password': '{{ item.password }}'}
    by_type = ['auth.exchange', 'api.addons', 'api.addon_token', 'users.list']

    def loop_step(run, task, changed):
        checks, reals = run.items(task + ' (check)'), run.items(task)
        assert [r['result']['item']['name'] for r in reals] == [u['name'] for u in users]
        assert len(checks) == len(reals) == len(users)
        for check, real in zip(checks, reals):
            assert_same_outcome(check, real)
            assert real['result']['changed'] is changed
        assert run.record(task)['result']['changed'] is changed
        assert run.writes(task + ' (check)') == []
        # Items run one after the other, each its own module run: the token chain and the type lookup each time.
        assert run.routes(task + ' (check)') == by_type * len(users)
        return reals

    # 1. create
    run = ansible.playbook(
        check_and_real('create users', USER_MODULE, args, **loop)
        + check_and_real('list users', INFO_MODULE, {})
        + [user_task('another app with two PostgreSQL addons', {'app': TWIN_APP, 'name': 'e2e-loop-reader'},
                     ignore_errors=True)],
        play=play)
    reals = loop_step(run, 'create users', True)
    assert [r['result']['user']['read_only'] for r in reals] == [u['read_only'] for u in users]
    assert run.routes('create users') == (by_type + ['users.create']) * len(users)
    sent = [json.loads(e['request_body'])['database_user'] for e in run.requests('create users') if e['route'] == 'users.create']
    assert [(u['name'], u['read_only'], u['password']) for u in sent] == [(u['name'], u['read_only'], u['password']) for u in users]

    check, real = step(run, 'list users')
    assert [u['name'] for u in real['users']] == [demo_pg.info['owner'], 'e2e-loop-reader', 'e2e-loop-writer']
    assert real['users'] == emu.users(addon)
    assert run.routes('list users') == by_type

    failed = run.record('another app with two PostgreSQL addons')
    assert failed['status'] == 'failed'
    twins = [emu.addon_id(TWIN_APP, 'postgresql', 0), emu.addon_id(TWIN_APP, 'postgresql', 1)]
    message = failed['result']['msg']
    assert message.startswith("App '%s' has 2 postgresql addons (" % TWIN_APP), message
    assert message.endswith('): set addon to the id of the one to manage.') and all(twin in message for twin in twins)
    assert run.routes(failed) == ['auth.exchange', 'api.addons']

    for user in users:
        assert user['password'] not in run.output()
    reader, writer = users
    demo_pg.assert_login(reader['name'], reader['password'])
    demo_pg.assert_cannot_write(reader['name'], reader['password'])
    demo_pg.assert_login(writer['name'], writer['password'])
    demo_pg.assert_writes(writer['name'], writer['password'])

    # 2. the same again: nothing to change, no write at all, one users list per item on top of the lookups
    run = ansible.playbook(check_and_real('users again', USER_MODULE, args, **loop), play=play)
    loop_step(run, 'users again', False)
    assert run.writes() == []
    assert run.routes() == by_type * len(users) * 2
    demo_pg.assert_login(reader['name'], reader['password'])
    demo_pg.assert_login(writer['name'], writer['password'])

    # 3. remove them
    run = ansible.playbook(check_and_real('delete users', USER_MODULE, {'name': '{{ item.name }}', 'state': 'absent'}, **loop),
                           play=play)
    loop_step(run, 'delete users', True)
    assert run.routes('delete users') == (by_type + ['users.delete']) * len(users)
    for user in users:
        assert demo_pg.role(user['name']) is None
        demo_pg.assert_login_fails(user['name'], user['password'])


def test_database_token(ansible, emu, demo_pg):
    """With a database token (option, SCALINGO_DATABASE_TOKEN or DB_BEARER_TOKEN) and no API token nor app, tasks
    send their requests to the database API only, with that token."""
    addon = demo_pg.addon_id
    token = emu.fetch_tokens(DEMO_APP, addon)[1]
    name = 'e2e-token-user'
    password = new_password()
    target = {'addon': addon, 'name': name}
    run = ansible.playbook(
        check_and_real('create', USER_MODULE, dict(target, password=password, database_token=token))
        + check_and_real('again', USER_MODULE, target, environment={'SCALINGO_DATABASE_TOKEN': token})
        + check_and_real('info', INFO_MODULE, target, environment={'DB_BEARER_TOKEN': token}),
        unset=('SCALINGO_API_TOKEN',))

    check, real = step(run, 'create')
    assert real['changed'] is True
    assert run.counts('create (check)') == {'users.list': 1}
    assert run.counts('create') == {'users.list': 1, 'users.create': 1}
    for task in ('again (check)', 'again', 'info (check)', 'info'):
        assert run.counts(task) == {'users.list': 1}, task
    check, real = step(run, 'again')
    assert real['changed'] is False
    check, real = step(run, 'info')
    assert [u['name'] for u in real['users']] == [name]

    assert {e['service'] for e in run.requests()} == {'db'}
    for entry in run.requests():
        assert entry['token_kind'] == 'addon_token' and entry['token_addon_id'] == addon
        assert ['Authorization', 'Bearer ' + token] in entry['request_headers']
    assert token not in run.output() and password not in run.output()
    demo_pg.assert_login(name, password)
    demo_pg.assert_writes(name, password)
