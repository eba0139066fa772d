# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ScalingoClient against the fake Scalingo: URLs, headers, tokens, retries, errors, redaction."""

import email.utils
import os
import time

import pytest
import requests
import yaml

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_CORE_VERSION

from ansible_collections.scalingo.cloud.plugins.module_utils import _api
from ansible_collections.scalingo.cloud.plugins.module_utils._api import (
    COLLECTION_VERSION,
    ScalingoClient,
    ScalingoError,
)
from ansible_collections.scalingo.cloud.plugins.module_utils._connection import region_urls
from ansible_collections.scalingo.cloud.plugins.module_utils._http import MAX_ATTEMPTS, MAX_RATE_LIMITED_ATTEMPTS
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    ADDON_ID,
    API_TOKEN,
    APP,
    BEARER,
    DB_TOKEN,
    MYSQL_ADDON_ID,
    OTHER_ADDON_ID,
    OTHER_API_TOKEN,
    OTHER_DB_TOKEN,
    PASSWORD,
    PASSWORD2,
    PROTECTED_USER,
    Reply,
    basic_auth,
    leaked,
)

COLLECTION_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
SECRETS = (API_TOKEN, BEARER, DB_TOKEN, PASSWORD, PASSWORD2)


def client(**overrides):
    params = dict(api_token=API_TOKEN, database_token=None, app=APP, addon=ADDON_ID, region='osc-fr1',
                  auth_url=None, api_url=None, db_api_url=None, timeout=30.0, validate_certs=True)
    params.update(overrides)
    return ScalingoClient(params)


def error_of(call, *args):
    with pytest.raises(ScalingoError) as raised:
        call(*args)
    return raised.value


def assert_clean(error, *secrets):
    """The error's message and failure dict carry none of the secrets."""
    assert not leaked([error.message, str(error), error.to_failure()], secrets or SECRETS)
    assert 'Traceback' not in error.message


# --- endpoints ---------------------------------------------------------------------------------

@pytest.mark.parametrize('region, api, db_api', [
    ('osc-fr1', 'https://api.osc-fr1.scalingo.com', 'https://db-api.osc-fr1.scalingo.com'),
    ('osc-secnum-fr1', 'https://api.osc-secnum-fr1.scalingo.com', 'https://db-api.osc-secnum-fr1.scalingo.com'),
    ('eu-test1', 'https://api.eu-test1.scalingo.com', 'https://db-api.eu-test1.scalingo.com'),
])
def test_region_sets_the_api_and_db_api_hosts(fake, region, api, db_api):
    assert region_urls(region) == (api, db_api)
    fake.set_region(region)
    fake.apps[APP][0]['id'] = ADDON_ID
    scalingo = client(region=region, addon='postgresql')
    assert scalingo.list_users()[0]['name'] == PROTECTED_USER
    assert [c.url for c in fake.calls] == [
        'https://auth.scalingo.com/v1/tokens/exchange',
        api + '/v1/apps/my-app/addons',
        api + '/v1/apps/my-app/addons/%s/token' % ADDON_ID,
        db_api + '/api/databases/%s/users' % ADDON_ID,
    ]


def test_no_region_means_osc_fr1(fake):
    scalingo = client(region=None)
    scalingo.list_users()
    assert {c.host for c in fake.calls} == {'auth.scalingo.com', 'api.osc-fr1.scalingo.com', 'db-api.osc-fr1.scalingo.com'}


@pytest.mark.parametrize('auth_url, api_url, db_api_url, bases', [
    ('https://auth.example.test/v1', 'https://api.example.test/v1/', 'https://db.example.test/api/',
     ('https://auth.example.test', 'https://api.example.test', 'https://db.example.test')),
    ('auth.example.test', 'api.example.test', 'db.example.test',
     ('https://auth.example.test', 'https://api.example.test', 'https://db.example.test')),
    ('http://localhost:8001/', 'http://localhost:8002/v1', 'http://localhost:8003/api',
     ('http://localhost:8001', 'http://localhost:8002', 'http://localhost:8003')),
    ('https://gw.example.test/auth', 'https://gw.example.test/regional/v1', 'https://gw.example.test/db/api',
     ('https://gw.example.test/auth', 'https://gw.example.test/regional', 'https://gw.example.test/db')),
])
def test_url_overrides(fake, auth_url, api_url, db_api_url, bases):
    fake.auth_base, fake.api_base, fake.db_base = bases
    scalingo = client(auth_url=auth_url, api_url=api_url, db_api_url=db_api_url, region='osc-secnum-fr1')
    assert (scalingo.auth_root, scalingo.api_root, scalingo.db_api_root) == bases
    scalingo.list_users()
    assert [c.url for c in fake.calls] == [
        bases[0] + '/v1/tokens/exchange',
        bases[1] + '/v1/apps/my-app/addons/%s/token' % ADDON_ID,
        bases[2] + '/api/databases/%s/users' % ADDON_ID,
    ]
    assert [c.status for c in fake.calls] == [200, 200, 200]


