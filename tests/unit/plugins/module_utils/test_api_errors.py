# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ScalingoClient against the fake Scalingo: errors and their advice, tokens that expire, redaction, odd answers."""

import pytest
import requests

from ansible_collections.scalingo.cloud.plugins.module_utils._http import MAX_ATTEMPTS
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    ADDON_ID,
    API_TOKEN,
    BEARER,
    DB_TOKEN,
    OTHER_ADDON_ID,
    OTHER_API_TOKEN,
    OTHER_DB_TOKEN,
    PASSWORD,
    PROTECTED_USER,
    SECRETS,
    Reply,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import (
    assert_clean,
    client,
    error_of,
    row,
)


EXPIRED = Reply(401, json={'error': 'token expired'})


# --- errors ------------------------------------------------------------------------------------

# client options, the route scripted and its reply (None: the fake's own answer), status, words of the message, routes
ERRORS = [
    row('api token refused', dict(api_token=OTHER_API_TOKEN), None, None, 401,
         ['Check the API token (api_token or SCALINGO_API_TOKEN)'], ['exchange']),
    row('database token refused', dict(api_token=None, app=None, database_token=OTHER_DB_TOKEN), None, None, 401,
        ['Check the database token (database_token or SCALINGO_DATABASE_TOKEN)'], ['list']),
    row('403', {}, 'list', Reply(403, json={'error': 'forbidden'}), 403,
        ["The token's owner may not manage database users", 'forbidden'], ['exchange', 'addon_token', 'list']),
    row('unknown app', dict(app='other-app', addon='postgresql'), None, None, 404, ["App 'other-app' was not found"],
        ['exchange', 'addons']),
    row('no addon of the type', dict(addon='mongodb'), None, None, None, ["App 'my-app' has no mongodb addon"], ['exchange', 'addons']),
    row('unknown addon', dict(addon=OTHER_ADDON_ID), None, None, 404,
        ["Addon '%s' was not found in app 'my-app'" % OTHER_ADDON_ID], ['exchange', 'addon_token']),
    row('wrong auth url', dict(auth_url='https://auth.scalingo.com/wrong'), None, None, 404,
        ['check region and the service URLs'], [None]),
    row('plain text', {}, 'list', Reply(400, text='bad request: missing database'), 400, ['(bad request: missing database)'],
        ['exchange', 'addon_token', 'list']),
    row('message key', {}, 'list', Reply(400, json={'message': 'database is not running'}), 400, ['(database is not running)'],
        ['exchange', 'addon_token', 'list']),
    # tokens: a refused one is fetched again once per run, and one given as database_token only through api_token and app
    row('api refused twice', {}, 'addon_token', [Reply(401, json={'error': 'not authenticated'})] * 2, 401,
        ['check the API token'], ['exchange', 'addon_token', 'exchange', 'addon_token']),
    row('renewed once per run', {}, 'list', [EXPIRED] * 3, 401, [], ['exchange', 'addon_token', 'list', 'addon_token', 'list']),
    row('given token replaced once', dict(database_token=OTHER_DB_TOKEN), 'list', [EXPIRED] * 3, 401, [],
        ['list', 'exchange', 'addon_token', 'list']),
    row('given token without app', dict(database_token=OTHER_DB_TOKEN, app=None), 'list', [EXPIRED], 401,
        ['Check the database token', 'With api_token and app as well'], ['list']),
    row('given token alone', dict(api_token=None, app=None, database_token=DB_TOKEN), 'list', [EXPIRED], 401,
        ['Check the database token'], ['list']),
    row('tls', {}, 'exchange', [requests.exceptions.SSLError('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed')],
        None, ['TLS certificate verification failed. Check the certificate of that host; set validate_certs to false only '
               'against a test service.'], ['exchange']),
]


@pytest.mark.parametrize('options, route, replies, status, words, routes', ERRORS)
def test_errors_say_what_to_check(fake, clock, options, route, replies, status, words, routes):
    if route:
        fake.script(route, *(replies if isinstance(replies, list) else [replies]))
    error = error_of(client(**options).list_users)
    assert error.status == status and error.earlier_uncertain is False  # a refused token's request was never applied
    assert [word for word in words if word not in error.message] == [], error.message
    assert fake.routes() == routes
    assert_clean(error, OTHER_API_TOKEN, OTHER_DB_TOKEN, *SECRETS)


@pytest.mark.parametrize('options, route, routes', [
    row('database token', {}, 'list', ['exchange', 'addon_token', 'list', 'addon_token', 'list']),
    row('bearer', {}, 'addon_token', ['exchange', 'addon_token', 'exchange', 'addon_token', 'list']),
    row('given database token', dict(database_token=OTHER_DB_TOKEN), 'list', ['list', 'exchange', 'addon_token', 'list']),
])
def test_an_expired_token_is_fetched_again_once(fake, options, route, routes):
    fake.script(route, EXPIRED)
    assert [u['name'] for u in client(**options).list_users()] == [PROTECTED_USER]
    assert fake.routes() == routes
    assert fake.calls[-1].headers['Authorization'] == 'Bearer ' + DB_TOKEN


def test_a_write_refused_for_an_expired_token_is_sent_once_more(fake):
    fake.script('create', EXPIRED)
    user, generated = client().create_user('reporting', False)
    assert user['name'] == 'reporting' and generated
    assert fake.routes() == ['exchange', 'addon_token', 'create', 'addon_token', 'create']
    assert list(fake.users()) == [PROTECTED_USER, 'reporting']


def test_404_on_the_database(fake):
    fake.addon_tokens[OTHER_ADDON_ID] = OTHER_DB_TOKEN
    error = error_of(client(addon=OTHER_ADDON_ID, database_token=OTHER_DB_TOKEN).list_users)
    assert error.status == 404
    assert "Database '%s' was not found" % OTHER_ADDON_ID in error.message


