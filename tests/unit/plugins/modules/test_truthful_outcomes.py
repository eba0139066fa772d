# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""database_user tells the truth under faults: what it did, what may still happen, and nothing secret.

Each test names a way the module once reported something other than what the server held, or showed a secret.
"""

import base64

import pytest

from ansible_collections.scalingo.cloud.plugins.module_utils import _connection
from ansible_collections.scalingo.cloud.plugins.modules import database_user
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    API_TOKEN,
    BEARER,
    DB_TOKEN,
    DROPPED,
    PASSWORD,
    PASSWORD2,
    REFUSED,
    TIMEOUT,
    AfterApplying,
    Late,
    Reply,
    Trickle,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import assert_no_secret, user_task as args

UNAVAILABLE = Reply(503, text='<html><body>Service Unavailable</body></html>', headers={'Content-Type': 'text/html'})
TAKEN = Reply(422, json={'errors': {'name': ['has already been taken']}})


# --- 1. a recreation that deleted, then could not create ---------------------------------------------------------

def test_a_recreation_that_deleted_but_could_not_create_says_so_and_reports_a_change(fake, runner):
    fake.add_user('reporting', password=PASSWORD)
    fake.script('create', UNAVAILABLE, UNAVAILABLE)
    failed = runner.fail(database_user, args(read_only=True, recreate=True))
    assert failed['changed'] is True
    assert "User 'reporting' was deleted to be recreated read-only, but it was not created again" in failed.msg
    assert 'Run the task again: it creates the user.' in failed.msg
    assert 'reporting' not in fake.users()
    assert_no_secret(failed, fake)


def test_a_recreation_whose_creation_is_answered_taken_leaves_that_user_to_whoever_made_it(fake, runner):
    """Between this task's deletion and its creation, a "name taken" at the first attempt is another run's user (or a
    server that applied the creation and refused it, which no client can tell apart): it is left as it is, with a
    warning, and no password is returned or reset."""
    fake.add_user('reporting', password=PASSWORD)
    fake.script('create', AfterApplying(TAKEN))
    done = runner.ok(database_user, args(read_only=True, recreate=True))
    assert done['changed'] is True and 'password' not in done
    assert any('created by someone else' in warning for warning in done.warnings)
    assert fake.count('delete') == 1 and fake.count('create') == 1 and fake.count('reset') == 0


# --- 2. writes that land after the module gave up ----------------------------------------------------------------

def test_a_recreation_whose_deletion_lands_late_creates_only_once_it_landed(fake, runner, clock):
    # Without waiting for the deletion, the new user would be created first, then removed by the late deletion.
    fake.add_user('reporting', password=PASSWORD)
    fake.script('delete', Late(TIMEOUT, after=3))
    done = runner.ok(database_user, args(read_only=True, recreate=True, password=PASSWORD2))
    assert done['changed'] is True and done['waited_seconds'] == 3.0
    assert done.warnings == ['The task waited 3 seconds in all, for a deletion still landing, twice (3 s).']
    assert fake.users()['reporting'].read_only is True and fake.users()['reporting'].password == PASSWORD2
    assert fake.count('delete') == 1, 'a deletion that may still land was sent again'
    assert clock.sleeps == [1.0, 2.0]


def test_a_deletion_that_never_lands_fails_saying_it_still_may(fake, runner, clock):
    fake.add_user('reporting', password=PASSWORD)
    fake.script('delete', TIMEOUT)
    failed = runner.fail(database_user, args(state='absent'))
    assert failed['failure']['uncertain'] is True and failed['changed'] is False
    assert 'Scalingo may still apply it later' in failed.msg
    assert any('may still delete it later' in w for w in failed.warnings)
    assert fake.count('delete') == 1 and sum(clock.sleeps) <= _connection.DEFAULT_MAX_WAIT
    assert 'reporting' in fake.users()


def test_a_reset_that_times_out_returns_no_password_a_late_reset_would_undo(fake, runner):
    fake.add_user('reporting', password=PASSWORD)
    fake.script('reset', Late(TIMEOUT))
    failed = runner.fail(database_user, args(state='reset_password'))
    assert 'password' not in failed.result and failed['failure']['uncertain'] is True
    assert 'run the task again in a minute' in failed.msg and failed.msg.count('may still apply it later') == 1
    assert any('may still apply it later' in w for w in failed.warnings)
    assert fake.count('reset') == 1, 'a reset that may still land was sent again'


def test_a_creation_that_lands_late_is_sent_once_more_and_the_late_one_is_refused(fake, runner):
    fake.script('create', Late(TIMEOUT, after=2))  # lands after the module's read, before its second creation
    done = runner.ok(database_user, args(password=PASSWORD))
    assert done['changed'] is True
    assert [c.status for c in fake.select('create')] == [None, 422]
    assert fake.users()['reporting'].password == PASSWORD


# --- 3. answers of the wrong types ---------------------------------------------------------------------------------

@pytest.mark.parametrize('listed, expected', [
    (dict(name='reporting', read_only='false', protected=False), '"read_only" as true or false'),
    (dict(name='reporting', read_only=False), '"protected" as true or false'),
    (dict(name='reporting', read_only=False, protected='no'), '"protected" as true or false'),
    (dict(name=['reporting'], read_only=False, protected=False), '"name" as a non-empty string'),
    (dict(name='reporting', read_only=False, protected=False, dbms_attributes='md5'), '"dbms_attributes" as an object'),
    (dict(name='reporting', read_only=False, protected=False, dbms_attributes={'password_encryption': 5}), '{"password_encryption"} as a string'),
])
def test_a_listed_user_of_the_wrong_types_fails_before_any_write(fake, runner, listed, expected):
    fake.script('list', Reply(200, json={'database-users': [listed]}))
    for task in (args(state='absent'), args(read_only=True, recreate=True), args(state='reset_password')):
        failed = runner.fail(database_user, task)
        assert 'unexpected shape (expected users with' in failed.msg and expected in failed.msg
        assert '/api/databases/' in failed.msg and failed['changed'] is False
        fake.script('list', Reply(200, json={'database-users': [listed]}))
    assert fake.writes == []


def test_a_password_of_the_wrong_type_in_a_creation_answer_is_replaced_by_one_that_works(fake, runner):
    answer = {'name': 'reporting', 'read_only': False, 'protected': False, 'password': ['x']}
    fake.script('create', AfterApplying(Reply(201, json=answer)))
    done = runner.ok(database_user, args())
    assert done['changed'] is True
    assert done['password'] == fake.users()['reporting'].password and fake.count('reset') == 1


# --- 4. secrets in the forms a server echoes them -----------------------------------------------------------------

def test_the_basic_credentials_echoed_back_are_redacted(fake, runner):
    basic = base64.b64encode((':' + API_TOKEN).encode()).decode()
    fake.script('exchange', Reply(401, json={'error': 'bad credentials: Basic %s' % basic,
                                             'errors': {'authorization': ['Basic ' + basic]}}))
    failed = runner.fail(database_user, args())
    assert basic not in str(failed.result) and basic.rstrip('=') not in str(failed.result)
    assert '********' in failed.msg


@pytest.mark.parametrize('route, token', [('addon_token', BEARER), ('list', DB_TOKEN)])
def test_a_proxy_echoing_the_authorization_header_in_the_request_id_is_redacted(fake, runner, route, token):
    refused = Reply(403, json={'error': 'forbidden'}, headers={'X-Request-Id': 'Bearer %s' % token})
    fake.script(route, refused)
    failed = runner.fail(database_user, args())
    assert failed['failure']['request_id'] == 'Bearer ********'
    assert token not in str(failed.result)


def test_a_password_with_a_backslash_echoed_in_a_422_is_redacted_in_every_form(fake, runner):
    password = 'pw-unit-back\\slash-Qz8Lm2Xc7Vb4Nn1Rr6Tt'
    fake.script('create', Reply(422, json={'errors': {'password': ['%s is too common' % password],
                                                      'nested': {'deeper': [password]}}}))
    failed = runner.fail(database_user, args(password=password))
    text = repr(failed.result) + str(failed.result) + failed.msg
    for form in (password, password.replace('\\', '\\\\')):
        assert form not in text
    assert failed['failure']['errors']['password'] == ['******** is too common']


def test_a_secret_echoed_in_a_success_answer_never_reaches_the_result(fake, runner):
    fake.script('create', AfterApplying(Reply(201, json={
        'name': 'reporting', 'read_only': False, 'protected': False,
        'dbms_attributes': {'password_encryption': 'SCRAM-SHA-256', 'echo': 'token %s' % DB_TOKEN}})))
    done = runner.ok(database_user, args(password=PASSWORD))
    assert DB_TOKEN not in str(done.result)
    assert done['user']['dbms_attributes']['echo'] == 'token ********'


# --- 5. a creation answer without the password Scalingo generated ----------------------------------------------

def test_a_generated_password_lost_and_not_reset_fails_saying_the_user_was_created(fake, runner):
    fake.script('create', AfterApplying(Reply(201, json={'name': 'reporting', 'read_only': False, 'protected': False})))
    fake.script('reset', Reply(403, json={'error': 'forbidden'}))
    failed = runner.fail(database_user, args())
    assert failed['changed'] is True and 'reporting' in fake.users()
    assert "User 'reporting' was created, but the password Scalingo generated was not returned" in failed.msg
    assert 'Run the task with state=reset_password.' in failed.msg


# --- 6. a deletion answered 404 while the user is still listed (gone meanwhile: test_fault_matrix) --------------------

def test_a_deletion_answered_404_while_the_user_is_still_listed_fails(fake, runner):
    fake.add_user('reporting', password=PASSWORD)
    fake.script('delete', Reply(404, json={'resource': 'database_user', 'error': 'not found'}))
    failed = runner.fail(database_user, args(state='absent'))
    assert failed['changed'] is False and 'reporting' in fake.users()
    assert "answered HTTP 404 to DELETE" in failed.msg and "still lists user 'reporting'" in failed.msg


# --- 7. token requests, and requests never sent --------------------------------------------------------------------

@pytest.mark.parametrize('route', ['exchange', 'addon_token'])
@pytest.mark.parametrize('failure', [UNAVAILABLE, DROPPED], ids=['503', 'dropped'])
def test_token_requests_are_sent_again_like_reads(fake, runner, clock, route, failure):
    fake.script(route, failure)
    done = runner.ok(database_user, args(password=PASSWORD))
    assert done['changed'] is True and fake.count(route) == 2 and clock.sleeps == [1.0]


@pytest.mark.parametrize('route, task', [('create', args(password=PASSWORD)), ('delete', args(state='absent')),
                                         ('reset', args(state='reset_password'))])
def test_a_write_that_never_left_is_sent_again(fake, runner, clock, route, task):
    if route != 'create':
        fake.add_user('reporting', password=PASSWORD)
    fake.script(route, REFUSED, REFUSED)
    done = runner.ok(database_user, task)
    assert done['changed'] is True and fake.count(route) == 3 and clock.sleeps == [1.0, 2.0]


def test_a_write_that_never_left_is_never_called_uncertain(fake, runner):
    fake.script('create', *[REFUSED] * 10)
    failed = runner.fail(database_user, args(password=PASSWORD))
    assert failed['failure']['uncertain'] is False and failed['changed'] is False
    assert 'may have been applied' not in failed.msg
    assert 'connection refused' in failed.msg and 'Gave up after 5 attempts' in failed.msg
    assert fake.count('create') == 5 and 'reporting' not in fake.users()


# --- 8. one budget of waiting per task, and a deadline on each whole answer -----------------------------------------

def test_the_waiting_budget_is_shared_by_every_step_of_a_task(fake, runner, clock):
    slow_down = Reply(429, text='Retry later', headers={'Retry-After': '50'})
    fake.script('exchange', slow_down)
    fake.script('addon_token', slow_down)
    fake.script('list', slow_down)
    failed = runner.fail(database_user, args(password=PASSWORD))
    assert clock.sleeps == [50.0, 50.0], 'each step waited as if it were alone'
    assert failed['failure']['status'] == 429 and fake.writes == []


def test_an_answer_trickled_slower_than_the_timeout_fails_at_the_timeout(fake, runner):
    # About 90 bytes, one every 0.05 s: some 4.5 s to read, with a timeout of 0.5 s for the whole answer.
    fake.script('list', Trickle(Reply(200, json={'database-users': [dict(name='x' * 40, read_only=False,
                                                                         protected=True)]}), 0.05))
    failed = runner.fail(database_user, args(timeout=0.5))
    assert 'timed out after 0.5 seconds' in failed.msg and failed['failure']['uncertain'] is False