# --- headers, timeout, TLS ---------------------------------------------------------------------

def _every_kind_of_request(scalingo):
    scalingo.create_user('reporting', False, PASSWORD)
    scalingo.change_password('reporting', PASSWORD2)
    scalingo.reset_password('reporting')
    scalingo.delete_user('reporting')
    scalingo.list_users()


def test_json_headers_and_user_agent_on_every_request(fake):
    _every_kind_of_request(client(addon='postgresql'))
    assert {c.method for c in fake.calls} == {'GET', 'POST', 'PATCH', 'DELETE'}
    assert len(fake.calls) == 8
    for call in fake.calls:
        assert call.headers['Accept'] == 'application/json'
        assert call.headers['Content-Type'] == 'application/json'
        assert call.headers['User-Agent'].startswith('scalingo.cloud/%s ' % COLLECTION_VERSION)
        assert 'ansible-core/%s' % ANSIBLE_CORE_VERSION in call.headers['User-Agent']


def test_collection_version_matches_galaxy_yml():
    with open(os.path.join(COLLECTION_ROOT, 'galaxy.yml')) as handle:
        galaxy = yaml.safe_load(handle)
    assert galaxy['namespace'] == 'scalingo' and galaxy['name'] == 'cloud'
    assert COLLECTION_VERSION == galaxy['version']


def test_timeout_on_every_request(fake):
    _every_kind_of_request(client(timeout=12.5))
    assert len(fake.calls) == 7
    assert [c.timeout for c in fake.calls] == [12.5] * 7


def test_default_timeout_is_thirty_seconds(fake):
    client(timeout=None).list_users()
    assert [c.timeout for c in fake.calls] == [30] * 3


def test_validate_certs_false_disables_verification_on_every_request(fake):
    scalingo = client(validate_certs=False)
    assert scalingo.session.verify is False
    _every_kind_of_request(scalingo)
    assert [c.verify for c in fake.calls] == [False] * 7


def test_certificates_are_verified_by_default(fake):
    scalingo = client()
    assert scalingo.session.verify is True
    scalingo.list_users()
    assert [c.verify for c in fake.calls] == [True] * 3


# --- tokens ------------------------------------------------------------------------------------

def test_each_token_is_fetched_once_per_client(fake):
    scalingo = client(addon='postgresql')
    scalingo.list_users()
    scalingo.create_user('reporting', True)
    scalingo.change_password('reporting', PASSWORD)
    scalingo.delete_user('reporting')
    scalingo.list_users()
    assert fake.routes() == ['exchange', 'addons', 'addon_token', 'list', 'create', 'update', 'delete', 'list']


def test_exchange_uses_basic_auth_with_an_empty_user(fake):
    client().list_users()
    exchange = fake.select('exchange')[0]
    assert exchange.headers['Authorization'] == basic_auth(API_TOKEN)
    assert exchange.body is None


def test_addon_token_is_requested_for_the_addon_with_the_bearer(fake):
    client().list_users()
    token_call = fake.select('addon_token')[0]
    assert token_call.url.endswith('/v1/apps/my-app/addons/%s/token' % ADDON_ID)
    assert token_call.headers['Authorization'] == 'Bearer ' + BEARER


def test_each_credential_goes_only_to_its_host(fake):
    _every_kind_of_request(client(addon='postgresql'))
    where = {'auth': (API_TOKEN, basic_auth(API_TOKEN)), 'api': (BEARER,), 'db': (DB_TOKEN,)}
    for call in fake.calls:
        for service, secrets in where.items():
            for secret in secrets:
                if service != call.service:
                    assert secret not in call.text(), '%s sent to %s' % (service, call.url)
    assert {c.headers['Authorization'] for c in fake.select(service='db')} == {'Bearer ' + DB_TOKEN}
    assert {c.headers['Authorization'] for c in fake.select(service='api')} == {'Bearer ' + BEARER}


