# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""scalingo.cloud.database_user, run in-process against the fake Scalingo: check mode against the real run, and each
state."""

import pytest

from ansible_collections.scalingo.cloud.plugins.module_utils import _plan
from ansible_collections.scalingo.cloud.plugins.modules import database_user
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    ADDON_ID,
    PASSWORD,
    PASSWORD2,
    PROTECTED_USER,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import (
    assert_no_secret,
    existing,
    nothing,
    user_task as args,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.module_runner import assert_one_line

HIDDEN_SET = _plan.PASSWORD_SET
HIDDEN_CHANGES = _plan.PASSWORD_CHANGES
SCRAM = dict(password_encryption='SCRAM-SHA-256')


# --- the scenarios: how the server starts, what the task asks, what a real run does -------------

def _user(read_only=False, name='reporting', protected=False):
    return dict(name=name, read_only=read_only, protected=protected, dbms_attributes=SCRAM)


def _kept(read_only=False, password=HIDDEN_SET, name='reporting', protected=False):
    """The diff's view of a user that exists (or keeps existing, with a new password)."""
    return dict(name=name, state='present', read_only=read_only, protected=protected, password=password,
                password_encryption='SCRAM-SHA-256')


def _new(read_only=False):
    """The diff's view of a user the task creates: only Scalingo knows its encryption."""
    return dict(name='reporting', state='present', read_only=read_only, protected=False, password=HIDDEN_CHANGES)


def _done(user, before, after):
    return dict(user=user, diff=dict(before=before, after=after))


def _refused(failure, words):
    return dict(failure=failure, msg=words)


ABSENT = dict(name='reporting', state='absent')
PROTECTED = dict(option='name', user=PROTECTED_USER, protected=True)
CONFLICT = dict(option='read_only', user='reporting')
PROTECTED_VIEW = _kept(name=PROTECTED_USER, protected=True)

SCENARIOS = {
    # name: (setup, task arguments, changed or 'fails', password_changed, what the real run returns)
    'create with password': (nothing, dict(password=PASSWORD, read_only=True), True, True, _done(_user(True), ABSENT, _new(True))),
    'create generated': (nothing, dict(), True, True, _done(_user(), ABSENT, _new())),
    'create read-write explicitly': (nothing, dict(read_only=False), True, True, _done(_user(), ABSENT, _new())),
    'unchanged': (existing(), dict(), False, False, _done(_user(), _kept(), _kept())),
    'unchanged read_only matches': (existing(True), dict(read_only=True), False, False, _done(_user(True), _kept(True), _kept(True))),
    'unchanged password on_create': (existing(), dict(password=PASSWORD2), False, False, _done(_user(), _kept(), _kept())),
    'unchanged recreate with same mode': (existing(True), dict(read_only=True, recreate=True), False, False,
                                          _done(_user(True), _kept(True), _kept(True))),
    'read_only conflict': (existing(), dict(read_only=True), 'fails', None, _refused(
        CONFLICT, "User 'reporting' is read-write and Scalingo cannot change that in place. To make it read-only, set recreate: true")),
    'read_only conflict other way': (existing(True), dict(read_only=False), 'fails', None, _refused(
        CONFLICT, "User 'reporting' is read-only and Scalingo cannot change that in place. To make it read-write, set recreate: true")),
    'recreate generated': (existing(), dict(read_only=True, recreate=True), True, True, _done(_user(True), _kept(), _new(True))),
    'recreate with password': (existing(True), dict(read_only=False, recreate=True, password=PASSWORD2), True, True,
                               _done(_user(), _kept(True), _new())),
    'update_password always': (existing(), dict(password=PASSWORD2, update_password='always'), True, True,
                               _done(_user(), _kept(), _kept(password=HIDDEN_CHANGES))),
    'update_password always creates': (nothing, dict(password=PASSWORD2, update_password='always'), True, True,
                                       _done(_user(), ABSENT, _new())),
    'reset_password': (existing(), dict(state='reset_password'), True, True, _done(_user(), _kept(), _kept(password=HIDDEN_CHANGES))),
    'reset_password missing user': (nothing, dict(state='reset_password'), 'fails', None,
                                    _refused(dict(option='name', user='reporting'), "User 'reporting' does not exist")),
    'absent': (existing(), dict(state='absent'), True, False, _done({}, _kept(), ABSENT)),
    'absent missing user': (nothing, dict(state='absent'), False, False, _done({}, ABSENT, ABSENT)),
    'protected unchanged': (nothing, dict(name=PROTECTED_USER), False, False,
                            _done(_user(name=PROTECTED_USER, protected=True), PROTECTED_VIEW, PROTECTED_VIEW)),
    'protected absent': (nothing, dict(name=PROTECTED_USER, state='absent'), 'fails', None,
                         _refused(PROTECTED, "User 'my-app-4321' is protected by Scalingo and cannot be deleted")),
    'protected update_password always': (nothing, dict(name=PROTECTED_USER, password=PASSWORD, update_password='always'),
                                         'fails', None, _refused(PROTECTED, 'cannot be given a new password')),
    'protected reset_password': (nothing, dict(name=PROTECTED_USER, state='reset_password'), 'fails', None,
                                 _refused(PROTECTED, 'cannot be given a new password')),
    'protected recreate': (nothing, dict(name=PROTECTED_USER, read_only=True, recreate=True), 'fails', None,
                           _refused(PROTECTED, 'cannot be recreated with read_only=True')),
    'protected read_only conflict': (nothing, dict(name=PROTECTED_USER, read_only=True), 'fails', None,
                                     _refused(PROTECTED, 'cannot be recreated with read_only=True')),
}


