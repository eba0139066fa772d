# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fault matrix: every step of database_user x every way an answer can go wrong x whether the server applied
the request, each run checking that what the task reports is what the server holds afterwards.

A step is one request of a task (the token exchange, the database token, the users list, each kind of write, and the
two writes of a recreation); the fault hits its first occurrence. "applied" means the server did the work and then
the answer went wrong; "late" (timeouts only) that it did the work after the client gave up, when the next request
arrived.

What must hold, whatever the fault:
- a task that succeeds leaves the user as it asked, and a password it returns (or was given) is the user's password;
- ``changed`` is true exactly when the users or a password differ afterwards. A task that could not know (the server
  applied a creation and answered "name taken") says so in a warning;
- a failure says it may have been applied (``failure.uncertain``) when it may; otherwise nothing changed, or
  ``changed`` is true and the message says what was done;
- no token and no password in any form, anywhere but the ``password`` key.

Race rows: while the task waits out a rate limit (429) or renews a refused token (401), another run creates or removes
the user. A refused request was not applied, so what the task then meets is that run's doing: it says so, and leaves
that user as it is.

One case is out of any client's reach: a server that changes a password and answers that it refused to. A password
cannot be read back, so the task reports the refusal; the matrix checks that it does, honestly.
"""

import http.client
import itertools

import pytest

from ansible_collections.scalingo.cloud.plugins.modules import database_user, database_users
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    API_TOKEN,
    APP,
    DROPPED,
    PASSWORD,
    PASSWORD2,
    SECRETS,
    TIMEOUT,
    AfterApplying,
    Late,
    Race,
    Reply,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import existing, leaked, nothing

NAME = 'reporting'
LOST = Reply(500, json={'error': 'Internal Server Error'})
STATUSES = [400, 401, 403, 404, 409, 422, 429, 500, 502, 503]
REFUSALS = (400, 403, 404, 409, 422)


# step: (setup, task, route faulted, what the user must be after a success: (read_only, password) or None)
# A password of None in the goal means "the one the task returned".
STEPS = {
    'exchange': (nothing, dict(password=PASSWORD), 'exchange', (False, PASSWORD)),
    'database token': (nothing, dict(password=PASSWORD), 'addon_token', (False, PASSWORD)),
    'list': (nothing, dict(password=PASSWORD), 'list', (False, PASSWORD)),
    'create': (nothing, dict(), 'create', (False, None)),
    'create with a password': (nothing, dict(password=PASSWORD), 'create', (False, PASSWORD)),
    'change password': (existing(), dict(password=PASSWORD2, update_password='always'), 'update', (False, PASSWORD2)),
    'reset': (existing(), dict(state='reset_password'), 'reset', (False, None)),
    'delete': (existing(), dict(state='absent'), 'delete', None),
    'recreate: delete': (existing(), dict(read_only=True, recreate=True), 'delete', (True, None)),
    'recreate: create': (existing(), dict(read_only=True, recreate=True), 'create', (True, None)),
    'recreate with a password: create': (existing(), dict(read_only=True, recreate=True, password=PASSWORD2),
                                         'create', (True, PASSWORD2)),
}


def _reply(status):
    """What Scalingo, or a gateway in front of it, answers with ``status``."""
    if status == 429:
        return Reply(429, text='Retry later')
    if status in (502, 503):
        return Reply(status, text='<html><body><h1>%d</h1></body></html>' % status, headers={'Content-Type': 'text/html'})
    if status == 404:
        return Reply(404, json={'resource': 'database_user', 'error': 'not found'})
    return Reply(status, json={'error': http.client.responses[status]}, headers={'X-Request-Id': 'req-matrix'})


def _failure(fault):
    return {'dropped': DROPPED, 'timeout': TIMEOUT}.get(fault) or _reply(fault)


CASES = [(step, fault, applied)
         for step, fault in itertools.product(sorted(STEPS), ['dropped', 'timeout'] + STATUSES)
         for applied in (['not applied', 'applied', 'late'] if fault == 'timeout' else ['not applied', 'applied'])]


def _state(fake):
    return dict((name, (data.read_only, data.password)) for name, data in fake.users().items())


def _hidden_creation(step, fault, applied):
    """A creation applied by a server that refused it: "name taken" (409), or a refusal that the task sends again
    after (429, 401 with a new token), to be told "name taken". It looks like another run creating the user meanwhile:
    a refused request was not applied. The task can then only say so, and cannot know the user's password."""
    return STEPS[step][2] == 'create' and fault in (401, 409, 429) and applied == 'applied'


