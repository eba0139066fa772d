# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""scalingo.cloud.database_users, run in-process against the fake Scalingo: plan, then write."""

import pytest

from ansible_collections.scalingo.cloud.plugins.module_utils import _plan
from ansible_collections.scalingo.cloud.plugins.modules import database_user, database_users
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    API_TOKEN,
    APP,
    PASSWORD,
    PASSWORD2,
    PROTECTED_USER,
    AfterApplying,
    DROPPED,
    Reply,
)

CHANGES = _plan.PASSWORD_CHANGES
KEPT = _plan.PASSWORD_SET
OTHER_PASSWORD = 'pw-unit-Ot8Hr3Pw5Ly1Kd9Qs2Zx7Vm4'


def args(users, **overrides):
    """The task, ``users`` given as it is (None included)."""
    return dict(api_token=API_TOKEN, app=APP, addon='postgresql', users=users, **overrides)


@pytest.fixture
def populated(fake):
    """reader (read-only), writer and old-user exist, besides the protected user."""
    fake.add_user('reader', read_only=True, password=PASSWORD)
    fake.add_user('writer', password=PASSWORD)
    fake.add_user('old-user', password=PASSWORD)
    fake.calls = []
    return fake


EVERY_KIND = [
    dict(name='newcomer', password=PASSWORD2),                                  # create, with a password
    dict(name='generated'),                                                     # create, Scalingo's password
    dict(name='reader', read_only=True),                                        # unchanged
    dict(name='writer', read_only=True, recreate=True),                         # recreated read-only
    dict(name='old-user', state='absent'),                                      # removed
    dict(name='never-there', state='absent'),                                   # already absent
    dict(name='reader2', password=OTHER_PASSWORD, update_password='always'),   # created (always, but new)
]


def test_every_kind_of_entry_in_one_task_with_one_list_one_request_per_change_and_a_diff_by_user(populated, runner):
    done = runner.ok(database_users, args(EVERY_KIND))
    assert done['changed'] is True
    assert done['created'] == ['newcomer', 'generated', 'reader2']
    assert done['removed'] == ['old-user'] and done['recreated'] == ['writer']
    assert done['password_changed'] == ['newcomer', 'generated', 'writer', 'reader2']
    users = populated.users()
    assert sorted(done['passwords']) == ['generated', 'writer']
    assert all(users[name].password == password for name, password in done['passwords'].items())
    assert users['newcomer'].password == PASSWORD2 and users['writer'].read_only is True
    assert 'old-user' not in users and 'never-there' not in users
    assert [u['name'] for u in done['users']] == [PROTECTED_USER, 'reader', 'writer', 'newcomer', 'generated', 'reader2']
    assert populated.routes() == ['exchange', 'addons', 'addon_token', 'list', 'create', 'create', 'delete', 'create',
                                  'delete', 'create']
    shown = dict(done.result, passwords={})
    assert PASSWORD2 not in str(shown) and OTHER_PASSWORD not in str(shown)
    assert not any(p in str(shown) for p in populated.generated_passwords())
    # The diff is keyed by user, and shows only what changes, and no password.
    before, after = done['diff']['before'], done['diff']['after']
    assert sorted(before) == sorted(after) == ['generated', 'newcomer', 'old-user', 'reader2', 'writer']
    assert before['newcomer'] == dict(name='newcomer', state='absent')
    assert after['newcomer'] == dict(name='newcomer', state='present', read_only=False, protected=False, password=CHANGES)
    assert before['writer']['read_only'] is False and after['writer']['read_only'] is True
    assert after['old-user'] == dict(name='old-user', state='absent') and before['old-user']['password'] == KEPT


def test_a_second_run_changes_nothing(populated, runner):
    runner.ok(database_users, args(EVERY_KIND[:6]))
    populated.calls = []
    again = runner.ok(database_users, args(EVERY_KIND[:6]))
    assert again['changed'] is False and populated.writes == []
    assert again['created'] == again['removed'] == again['recreated'] == again['password_changed'] == []
    assert again['passwords'] == {} and again['diff'] == dict(before={}, after={})


