# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""scalingo.cloud.database_user, run in-process against the fake Scalingo."""

import pytest
import requests

from ansible_collections.scalingo.cloud.plugins.module_utils import _plan
from ansible_collections.scalingo.cloud.plugins.modules import database_user
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    ADDON_ID,
    API_TOKEN,
    APP,
    BEARER,
    DB_TOKEN,
    PASSWORD,
    PASSWORD2,
    PROTECTED_USER,
    AfterApplying,
    Reply,
    assert_no_secret,
)

HIDDEN_SET = _plan.PASSWORD_SET
HIDDEN_CHANGES = _plan.PASSWORD_CHANGES
SCRAM = dict(password_encryption='SCRAM-SHA-256')


def args(**overrides):
    values = dict(api_token=API_TOKEN, app=APP, addon='postgresql', name='reporting')
    values.update(overrides)
    return values


def assert_one_line(msg):
    assert msg and '\n' not in msg.strip() and 'Traceback' not in msg


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
    assert fake.users()['reporting']['_password'] == PASSWORD
    assert fake.routes() == ['exchange', 'addons', 'addon_token', 'list', 'create']


@pytest.mark.parametrize('shape', ['bare', 'wrapped'])
def test_create_without_a_password_returns_the_generated_one(fake, runner, shape):
    fake.response_shape = shape
    done = runner.ok(database_user, args())
    assert done['password'] == fake.generated_passwords()[0]
    assert done['user'] == dict(name='reporting', read_only=False, protected=False, dbms_attributes=SCRAM)
    assert fake.select('create')[0].body['database_user']['password'] is None
    assert fake.select('create')[0].body['database_user']['read_only'] is False
    assert_no_secret(done, fake)


@pytest.mark.parametrize('shape', ['bare', 'wrapped'])
def test_create_with_a_password_never_returns_it_even_if_echoed(fake, runner, shape):
    fake.response_shape = shape
    fake.echo_password = True
    done = runner.ok(database_user, args(password=PASSWORD))
    assert 'password' not in done
    assert_no_secret(done, fake)


def test_create_diff(fake, runner):
    done = runner.ok(database_user, args(read_only=True, password=PASSWORD))
    assert done['diff'] == dict(
        before=dict(name='reporting', state='absent'),
        after=dict(name='reporting', state='present', read_only=True, protected=False, password=HIDDEN_CHANGES))


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
    assert fake.users()['reporting']['read_only'] is False


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
    assert fake.users()['reporting']['read_only'] is True
    assert done['user'] == dict(name='reporting', read_only=True, protected=False, dbms_attributes=SCRAM)
    if password:
        assert 'password' not in done
        assert fake.users()['reporting']['_password'] == PASSWORD2
    else:
        assert done['password'] == fake.generated_passwords()[0] == fake.users()['reporting']['_password']
    assert done['diff'] == dict(
        before=dict(name='reporting', state='present', read_only=False, protected=False, password=HIDDEN_SET,
                    password_encryption='SCRAM-SHA-256'),
        after=dict(name='reporting', state='present', read_only=True, protected=False, password=HIDDEN_CHANGES))
    assert_no_secret(done, fake)


def test_update_password_on_create_does_not_touch_an_existing_user(fake, runner):
    fake.add_user('reporting', password=PASSWORD)
    done = runner.ok(database_user, args(password=PASSWORD2, update_password='on_create'))
    assert done['changed'] is False and done['password_changed'] is False
    assert fake.writes == []
    assert fake.users()['reporting']['_password'] == PASSWORD


@pytest.mark.parametrize('answer', ['user', 'empty'])
def test_update_password_always_patches_on_every_run(fake, runner, answer):
    fake.patch_answer = answer
    fake.add_user('reporting', read_only=True, password=PASSWORD)
    for dummy in range(2):
        done = runner.ok(database_user, args(password=PASSWORD2, update_password='always'))
        assert done['changed'] is True and done['password_changed'] is True
        assert 'password' not in done
        assert done['user'] == dict(name='reporting', read_only=True, protected=False, dbms_attributes=SCRAM)
        assert done['diff']['before']['password'] == HIDDEN_SET
        assert done['diff']['after']['password'] == HIDDEN_CHANGES
        assert_no_secret(done, fake)
    patches = fake.select('update')
    assert len(patches) == 2
    assert patches[0].body == {'database_user': dict(database_id=ADDON_ID, password=PASSWORD2,
                                                     password_confirmation=PASSWORD2)}
    assert fake.users()['reporting']['_password'] == PASSWORD2


