# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A sample of the fault matrix (tests/unit/plugins/modules/test_fault_matrix.py), end to end: real ansible-playbook
tasks against the emulator, one fault each, armed as the task starts, with what each task reported checked against the
emulator's users and real PostgreSQL logins.

Every step of a task is in the sample (the token exchange, the database token, the users list, a creation, a password
change, a reset, a deletion, and both writes of a recreation), with faults before and after the server applied the
request, and a write that lands after the module gave up.
"""

from __future__ import annotations

from e2e_support import DEMO_APP, fault, new_password, user_task, wait_for_requests

# task: (user, existing before as (read_only, password key) or None, task arguments, route, fault, what happens)
# what happens: 'ok' (the user as asked), 'failed' (nothing changed, not uncertain), 'deleted' (a recreation that
# deleted and could not create), 'uncertain', 'someone else' (a creation the server applied and answered "taken").
SAMPLE = {
    'exchange, dropped': ('e2e-mx-exchange', None, dict(password='p1'), 'auth.exchange', dict(action='drop'), 'ok'),
    'database token, 503': ('e2e-mx-token', None, dict(password='p1'), 'api.addon_token', dict(status=503), 'ok'),
    'list, 500': ('e2e-mx-list', None, dict(password='p1'), 'users.list', dict(status=500), 'failed'),
    'create, dropped after applying': ('e2e-mx-create', None, {}, 'users.create', dict(action='drop', when='after'), 'ok'),
    'create, 503': ('e2e-mx-create-503', None, dict(password='p1'), 'users.create', dict(status=503), 'ok'),
    'create, 409 after applying': ('e2e-mx-create-409', None, {}, 'users.create', dict(status=409, when='after'),
                                   'someone else'),
    'change password, dropped': ('e2e-mx-patch', (False, 'p1'), dict(password='p2', update_password='always'),
                                 'users.update', dict(action='drop'), 'ok'),
    'reset, 500 after applying': ('e2e-mx-reset', (False, 'p1'), dict(state='reset_password'), 'users.reset',
                                  dict(status=500, when='after'), 'ok'),
    'reset, late': ('e2e-mx-reset-late', (False, 'p1'), dict(state='reset_password', timeout=3), 'users.reset',
                    dict(action='delay', delay=6), 'uncertain'),
    'delete, 404 after applying': ('e2e-mx-delete', (False, 'p1'), dict(state='absent'), 'users.delete',
                                   dict(status=404, when='after'), 'ok'),
    'delete, 404': ('e2e-mx-delete-404', (False, 'p1'), dict(state='absent'), 'users.delete', dict(status=404), 'failed'),
    'recreate, deletion late': ('e2e-mx-recreate', (False, 'p1'), dict(read_only=True, recreate=True, password='p2', timeout=3),
                                'users.delete', dict(action='delay', delay=6), 'ok'),
    'recreate, creation refused': ('e2e-mx-recreate-422', (False, 'p1'), dict(read_only=True, recreate=True),
                                   'users.create', dict(status=422), 'deleted'),
}


def test_a_sample_of_the_fault_matrix(ansible, emu, demo_pg):
    passwords = {'p1': new_password(), 'p2': new_password()}
    target = dict(app=DEMO_APP, addon=demo_pg.addon_id)
    tasks, at_task = [], {}
    for task, (name, before, args, route, spec, dummy) in SAMPLE.items():
        if before is not None:
            tasks.append(user_task('set up ' + task, dict(target, name=name, read_only=before[0],
                                                          password=passwords[before[1]])))
        args = dict((key, passwords.get(value, value)) for key, value in args.items())
        tasks.append(user_task(task, dict(target, name=name, **args), ignore_errors=True))
        at_task[task] = [fault(route, count=1, **spec)]
    run = ansible.playbook(tasks, at_task=at_task)
    wait_for_requests(emu, 'users.reset', 3)  # the late reset has landed (two more came before), not in a later test
    listed = dict((u['name'], u) for u in emu.users(demo_pg.addon_id))

    for task, (name, before, args, route, spec, expected) in SAMPLE.items():
        record = run.record(task)
        result = record['result']
        context = (task, record)
        given = passwords.get(args.get('password'))
        if expected in ('ok', 'someone else'):
            assert record['status'] == 'ok' and result['changed'] is (expected == 'ok'), context
            warned = any('created by someone else' in w for w in result.get('warnings', []))
            assert warned is (expected == 'someone else'), context
            if args.get('state') == 'absent':
                assert name not in listed and demo_pg.role(name) is None, context
                continue
            assert listed[name]['read_only'] is bool(args.get('read_only')), context
            if expected == 'ok':
                demo_pg.assert_login(name, result.get('password') or given)
            continue
        assert record['status'] == 'failed' and '\n' not in result['msg'], context
        if expected == 'uncertain':
            assert result['failure']['uncertain'] is True and 'may still apply it later' in result['msg'], context
        elif expected == 'deleted':
            assert result['changed'] is True and 'was deleted to be recreated read-only' in result['msg'], context
            assert name not in listed and demo_pg.role(name) is None, context
        else:
            assert result['changed'] is False and result['failure']['uncertain'] is False, context
            if before is None:
                assert name not in listed, context
            else:
                demo_pg.assert_login(name, passwords[before[1]])
