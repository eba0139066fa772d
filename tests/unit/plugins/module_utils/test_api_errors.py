# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ScalingoClient against the fake Scalingo: errors and their advice, tokens that expire, redaction, odd answers."""

import pytest
import requests

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_CORE_VERSION

from ansible_collections.scalingo.cloud.plugins.module_utils import _api
from ansible_collections.scalingo.cloud.plugins.module_utils._api import COLLECTION_VERSION
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
    Reply,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.module_utils.client_support import assert_clean, client, error_of


# --- errors ------------------------------------------------------------------------------------

def test_401_on_exchange_says_to_check_the_api_token(fake):
    error = error_of(client(api_token=OTHER_API_TOKEN).list_users)
    assert error.status == 401
    assert 'Check the API token (api_token or SCALINGO_API_TOKEN)' in error.message
    assert fake.routes() == ['exchange']
    assert_clean(error, OTHER_API_TOKEN)


def test_401_with_a_database_token_says_to_check_the_database_token(fake):
    error = error_of(client(api_token=None, app=None, database_token=OTHER_DB_TOKEN).list_users)
    assert error.status == 401
    assert 'Check the database token (database_token or SCALINGO_DATABASE_TOKEN)' in error.message
    assert_clean(error, OTHER_DB_TOKEN)


def test_401_on_the_api_says_the_token_was_refused(fake):
    # Twice: a first 401 makes the client fetch the bearer token again, once.
    fake.script('addon_token', *[Reply(401, json={'error': 'not authenticated'})] * 2)
    error = error_of(client().list_users)
    assert error.status == 401
    assert 'check the API token' in error.message
    assert fake.routes() == ['exchange', 'addon_token', 'exchange', 'addon_token']


# --- tokens that expire during a run ----------------------------------------------------------

def test_an_expired_database_token_is_fetched_again_once(fake):
    fake.script('list', Reply(401, json={'error': 'token expired'}))
    assert [u['name'] for u in client().list_users()] == [PROTECTED_USER]
    assert fake.routes() == ['exchange', 'addon_token', 'list', 'addon_token', 'list']


def test_an_expired_bearer_is_fetched_again_once(fake):
    fake.script('addon_token', Reply(401, json={'error': 'token expired'}))
    client().list_users()
    assert fake.routes() == ['exchange', 'addon_token', 'exchange', 'addon_token', 'list']


def test_a_write_refused_for_an_expired_token_is_sent_once_more(fake):
    fake.script('create', Reply(401, json={'error': 'token expired'}))
    user, generated = client().create_user('reporting', False)
    assert user['name'] == 'reporting' and generated
    assert fake.routes() == ['exchange', 'addon_token', 'create', 'addon_token', 'create']
    assert list(fake.users()) == [PROTECTED_USER, 'reporting']


def test_a_token_is_renewed_only_once_per_run(fake):
    fake.script('list', *[Reply(401, json={'error': 'token expired'})] * 3)
    error = error_of(client().list_users)
    assert error.status == 401
    assert fake.routes() == ['exchange', 'addon_token', 'list', 'addon_token', 'list']


def test_an_expired_database_token_is_replaced_through_the_api_token_once(fake):
    fake.script('list', Reply(401, json={'error': 'token expired'}))
    users = client(database_token=OTHER_DB_TOKEN).list_users()
    assert [u['name'] for u in users] == [PROTECTED_USER]
    assert fake.routes() == ['list', 'exchange', 'addon_token', 'list']
    assert fake.calls[0].headers['Authorization'] == 'Bearer ' + OTHER_DB_TOKEN
    assert fake.calls[-1].headers['Authorization'] == 'Bearer ' + DB_TOKEN


def test_a_database_token_is_replaced_only_once_per_task(fake):
    fake.script('list', *[Reply(401, json={'error': 'token expired'})] * 3)
    error = error_of(client(database_token=OTHER_DB_TOKEN).list_users)
    assert fake.routes() == ['list', 'exchange', 'addon_token', 'list'] and error.status == 401


def test_without_the_app_a_database_token_cannot_be_replaced_and_the_message_says_so(fake):
    fake.script('list', Reply(401, json={'error': 'token expired'}))
    error = error_of(client(database_token=OTHER_DB_TOKEN, app=None).list_users)
    assert fake.routes() == ['list']
    assert 'Check the database token' in error.message and 'With api_token and app as well' in error.message


def test_a_given_database_token_is_not_renewed(fake):
    fake.script('list', Reply(401, json={'error': 'token expired'}))
    error = error_of(client(api_token=None, app=None, database_token=DB_TOKEN).list_users)
    assert fake.routes() == ['list']
    assert 'Check the database token' in error.message


def test_403_says_the_owner_may_not_manage_users(fake):
    fake.script('list', Reply(403, json={'error': 'forbidden'}))
    error = error_of(client().list_users)
    assert error.status == 403
    assert "The token's owner may not manage database users" in error.message
    assert 'forbidden' in error.message


def test_404_on_the_addons_list_names_the_app(fake):
    error = error_of(client(app='other-app', addon='postgresql').list_users)
    assert error.status == 404
    assert "App 'other-app' was not found" in error.message


def test_404_on_the_addon_token_names_the_addon(fake):
    error = error_of(client(addon=OTHER_ADDON_ID).list_users)
    assert error.status == 404
    assert "Addon '%s' was not found in app 'my-app'" % OTHER_ADDON_ID in error.message