@pytest.mark.parametrize('users', [EVERY_KIND, EVERY_KIND[:3], []], ids=['every kind', 'some', 'none'])
@pytest.mark.parametrize('exclusive', [False, True])
def test_check_mode_returns_what_the_real_run_returns_and_writes_nothing(populated, runner, users, exclusive):
    before = populated.snapshot()
    checked = runner.ok(database_users, args(users, exclusive=exclusive), check=True)
    assert populated.writes == [] and populated.snapshot() == before
    real = runner.ok(database_users, args(users, exclusive=exclusive))
    assert checked['passwords'] == {}
    new = set(real['created']) | set(real['recreated'])
    for result in (checked.result, real.result):
        for user in result['users']:
            if user['name'] in new:
                user['dbms_attributes'] = {}  # only Scalingo knows it, once it made the user
    assert dict(checked.result, passwords=None) == dict(real.result, passwords=None)


# --- exclusive ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('users, exclusive, removed', [
    ([dict(name='reader', read_only=True)], True, ['writer', 'old-user']),
    ([], True, ['reader', 'writer', 'old-user']),  # no user listed: every unprotected user goes
    ([], False, []),  # without exclusive, unlisted users are left alone
])
def test_exclusive_removes_every_unlisted_user_but_the_protected_one(populated, runner, users, exclusive, removed):
    done = runner.ok(database_users, args(users, exclusive=exclusive))
    assert done['changed'] is bool(removed) and done['removed'] == removed
    assert list(populated.users()) == [name for name in [PROTECTED_USER, 'reader', 'writer', 'old-user'] if name not in removed]
    assert [c.route for c in populated.writes] == ['delete'] * len(removed)


def test_null_users_is_an_error_before_any_request(fake, runner):
    # A variable that renders as null must never mean "no user": with exclusive, that would remove them all.
    failed = runner.fail(database_users, args(None, exclusive=True))
    assert "argument 'users'" in failed.msg and 'NoneType' in failed.msg and fake.calls == []


# --- every guard, before the first write -------------------------------------------------------------

def test_a_user_listed_twice_fails_naming_the_entry_before_any_request(fake, runner):
    # The checks of one entry are database_user's, located in users[] (test_entry_options.py).
    failed = runner.fail(database_users, args([dict(name='reader'), dict(name='reader'), dict(name='later-one')]))
    assert failed['failure']['option'] == 'users[1].name'
    assert "users[1]: user 'reader' is listed twice (also users[0])" in failed.msg and fake.calls == []


@pytest.mark.parametrize('entry, option, words', [
    (dict(name=PROTECTED_USER, state='absent'), 'users[1].name', 'is protected by Scalingo and cannot be deleted'),
    (dict(name=PROTECTED_USER, state='reset_password'), 'users[1].name', 'cannot be given a new password'),
    (dict(name=PROTECTED_USER, password=PASSWORD, update_password='always'), 'users[1].name', 'new password'),
    (dict(name=PROTECTED_USER, read_only=True, recreate=True), 'users[1].name', 'cannot be recreated'),
    (dict(name='reader', read_only=False), 'users[1].read_only', 'Scalingo cannot change that in place'),
    (dict(name='nobody-here', state='reset_password'), 'users[1].name', 'does not exist, so its password cannot'),
])
def test_an_entry_that_cannot_be_done_fails_the_task_before_any_write(populated, runner, entry, option, words):
    before = populated.snapshot()
    task = args([dict(name='first-one'), entry, dict(name='old-user', state='absent')], exclusive=True)
    failed = runner.fail(database_users, task)
    assert failed['failure']['option'] == option and failed.msg.startswith('users[1]: ') and words in failed.msg
    assert populated.writes == [] and populated.snapshot() == before
    assert failed['changed'] is False and failed['created'] == [] and failed['removed'] == []


# --- a change that fails half way --------------------------------------------------------------------