def test_a_netrc_file_does_not_replace_the_tokens(fake, tmp_path, monkeypatch):
    # requests applies ~/.netrc credentials to requests that have no explicit ``auth``.
    netrc = tmp_path / 'netrc'
    netrc.write_text('\n'.join('machine %s login someone password netrc-secret' % host for host in (
        'auth.scalingo.com', 'api.osc-fr1.scalingo.com', 'db-api.osc-fr1.scalingo.com')) + '\n')
    netrc.chmod(0o600)
    monkeypatch.setenv('NETRC', str(netrc))
    client().list_users()
    assert [c.status for c in fake.calls] == [200, 200, 200]
    assert not any('netrc-secret' in c.text() or 'c29tZW9uZ' in c.text() for c in fake.calls)


def test_database_token_skips_auth_and_api(fake):
    users = client(api_token=None, app=None, database_token=DB_TOKEN).list_users()
    assert [u['name'] for u in users] == [PROTECTED_USER]
    assert [(c.service, c.headers['Authorization']) for c in fake.calls] == [('db', 'Bearer ' + DB_TOKEN)]


def test_database_token_takes_precedence_over_api_token(fake):
    client(database_token=DB_TOKEN).list_users()
    assert fake.routes() == ['list']


def test_old_style_addon_id_is_used_as_is(fake):
    fake.apps[APP].append(dict(id=MYSQL_ADDON_ID, addon_provider=dict(id='mysql', name='MySQL')))
    fake.addon_tokens[MYSQL_ADDON_ID] = OTHER_DB_TOKEN
    fake.add_user('reader', addon_id=MYSQL_ADDON_ID, encryption=None)
    users = client(addon=MYSQL_ADDON_ID).list_users()
    assert users == [dict(name='reader', read_only=False, protected=False, dbms_attributes={})]
    assert fake.routes() == ['exchange', 'addon_token', 'list']
    assert fake.calls[-1].url.endswith('/api/databases/%s/users' % MYSQL_ADDON_ID)


# --- addon by type -----------------------------------------------------------------------------

def test_addon_type_resolves_to_the_only_addon_of_that_type(fake):
    scalingo = client(addon='postgresql')
    assert scalingo.addon_id == ADDON_ID
    assert scalingo.addon_id == ADDON_ID
    assert fake.routes() == ['exchange', 'addons']
    assert fake.select('addons')[0].url == 'https://api.osc-fr1.scalingo.com/v1/apps/my-app/addons'


def test_addon_type_absent_from_the_app(fake):
    error = error_of(lambda: client(addon='mongodb').list_users())
    assert "App 'my-app' has no mongodb addon" in error.message
    assert fake.routes() == ['exchange', 'addons']


def test_several_addons_of_the_type_are_listed_in_the_failure(fake):
    fake.apps[APP].append(dict(id=OTHER_ADDON_ID, addon_provider=dict(id='postgresql', name='PostgreSQL')))
    error = error_of(lambda: client(addon='postgresql').list_users())
    assert "has 2 postgresql addons" in error.message
    assert ADDON_ID in error.message and OTHER_ADDON_ID in error.message
    assert 'set addon to the id' in error.message
    assert fake.routes() == ['exchange', 'addons']


def test_app_is_quoted_in_urls(fake):
    fake.apps['weird app'] = fake.apps.pop(APP)
    client(app='weird app').list_users()
    assert fake.select('addon_token')[0].url.startswith('https://api.osc-fr1.scalingo.com/v1/apps/weird%20app/addons/')


# --- response shapes ---------------------------------------------------------------------------

@pytest.mark.parametrize('shape', ['bare', 'wrapped'])
def test_create_returns_the_generated_password_in_both_shapes(fake, shape):
    fake.response_shape = shape
    scalingo = client()
    created, password = scalingo.create_user('reporting', True)
    assert created == dict(name='reporting', read_only=True, protected=False,
                           dbms_attributes=dict(password_encryption='SCRAM-SHA-256'))
    assert password == fake.generated_passwords()[0]
    body = fake.select('create')[0].body
    assert body == {'database_user': dict(database_id=ADDON_ID, name='reporting', read_only=True,
                                          password=None, password_confirmation=None)}


@pytest.mark.parametrize('shape', ['bare', 'wrapped'])
def test_create_with_a_password_returns_no_password_even_if_echoed(fake, shape):
    fake.response_shape = shape
    fake.echo_password = True
    created, password = client().create_user('reporting', False, PASSWORD)
    assert password is None
    assert 'password' not in created
    assert fake.select('create')[0].body['database_user']['password'] == PASSWORD
    assert fake.select('create')[0].body['database_user']['password_confirmation'] == PASSWORD


