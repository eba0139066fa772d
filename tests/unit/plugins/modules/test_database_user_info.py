# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""scalingo.cloud.database_user_info, run in-process against the fake Scalingo."""

import pytest

from ansible_collections.scalingo.cloud.plugins.modules import database_user_info
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    PASSWORD,
    PASSWORD2,
    PROTECTED_USER,
    SECRETS,
    Reply,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import leaked, task as args

SCRAM = dict(password_encryption='SCRAM-SHA-256')
METABASE = dict(name='metabase', read_only=True, protected=False, dbms_attributes=SCRAM)


@pytest.fixture
def three_users(fake):
    fake.add_user('metabase', read_only=True, password=PASSWORD)
    fake.add_user('reporting', password=PASSWORD2, encryption='MD5')
    return fake


@pytest.mark.parametrize('check', [False, True])
def test_lists_every_user_without_passwords(three_users, runner, check):
    fake = three_users
    fake.list_includes_password = True
    done = runner.ok(database_user_info, args(), check=check)
    assert done['changed'] is False
    assert done['users'] == [
        dict(name=PROTECTED_USER, read_only=False, protected=True, dbms_attributes=SCRAM),
        METABASE,
        dict(name='reporting', read_only=False, protected=False, dbms_attributes=dict(password_encryption='MD5')),
    ]
    assert all('password' not in user for user in done['users'])
    assert not leaked(done.result, SECRETS)
    assert fake.routes() == ['exchange', 'addons', 'addon_token', 'list']
    assert fake.writes == []


@pytest.mark.parametrize('key, name, found', [('name', 'metabase', [METABASE]), ('user', 'metabase', [METABASE]),
                                              ('username', 'metabase', [METABASE]), ('name', 'nobody-here', [])])
def test_one_user_by_name_or_none(three_users, runner, key, name, found):
    done = runner.ok(database_user_info, args(**{key: name}))
    assert done['users'] == found and done['changed'] is False


def test_unknown_dbms_attributes_are_kept(fake, runner):
    fake.script('list', Reply(200, json={'database-users': [
        {'name': 'influxer', 'read_only': False, 'protected': False,
         'dbms_attributes': {'password_encryption': 'SCRAM-SHA-256', 'roles': ['reader']}},
        {'name': 'mongouser', 'read_only': True, 'protected': False},
    ]}))
    done = runner.ok(database_user_info, args())
    assert done['users'] == [
        dict(name='influxer', read_only=False, protected=False,
             dbms_attributes={'password_encryption': 'SCRAM-SHA-256', 'roles': ['reader']}),
        dict(name='mongouser', read_only=True, protected=False, dbms_attributes={}),
    ]


def test_api_failure(fake, runner):
    fake.script('list', Reply(403, json={'error': 'limited collaborator'}, headers={'X-Request-Id': 'req-info-1'}))
    failed = runner.fail(database_user_info, args())
    assert "The token's owner may not manage database users" in failed.msg
    assert failed['failure']['status'] == 403
    assert failed['failure']['request_id'] == 'req-info-1'
    assert 'users' not in failed.result
    assert not leaked(failed.result, SECRETS)