def test_a_change_that_fails_half_way_says_what_was_done_and_what_was_not(populated, runner):
    populated.script('delete', Reply(403, json={'error': 'forbidden'}))
    users = [dict(name='first-one'), dict(name='second-one', password=PASSWORD2), dict(name='old-user', state='absent'),
             dict(name='fourth-one')]
    failed = runner.fail(database_users, args(users))
    assert failed['changed'] is True
    assert failed['created'] == ['first-one', 'second-one'] and failed['removed'] == []
    assert failed['password_changed'] == ['first-one', 'second-one']
    assert list(failed['passwords']) == ['first-one']
    assert populated.users()['first-one'].password == failed['passwords']['first-one']
    assert "User 'old-user' (delete): Scalingo answered HTTP 403" in failed.msg
    assert 'Before it: created first-one, second-one. Not done: fourth-one (create).' in failed.msg
    assert 'fourth-one' not in populated.users()
    assert [u['name'] for u in failed['users']] == [PROTECTED_USER, 'reader', 'writer', 'old-user', 'first-one',
                                                    'second-one']


def test_a_recreation_that_deleted_and_could_not_create_is_reported_as_a_removal(populated, runner):
    populated.script('create', Reply(422, json={'errors': {'name': ['is reserved']}}))
    failed = runner.fail(database_users, args([dict(name='writer', read_only=True, recreate=True)]))
    assert failed['changed'] is True and failed['removed'] == ['writer'] and failed['recreated'] == []
    assert "was deleted to be recreated read-only, but it was not created again" in failed.msg
    assert 'writer' not in populated.users()


# --- database_user is the one-entry case ---------------------------------------------------------------

ONE_ENTRY = [
    dict(name='newcomer', password=PASSWORD2), dict(name='newcomer'), dict(name='reader', read_only=True),
    dict(name='writer', read_only=True, recreate=True), dict(name='old-user', state='absent'),
    dict(name='writer', state='reset_password'), dict(name='writer', password=PASSWORD2, update_password='always'),
    dict(name='reader', read_only=False), dict(name=PROTECTED_USER, state='absent'), dict(name='ghost-user', state='absent'),
]


@pytest.mark.parametrize('entry', ONE_ENTRY, ids=['%(name)s %(index)d' % dict(e, index=i) for i, e in enumerate(ONE_ENTRY)])
@pytest.mark.parametrize('check', [True, False], ids=['check', 'run'])
def test_database_user_reports_what_database_users_reports_for_one_entry(populated, runner, entry, check):
    before = populated.snapshot()
    single = runner.run(database_user, dict(api_token=API_TOKEN, app=APP, addon='postgresql', **entry), check=check)
    single_state = populated.snapshot()
    populated.restore(before)
    many = runner.run(database_users, args([entry]), check=check)
    assert populated.snapshot().keys() == single_state.keys()
    assert single.failed == many.failed
    if single.failed:
        assert many.msg == 'users[0]: ' + single.msg
        assert many['failure'] == dict(single['failure'], option='users[0].' + single['failure']['option'])
        return
    name = entry['name']
    assert single['changed'] == many['changed']
    assert single['password_changed'] == (name in many['password_changed'])
    diff = many['diff']
    assert (diff['before'].get(name), diff['after'].get(name)) in (
        (single['diff']['before'], single['diff']['after']), (None, None))
    assert ('password' in single.result) == (name in many['passwords'])
    found = [u for u in many['users'] if u['name'] == name]
    assert (found[0] if found else {}) == single['user'] or check


def test_answers_lost_in_the_middle_are_recovered_as_database_user_does(populated, runner):
    populated.script('create', AfterApplying(Reply(201, json={'name': 'first-one', 'read_only': False, 'protected': False})),
                     AfterApplying(DROPPED))
    done = runner.ok(database_users, args([dict(name='first-one'), dict(name='second-one'), dict(name='third-one')]))
    assert done['created'] == ['first-one', 'second-one', 'third-one']
    users = populated.users()
    assert all(users[name].password == password for name, password in done['passwords'].items())
    assert sorted(done['passwords']) == ['first-one', 'second-one', 'third-one']
    # The first answer lacked the generated password, the second was lost: each was read back and reset.
    assert populated.routes()[4:] == ['create', 'reset', 'create', 'list', 'reset', 'create']
