# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ScalingoClient against the fake Scalingo: what it sends again, and when it gives up."""

import email.utils
import time

import pytest
import requests

from ansible_collections.scalingo.cloud.plugins.module_utils._http import MAX_RATE_LIMITED_ATTEMPTS
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import DB_TOKEN, PASSWORD, Reply
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import (
    assert_clean,
    client,
    error_of,
    row,
)


# --- retries ---------------------------------------------------------------------------------

def _slow(after=None):
    return Reply(429, text='Retry later', headers={'Retry-After': after} if after else {})


# client options, replies scripted for the users list, waits, requests of the list, status of the error (None: listed)
READS = [
    row('backoff, text', {}, [_slow()] * 3, [1.0, 2.0, 4.0], 4, None),
    row('backoff, json', {}, [Reply(429, json={'error': 'Retry later'})] * 3, [1.0, 2.0, 4.0], 4, None),
    row('unreadable retry-after', {}, [_slow('soon'), _slow('Mon, 99 Foo 2024 99:99:99 GMT'), _slow('Fri, 31 Dec 99999 23:59:59 GMT')],
        [1.0, 2.0, 4.0], 4, None),
    row('a limit that ends within the window', {}, [_slow()] * 6, [1.0, 2.0, 4.0, 8.0, 16.0, 32.0], 7, None),
    row('bounded in total waiting time', {}, [_slow('25')] * 20, [25.0] * 4, 5, 429),
    row('max_wait sets the budget', dict(max_wait=50), [_slow('25')] * 20, [25.0, 25.0], 3, 429),
    row('no wait at all', dict(max_wait=0), [_slow('25')] * 20, [], 1, 429),
    row('retry at once for ever', {}, [_slow('0')] * 30, None, MAX_RATE_LIMITED_ATTEMPTS, 429),
    row('connection error', {}, [requests.exceptions.ConnectionError('Connection aborted.')], [1.0], 2, None),
    row('connect timeout', {}, [requests.exceptions.ConnectTimeout('connect timed out')], [1.0], 2, None),
    row('broken body', {}, [requests.exceptions.ChunkedEncodingError('Connection broken')], [1.0], 2, None),
] + [row('gateway %d' % status, {}, [Reply(status, text='<html><body>Bad gateway</body></html>', headers={'Content-Type': 'text/html'}),
                                     Reply(status, json={'error': 'upstream'})], [1.0, 2.0], 3, None) for status in (502, 503, 504)]


@pytest.mark.parametrize('options, replies, sleeps, requests_sent, status', READS)
def test_a_read_is_sent_again_within_the_waiting_budget(fake, clock, options, replies, sleeps, requests_sent, status):
    fake.script('list', *replies)
    if status is None:
        assert client(**options).list_users()
    else:
        assert error_of(client(**options).list_users).status == status
    assert sleeps is None or clock.sleeps == sleeps
    assert fake.count('list') == requests_sent


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


def test_429_retry_after_as_an_http_date(fake, clock, monkeypatch):
    # The wall clock stands still (in whole seconds, as an HTTP date has none smaller): a busy machine cannot shorten
    # the wait the test expects.
    now = 1800000000.0
    monkeypatch.setattr(time, 'time', lambda: now)
    when = email.utils.formatdate(now + 9, usegmt=True)
    fake.script('list', Reply(429, text='Retry later', headers={'Retry-After': when}))
    client().list_users()
    assert clock.sleeps == [9.0]


def test_429_on_the_token_exchange_and_addon_token_is_retried(fake, clock):
    fake.script('exchange', Reply(429, text='Retry later', headers={'Retry-After': '2'}))
    fake.script('addon_token', Reply(429, json={'error': 'slow down'}, headers={'Retry-After': '3'}))
    client().list_users()
    assert fake.routes() == ['exchange', 'exchange', 'addon_token', 'addon_token', 'list']
    assert clock.sleeps == [2.0, 3.0]


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


def test_a_retry_after_beyond_the_budget_is_not_waited(fake, clock):
    fake.script('list', Reply(429, text='Retry later', headers={'Retry-After': '3600'}))
    error = error_of(client().list_users)
    assert clock.sleeps == []
    assert fake.count('list') == 1
    assert 'asked to wait 3600 seconds' in error.message and 'Gave up' not in error.message
    assert 'more than the 120 seconds of waiting that max_wait has left in this task' in error.message
    assert 'raise max_wait, or run the task again later' in error.message and 'fewer tasks' not in error.message


WRITES = {
    'create': lambda scalingo: scalingo.create_user('newuser', False, PASSWORD),
    'update': lambda scalingo: scalingo.change_password('reporting', PASSWORD),
    'reset': lambda scalingo: scalingo.reset_password('reporting'),
    'delete': lambda scalingo: scalingo.delete_user('reporting'),
}
CLOSED = requests.exceptions.ConnectionError('Connection aborted.', RuntimeError('RemoteDisconnected'))


@pytest.mark.parametrize('route, failure, words', [
    (route, Reply(status, json={'error': 'upstream failure'}, headers={'X-Request-Id': 'req-5xx-1'}), 'try again later')
    for route, status in [('create', 502), ('create', 503), ('create', 504), ('create', 500), ('update', 502), ('update', 503),
                          ('update', 504), ('update', 500), ('reset', 503), ('delete', 503)]
] + [
    ('create', CLOSED, 'the connection was closed without an answer'),
    ('update', CLOSED, 'the connection was closed without an answer'),
    ('delete', requests.exceptions.ConnectionError('aborted'), 'ConnectionError'),
    ('create', requests.exceptions.ReadTimeout('read timed out'), 'timed out after 30.0 seconds'),
])
def test_a_write_that_may_have_landed_is_not_sent_again_and_is_uncertain(fake, clock, route, failure, words):
    # The module decides, after reading the users again: a second DELETE could remove a user created meanwhile.
    fake.add_user('reporting')
    fake.script(route, failure)
    error = error_of(WRITES[route], client())
    assert fake.count(route) == 1 and clock.sleeps == []
    assert error.uncertain is True
    assert error.status == getattr(failure, 'status', None)
    assert error.request_id == getattr(failure, 'headers', {}).get('X-Request-Id')
    assert words in error.message and 'Gave up' not in error.message
    assert_clean(error)


def test_timeouts_fail_with_a_clear_message(fake, clock):
    fake.script('list', requests.exceptions.ReadTimeout('read timed out'))
    error = error_of(client(timeout=5.0).list_users)
    assert 'timed out after 5.0 seconds' in error.message
    assert 'raise timeout' in error.message
    assert error.uncertain is False


def test_a_non_transient_request_error_is_not_retried(fake, clock):
    # A token with a line break cannot be sent in a header: nothing Scalingo could fix by waiting.
    error = error_of(client(database_token=DB_TOKEN + '\n', api_token=None, app=None).list_users)
    assert clock.sleeps == []
    assert_clean(error, DB_TOKEN)