@pytest.mark.parametrize('shape', ['bare', 'wrapped'])
def test_reset_returns_the_new_password_in_both_shapes(fake, shape):
    fake.response_shape = shape
    fake.add_user('reporting')
    changed, password = client().reset_password('reporting')
    assert changed['name'] == 'reporting' and 'password' not in changed
    assert password == fake.generated_passwords()[0]
    call = fake.select('reset')[0]
    assert call.url.endswith('/api/databases/%s/users/reporting/reset_password' % ADDON_ID)
    assert call.body is None


def test_reset_without_a_password_in_the_answer_fails(fake):
    fake.add_user('reporting')
    fake.script('reset', Reply(200, json={'name': 'reporting', 'read_only': False, 'protected': False}))
    error = error_of(client().reset_password, 'reporting')
    assert 'answered without the new password' in error.message
    assert error.outcome == 'applied'


@pytest.mark.parametrize('shape, answer', [('bare', 'user'), ('wrapped', 'user'), ('bare', 'empty')])
def test_change_password_in_every_shape(fake, shape, answer):
    fake.response_shape, fake.patch_answer = shape, answer
    fake.add_user('reporting', read_only=True)
    changed = client().change_password('reporting', PASSWORD)
    if answer == 'empty':
        assert changed is None
    else:
        assert changed == dict(name='reporting', read_only=True, protected=False,
                               dbms_attributes=dict(password_encryption='SCRAM-SHA-256'))
    assert fake.select('update')[0].body == {'database_user': dict(database_id=ADDON_ID, password=PASSWORD,
                                                                   password_confirmation=PASSWORD)}
    assert fake.users()['reporting']['_password'] == PASSWORD


def test_list_never_returns_passwords(fake):
    fake.list_includes_password = True
    fake.add_user('reporting', password=PASSWORD)
    users = client().list_users()
    assert [sorted(u) for u in users] == [['dbms_attributes', 'name', 'protected', 'read_only']] * 2
    assert not leaked(users, [PASSWORD])


def test_user_names_are_quoted_in_urls(fake):
    fake.add_user('reporting')
    client().delete_user('reporting')
    assert fake.calls[-1].url == 'https://db-api.osc-fr1.scalingo.com/api/databases/%s/users/reporting' % ADDON_ID
    assert fake.calls[-1].status == 204


GOOD_USER = {'name': 'good-user', 'read_only': False, 'protected': False}


@pytest.mark.parametrize('route, reply, expected', [
    ('exchange', Reply(200, json={'jwt': 'x'}), 'a "token" as a non-empty string'),
    ('exchange', Reply(200), 'a JSON object'),
    ('addon_token', Reply(200, json={'token': 'x'}), 'an "addon" object'),
    ('list', Reply(200, json=[]), 'a JSON object'),
    ('list', Reply(200, json={'database-users': [{'nom': 'x'}]}), 'users with their "name" as a non-empty string'),
    ('list', Reply(200, json={'database-users': [GOOD_USER, {'nom': 'x'}]}), 'users with their "name" as a non-empty string'),
    ('list', Reply(200, json={'database-users': [GOOD_USER, 'bad']}), 'users as objects'),
    ('list', Reply(200, json={'database-users': [GOOD_USER, GOOD_USER]}), 'each user listed once'),
])
def test_unexpected_success_bodies_fail_cleanly(fake, route, reply, expected):
    fake.script(route, reply)
    error = error_of(client().list_users)
    assert 'answered with an unexpected shape (expected %s): is this URL a Scalingo service?' % expected in error.message


def test_addons_list_without_addons_key(fake):
    fake.script('addons', Reply(200, json={'apps': []}))
    error = error_of(client(addon='postgresql').list_users)
    assert 'unexpected shape (expected an "addons" list)' in error.message


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
    assert 'try again later' in error.message


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
    assert 'Check the database token (database_token, SCALINGO_DATABASE_TOKEN or DB_BEARER_TOKEN)' in error.message
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
    assert error.errors == {'name': ['is invalid']}
    assert error.to_failure()['errors'] == {'name': ['is invalid']}
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
    assert 'TLS certificate verification failed (validate_certs)' in error.message
    assert fake.routes() == ['exchange']
