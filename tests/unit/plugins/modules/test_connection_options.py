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
    OTHER_ADDON_ID,
    OTHER_API_TOKEN,
    OTHER_DB_TOKEN,
    PASSWORD,
    PROTECTED_USER,
    addon,
    basic_auth,
    leaked,
)

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


def test_database_token_from_the_environment(fake, runner, monkeypatch):
    monkeypatch.setenv('SCALINGO_DATABASE_TOKEN', DB_TOKEN)
    done = runner.ok(database_user_info, dict(addon=ADDON_ID))
    assert [u['name'] for u in done['users']] == [PROTECTED_USER]
    assert [(c.route, c.headers['Authorization']) for c in fake.calls] == [('list', 'Bearer ' + DB_TOKEN)]


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


def test_database_token_with_an_addon_type_is_refused(fake, runner, monkeypatch):
    monkeypatch.setenv('SCALINGO_DATABASE_TOKEN', DB_TOKEN)
    failed = runner.fail(database_user_info, dict(addon='postgresql', app=APP))
    assert failed['failure'] == dict(option='addon')
    assert 'addon id' in failed.msg
    assert fake.calls == []
    assert not leaked(failed.result, SECRETS)


def test_database_token_sends_no_auth_or_api_request(fake, runner):
    done = runner.ok(database_user, dict(database_token=DB_TOKEN, addon=ADDON_ID, name='reporting',
                                         password=PASSWORD))
    assert done['changed'] is True
    assert fake.routes() == ['list', 'create']
    assert {c.host for c in fake.calls} == {'db-api.osc-fr1.scalingo.com'}
    assert not leaked(done.result, SECRETS)


@pytest.mark.parametrize('region', ['osc-fr1', 'osc-secnum-fr1', 'eu-test1'])
@pytest.mark.parametrize('from_env', [False, True])
def test_region_picks_the_hosts(fake, runner, monkeypatch, region, from_env):
    fake.set_region(region)
    task = dict(api_token=API_TOKEN, app=APP, addon='postgresql')
    if from_env:
        monkeypatch.setenv('SCALINGO_REGION', region)
    else:
        task['region'] = region
    runner.ok(database_user_info, task)
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


@pytest.mark.parametrize('variable, value, option', [
    ('SCALINGO_REGION', 'Osc FR1', 'region'),
    ('SCALINGO_AUTH_URL', 'ftp://auth.example.test', 'auth_url'),
    ('SCALINGO_API_URL', 'https://api.example.test/v1?x=y', 'api_url'),
    ('SCALINGO_DB_URL', 'https://user:pass@db.example.test', 'db_api_url'),
    ('SCALINGO_ADDON', 'redis', 'addon'),
])
def test_bad_values_from_the_environment_fail_before_any_request(fake, runner, monkeypatch, variable, value, option):
    monkeypatch.setenv(variable, value)
    task = dict(api_token=API_TOKEN, app=APP)
    if variable != 'SCALINGO_ADDON':
        task['addon'] = 'postgresql'
    failed = runner.fail(database_user_info, task)
    assert failed['failure'] == dict(option=option)
    assert fake.calls == []


# --- tokens --------------------------------------------------------------------------------------

def test_tokens_are_fetched_once_per_run(fake, runner):
    fake.add_user('reporting', read_only=False)
    done = runner.ok(database_user, dict(api_token=API_TOKEN, app=APP, addon='postgresql', name='reporting',
                                         read_only=True, recreate=True))
    assert done['changed'] is True
    assert fake.routes() == ['exchange', 'addons', 'addon_token', 'list', 'delete', 'create']


def test_each_credential_only_goes_to_its_own_host(fake, runner):
    fake.add_user('reporting', read_only=False)
    runner.ok(database_user, dict(api_token=API_TOKEN, app=APP, addon='postgresql', name='reporting',
                                  read_only=True, recreate=True, password=PASSWORD))
    runner.ok(database_user, dict(api_token=API_TOKEN, app=APP, addon='postgresql', name='reporting',
                                  state='reset_password'))
    for call in fake.calls:
        text = call.text()
        assert (API_TOKEN in text or basic_auth(API_TOKEN) in text) == (call.host == 'auth.scalingo.com')
        assert (BEARER in text) == (call.host == 'api.osc-fr1.scalingo.com')
        assert (DB_TOKEN in text) == (call.host == 'db-api.osc-fr1.scalingo.com')
        assert (PASSWORD in text) == (call.route == 'create')