@pytest.mark.parametrize('scenario', sorted(SCENARIOS))
def test_check_mode_answers_like_the_real_run(fake, runner, scenario):
    setup, task, changed, password_changed, expected = SCENARIOS[scenario]
    setup(fake)
    before = fake.snapshot()

    checked = runner.run(database_user, args(**task), check=True)
    check_calls = list(fake.calls)
    assert fake.writes == []
    assert fake.snapshot() == before

    fake.calls = []
    real = runner.run(database_user, args(**task))

    assert checked.failed == real.failed == (changed == 'fails')
    if changed == 'fails':
        assert checked.msg == real.msg and expected['msg'] in real.msg
        assert checked['failure'] == real['failure'] == expected['failure']
        assert fake.writes == []
        assert fake.snapshot() == before
        assert_one_line(real.msg)
    else:
        assert checked['changed'] == real['changed'] == changed
        assert checked['password_changed'] == real['password_changed'] == password_changed
        assert checked['diff'] == real['diff'] == expected['diff']
        assert real['user'] == expected['user']
        # A user the task creates is predicted without its encryption: only Scalingo knows it.
        created = expected['diff']['after'] == _new(task.get('read_only', False))
        assert checked['user'] == (dict(expected['user'], dbms_attributes={}) if created else expected['user'])
        assert 'password' not in checked
        assert (fake.writes != []) == changed
        assert (fake.snapshot() != before) == changed
    # A check run reads what the real run reads, and writes nothing.
    assert [c.route for c in check_calls] == [c.route for c in fake.calls if not (c.service == 'db' and c.method != 'GET')]
    assert_no_secret(checked, fake)
    assert_no_secret(real, fake)


@pytest.mark.parametrize('scenario', sorted(s for s in SCENARIOS if SCENARIOS[s][2] != 'fails'))
def test_a_second_run_changes_nothing_unless_it_always_does(fake, runner, scenario):
    setup, task = SCENARIOS[scenario][:2]
    setup(fake)
    runner.ok(database_user, args(**task))
    fake.calls = []
    again = runner.ok(database_user, args(**task))
    if task.get('state') == 'reset_password' or task.get('update_password') == 'always':
        assert again['changed'] is True and again['password_changed'] is True
        assert len(fake.writes) == 1
    else:
        assert again['changed'] is False and again['password_changed'] is False
        assert fake.writes == []
        assert again['diff']['before'] == again['diff']['after']


