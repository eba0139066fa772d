# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end tests of scalingo.cloud.database_user_info: real ansible-playbook and ad hoc ansible runs against the
emulator. Check mode and a normal run give the same result; the module never writes and costs one users list on
top of the token chain (and one addons list when addon is a type)."""

from __future__ import annotations

from e2e_support import (
    DEMO_APP,
    INFO_MODULE,
    TWIN_APP,
    assert_same_outcome,
    check_and_real,
    new_password,
    user_task,
)

BY_ID = {'auth.exchange': 1, 'api.addon_token': 1, 'users.list': 1}
BY_TYPE = {'auth.exchange': 1, 'api.addons': 1, 'api.addon_token': 1, 'users.list': 1}


def same_in_check_mode(run, task):
    check, real = run.record(task + ' (check)'), run.record(task)
    assert_same_outcome(check, real)
    assert real['status'] == 'ok' and real['result']['changed'] is False
    return real['result']['users']


def test_list_one_and_unknown_user(ansible, emu, demo_pg):
    """The whole list (protected user first, then the users in creation order), one user, and an unknown user
    (an empty list, not a failure), each the same in check mode, each costing exactly one list."""
    addon = demo_pg.addon_id
    target = {'app': DEMO_APP, 'addon': addon}
    reader, writer = new_password(), new_password()
    run = ansible.playbook(
        [user_task('create reader', dict(target, name='e2e-info-reader', read_only=True, password=reader)),
         user_task('create writer', dict(target, name='e2e-info-writer', password=writer))]
        + check_and_real('list', INFO_MODULE, target)
        + check_and_real('one', INFO_MODULE, dict(target, name='e2e-info-reader'))
        + check_and_real('unknown', INFO_MODULE, dict(target, name='e2e-nobody'))
        + check_and_real('alias', INFO_MODULE, dict(target, user='e2e-info-writer')))

    owner = demo_pg.info['owner']
    scram = {'password_encryption': 'SCRAM-SHA-256'}
    expected = [
        {'name': owner, 'read_only': False, 'protected': True, 'dbms_attributes': scram},
        {'name': 'e2e-info-reader', 'read_only': True, 'protected': False, 'dbms_attributes': scram},
        {'name': 'e2e-info-writer', 'read_only': False, 'protected': False, 'dbms_attributes': scram},
    ]
    assert same_in_check_mode(run, 'list') == expected == emu.users(addon)
    assert same_in_check_mode(run, 'one') == [expected[1]]
    assert same_in_check_mode(run, 'unknown') == []
    assert same_in_check_mode(run, 'alias') == [expected[2]]
    for task in ('list', 'one', 'unknown', 'alias'):
        for name in (task + ' (check)', task):
            assert run.counts(name) == BY_ID, name
            assert run.writes(name) == []

    # What the list says is what PostgreSQL has.
    demo_pg.assert_cannot_write('e2e-info-reader', reader)
    demo_pg.assert_writes('e2e-info-writer', writer)


def test_other_addons(ansible, emu):
    """Seeded users of other addons: a read-only PostgreSQL user with an MD5 password on the second of two
    PostgreSQL addons (by id), and a MySQL user, whose dbms_attributes stay empty."""
    twin = emu.addon_id(TWIN_APP, 'postgresql', 1)
    mysql = emu.addon_id(DEMO_APP, 'mysql')
    run = ansible.playbook(
        check_and_real('twin', INFO_MODULE, {'app': TWIN_APP, 'addon': twin})
        + check_and_real('mysql', INFO_MODULE, {'app': DEMO_APP, 'addon': 'mysql', 'name': 'reporting-ro'}))

    assert same_in_check_mode(run, 'twin') == [
        {'name': emu.pg_info(twin)['owner'], 'read_only': False, 'protected': True,
         'dbms_attributes': {'password_encryption': 'SCRAM-SHA-256'}},
        {'name': 'metabase', 'read_only': True, 'protected': False, 'dbms_attributes': {'password_encryption': 'MD5'}},
    ]
    assert same_in_check_mode(run, 'mysql') == [
        {'name': 'reporting-ro', 'read_only': True, 'protected': False, 'dbms_attributes': {}}]
    assert run.counts('twin') == BY_ID
    assert run.counts('mysql') == BY_TYPE
    assert [e['params']['db'] for e in run.requests('mysql') if e['route'] == 'users.list'] == [mysql]
    assert run.writes() == []


def test_ad_hoc(ansible, emu, demo_pg):
    """``ansible localhost -m scalingo.cloud.database_user_info -a ...``: the same answer with and without --check,
    with addon given as a type (one addons list more)."""
    password = new_password()
    ansible.playbook([user_task('create', {'app': DEMO_APP, 'addon': demo_pg.addon_id, 'name': 'e2e-adhoc',
                                           'read_only': True, 'password': password})])

    one = ansible.adhoc(INFO_MODULE, 'app=%s addon=postgresql name=e2e-adhoc' % DEMO_APP)
    checked = ansible.adhoc(INFO_MODULE, 'app=%s addon=postgresql name=e2e-adhoc' % DEMO_APP, check=True)
    unknown = ansible.adhoc(INFO_MODULE, 'app=%s addon=postgresql name=e2e-nobody' % DEMO_APP)
    everyone = ansible.adhoc(INFO_MODULE, 'addon=%s' % demo_pg.addon_id, env={'SCALINGO_APP': DEMO_APP})

    for run in (one, checked, unknown, everyone):
        assert len(run.records) == 1 and run.records[0]['status'] == 'ok', run
        assert 'localhost | SUCCESS' in run.stdout
        assert run.writes() == []
    assert_same_outcome(checked.records[0], one.records[0])
    user = {'name': 'e2e-adhoc', 'read_only': True, 'protected': False,
            'dbms_attributes': {'password_encryption': 'SCRAM-SHA-256'}}
    assert one.records[0]['result'] == {'changed': False, 'users': [user]}
    assert unknown.records[0]['result'] == {'changed': False, 'users': []}
    assert everyone.records[0]['result']['users'] == emu.users(demo_pg.addon_id)
    assert one.counts() == checked.counts() == unknown.counts() == BY_TYPE
    assert everyone.counts() == BY_ID
    demo_pg.assert_login('e2e-adhoc', password)