@pytest.mark.parametrize('answer, encryption', [('user', 'SCRAM-SHA-256'), ('empty', 'MD5')])
def test_update_password_always_returns_the_user_scalingo_answers(fake, runner, answer, encryption):
    # A new password is hashed anew (MD5 -> SCRAM): the user returned is Scalingo's answer when there is one.
    fake.patch_answer = answer
    fake.add_user('reporting', encryption='MD5', password=PASSWORD)
    done = runner.ok(database_user, args(password=PASSWORD2, update_password='always'))
    assert done['user']['dbms_attributes'] == dict(password_encryption=encryption)
    assert done['diff']['before']['password_encryption'] == 'MD5'


def test_reset_password_returns_the_user_scalingo_answers(fake, runner):
    fake.add_user('reporting', encryption='MD5', password=PASSWORD)
    done = runner.ok(database_user, args(state='reset_password'))
    assert done['user']['dbms_attributes'] == SCRAM


# --- reset_password ----------------------------------------------------------------------------

@pytest.mark.parametrize('shape', ['bare', 'wrapped'])
def test_reset_password_returns_the_new_password(fake, runner, shape):
    fake.response_shape = shape
    fake.add_user('reporting', password=PASSWORD)
    done = runner.ok(database_user, args(state='reset_password'))
    assert done['changed'] is True and done['password_changed'] is True
    assert done['password'] == fake.generated_passwords()[0] == fake.users()['reporting']['_password']
    assert done['user'] == dict(name='reporting', read_only=False, protected=False, dbms_attributes=SCRAM)
    assert [c.route for c in fake.writes] == ['reset']
    assert_no_secret(done, fake)


def test_reset_password_of_a_missing_user_fails(fake, runner):
    failed = runner.fail(database_user, args(state='reset_password'))
    assert "User 'reporting' does not exist" in failed.msg
    assert failed['failure'] == dict(option='name', user='reporting')
    assert fake.writes == []


def test_check_mode_reset_password_returns_no_password(fake, runner):
    fake.add_user('reporting', password=PASSWORD)
    done = runner.ok(database_user, args(state='reset_password'), check=True)
    assert done['changed'] is True and 'password' not in done
    assert fake.users()['reporting']['_password'] == PASSWORD


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

def test_absent_twice(fake, runner):
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
    fake.calls = []
    second = runner.ok(database_user, args(state='absent'))
    assert second['changed'] is False
    assert second['diff'] == dict(before=dict(name='reporting', state='absent'), after=dict(name='reporting', state='absent'))
    assert fake.writes == []


def test_diff_shows_md5_and_no_encryption_when_absent(fake, runner):
    fake.add_user('reporting', encryption='MD5')
    fake.add_user('mongouser', encryption=None)
    assert runner.ok(database_user, args())['diff']['before']['password_encryption'] == 'MD5'
    assert 'password_encryption' not in runner.ok(database_user, args(name='mongouser'))['diff']['before']


# --- failures through the module ---------------------------------------------------------------

def test_api_failures_return_msg_and_failure(fake, runner):
    failed = runner.fail(database_user, args(name='Reporting_1', password=PASSWORD))
    assert failed['failure']['status'] == 422
    assert failed['failure']['errors'] == {'name': ['is invalid']}
    assert failed['failure']['method'] == 'POST'
    assert 'name is invalid' in failed.msg
    assert_one_line(failed.msg)
    assert_no_secret(failed, fake)


def test_a_password_echoed_by_the_server_never_reaches_the_result(fake, runner):
    fake.script('create', Reply(422, json={'errors': {'password': ['%s is a common password' % PASSWORD]},
                                           'error': 'refused ' + PASSWORD}))
    failed = runner.fail(database_user, args(password=PASSWORD))
    assert failed['failure']['status'] == 422
    assert_no_secret(failed, fake)


LOST = [Reply(503, json={'error': 'unavailable'}), requests.exceptions.ConnectionError('Connection aborted.')]


@pytest.mark.parametrize('lost', LOST)
def test_a_create_that_did_not_land_is_made_once(fake, runner, lost):
    fake.script('create', lost)
    result = runner.run(database_user, args(password=PASSWORD))
    assert result['changed'] is True
    assert fake.routes()[3:] == ['list', 'create', 'list', 'create']
    assert list(fake.users()) == [PROTECTED_USER, 'reporting']
    assert 'password' not in result


@pytest.mark.parametrize('lost', LOST)
def test_a_create_that_landed_is_not_repeated(fake, runner, lost):
    fake.script('create', AfterApplying(lost))
    result = runner.run(database_user, args(password=PASSWORD))
    assert result['changed'] is True and result['user']['name'] == 'reporting'
    assert fake.routes()[3:] == ['list', 'create', 'list']
    assert fake.count('create') == 1
    assert list(fake.users()) == [PROTECTED_USER, 'reporting']


