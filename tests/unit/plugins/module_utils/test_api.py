# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ScalingoClient against the fake Scalingo: URLs, headers, tokens, the addon by type, answer shapes."""

import os

import pytest
import yaml

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_CORE_VERSION

from ansible_collections.scalingo.cloud.plugins.module_utils._api import COLLECTION_VERSION
from ansible_collections.scalingo.cloud.plugins.module_utils._connection import region_urls
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    ADDON_ID,
    API_TOKEN,
    APP,
    BEARER,
    DB_TOKEN,
    MYSQL_ADDON_ID,
    OTHER_ADDON_ID,
    OTHER_DB_TOKEN,
    PASSWORD,
    PASSWORD2,
    PROTECTED_USER,
    Reply,
    addon,
    basic_auth,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import client, error_of

COLLECTION_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


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


def test_json_headers_and_user_agent_on_every_request_and_each_token_fetched_once(fake):
    _every_kind_of_request(client(addon='postgresql'))
    assert fake.routes() == ['exchange', 'addons', 'addon_token', 'create', 'update', 'reset', 'delete', 'list']
    for call in fake.calls:
        assert call.headers['Accept'] == 'application/json'
        assert call.headers['Content-Type'] == 'application/json'
        assert call.headers['User-Agent'] == 'scalingo.cloud/%s (ansible-core/%s)' % (COLLECTION_VERSION, ANSIBLE_CORE_VERSION)


def test_collection_version_matches_galaxy_yml():
    with open(os.path.join(COLLECTION_ROOT, 'galaxy.yml')) as handle:
        galaxy = yaml.safe_load(handle)
    assert galaxy['namespace'] == 'scalingo' and galaxy['name'] == 'cloud'
    assert COLLECTION_VERSION == galaxy['version']


@pytest.mark.parametrize('options, sent', [(dict(timeout=12.5), (12.5, True)), (dict(timeout=None), (30, True)),
                                           (dict(validate_certs=False), (30, False))])
def test_timeout_and_validate_certs_on_every_request(fake, options, sent):
    scalingo = client(**options)
    assert scalingo.session.verify is sent[1]
    _every_kind_of_request(scalingo)
    assert [(c.timeout, c.verify) for c in fake.calls] == [sent] * 7


# --- tokens ------------------------------------------------------------------------------------

def test_each_credential_goes_only_to_its_host(fake):
    _every_kind_of_request(client(addon='postgresql'))
    where = {'auth': (API_TOKEN, basic_auth(API_TOKEN)), 'api': (BEARER,), 'db': (DB_TOKEN,)}
    for call in fake.calls:
        for service, secrets in where.items():
            for secret in secrets:
                if service != call.service:
                    assert secret not in call.text(), '%s sent to %s' % (service, call.url)
    assert [c.route for c in fake.calls if PASSWORD in c.text()] == ['create']
    assert [(c.headers['Authorization'], c.body) for c in fake.select(service='auth')] == [(basic_auth(API_TOKEN), None)]
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


@pytest.mark.parametrize('api_token', [API_TOKEN, None])
def test_database_token_skips_auth_and_api_and_takes_precedence_over_api_token(fake, api_token):
    users = client(api_token=api_token, database_token=DB_TOKEN).list_users()
    assert [u['name'] for u in users] == [PROTECTED_USER]
    assert [(c.route, c.headers['Authorization']) for c in fake.calls] == [('list', 'Bearer ' + DB_TOKEN)]


def test_old_style_addon_id_is_used_as_is(fake):
    fake.apps[APP].append(addon(MYSQL_ADDON_ID, 'mysql'))
    fake.addon_tokens[MYSQL_ADDON_ID] = OTHER_DB_TOKEN
    fake.add_user('reader', addon_id=MYSQL_ADDON_ID, encryption=None)
    users = client(addon=MYSQL_ADDON_ID).list_users()
    # after the database's own user, protected, which every addon of Scalingo has
    assert users[0]['protected'] is True and users[1:] == [dict(name='reader', read_only=False, protected=False, dbms_attributes={})]
    assert fake.routes() == ['exchange', 'addon_token', 'list']
    assert fake.calls[-1].url.endswith('/api/databases/%s/users' % MYSQL_ADDON_ID)


# --- addon by type -----------------------------------------------------------------------------

def test_addon_type_resolves_to_the_only_addon_of_that_type(fake):
    scalingo = client(addon='postgresql')
    assert scalingo.addon_id == ADDON_ID
    assert scalingo.addon_id == ADDON_ID
    assert fake.routes() == ['exchange', 'addons']
    assert fake.select('addons')[0].url == 'https://api.osc-fr1.scalingo.com/v1/apps/my-app/addons'


def test_several_addons_of_the_type_are_listed_in_the_failure(fake):
    fake.apps[APP].append(addon(OTHER_ADDON_ID, 'postgresql'))
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
    assert fake.users()['reporting'].password == PASSWORD


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
    ('addons', Reply(200, json={'apps': []}), 'an "addons" list'),
])
def test_unexpected_success_bodies_fail_cleanly(fake, route, reply, expected):
    fake.script(route, reply)
    error = error_of(client(addon='postgresql').list_users)
    assert 'answered with an unexpected shape (expected %s): is this URL a Scalingo service?' % expected in error.message
