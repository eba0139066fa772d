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
    PASSWORD,
    PROTECTED_USER,
    AfterApplying,
    Reply,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import assert_no_secret, user_task as args
from ansible_collections.scalingo.cloud.tests.unit.plugins.module_runner import assert_one_line


# --- failures through the module ---------------------------------------------------------------

def test_api_failures_return_msg_and_failure(fake, runner):
    failed = runner.fail(database_user, args(name='Reporting_1', password=PASSWORD))
    assert failed['failure']['status'] == 422
    assert failed['failure']['errors'] == {'name': [
        'is invalid: must contain only lowercase letters, digits and hyphens, without leading, trailing or double hyphens']}
    assert failed['failure']['method'] == 'POST'
    assert 'name is invalid' in failed.msg and 'see failure.errors' in failed.msg
    assert_one_line(failed.msg)
    assert_no_secret(failed, fake)


LOST = [Reply(503, json={'error': 'unavailable'}), requests.exceptions.ConnectionError('Connection aborted.')]
BAD_GATEWAY = Reply(502, text='Bad gateway')
TAKEN = Reply(422, json={'errors': {'name': ['has already been taken']}})


def _recoveries():
    """(user there first, task, route, scripted failure, routes after the first list, changed): a write whose answer
    was lost (or that landed, answered "name taken" by a concurrent run) is checked by reading the users again, then
    sent again only if it did not land; a generated password lost with the answer is reset."""
    for index, lost in enumerate(LOST):
        yield 'create not landed %d' % index, False, dict(password=PASSWORD), 'create', lost, ['create', 'list', 'create'], True
        yield 'create landed %d' % index, False, dict(password=PASSWORD), 'create', AfterApplying(lost), ['create', 'list'], True
        yield 'generated lost %d' % index, False, dict(), 'create', AfterApplying(lost), ['create', 'list', 'reset'], True
        yield ('update landed %d' % index, True, dict(password=PASSWORD, update_password='always'), 'update',
               AfterApplying(lost), ['update', 'list', 'update'], True)
    yield 'name taken', False, dict(password=PASSWORD), 'create', AfterApplying(TAKEN), ['create', 'list'], False
    yield ('409 conflict', False, dict(password=PASSWORD), 'create', AfterApplying(Reply(409, json={'error': 'user already exists'})),
           ['create', 'list'], False)
    yield 'reset landed', True, dict(state='reset_password'), 'reset', AfterApplying(BAD_GATEWAY), ['reset', 'list', 'reset'], True
    yield 'delete landed', True, dict(state='absent'), 'delete', AfterApplying(BAD_GATEWAY), ['delete', 'list'], True
    yield 'delete not landed', True, dict(state='absent'), 'delete', BAD_GATEWAY, ['delete', 'list', 'delete'], True


@pytest.mark.parametrize('existing, task, route, failure, routes, changed', [pytest.param(*row[1:], id=row[0]) for row in _recoveries()])
def test_a_write_whose_answer_was_lost_is_read_back_then_sent_again_only_if_needed(fake, runner, existing, task, route,
                                                                                   failure, routes, changed):
    if existing:
        fake.add_user('reporting')
    fake.script(route, failure)
    result = runner.ok(database_user, args(**task))
    assert result['changed'] is changed
    assert fake.routes()[3:] == ['list'] + routes
    if task.get('state') == 'absent':
        assert list(fake.users()) == [PROTECTED_USER]
        return
    assert list(fake.users()) == [PROTECTED_USER, 'reporting'] and result['user']['name'] == 'reporting'
    # A password given is never returned; one Scalingo generated is returned, and it is the one that works.
    assert fake.users()['reporting'].password == result.get('password', PASSWORD)
    assert ('password' in result) is ('password' not in task)


def test_a_user_removed_meanwhile_is_named_in_the_failure(fake, runner):
    fake.add_user('reporting')
    fake.script('update', Reply(404, json={'resource': 'database_user', 'error': 'not found'}))
    failed = runner.fail(database_user, args(password=PASSWORD, update_password='always'))
    assert failed['failure']['status'] == 404
    assert 'The user was not found' in failed.msg
    assert fake.count('update') == 1


def test_a_name_taken_but_not_listed_fails(fake, runner):
    fake.script('create', TAKEN)
    failed = runner.fail(database_user, args(password=PASSWORD))
    assert failed['failure']['status'] == 422
    assert fake.count('create') == 1


@pytest.mark.parametrize('afterwards, words', [(Reply(200, json={'database-users': []}), 'HTTP 503'),
                                               (Reply(403, json={'error': 'forbidden'}), 'Reading the users afterwards failed too')])
def test_a_write_for_a_user_gone_meanwhile_or_unreadable_is_not_sent_again(fake, runner, afterwards, words):
    fake.add_user('reporting')
    fake.script('update', Reply(503, json={'error': 'unavailable'}))
    present = dict(name='reporting', read_only=False, protected=False, dbms_attributes={})
    fake.script('list', Reply(200, json={'database-users': [present]}), afterwards)
    failed = runner.fail(database_user, args(password=PASSWORD, update_password='always'))
    assert failed['failure']['uncertain'] is True and words in failed.msg
    assert fake.count('update') == 1