def test_404_on_the_database(fake):
    fake.addon_tokens[OTHER_ADDON_ID] = OTHER_DB_TOKEN
    error = error_of(client(addon=OTHER_ADDON_ID, database_token=OTHER_DB_TOKEN).list_users)
    assert error.status == 404
    assert "Database '%s' was not found" % OTHER_ADDON_ID in error.message


def test_422_field_errors_are_in_the_failure_and_the_message(fake):
    error = error_of(client().create_user, 'Bad_Name', False, PASSWORD)
    assert error.status == 422
    invalid = {'name': ['is invalid: must contain only lowercase letters, digits and hyphens, without leading, trailing or double hyphens']}
    assert error.errors == invalid and error.to_failure()['errors'] == invalid
    assert 'name is invalid' in error.message
    assert 'see failure.errors' in error.message
    assert_clean(error)


def test_422_with_several_fields(fake):
    fake.script('update', Reply(422, json={'errors': {'password': ['is too short'], 'password_confirmation': ['does not match']}}))
    fake.add_user('reporting')
    error = error_of(client().change_password, 'reporting', PASSWORD)
    assert error.errors == {'password': ['is too short'], 'password_confirmation': ['does not match']}
    assert 'password is too short; password_confirmation does not match' in error.message


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


def test_a_short_plain_text_error_is_quoted(fake):
    fake.script('list', Reply(400, text='bad request: missing database'))
    error = error_of(client().list_users)
    assert error.api_message == 'bad request: missing database'
    assert '(bad request: missing database)' in error.message


@pytest.mark.parametrize('route', ['exchange', 'addon_token', 'list'])
def test_html_instead_of_json_on_success(fake, route):
    fake.script(route, Reply(200, text='<html><body>Welcome to nginx</body></html>', headers={'Content-Type': 'text/html'}))
    error = error_of(client().list_users)
    assert 'a body that is not JSON (text/html)' in error.message
    assert 'is %s the right Scalingo URL?' % fake.calls[-1].host in error.message
    assert 'nginx' not in error.message


# --- redaction ---------------------------------------------------------------------------------

@pytest.mark.parametrize('route, echo', [
    ('exchange', API_TOKEN),
    ('addon_token', BEARER),
    ('list', DB_TOKEN),
])
def test_secrets_echoed_in_json_errors_are_redacted(fake, route, echo):
    refused = Reply(401, json={'error': 'token %s is invalid' % echo, 'errors': {echo: ['bad ' + echo]}})
    fake.script(route, refused, refused)  # the second answers the one renewal of the token
    error = error_of(client().list_users)
    assert_clean(error)
    assert '********' in error.message
    assert '********' in error.to_failure()['message']


@pytest.mark.parametrize('route, echo', [('exchange', API_TOKEN), ('addon_token', BEARER), ('list', DB_TOKEN)])
def test_secrets_echoed_in_plain_text_errors_are_redacted(fake, route, echo):
    fake.script(route, Reply(400, text='bad token ' + echo))
    error = error_of(client().list_users)
    assert_clean(error)
    assert error.api_message == 'bad token ********'


def test_a_database_token_echoed_is_redacted(fake):
    fake.script('list', Reply(401, json={'error': 'token %s expired' % DB_TOKEN}))
    error = error_of(client(api_token=None, app=None, database_token=DB_TOKEN).list_users)
    assert_clean(error)


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


def test_user_agent_constant():
    assert _api.USER_AGENT == 'scalingo.cloud/%s (ansible-core/%s)' % (COLLECTION_VERSION, ANSIBLE_CORE_VERSION)


# --- less common answers -------------------------------------------------------------------------

def test_an_unreadable_retry_after_falls_back_to_backoff(fake, clock):
    fake.script('list', Reply(429, text='Retry later', headers={'Retry-After': 'soon'}),
                Reply(429, text='Retry later', headers={'Retry-After': 'Mon, 99 Foo 2024 99:99:99 GMT'}))
    client().list_users()
    assert clock.sleeps == [1.0, 2.0]


def test_field_errors_given_as_strings(fake):
    fake.script('create', Reply(422, json={'errors': {'name': 'is too long', 'base': ['quota reached', 'try later']}}))
    error = error_of(client().create_user, 'reporting', False, None)
    assert error.errors == {'name': ['is too long'], 'base': ['quota reached', 'try later']}
    assert 'base quota reached, try later; name is too long' in error.message


def test_an_error_with_a_message_key(fake):
    fake.script('list', Reply(400, json={'message': 'database is not running'}))
    error = error_of(client().list_users)
    assert error.api_message == 'database is not running'
    assert '(database is not running)' in error.message


def test_404_on_the_token_exchange_points_at_the_urls(fake):
    error = error_of(client(auth_url='https://auth.scalingo.com/wrong').list_users)
    assert error.status == 404
    assert 'check region and the service URLs' in error.message


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


def test_a_certificate_failure_is_reported_as_such(fake, clock):
    fake.script('exchange', requests.exceptions.SSLError('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed'))
    error = error_of(client().list_users)
    assert 'TLS certificate verification failed. Check the certificate of that host; set validate_certs to false only ' \
           'against a test service.' in error.message
    assert fake.routes() == ['exchange']