@pytest.mark.parametrize('lost', LOST)
def test_a_generated_password_lost_with_the_answer_is_reset(fake, runner, lost):
    fake.script('create', AfterApplying(lost))
    result = runner.run(database_user, args())
    assert fake.routes()[3:] == ['list', 'create', 'list', 'reset']
    # The first generated password was lost; the one returned is the one the reset made.
    assert result['password'] == fake.generated_passwords()[-1]
    assert len(fake.generated_passwords()) == 2
    assert result['password_changed'] is True


def test_a_name_taken_by_a_concurrent_run_means_present(fake, runner):
    # Another run creates the user between our read and our create.
    fake.script('create', AfterApplying(Reply(422, json={'errors': {'name': ['has already been taken']}})))
    result = runner.run(database_user, args(password=PASSWORD))
    assert result['changed'] is False
    assert result['user']['name'] == 'reporting'
    assert fake.count('create') == 1
    assert list(fake.users()) == [PROTECTED_USER, 'reporting']


def test_a_409_conflict_on_create_also_means_present(fake, runner):
    fake.script('create', AfterApplying(Reply(409, json={'error': 'user already exists'})))
    result = runner.run(database_user, args(password=PASSWORD))
    assert result['changed'] is False
    assert fake.count('create') == 1
    assert list(fake.users()) == [PROTECTED_USER, 'reporting']


def test_a_user_removed_meanwhile_is_named_in_the_failure(fake, runner):
    fake.add_user('reporting')
    fake.script('update', Reply(404, json={'resource': 'database_user', 'error': 'not found'}))
    failed = runner.fail(database_user, args(password=PASSWORD, update_password='always'))
    assert failed['failure']['status'] == 404
    assert 'The user was not found' in failed.msg
    assert fake.count('update') == 1


def test_a_name_taken_but_not_listed_fails(fake, runner):
    fake.script('create', Reply(422, json={'errors': {'name': ['has already been taken']}}))
    failed = runner.fail(database_user, args(password=PASSWORD))
    assert failed['failure']['status'] == 422
    assert fake.count('create') == 1


@pytest.mark.parametrize('lost', LOST)
def test_a_password_change_with_a_lost_answer_is_checked_then_sent_once_more(fake, runner, lost):
    fake.add_user('reporting')
    fake.script('update', AfterApplying(lost))
    result = runner.run(database_user, args(password=PASSWORD, update_password='always'))
    assert fake.routes()[3:] == ['list', 'update', 'list', 'update']
    assert result['password_changed'] is True


def test_a_reset_with_a_lost_answer_is_made_again_to_return_a_working_password(fake, runner):
    fake.add_user('reporting')
    fake.script('reset', AfterApplying(Reply(502, text='Bad gateway')))
    result = runner.run(database_user, args(state='reset_password'))
    assert fake.routes()[3:] == ['list', 'reset', 'list', 'reset']
    assert result['password'] == fake.generated_passwords()[-1]


def test_a_write_for_a_user_gone_meanwhile_is_not_sent_again(fake, runner):
    fake.add_user('reporting')
    fake.script('update', Reply(503, json={'error': 'unavailable'}))
    present = dict(name='reporting', read_only=False, protected=False, dbms_attributes={})
    fake.script('list', Reply(200, json={'database-users': [present]}), Reply(200, json={'database-users': []}))
    failed = runner.fail(database_user, args(password=PASSWORD, update_password='always'))
    assert failed['failure']['uncertain'] is True
    assert fake.count('update') == 1


@pytest.mark.parametrize('landed, routes', [
    (True, ['list', 'delete', 'list']),
    (False, ['list', 'delete', 'list', 'delete']),
])
def test_a_delete_with_a_lost_answer_is_checked_then_sent_again_only_if_needed(fake, runner, landed, routes):
    fake.add_user('reporting')
    lost = Reply(502, text='Bad gateway')
    fake.script('delete', AfterApplying(lost) if landed else lost)
    result = runner.run(database_user, args(state='absent'))
    assert result['changed'] is True
    assert fake.routes()[3:] == routes
    assert list(fake.users()) == [PROTECTED_USER]


def test_rate_limit_forever_fails_with_try_later(fake, runner, clock):
    fake.script('list', *[Reply(429, text='Retry later')] * 30)
    failed = runner.fail(database_user, args(max_wait=30))
    assert 'try again later' in failed.msg
    assert failed['failure']['status'] == 429
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0] and fake.count('list') == 5  # 16 more would pass max_wait
    assert fake.writes == []


