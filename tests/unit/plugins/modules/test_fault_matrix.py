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

One case is out of any client's reach: a server that changes a password and answers that it refused to. A password
cannot be read back, so the task reports the refusal; the matrix checks that it does, honestly.
"""

import http.client
import itertools

import pytest

from ansible_collections.scalingo.cloud.plugins.modules import database_user
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
    Reply,
    leaked,
)

NAME = 'reporting'
STATUSES = [400, 401, 403, 404, 409, 422, 429, 500, 502, 503]
REFUSALS = (400, 403, 404, 409, 422)


def _existing(read_only=False):
    def setup(fake):
        fake.add_user(NAME, read_only=read_only, password=PASSWORD)
    return setup


def _absent(fake):
    pass


# step: (setup, task, route faulted, what the user must be after a success: (read_only, password) or None)
# A password of None in the goal means "the one the task returned".
STEPS = {
    'exchange': (_absent, dict(password=PASSWORD), 'exchange', (False, PASSWORD)),
    'database token': (_absent, dict(password=PASSWORD), 'addon_token', (False, PASSWORD)),
    'list': (_absent, dict(password=PASSWORD), 'list', (False, PASSWORD)),
    'create': (_absent, dict(), 'create', (False, None)),
    'create with a password': (_absent, dict(password=PASSWORD), 'create', (False, PASSWORD)),
    'change password': (_existing(), dict(password=PASSWORD2, update_password='always'), 'update', (False, PASSWORD2)),
    'reset': (_existing(), dict(state='reset_password'), 'reset', (False, None)),
    'delete': (_existing(), dict(state='absent'), 'delete', None),
    'recreate: delete': (_existing(), dict(read_only=True, recreate=True), 'delete', (True, None)),
    'recreate: create': (_existing(), dict(read_only=True, recreate=True), 'create', (True, None)),
    'recreate with a password: create': (_existing(), dict(read_only=True, recreate=True, password=PASSWORD2),
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
    return dict((name, (data['read_only'], data['_password'])) for name, data in fake.users().items())


def _hidden_creation(step, fault, applied):
    """A creation applied by a server that answered "name taken" (409) at the first attempt: it looks like another run
    creating the user meanwhile. The task can then only say so, and cannot know the user's password."""
    return step in ('create', 'create with a password') and fault == 409 and applied == 'applied'


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
        assert result['changed'] == (end != start) or someone_else, context
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
