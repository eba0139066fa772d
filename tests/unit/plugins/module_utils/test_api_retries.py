# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ScalingoClient against the fake Scalingo: what it sends again, and when it gives up."""

import email.utils
import time

import pytest
import requests

from ansible_collections.scalingo.cloud.plugins.module_utils._http import MAX_ATTEMPTS, MAX_RATE_LIMITED_ATTEMPTS
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    DB_TOKEN,
    PASSWORD,
    Reply,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.module_utils.client_support import assert_clean, client, error_of


# --- retries -----------------------------------------------------------------------------------

@pytest.mark.parametrize('reply', [
    Reply(429, json={'error': 'rate limit exceeded'}, headers={'Retry-After': '7'}),
    Reply(429, text='Retry later', headers={'Retry-After': '7'}),
])
def test_429_on_post_is_retried_honouring_retry_after(fake, clock, reply):
    fake.script('create', reply)
    created, dummy = client().create_user('reporting', False, PASSWORD)
    assert created['name'] == 'reporting'
    assert fake.routes() == ['exchange', 'addon_token', 'create', 'create']
    assert clock.sleeps == [7.0]
    assert [c.status for c in fake.select('create')] == [429, 201]
    assert 'reporting' in fake.users()


def test_429_retry_after_as_an_http_date(fake, clock):
    when = email.utils.formatdate(time.time() + 9, usegmt=True)
    fake.script('list', Reply(429, text='Retry later', headers={'Retry-After': when}))
    client().list_users()
    assert len(clock.sleeps) == 1 and 6 <= clock.sleeps[0] <= 9


def test_429_on_the_token_exchange_and_addon_token_is_retried(fake, clock):
    fake.script('exchange', Reply(429, text='Retry later', headers={'Retry-After': '2'}))
    fake.script('addon_token', Reply(429, json={'error': 'slow down'}, headers={'Retry-After': '3'}))
    client().list_users()
    assert fake.routes() == ['exchange', 'exchange', 'addon_token', 'addon_token', 'list']
    assert clock.sleeps == [2.0, 3.0]


@pytest.mark.parametrize('reply', [Reply(429, text='Retry later'), Reply(429, json={'error': 'Retry later'})])
def test_429_without_retry_after_uses_exponential_backoff(fake, clock, reply):
    fake.script('list', reply, reply, reply)
    assert client().list_users()
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert fake.count('list') == 4


def test_429_forever_is_waited_out_over_the_whole_window_then_gives_up(fake, clock):
    # Scalingo's documented limit: 429, "Retry later", no Retry-After, for as long as the minute is not over.
    fake.script('create', *[Reply(429, text='Retry later')] * 30)
    error = error_of(client().create_user, 'reporting', False, PASSWORD)
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 32.0]  # one more 32 would pass the 120 s of max_wait
    assert sum(clock.sleeps[:-1]) >= 60, 'gave up before the one-minute window was over'
    assert fake.count('create') == len(clock.sleeps) + 1
    assert error.status == 429
    assert 'try again later' in error.message
    assert 'after %d attempts' % fake.count('create') in error.message
    assert 'Retry later' in error.message
    assert error.uncertain is False
    assert 'reporting' not in fake.users()
    assert_clean(error)


def test_a_rate_limit_that_ends_within_the_window_is_waited_out(fake, clock):
    fake.script('list', *[Reply(429, text='Retry later')] * 6)
    assert client().list_users()
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0] and fake.count('list') == 7


def test_a_server_that_asks_to_retry_at_once_for_ever_is_given_up(fake, clock):
    fake.script('list', *[Reply(429, text='Retry later', headers={'Retry-After': '0'})] * 30)
    error = error_of(client().list_users)
    assert fake.count('list') == MAX_RATE_LIMITED_ATTEMPTS and error.status == 429


def test_retries_are_bounded_in_total_waiting_time(fake, clock):
    fake.script('list', *[Reply(429, text='Retry later', headers={'Retry-After': '25'})] * 20)
    error = error_of(client().list_users)
    assert clock.sleeps == [25.0] * 4
    assert fake.count('list') == 5
    assert error.status == 429


def test_max_wait_sets_the_budget(fake, clock):
    fake.script('list', *[Reply(429, text='Retry later', headers={'Retry-After': '25'})] * 20)
    error = error_of(client(max_wait=50).list_users)
    assert clock.sleeps == [25.0, 25.0] and error.status == 429
    fake.calls, clock.sleeps[:] = [], []
    error = error_of(client(max_wait=0).list_users)
    assert clock.sleeps == [] and fake.count('list') == 1