def test_server_error_keeps_the_request_id(fake, runner):
    fake.script('list', Reply(500, json={'error': 'internal'}, headers={'X-Request-Id': 'req-unit-0042'}))
    failed = runner.fail(database_user, args())
    assert failed['failure']['request_id'] == 'req-unit-0042'
    assert failed['failure']['status'] == 500
    assert failed['failure']['message'] == 'internal'


def test_html_error_body_gives_a_clean_message(fake, runner):
    fake.script('addons', Reply(404, text='<html><body><h1>Not Found</h1>' + 'x' * 500 + '</body></html>',
                                headers={'Content-Type': 'text/html'}))
    failed = runner.fail(database_user, args())
    assert failed.msg.startswith('Scalingo answered HTTP 404 to GET https://api.osc-fr1.scalingo.com/v1/apps/my-app/addons.')
    assert "App 'my-app' was not found" in failed.msg
    assert '<' not in failed.msg and failed['failure']['message'] is None
    assert 'exception' not in failed.result
    assert_one_line(failed.msg)


def test_secrets_echoed_by_every_service_stay_hidden(fake, runner):
    fake.script('exchange', Reply(429, json={'error': 'slow down %s' % API_TOKEN}, headers={'Retry-After': '1'}))
    fake.script('addon_token', *[Reply(401, json={'error': 'bad bearer %s' % BEARER, 'errors': {'token': [BEARER]}})] * 2)
    failed = runner.fail(database_user, args())
    assert failed['failure']['status'] == 401
    assert_no_secret(failed, fake)
    fake.calls = []
    fake.script('list', Reply(403, text='forbidden for %s' % DB_TOKEN))
    failed = runner.fail(database_user, args())
    assert failed['failure']['status'] == 403
    assert failed['failure']['message'] == 'forbidden for ********'
    assert_no_secret(failed, fake)


# --- invalid input -----------------------------------------------------------------------------

INVALID = [
    (dict(name='short'), 'name'),
    (dict(name='x' * 33), 'name'),
    (dict(name='bad.name'), 'name'),
    (dict(name='bad name here'), 'name'),
    (dict(name='reporting\n'), 'name'),
    (dict(password='x' * 23), 'password'),
    (dict(password='x' * 65), 'password'),
    (dict(password='quoted-"password"-that-is-long'), 'password'),
    (dict(password="quoted-'password'-that-is-long"), 'password'),
    (dict(state='reset_password', password=PASSWORD), 'password'),
    (dict(recreate=True), 'recreate'),
    (dict(update_password='always'), 'update_password'),
    (dict(region='osc fr1'), 'region'),
    (dict(region='osc-fr1\n'), 'region'),
    (dict(auth_url='ftp://auth.example.test'), 'auth_url'),
    (dict(api_url='https://user:pw@api.example.test'), 'api_url'),
    (dict(db_api_url='https://db.example.test/api?token=x'), 'db_api_url'),
    (dict(db_api_url='https://db.example.test:99999999'), 'db_api_url'),
    (dict(addon=None), 'addon'),
    (dict(addon='redis'), 'addon'),
    (dict(addon='elasticsearch'), 'addon'),
    (dict(addon='opensearch'), 'addon'),
    (dict(addon='pgsql'), 'addon'),
    (dict(app=None), 'app'),
    (dict(app='bad/app'), 'app'),
    (dict(api_token=None), 'api_token'),
    (dict(database_token=DB_TOKEN, addon='postgresql'), 'addon'),
    (dict(timeout=0), 'timeout'),
    (dict(timeout=-1), 'timeout'),
]


@pytest.mark.parametrize('overrides, option', INVALID, ids=['%s-%d' % (o, i) for i, (d, o) in enumerate(INVALID)])
def test_invalid_input_fails_before_any_request(fake, runner, overrides, option):
    task = args(**overrides)
    task = dict((k, v) for k, v in task.items() if v is not None)
    failed = runner.fail(database_user, task)
    assert fake.calls == []
    assert failed['failure'] == dict(option=option)
    assert option in failed.msg
    assert_one_line(failed.msg)
    assert_no_secret(failed, fake)


@pytest.mark.parametrize('overrides', [dict(state='gone'), dict(update_password='never'), dict(timeout='soon'),
                                       dict(unknown_option=True), dict(name=None)])
def test_arguments_ansible_refuses_send_no_request(fake, runner, overrides):
    task = dict((k, v) for k, v in args(**overrides).items() if v is not None)
    failed = runner.fail(database_user, task)
    assert fake.calls == []
    assert_no_secret(failed, fake)


def test_aliases_of_name(fake, runner):
    task = args()
    del task['name']
    task['username'] = 'reporting'
    done = runner.ok(database_user, task)
    assert done['user']['name'] == 'reporting'
    task = dict(task, user=task.pop('username'))
    assert runner.ok(database_user, task)['changed'] is False
