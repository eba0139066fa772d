# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What an adversarial pass found besides the fault matrix's rows: options given under two names, passwords no
database stores, secrets that are part of a name."""

import pytest

from ansible_collections.scalingo.cloud.plugins.module_utils._plan import check_password
from ansible_collections.scalingo.cloud.plugins.modules import database_user, database_user_info, database_users
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import PASSWORD, PASSWORD2
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import task, user_task as args


# --- an option given under two of its names -----------------------------------------------------------------------

@pytest.mark.parametrize('names', [dict(name='metabase', user='metabase2'), dict(name='metabase', username='other-one'),
                                   dict(user='metabase', username='metabase2')])
def test_a_name_and_an_alias_that_disagree_are_refused_before_any_request(fake, runner, names):
    task = args(**names)
    if 'user' in names and 'name' not in names:
        del task['name']
    for module, given in ((database_user, task), (database_user_info, task)):
        failed = runner.fail(module, given)
        assert failed['failure'] == dict(option='name') and fake.calls == [], failed
        assert 'given under 2 names' in failed.msg and '\n' not in failed.msg


def test_an_entry_whose_name_and_alias_disagree_is_refused_and_nothing_is_removed(fake, runner):
    fake.add_user('metabase', password=PASSWORD)
    fake.add_user('metabase2', password=PASSWORD2)
    users = [dict(name='reporting'), dict(name='metabase', user='metabase2')]
    failed = runner.fail(database_users, task(users=users, exclusive=True))
    assert failed['failure'] == dict(option='users[1].name') and fake.calls == []
    assert "users[1].name is given under 2 names (name='metabase' and user='metabase2')" in failed.msg


def test_a_name_and_an_alias_that_agree_are_one_name(fake, runner):
    done = runner.ok(database_user, args(name='reporting', user='reporting', password=PASSWORD))
    assert done['changed'] is True and 'reporting' in fake.users()


# --- passwords no database stores ------------------------------------------------------------------------------------

@pytest.mark.parametrize('module', [database_user, database_users])
def test_a_password_no_database_stores_is_refused_before_any_request(fake, runner, module):
    entry = dict(name='reporting', password=PASSWORD[:30] + '\x00' + PASSWORD[30:])
    failed = runner.fail(module, args(**entry) if module is database_user else task(users=[entry]))
    option = 'password' if module is database_user else 'users[0].password'
    assert failed['failure'] == dict(option=option) and 'NUL character' in failed.msg and fake.calls == []


def test_a_lone_surrogate_is_refused_too():
    """ansible-core refuses such module arguments itself; the check stands for callers that bypass it."""
    assert check_password(PASSWORD[:30] + '\ud800' + PASSWORD[30:]) == (
        'password', 'password must be Unicode text: it holds a lone surrogate code point, which no database stores')


# --- a secret that is part of a name ----------------------------------------------------------------------------------

def test_a_password_that_is_part_of_a_user_name_garbles_neither_the_name_nor_the_result(fake, runner):
    password = 'abcdefghijklmnopqrstuvwx'
    done = runner.ok(database_users, task(users=[dict(name=password + '-ro', password=password), dict(name='generated')]))
    assert done['created'] == [password + '-ro', 'generated']
    assert set(done['passwords']) == {'generated'} and set(done['diff']['after']) == {password + '-ro', 'generated'}