@pytest.mark.parametrize('addon', ['redis', 'elasticsearch', 'opensearch'])
@pytest.mark.parametrize('module', [database_user, database_user_info])
def test_addons_without_users_are_refused_without_requests(fake, runner, module, addon):
    failed = runner.fail(module, dict(api_token=API_TOKEN, app=APP, addon=addon, name='reporting'))
    assert failed['failure'] == dict(option='addon')
    assert addon in failed.msg and 'postgresql' in failed.msg
    assert fake.calls == []


def test_several_addons_of_a_type_fail_listing_their_ids(fake, runner):
    fake.apps[APP].append(addon(OTHER_ADDON_ID, 'postgresql'))
    failed = runner.fail(database_user, dict(api_token=API_TOKEN, app=APP, addon='postgresql', name='reporting'))
    assert ADDON_ID in failed.msg and OTHER_ADDON_ID in failed.msg
    assert fake.routes() == ['exchange', 'addons']


def test_no_addon_of_the_type(fake, runner):
    failed = runner.fail(database_user_info, dict(api_token=API_TOKEN, app=APP, addon='influxdb'))
    assert "App 'my-app' has no influxdb addon" in failed.msg
    assert fake.routes() == ['exchange', 'addons']


def test_a_wrong_api_token(fake, runner):
    failed = runner.fail(database_user_info, dict(api_token=OTHER_API_TOKEN, app=APP, addon='postgresql'))
    assert 'Check the API token' in failed.msg
    assert failed['failure']['status'] == 401
    assert fake.routes() == ['exchange']
    assert not leaked(failed.result, SECRETS)


def test_a_wrong_database_token(fake, runner):
    failed = runner.fail(database_user_info, dict(database_token=OTHER_DB_TOKEN, addon=ADDON_ID))
    assert 'Check the database token' in failed.msg
    assert failed['failure']['status'] == 401
    assert not leaked(failed.result, SECRETS)


def test_an_unknown_app(fake, runner):
    failed = runner.fail(database_user_info, dict(api_token=API_TOKEN, app='ghost-app', addon='postgresql'))
    assert "App 'ghost-app' was not found" in failed.msg
    assert failed['failure']['status'] == 404


def test_an_unknown_addon(fake, runner):
    failed = runner.fail(database_user_info, dict(api_token=API_TOKEN, app=APP, addon=OTHER_ADDON_ID))
    assert "Addon '%s' was not found in app 'my-app'" % OTHER_ADDON_ID in failed.msg
    assert failed['failure']['status'] == 404


# --- timeout, TLS, headers -----------------------------------------------------------------------

def test_timeout_is_passed_on_every_request(fake, runner):
    runner.ok(database_user, dict(api_token=API_TOKEN, app=APP, addon='postgresql', name='reporting', timeout=7.5))
    assert len(fake.calls) == 5
    assert {c.timeout for c in fake.calls} == {7.5}


def test_validate_certs_false_warns_and_disables_verification(fake, runner):
    done = runner.ok(database_user_info, dict(api_token=API_TOKEN, app=APP, addon='postgresql', validate_certs=False))
    assert {c.verify for c in fake.calls} == {False}
    assert len(done.warnings) == 1
    assert 'validate_certs is false' in done.warnings[0]
    assert not leaked(done.warnings, SECRETS)


def test_no_warning_by_default(fake, runner):
    done = runner.ok(database_user_info, dict(api_token=API_TOKEN, app=APP, addon='postgresql'))
    assert done.warnings == []
    assert {c.verify for c in fake.calls} == {True}


def test_user_agent_names_the_collection_and_ansible_core(fake, runner):
    from ansible.module_utils.ansible_release import __version__ as core_version
    runner.ok(database_user_info, dict(api_token=API_TOKEN, app=APP, addon='postgresql'))
    agents = {c.headers['User-Agent'] for c in fake.calls}
    assert len(agents) == 1
    agent = agents.pop()
    assert agent.startswith('scalingo.cloud/') and ('ansible-core/%s' % core_version) in agent
    assert {(c.headers['Accept'], c.headers['Content-Type']) for c in fake.calls} == {('application/json', 'application/json')}


def test_missing_requests_library_fails_before_any_request(fake, runner, monkeypatch):
    from ansible_collections.scalingo.cloud.plugins.module_utils import _module
    monkeypatch.setattr(_module, 'REQUESTS_IMPORT_ERROR', 'Traceback: No module named requests')
    failed = runner.fail(database_user_info, dict(api_token=API_TOKEN, app=APP, addon='postgresql'))
    assert 'requests' in failed.msg
    assert fake.calls == []