def _hidden_deletion(step, fault, applied):
    """A deletion applied by a server that refused it (any 4xx, a 429 or 401 sent again to be told "not found"): it
    looks like another run removing the user meanwhile, and the task says so."""
    return STEPS[step][2] == 'delete' and (fault in REFUSALS or fault in (401, 429)) and applied == 'applied'


def _undetectable(step, fault, applied):
    """A password changed by a server that answered it refused to: nothing the client can read shows it."""
    return STEPS[step][2] in ('update', 'reset') and fault in REFUSALS and applied == 'applied'


@pytest.mark.parametrize('step, fault, applied', CASES, ids=['%s-%s-%s' % case for case in CASES])
def test_what_the_task_reports_is_what_the_server_holds(fake, runner, step, fault, applied):
    setup, task, route, goal = STEPS[step]
    setup(fake)
    failure = _failure(fault)
    fake.script(route, {'not applied': failure, 'applied': AfterApplying(failure), 'late': Late(failure)}[applied])
    start = _state(fake)
    args = dict(api_token=API_TOKEN, app=APP, addon='postgresql', name=NAME, **task)
    outcome = runner.run(database_user, args)
    end = _state(fake)
    result = outcome.result
    context = (step, fault, applied, result, outcome.warnings, start, end)

    # No secret anywhere, in any form, but the generated password under "password".
    shown = dict(result)
    returned = shown.pop('password', None)
    assert not leaked([shown, outcome.warnings], list(SECRETS) + fake.generated_passwords()), context

    if not outcome.failed:
        someone_else = any('created by someone else' in w for w in outcome.warnings)
        assert someone_else == _hidden_creation(step, fault, applied), context
        removed_by_another = any('removed by someone else' in w for w in outcome.warnings)
        assert removed_by_another == _hidden_deletion(step, fault, applied), context
        if goal is None:
            assert NAME not in end, context
        else:
            read_only, password = goal
            assert end.get(NAME, (None,))[0] == read_only, context
            assert result['user']['name'] == NAME and result['user']['read_only'] == read_only, context
            if someone_else:
                assert returned is None, context
            else:
                expected = password or returned
                assert expected and end[NAME][1] == expected, context
        assert result['changed'] == (end != start) or someone_else or (removed_by_another and step == 'delete'), context
        return

    message = result['msg']
    assert message and '\n' not in message and 'Traceback' not in message, context
    if result['failure']['uncertain']:
        assert 'may have been applied' in message or 'may still apply it later' in message, context
        return
    assert 'may have been applied' not in message, context
    if _undetectable(step, fault, applied):
        assert result['changed'] is False and 'HTTP %s' % fault in message, context
        return
    assert result['changed'] is (end != start), context
    if result['changed']:
        assert 'was deleted' in message or 'was created' in message, context


# --- races: another run changes the user while the task waits out a refusal ----------------------------------------

OTHER_RUN_PASSWORD = 'pw-other-run-Mk2Nj5Bh8Vg1Cf4Xd7Sz0Aq3'


def _another_run_creates(read_only):
    def change(fake):
        fake.add_user(NAME, read_only=read_only, password=OTHER_RUN_PASSWORD)
    return change


def _another_run_removes(fake):
    fake.users().pop(NAME, None)


RACES = ([(step, fault, 'creates') for step in sorted(STEPS) if STEPS[step][2] == 'create' for fault in (401, 429)]
         + [(step, 429, 'removes') for step in sorted(STEPS) if STEPS[step][2] in ('update', 'reset', 'delete')])