def test_a_retry_after_beyond_the_budget_is_not_waited(fake, clock):
    fake.script('list', Reply(429, text='Retry later', headers={'Retry-After': '3600'}))
    error = error_of(client().list_users)
    assert clock.sleeps == []
    assert fake.count('list') == 1
    assert 'asked to wait 3600 seconds' in error.message and 'Gave up' not in error.message
    assert 'more than the 120 seconds of waiting that max_wait has left in this task' in error.message
    assert 'raise max_wait, or run the task again later' in error.message and 'fewer tasks' not in error.message


@pytest.mark.parametrize('status', [502, 503, 504])
def test_gateway_errors_are_retried_on_get(fake, clock, status):
    fake.script('list', Reply(status, text='<html><body>Bad gateway</body></html>', headers={'Content-Type': 'text/html'}),
                Reply(status, json={'error': 'upstream'}))
    assert client().list_users()
    assert [c.status for c in fake.select('list')] == [status, status, 200]
    assert clock.sleeps == [1.0, 2.0]


def test_connection_errors_are_retried_on_get(fake, clock):
    fake.script('list', requests.exceptions.ConnectionError('Connection aborted.'))
    client().list_users()
    assert fake.count('list') == 2
    assert clock.sleeps == [1.0]


@pytest.mark.parametrize('failure', [Reply(503, json={'error': 'upstream'}), requests.exceptions.ConnectionError('aborted')])
def test_a_delete_is_not_sent_again_blindly(fake, clock, failure):
    # The module decides, after reading the users again: a second DELETE could remove a user created meanwhile.
    fake.add_user('reporting')
    fake.script('delete', failure)
    error = error_of(client().delete_user, 'reporting')
    assert error.uncertain is True
    assert fake.count('delete') == 1
    assert clock.sleeps == []


def test_connection_errors_on_get_give_up_after_bounded_attempts(fake, clock):
    fake.script('list', *[requests.exceptions.ConnectionError('Connection refused')] * 20)
    error = error_of(client().list_users)
    assert fake.count('list') == MAX_ATTEMPTS
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0]
    assert 'Could not reach db-api.osc-fr1.scalingo.com' in error.message
    assert 'connection refused' in error.message
    assert 'Gave up after %d attempts' % MAX_ATTEMPTS in error.message
    assert error.uncertain is False


@pytest.mark.parametrize('route, status', [
    ('create', 502), ('create', 503), ('create', 504), ('create', 500),
    ('update', 502), ('update', 503), ('update', 504), ('update', 500),
    ('reset', 503),
])
def test_server_errors_on_post_and_patch_are_not_retried_and_flagged_uncertain(fake, clock, route, status):
    fake.add_user('reporting')
    fake.script(route, Reply(status, json={'error': 'upstream failure'}, headers={'X-Request-Id': 'req-5xx-1'}))
    scalingo = client()
    action = {'create': lambda: scalingo.create_user('newuser', False, PASSWORD),
              'update': lambda: scalingo.change_password('reporting', PASSWORD),
              'reset': lambda: scalingo.reset_password('reporting')}[route]
    error = error_of(action)
    assert fake.count(route) == 1
    assert clock.sleeps == []
    assert error.uncertain is True
    assert error.status == status
    assert error.request_id == 'req-5xx-1'
    assert 'try again later' in error.message
    assert_clean(error)


@pytest.mark.parametrize('route', ['create', 'update'])
def test_connection_errors_on_post_and_patch_are_not_retried_and_flagged_uncertain(fake, clock, route):
    fake.add_user('reporting')
    fake.script(route, requests.exceptions.ConnectionError('Connection aborted.', RuntimeError('RemoteDisconnected')))
    scalingo = client()
    action = {'create': lambda: scalingo.create_user('newuser', False, PASSWORD),
              'update': lambda: scalingo.change_password('reporting', PASSWORD)}[route]
    error = error_of(action)
    assert fake.count(route) == 1
    assert clock.sleeps == []
    assert error.uncertain is True
    assert 'the connection was closed without an answer' in error.message
    assert 'Gave up' not in error.message


def test_timeouts_fail_with_a_clear_message(fake, clock):
    fake.script('list', requests.exceptions.ReadTimeout('read timed out'))
    error = error_of(client(timeout=5.0).list_users)
    assert 'timed out after 5.0 seconds' in error.message
    assert 'raise timeout' in error.message
    assert error.uncertain is False


def test_a_timeout_on_post_is_uncertain(fake, clock):
    fake.script('create', requests.exceptions.ReadTimeout('read timed out'))
    error = error_of(client().create_user, 'reporting', False, None)
    assert error.uncertain is True
    assert fake.count('create') == 1


def test_a_non_transient_request_error_is_not_retried(fake, clock):
    # A token with a line break cannot be sent in a header: nothing Scalingo could fix by waiting.
    error = error_of(client(database_token=DB_TOKEN + '\n', api_token=None, app=None).list_users)
    assert clock.sleeps == []
    assert_clean(error, DB_TOKEN)