# --- create ------------------------------------------------------------------------------------

def test_create_without_a_password_returns_the_generated_one(fake, runner):
    done = runner.ok(database_user, args())
    assert done['password'] == fake.generated_passwords()[0]
    assert fake.select('create')[0].body['database_user']['password'] is None
    assert fake.select('create')[0].body['database_user']['read_only'] is False
    assert_no_secret(done, fake)


# --- existing users ----------------------------------------------------------------------------

@pytest.mark.parametrize('password', [None, PASSWORD2])
def test_recreate_deletes_then_creates(fake, runner, password):
    fake.add_user('reporting', read_only=False, password=PASSWORD)
    task = args(read_only=True, recreate=True)
    if password:
        task['password'] = password
    done = runner.ok(database_user, task)
    assert done['changed'] is True and done['password_changed'] is True
    assert [c.route for c in fake.writes] == ['delete', 'create']
    assert fake.routes() == ['exchange', 'addons', 'addon_token', 'list', 'delete', 'create']
    assert fake.users()['reporting'].read_only is True
    if password:
        assert 'password' not in done
        assert fake.users()['reporting'].password == PASSWORD2
    else:
        assert done['password'] == fake.generated_passwords()[0] == fake.users()['reporting'].password
    assert_no_secret(done, fake)


@pytest.mark.parametrize('answer, encryption', [('user', 'SCRAM-SHA-256'), ('empty', 'MD5')])
def test_update_password_always_patches_on_every_run(fake, runner, answer, encryption):
    # A new password is hashed anew (MD5 -> SCRAM): the user returned is Scalingo's answer when there is one.
    fake.patch_answer = answer
    fake.add_user('reporting', read_only=True, encryption='MD5', password=PASSWORD)
    runs = [runner.ok(database_user, args(password=PASSWORD2, update_password='always')) for dummy in range(2)]
    assert runs[0]['user'] == dict(name='reporting', read_only=True, protected=False,
                                   dbms_attributes=dict(password_encryption=encryption))
    assert runs[0]['diff']['before']['password_encryption'] == 'MD5'
    for done in runs:
        assert done['changed'] is True and done['password_changed'] is True
        assert 'password' not in done
        assert done['diff']['before']['password'] == HIDDEN_SET
        assert done['diff']['after']['password'] == HIDDEN_CHANGES
        assert_no_secret(done, fake)
    patches = fake.select('update')
    assert len(patches) == 2
    assert patches[0].body == {'database_user': dict(database_id=ADDON_ID, password=PASSWORD2,
                                                     password_confirmation=PASSWORD2)}
    assert fake.users()['reporting'].password == PASSWORD2


# --- reset_password ----------------------------------------------------------------------------

def test_reset_password_returns_the_new_password_and_the_user_scalingo_answers(fake, runner):
    fake.add_user('reporting', encryption='MD5', password=PASSWORD)
    done = runner.ok(database_user, args(state='reset_password'))
    assert done['changed'] is True and done['password_changed'] is True
    assert done['password'] == fake.generated_passwords()[0] == fake.users()['reporting'].password
    assert done['user'] == dict(name='reporting', read_only=False, protected=False, dbms_attributes=SCRAM)
    assert [c.route for c in fake.writes] == ['reset']
    assert_no_secret(done, fake)


def test_diff_shows_md5_and_no_encryption_when_absent(fake, runner):
    fake.add_user('reporting', encryption='MD5')
    fake.add_user('mongouser', encryption=None)
    assert runner.ok(database_user, args())['diff']['before']['password_encryption'] == 'MD5'
    assert 'password_encryption' not in runner.ok(database_user, args(name='mongouser'))['diff']['before']
