# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The transport states facts; the advice in the modules' words comes from _advice, and only from there."""

import pytest
import requests

from ansible_collections.scalingo.cloud.plugins.module_utils._advice import Advice, outcome_note
from ansible_collections.scalingo.cloud.plugins.module_utils._connection import Connection
from ansible_collections.scalingo.cloud.plugins.module_utils._http import ScalingoError, Transport
from ansible_collections.scalingo.cloud.plugins.module_utils._redaction import Secrets
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    ADDON_ID,
    API_TOKEN,
    APP,
    DB_BASE,
    DB_TOKEN,
    DROPPED,
    REFUSED,
    TIMEOUT,
    Reply,
)

USERS_URL = DB_BASE + '/api/databases/%s/users' % ADDON_ID
# What only the modules' advice may say: their options, environment variables and tasks.
MODULE_WORDS = ('api_token', 'database_token', 'SCALINGO_', 'DB_BEARER_TOKEN', 'task', 'raise timeout', 'validate_certs',
                'option', 'db_api_url', 'failure.')


class Silent:
    """Advice that advises nothing: the transport's messages as it words them alone."""

    def __getattr__(self, name):
        return lambda *args: ''


def modules_advice():
    conn = Connection(dict(api_token=API_TOKEN, app=APP, addon=ADDON_ID))
    return Advice(conn, fixed_database_token=False)


def failure(advice, method='POST'):
    """The error of one request to the users API, with ``advice``; no wait, so no attempt but the first."""
    transport = Transport(30.0, True, 'unit', Secrets(), advice, 0.0)
    with pytest.raises(ScalingoError) as raised:
        transport.request(method, USERS_URL, 'database', 'Bearer ' + DB_TOKEN, replayable=method == 'GET')
    return raised.value


def _words(message):
    return message.replace(';', ' ').replace('.', ' ').split()


FAULTS = {  # what the fake answers the first attempt
    'timeout': [TIMEOUT],
    'dropped': [DROPPED],
    'refused': [REFUSED],
    'tls': [requests.exceptions.SSLError('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed')],
    'not sendable': [requests.exceptions.InvalidHeader('Invalid leading whitespace in header value')],
    '401': [Reply(401, json={'error': 'token expired'})],
    '404': [Reply(404, json={'error': 'not found'})],
    '422': [Reply(422, json={'errors': {'name': ['is invalid']}})],
    '429': [Reply(429, json={'error': 'slow down'})],
    '500': [Reply(500, json={'error': 'internal error'})],
}


@pytest.mark.parametrize('fault', sorted(FAULTS))
def test_the_transport_alone_says_nothing_in_the_modules_words(fake, fault):
    fake.script('create', *FAULTS[fault])
    silent = failure(Silent())
    assert not [word for word in MODULE_WORDS if word in silent.message], silent.message
    fake.script('create', *FAULTS[fault])
    advised = failure(modules_advice())
    assert (advised.outcome, advised.status) == (silent.outcome, silent.status)
    # The advice only adds to the facts: every word of them is there, in the same order.
    words = iter(_words(advised.message))
    assert all(word in words for word in _words(silent.message)), (silent.message, advised.message)


def test_the_advice_completes_the_facts(fake):
    fake.script('create', TIMEOUT)
    silent = failure(Silent())
    assert silent.message == ('POST %s timed out after 30.0 seconds: the host db-api.osc-fr1.scalingo.com did not '
                              'answer in time; ' % USERS_URL)
    fake.script('create', TIMEOUT)
    assert failure(modules_advice()).message == silent.message + (
        'raise timeout or check the network. Scalingo may still apply it later.')


def test_a_read_has_no_outcome_to_advise_on(fake):
    fake.script('list', Reply(500, json={'error': 'internal error'}))
    error = failure(modules_advice(), 'GET')
    assert error.outcome is None and 'may have been applied' not in error.message


@pytest.mark.parametrize('outcome, note', [
    ('unknown', ' The request may have been applied all the same: check the state before trying again (a new run of '
                'the task does, as it reads the users first).'),
    ('pending', ' Scalingo may still apply it later.'),
    ('not_sent', ''),
    ('refused', ''),
    ('applied', ''),
    (None, ''),
])
def test_outcome_notes(outcome, note):
    assert outcome_note(outcome) == note


@pytest.mark.parametrize('fixed, step, expected', [
    (False, 'exchange', 'Check the API token (api_token or SCALINGO_API_TOKEN)'),
    (False, 'database', 'The token was refused: check the API token'),
    (True, 'database', 'Check the database token (database_token or SCALINGO_DATABASE_TOKEN)'),
    (True, 'user', 'Check the database token'),
    (True, 'addons', 'The token was refused: check the API token'),
])
def test_a_refused_token_is_named_by_the_options_that_set_it(fixed, step, expected):
    conn = Connection(dict(database_token=DB_TOKEN, addon=ADDON_ID))
    assert Advice(conn, fixed_database_token=fixed).status(401, step, 1).startswith(expected)


def test_a_rate_limit_counts_the_attempts():
    advice = modules_advice()
    assert 'after 1 attempt:' in advice.status(429, 'database', 1)
    assert 'after 7 attempts:' in advice.status(429, 'database', 7)
