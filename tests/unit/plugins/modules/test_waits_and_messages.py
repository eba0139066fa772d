# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What users see of a wait (a warning that says how long and why, ``waited_seconds``), and the messages that must
say what to check: an unreachable host, an addon given by id that has no users."""

import pytest

from ansible_collections.scalingo.cloud.plugins.module_utils._http import MAX_ATTEMPTS
from ansible_collections.scalingo.cloud.plugins.modules import database_user, database_user_info, database_users
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import DB_TOKEN, REFUSED, Reply
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import task as args

RATE_LIMITED = Reply(429, text='Retry later')
UNAVAILABLE = Reply(503, text='<html><body>Service Unavailable</body></html>', headers={'Content-Type': 'text/html'})


@pytest.mark.parametrize('module, extra', [(database_user_info, {}), (database_user, dict(name='reporting')),
                                           (database_users, dict(users=[dict(name='reporting')]))])
def test_nothing_is_said_when_nothing_waited(fake, runner, module, extra):
    done = runner.ok(module, args(**extra))
    assert done['waited_seconds'] == 0 and done.warnings == []


def test_a_task_that_waited_out_the_rate_limit_says_how_long_why_and_what_helps(fake, runner, clock):
    fake.script('addon_token', RATE_LIMITED, RATE_LIMITED)
    fake.script('create', RATE_LIMITED)
    done = runner.ok(database_user, args(name='reporting'))
    assert clock.sleeps == [1.0, 2.0, 1.0] and done['waited_seconds'] == 4.0
    assert done.warnings == [
        "The task waited 4 seconds in all, for Scalingo's rate limit (HTTP 429), 3 times (4 s). Scalingo allows 60 "
        "requests a minute on its main API: to wait less, manage many users in one scalingo.cloud.database_users task, "
        "reuse a database_token across tasks, or run fewer tasks at once (throttle, forks)."]


def test_server_errors_and_a_host_out_of_reach_are_named_apart(fake, runner, clock):
    fake.script('list', UNAVAILABLE, REFUSED)
    done = runner.ok(database_user_info, args())
    assert done['waited_seconds'] == 3.0
    assert done.warnings == [
        'The task waited 3 seconds in all, for server errors (HTTP 502, 503, 504), once (1 s); a host that could not be '
        "reached, once (2 s). If it goes on, check the network and Scalingo's status page (https://scalingostatus.com)."]


def test_a_task_that_gives_up_says_how_long_it_waited_in_all(fake, runner, clock):
    fake.script('list', *[RATE_LIMITED] * 30)
    failed = runner.fail(database_user_info, args(max_wait=10))
    assert failed['waited_seconds'] == 7.0 and clock.sleeps == [1.0, 2.0, 4.0]
    assert failed.msg.endswith('It gave up after waiting 7 seconds in all (max_wait 10).')
    assert any("Scalingo's rate limit (HTTP 429), 3 times (7 s)" in warning for warning in failed.warnings)


@pytest.mark.parametrize('task, source', [
    (args(), "https://db-api.osc-fr1.scalingo.com, from region 'osc-fr1' (region or SCALINGO_REGION)"),
    (args(db_api_url='https://db.example.test'), 'https://db.example.test, set by db_api_url (or SCALINGO_DB_API_URL)'),
])
def test_a_host_that_cannot_be_reached_says_what_to_check(fake, runner, clock, task, source):
    if 'db_api_url' in task:
        fake.db_base = task['db_api_url']
    fake.script('list', *[REFUSED] * 20)
    failed = runner.fail(database_user_info, task)
    assert fake.count('list') == MAX_ATTEMPTS and clock.sleeps == [1.0, 2.0, 4.0, 8.0] and failed['failure']['uncertain'] is False
    assert 'Could not reach %s' % fake.calls[-1].host in failed.msg
    assert 'connection refused. Gave up after 5 attempts. Check the URL in use, %s, the network or a proxy ' \
           "(HTTPS_PROXY), and Scalingo's status page (https://scalingostatus.com)." % source in failed.msg
    assert '\n' not in failed.msg


def test_an_addon_without_users_given_by_id_gets_the_clear_message_too(fake, runner):
    redis = 'ad-11111111-2222-3333-4444-555555555555'
    fake.script('list', Reply(400, json={'error': 'redis does not support user management'}))
    failed = runner.fail(database_user_info, dict(database_token=DB_TOKEN, addon=redis))
    assert "Addon '%s' has no database users, it seems: only postgresql, mysql, mongodb, influxdb addons do; " \
           'check addon.' % redis in failed.msg
    by_type = runner.fail(database_user_info, args(addon='redis'))
    assert 'has no database users: only postgresql, mysql, mongodb, influxdb addons do' in by_type.msg