@pytest.mark.parametrize('step, fault, race', RACES, ids=['%s-%s-another run %s it' % case for case in RACES])
def test_what_another_run_did_while_a_refusal_was_waited_out_is_left_to_it(fake, runner, step, fault, race):
    setup, task, route, goal = STEPS[step]
    setup(fake)
    change = _another_run_creates(goal[0]) if race == 'creates' else _another_run_removes
    fake.script(route, Race(_failure(fault), change))
    outcome = runner.run(database_user, dict(api_token=API_TOKEN, app=APP, addon='postgresql', name=NAME, **task))
    result, end = outcome.result, _state(fake)
    context = (step, fault, race, result, outcome.warnings, end)
    secrets = list(SECRETS) + fake.generated_passwords() + [OTHER_RUN_PASSWORD]
    shown = dict((key, value) for key, value in result.items() if key != 'password')
    assert not leaked([shown, outcome.warnings], secrets), context

    if race == 'creates':
        # Nothing created, no password returned nor reset: that run's user, as it made it.
        assert not outcome.failed, context
        assert any('created by someone else' in warning for warning in outcome.warnings), context
        assert end[NAME] == (goal[0], OTHER_RUN_PASSWORD) and 'password' not in result, context
        assert fake.count('reset') == 0 and result['password_changed'] is False, context
        assert result['changed'] is step.startswith('recreate'), context  # a recreation did delete the first user
        return
    if step.startswith('recreate'):
        # Removed by that run instead of this task: created again all the same, with the password the task returns.
        assert not outcome.failed and result['changed'] is True, context
        assert any('removed by someone else' in warning for warning in outcome.warnings), context
        assert end[NAME] == (goal[0], goal[1] or result['password']), context
        return
    assert NAME not in end, context
    if route == 'delete':
        assert not outcome.failed and result['changed'] is False, context
        assert any('removed by someone else' in warning for warning in outcome.warnings), context
    else:
        assert outcome.failed and result['changed'] is False and result['failure']['uncertain'] is False, context
        assert 'HTTP 404' in result['msg'], context


# --- a write that landed, whose answer was lost, and whose resend was refused -------------------------------------

@pytest.mark.parametrize('refusal, max_wait', [(Reply(422, json={'errors': {'password': ['is invalid']}}), 120),
                                               (Reply(403, json={'error': 'forbidden'}), 120),
                                               (Reply(429, text='Retry later'), 0)],
                         ids=['422', '403', '429 past the budget'])
@pytest.mark.parametrize('task, route', [(dict(state='reset_password'), 'reset'),
                                         (dict(password=PASSWORD2, update_password='always'), 'update')])
def test_a_write_that_landed_and_whose_resend_was_refused_is_uncertain(fake, runner, task, route, refusal, max_wait):
    fake.add_user(NAME, password=PASSWORD)
    fake.script(route, AfterApplying(LOST), refusal)
    failed = runner.fail(database_user, dict(api_token=API_TOKEN, app=APP, addon='postgresql', name=NAME, max_wait=max_wait, **task))
    assert fake.users()[NAME].password != PASSWORD  # the first one landed
    assert fake.count(route) == 2
    assert failed['failure']['uncertain'] is True and 'password' not in failed
    assert 'may have been applied' in failed.msg and 'sending it again failed' in failed.msg
    assert ('state=reset_password' if route == 'reset' else 'run the task again') in failed.msg
    assert not leaked(failed.result, list(SECRETS) + fake.generated_passwords())


# --- a creation Scalingo confirms under another name ----------------------------------------------------------------

def _created_as(name):
    """Scalingo creates the user under ``name`` (case-folded, say) and answers 201 with that name."""
    def change(fake):
        fake.add_user(name, password='gen-pw-unit-renamed-Qa1Ws2Ed3Rf4Tg5Yh6')
    return Race(Reply(201, json={'name': name, 'read_only': False, 'protected': False,
                                 'password': 'gen-pw-unit-renamed-Qa1Ws2Ed3Rf4Tg5Yh6'}), change)


def test_a_creation_confirmed_under_another_name_is_a_change_naming_it(fake, runner):
    fake.script('create', _created_as('mixedcase1'))
    failed = runner.fail(database_user, dict(api_token=API_TOKEN, app=APP, addon='postgresql', name='MixedCase1'))
    assert failed['changed'] is True and 'mixedcase1' in fake.users()
    assert "as 'mixedcase1', not 'MixedCase1'" in failed.msg
    assert 'gen-pw-unit-renamed' not in str(failed.result)


def test_database_users_reports_the_name_scalingo_used(fake, runner):
    fake.script('create', _created_as('mixedcase1'))
    failed = runner.fail(database_users, dict(api_token=API_TOKEN, app=APP, addon='postgresql', users=[dict(name='MixedCase1'), dict(name='later-one')]))
    assert failed['changed'] is True and failed['created'] == ['mixedcase1']
    assert 'mixedcase1' in [user['name'] for user in failed['users']]
    assert "as 'mixedcase1', not 'MixedCase1'" in failed.msg and 'later-one (create)' in failed.msg
    assert 'later-one' not in fake.users()
