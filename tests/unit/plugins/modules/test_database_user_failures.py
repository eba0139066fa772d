# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""scalingo.cloud.database_user, run in-process against the fake Scalingo: failures, as the module reports them,
and invalid input."""

import pytest
import requests

from ansible_collections.scalingo.cloud.plugins.modules import database_user
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    API_TOKEN,
    APP,
    BEARER,
    DB_TOKEN,
    PASSWORD,
    PROTECTED_USER,
    AfterApplying,
    Reply,
    assert_no_secret,
)


def args(**overrides):
    values = dict(api_token=API_TOKEN, app=APP, addon='postgresql', name='reporting')
    values.update(overrides)
    return values


def assert_one_line(msg):
    assert msg and '\n' not in msg.strip() and 'Traceback' not in msg


# --- failures through the module ---------------------------------------------------------------

def test_api_failures_return_msg_and_failure(fake, runner):
    failed = runner.fail(database_user, args(name='Reporting_1', password=PASSWORD))
    assert failed['failure']['status'] == 422
    assert failed['failure']['errors'] == {'name': [
        'is invalid: must contain only lowercase letters, digits and hyphens, without leading, trailing or double hyphens']}
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
    (dict(update_password='always'), 'update_password'),
    (dict(region='osc fr1'), 'region'),
    (dict(region='osc-fr1\n'), 'region'),
    (dict(auth_url='ftp://auth.example.test'), 'auth_url'),
    (dict(api_url='https://user:pw@api.example.test'), 'api_url'),
    (dict(db_api_url='https://db.example.test/api?token=x'), 'db_api_url'),
    (dict(db_api_url='https://db.example.test:99999999'), 'db_api_url'),
    (dict(addon='redis'), 'addon'),
    (dict(addon='elasticsearch'), 'addon'),
    (dict(addon='opensearch'), 'addon'),
    (dict(addon='pgsql'), 'addon'),
    (dict(app=None), 'app'),
    (dict(app='bad/app'), 'app'),
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
