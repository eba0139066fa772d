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
    assert_no_secret,
    user_task as args,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.module_runner import assert_one_line

HIDDEN_SET = _plan.PASSWORD_SET
HIDDEN_CHANGES = _plan.PASSWORD_CHANGES
SCRAM = dict(password_encryption='SCRAM-SHA-256')


# --- the scenarios: how the server starts, what the task asks, what a real run does -------------

def _existing(read_only=False, **kwargs):
    def setup(fake):
        fake.add_user('reporting', read_only=read_only, password=PASSWORD, **kwargs)
    return setup


def _nothing(fake):
    pass


SCENARIOS = {
    # name: (setup, task arguments, changed or 'fails', password_changed)
    'create with password': (_nothing, dict(password=PASSWORD, read_only=True), True, True),
    'create generated': (_nothing, dict(), True, True),
    'create read-write explicitly': (_nothing, dict(read_only=False), True, True),
    'unchanged': (_existing(), dict(), False, False),
    'unchanged read_only matches': (_existing(True), dict(read_only=True), False, False),
    'unchanged password on_create': (_existing(), dict(password=PASSWORD2), False, False),
    'unchanged recreate with same mode': (_existing(True), dict(read_only=True, recreate=True), False, False),
    'read_only conflict': (_existing(), dict(read_only=True), 'fails', None),
    'read_only conflict other way': (_existing(True), dict(read_only=False), 'fails', None),
    'recreate generated': (_existing(), dict(read_only=True, recreate=True), True, True),
    'recreate with password': (_existing(True), dict(read_only=False, recreate=True, password=PASSWORD2), True, True),
    'update_password always': (_existing(), dict(password=PASSWORD2, update_password='always'), True, True),
    'update_password always creates': (_nothing, dict(password=PASSWORD2, update_password='always'), True, True),
    'reset_password': (_existing(), dict(state='reset_password'), True, True),
    'reset_password missing user': (_nothing, dict(state='reset_password'), 'fails', None),
    'absent': (_existing(), dict(state='absent'), True, False),
    'absent missing user': (_nothing, dict(state='absent'), False, False),
    'protected unchanged': (_nothing, dict(name=PROTECTED_USER), False, False),
    'protected absent': (_nothing, dict(name=PROTECTED_USER, state='absent'), 'fails', None),
    'protected update_password always': (_nothing, dict(name=PROTECTED_USER, password=PASSWORD, update_password='always'),
                                         'fails', None),
    'protected reset_password': (_nothing, dict(name=PROTECTED_USER, state='reset_password'), 'fails', None),
    'protected recreate': (_nothing, dict(name=PROTECTED_USER, read_only=True, recreate=True), 'fails', None),
    'protected read_only conflict': (_nothing, dict(name=PROTECTED_USER, read_only=True), 'fails', None),
}


@pytest.mark.parametrize('scenario', sorted(SCENARIOS))
def test_check_mode_answers_like_the_real_run(fake, runner, scenario):
    setup, task, changed, password_changed = SCENARIOS[scenario]
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
        assert checked.msg == real.msg
        assert checked['failure'] == real['failure']
        assert fake.writes == []
        assert fake.snapshot() == before
        assert_one_line(real.msg)
    else:
        assert checked['changed'] == real['changed'] == changed
        assert checked['password_changed'] == real['password_changed'] == password_changed
        assert checked['diff'] == real['diff']
        assert 'password' not in checked
        assert (fake.writes != []) == changed
        assert (fake.snapshot() != before) == changed
    # A check run reads what the real run reads, and writes nothing.
    assert [c.route for c in check_calls] == [c.route for c in fake.calls if not (c.service == 'db' and c.method != 'GET')]
    assert_no_secret(checked, fake)
    assert_no_secret(real, fake)


@pytest.mark.parametrize('scenario', sorted(s for s in SCENARIOS if SCENARIOS[s][2] != 'fails'))
def test_a_second_run_changes_nothing_unless_it_always_does(fake, runner, scenario):
    setup, task, changed, password_changed = SCENARIOS[scenario]
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

def test_create_with_a_password(fake, runner):
    done = runner.ok(database_user, args(password=PASSWORD, read_only=True))
    assert done['changed'] is True and done['password_changed'] is True
    assert 'password' not in done
    assert done['user'] == dict(name='reporting', read_only=True, protected=False, dbms_attributes=SCRAM)
    create = fake.select('create')
    assert len(create) == 1
    assert create[0].body == {'database_user': dict(database_id=ADDON_ID, name='reporting', read_only=True,
                                                    password=PASSWORD, password_confirmation=PASSWORD)}
    assert fake.users()['reporting'].password == PASSWORD
    assert fake.routes() == ['exchange', 'addons', 'addon_token', 'list', 'create']
    assert done['diff'] == dict(
        before=dict(name='reporting', state='absent'),
        after=dict(name='reporting', state='present', read_only=True, protected=False, password=HIDDEN_CHANGES))