@pytest.mark.parametrize('errors, expected, words', [
    ({'password': ['is too short'], 'password_confirmation': ['does not match']},
     {'password': ['is too short'], 'password_confirmation': ['does not match']}, 'password is too short; password_confirmation does not match'),
    ({'name': 'is too long', 'base': ['quota reached', 'try later']}, {'name': ['is too long'], 'base': ['quota reached', 'try later']},
     'base quota reached, try later; name is too long'),
])
def test_422_with_several_fields(fake, errors, expected, words):
    fake.script('create', Reply(422, json={'errors': errors}))
    error = error_of(client().create_user, 'reporting', False, PASSWORD)
    assert error.errors == expected
    assert words in error.message


def test_500_and_its_request_id(fake):
    fake.script('list', Reply(500, json={'error': 'internal error'}, headers={'X-Request-Id': 'req-500-abc'}))
    error = error_of(client().list_users)
    assert error.status == 500
    assert error.request_id == 'req-500-abc'
    failure = error.to_failure()
    assert failure == dict(status=500, message='internal error', errors={}, request_id='req-500-abc', method='GET',
                           url='https://db-api.osc-fr1.scalingo.com/api/databases/%s/users' % ADDON_ID, uncertain=False)
    assert 'failure.request_id' in error.message
    # GET is retried on 500? No: only 502, 503 and 504 are.
    assert fake.count('list') == 1


@pytest.mark.parametrize('reply', [
    Reply(502, text='<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>' + 'x' * 300 + '</body></html>',
          headers={'Content-Type': 'text/html'}),
    Reply(500, text='<html>oops</html>', headers={'Content-Type': 'text/html'}),
    Reply(400, text='\x00\x01 binary'),
])
def test_non_json_error_bodies_give_a_clean_message(fake, reply):
    fake.script('list', *[reply] * MAX_ATTEMPTS)
    error = error_of(client().list_users)
    assert error.status == reply.status
    assert '<' not in error.message and 'html' not in error.message.lower()
    assert 'Traceback' not in error.message
    assert error.message.startswith('Scalingo answered HTTP %s to GET ' % reply.status)
    assert '\n' not in error.message


@pytest.mark.parametrize('route', ['exchange', 'addon_token', 'list'])
def test_html_instead_of_json_on_success(fake, route):
    fake.script(route, Reply(200, text='<html><body>Welcome to nginx</body></html>', headers={'Content-Type': 'text/html'}))
    error = error_of(client().list_users)
    assert 'a body that is not JSON (text/html)' in error.message
    assert 'is %s the right Scalingo URL?' % fake.calls[-1].host in error.message
    assert 'nginx' not in error.message


# --- redaction ---------------------------------------------------------------------------------

@pytest.mark.parametrize('route, echo', [('exchange', API_TOKEN), ('addon_token', BEARER), ('list', DB_TOKEN)])
@pytest.mark.parametrize('as_json', [True, False], ids=['json', 'text'])
def test_secrets_echoed_in_errors_are_redacted(fake, route, echo, as_json):
    if as_json:
        refused = Reply(401, json={'error': 'token %s is invalid' % echo, 'errors': {echo: ['bad ' + echo]}})
        fake.script(route, refused, refused)  # the second answers the one renewal of the token
    else:
        fake.script(route, Reply(400, text='bad token ' + echo))
    error = error_of(client().list_users)
    assert_clean(error)
    assert '********' in error.message and '********' in error.to_failure()['message']
    assert as_json or error.api_message == 'bad token ********'


def test_a_password_echoed_in_a_422_is_redacted(fake):
    fake.script('create', Reply(422, json={'errors': {'password': ['%s is too common' % PASSWORD]}}))
    error = error_of(client().create_user, 'reporting', False, PASSWORD)
    assert error.status == 422
    assert_clean(error)


def test_a_generated_password_echoed_later_is_redacted(fake):
    scalingo = client()
    dummy, generated = scalingo.create_user('reporting', False)
    fake.script('delete', Reply(400, json={'error': 'cannot delete user with password %s' % generated}))
    error = error_of(scalingo.delete_user, 'reporting')
    assert generated not in error.message and generated not in str(error.to_failure())


def test_redact_leaves_short_values_and_other_text_alone():
    scalingo = client()
    scalingo.add_secret('abc')
    scalingo.add_secret(None)
    assert scalingo.redact('abc and %s' % API_TOKEN) == 'abc and ********'
    assert scalingo.redact(None) is None


@pytest.mark.parametrize('reply', [Reply(201, json={'user': {'name': 'reporting'}}), Reply(201), Reply(201, json=['x'])])
def test_a_create_answer_that_is_not_a_user(fake, reply):
    # The creation was applied: the error says so (outcome "applied"), for the module to read the users.
    fake.script('create', reply)
    error = error_of(client().create_user, 'reporting', False, PASSWORD)
    assert 'although it says the request succeeded' in error.message
    assert error.outcome == 'applied' and error.uncertain is False
    assert_clean(error)


def test_an_unknown_host_is_reported_as_such(fake, clock):
    # The fake knows no such region: its hosts do not resolve. Nothing was sent, so it is tried again like a read.
    error = error_of(client(region='nowhere1').list_users)
    assert 'Could not reach api.nowhere1.scalingo.com' in error.message
    assert 'the host name does not resolve' in error.message
    assert 'Gave up after %d attempts' % MAX_ATTEMPTS in error.message
    assert fake.routes() == ['exchange'] + [None] * MAX_ATTEMPTS
    assert error.uncertain is False
