# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The connection options every module shares, through the modules: env vars, URLs, tokens, TLS."""

import pytest

from ansible_collections.scalingo.cloud.plugins.modules import database_user, database_user_info
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    ADDON_ID,
    API_TOKEN,
    APP,
    BEARER,
    DB_TOKEN,
    OTHER_API_TOKEN,
    OTHER_DB_TOKEN,
    PASSWORD,
    PROTECTED_USER,
    basic_auth,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import leaked

SECRETS = (API_TOKEN, BEARER, DB_TOKEN, OTHER_API_TOKEN, OTHER_DB_TOKEN, PASSWORD)


def hosts(fake):
    return [c.host for c in fake.calls]


# --- environment variables ---------------------------------------------------------------------

def test_api_token_app_and_addon_from_the_environment(fake, runner, monkeypatch):
    monkeypatch.setenv('SCALINGO_API_TOKEN', API_TOKEN)
    monkeypatch.setenv('SCALINGO_APP', APP)
    monkeypatch.setenv('SCALINGO_ADDON', 'postgresql')
    done = runner.ok(database_user_info, {})
    assert [u['name'] for u in done['users']] == [PROTECTED_USER]
    assert fake.select('exchange')[0].headers['Authorization'] == basic_auth(API_TOKEN)
    assert fake.select('addons')[0].url == 'https://api.osc-fr1.scalingo.com/v1/apps/my-app/addons'
    assert not leaked(done.result, SECRETS)


def test_options_take_precedence_over_the_environment(fake, runner, monkeypatch):
    monkeypatch.setenv('SCALINGO_API_TOKEN', OTHER_API_TOKEN)
    monkeypatch.setenv('SCALINGO_APP', 'other-app')
    monkeypatch.setenv('SCALINGO_ADDON', 'mysql')
    monkeypatch.setenv('SCALINGO_REGION', 'osc-secnum-fr1')
    runner.ok(database_user_info, dict(api_token=API_TOKEN, app=APP, addon='postgresql', region='osc-fr1'))
    assert fake.select('exchange')[0].headers['Authorization'] == basic_auth(API_TOKEN)
    assert set(hosts(fake)) == {'auth.scalingo.com', 'api.osc-fr1.scalingo.com', 'db-api.osc-fr1.scalingo.com'}


@pytest.mark.parametrize('variables', [dict(DB_BEARER_TOKEN=OTHER_DB_TOKEN, DB_API_URL='db.example.test'),
                                       dict(DATABASE_TOKEN=OTHER_DB_TOKEN, DB_URL='https://db.example.test')])
def test_generic_names_another_tool_may_set_decide_nothing(fake, runner, monkeypatch, variables):
    """Only SCALINGO_* names are read: a variable another tool set neither picks the token nor where it goes."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    failed = runner.fail(database_user_info, dict(addon=ADDON_ID))
    assert 'one of the following is required: api_token, database_token' in failed.msg and fake.calls == []
    monkeypatch.setenv('SCALINGO_DATABASE_TOKEN', DB_TOKEN)
    runner.ok(database_user_info, dict(addon=ADDON_ID))
    assert [(c.host, c.headers['Authorization']) for c in fake.calls] == [('db-api.osc-fr1.scalingo.com', 'Bearer ' + DB_TOKEN)]


def test_database_token_sends_no_auth_or_api_request(fake, runner):
    done = runner.ok(database_user, dict(database_token=DB_TOKEN, addon=ADDON_ID, name='reporting',
                                         password=PASSWORD))
    assert done['changed'] is True
    assert fake.routes() == ['list', 'create']
    assert {c.host for c in fake.calls} == {'db-api.osc-fr1.scalingo.com'}
    assert not leaked(done.result, SECRETS)


@pytest.mark.parametrize('region', ['osc-fr1', 'osc-secnum-fr1', 'eu-test1'])
def test_region_from_the_environment_picks_the_hosts(fake, runner, monkeypatch, region):
    # The option itself: test_api.test_region_sets_the_api_and_db_api_hosts.
    fake.set_region(region)
    monkeypatch.setenv('SCALINGO_REGION', region)
    runner.ok(database_user_info, dict(api_token=API_TOKEN, app=APP, addon='postgresql'))
    assert hosts(fake) == ['auth.scalingo.com', 'api.%s.scalingo.com' % region, 'api.%s.scalingo.com' % region,
                           'db-api.%s.scalingo.com' % region]


def test_service_urls_from_the_environment(fake, runner, monkeypatch):
    monkeypatch.setenv('SCALINGO_AUTH_URL', 'https://auth.example.test/v1/')
    monkeypatch.setenv('SCALINGO_API_URL', 'api.example.test')
    monkeypatch.setenv('SCALINGO_DB_API_URL', 'https://db.example.test/api')
    fake.auth_base, fake.api_base, fake.db_base = 'https://auth.example.test', 'https://api.example.test', 'https://db.example.test'
    runner.ok(database_user_info, dict(api_token=API_TOKEN, app=APP, addon=ADDON_ID))
    assert [c.url for c in fake.calls] == [
        'https://auth.example.test/v1/tokens/exchange',
        'https://api.example.test/v1/apps/my-app/addons/%s/token' % ADDON_ID,
        'https://db.example.test/api/databases/%s/users' % ADDON_ID,
    ]


@pytest.mark.parametrize('variables, used', [
    (dict(SCALINGO_DB_API_URL='https://one.example.test', SCALINGO_DB_URL='https://two.example.test'),
     'https://one.example.test'),
    (dict(SCALINGO_DB_URL='https://two.example.test/api', DB_API_URL='three.example.test'), 'https://two.example.test'),
    (dict(SCALINGO_DB_URL='db-api.osc-secnum-fr1.scalingo.com'), 'https://db-api.osc-secnum-fr1.scalingo.com'),
    (dict(DB_API_URL='three.example.test'), 'https://db-api.osc-fr1.scalingo.com'),
])
def test_db_api_url_variables_in_order(fake, runner, monkeypatch, variables, used):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    fake.db_base = used
    runner.ok(database_user_info, dict(database_token=DB_TOKEN, addon=ADDON_ID))
    assert [c.url for c in fake.calls] == [used + '/api/databases/%s/users' % ADDON_ID]


def test_db_api_url_option_beats_the_environment(fake, runner, monkeypatch):
    monkeypatch.setenv('SCALINGO_DB_API_URL', 'https://env.example.test')
    fake.db_base = 'https://option.example.test'
    runner.ok(database_user_info, dict(database_token=DB_TOKEN, addon=ADDON_ID, db_api_url='option.example.test/api/'))
    assert hosts(fake) == ['option.example.test']


# --- TLS, and requests missing --------------------------------------------------------------------

def test_validate_certs_false_warns_and_disables_verification(fake, runner):
    done = runner.ok(database_user_info, dict(api_token=API_TOKEN, app=APP, addon='postgresql', validate_certs=False))
    assert {c.verify for c in fake.calls} == {False}
    assert len(done.warnings) == 1
    assert 'validate_certs is false' in done.warnings[0]
    assert not leaked(done.warnings, SECRETS)


def test_missing_requests_library_fails_before_any_request(fake, runner, monkeypatch):
    from ansible_collections.scalingo.cloud.plugins.module_utils import _module
    monkeypatch.setattr(_module, 'REQUESTS_IMPORT_ERROR', 'Traceback: No module named requests')
    failed = runner.fail(database_user_info, dict(api_token=API_TOKEN, app=APP, addon='postgresql'))
    assert 'requests' in failed.msg
    assert fake.calls == []