def test_create_without_a_password_returns_the_generated_one(fake, runner):
    done = runner.ok(database_user, args())
    assert done['password'] == fake.generated_passwords()[0]
    assert done['user'] == dict(name='reporting', read_only=False, protected=False, dbms_attributes=SCRAM)
    assert fake.select('create')[0].body['database_user']['password'] is None
    assert fake.select('create')[0].body['database_user']['read_only'] is False
    assert_no_secret(done, fake)


def test_create_with_a_password_never_returns_it_even_if_echoed(fake, runner):
    fake.echo_password = True
    done = runner.ok(database_user, args(password=PASSWORD))
    assert 'password' not in done
    assert_no_secret(done, fake)


def test_check_mode_create_predicts_the_user_without_a_password(fake, runner):
    done = runner.ok(database_user, args(read_only=True), check=True)
    assert done['user'] == dict(name='reporting', read_only=True, protected=False, dbms_attributes={})
    assert 'password' not in done
    assert 'reporting' not in fake.users()


# --- existing users ----------------------------------------------------------------------------

def test_unchanged_user_reports_no_change_and_no_write(fake, runner):
    fake.add_user('reporting', read_only=True)
    done = runner.ok(database_user, args(password=PASSWORD))
    assert done['changed'] is False and done['password_changed'] is False
    assert done['user'] == dict(name='reporting', read_only=True, protected=False, dbms_attributes=SCRAM)
    view = dict(name='reporting', state='present', read_only=True, protected=False, password=HIDDEN_SET,
                password_encryption='SCRAM-SHA-256')
    assert done['diff'] == dict(before=view, after=view)
    assert fake.writes == []


def test_read_only_conflict_fails_and_says_how_to_proceed(fake, runner):
    fake.add_user('reporting', read_only=False)
    failed = runner.fail(database_user, args(read_only=True))
    assert 'recreate' in failed.msg
    assert 'read-write' in failed.msg and 'read-only' in failed.msg
    assert failed['failure']['option'] == 'read_only'
    assert fake.writes == []
    assert fake.users()['reporting'].read_only is False


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
    assert done['user'] == dict(name='reporting', read_only=True, protected=False, dbms_attributes=SCRAM)
    if password:
        assert 'password' not in done
        assert fake.users()['reporting'].password == PASSWORD2
    else:
        assert done['password'] == fake.generated_passwords()[0] == fake.users()['reporting'].password
    assert done['diff'] == dict(
        before=dict(name='reporting', state='present', read_only=False, protected=False, password=HIDDEN_SET,
                    password_encryption='SCRAM-SHA-256'),
        after=dict(name='reporting', state='present', read_only=True, protected=False, password=HIDDEN_CHANGES))
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


def test_reset_password_of_a_missing_user_fails(fake, runner):
    failed = runner.fail(database_user, args(state='reset_password'))
    assert "User 'reporting' does not exist" in failed.msg
    assert failed['failure'] == dict(option='name', user='reporting')
    assert fake.writes == []


# --- protected users ---------------------------------------------------------------------------

@pytest.mark.parametrize('task, action', [
    (dict(state='absent'), 'deleted'),
    (dict(password=PASSWORD, update_password='always'), 'given a new password'),
    (dict(state='reset_password'), 'given a new password'),
    (dict(read_only=True, recreate=True), 'recreated'),
])
def test_protected_users_are_never_changed(fake, runner, task, action):
    failed = runner.fail(database_user, args(name=PROTECTED_USER, **task))
    assert "User '%s' is protected" % PROTECTED_USER in failed.msg
    assert action in failed.msg
    assert failed['failure'] == dict(option='name', user=PROTECTED_USER, protected=True)
    assert fake.writes == []
    assert PROTECTED_USER in fake.users()


# --- absent ------------------------------------------------------------------------------------

def test_absent_deletes_and_shows_the_user_it_deleted(fake, runner):
    # A second run: test_a_second_run_changes_nothing_unless_it_always_does[absent].
    fake.add_user('reporting', read_only=True)
    first = runner.ok(database_user, args(state='absent'))
    assert first['changed'] is True and first['password_changed'] is False
    assert first['user'] == {}
    assert first['diff'] == dict(
        before=dict(name='reporting', state='present', read_only=True, protected=False, password=HIDDEN_SET,
                    password_encryption='SCRAM-SHA-256'),
        after=dict(name='reporting', state='absent'))
    assert [c.route for c in fake.writes] == ['delete']
    assert 'reporting' not in fake.users()


def test_diff_shows_md5_and_no_encryption_when_absent(fake, runner):
    fake.add_user('reporting', encryption='MD5')
    fake.add_user('mongouser', encryption=None)
    assert runner.ok(database_user, args())['diff']['before']['password_encryption'] == 'MD5'
    assert 'password_encryption' not in runner.ok(database_user, args(name='mongouser'))['diff']['before']
