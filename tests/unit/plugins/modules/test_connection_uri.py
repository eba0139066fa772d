# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The connection option of every module: the database's address from the app's environment, the URI of a user."""

from urllib.parse import quote

import pytest

from ansible_collections.scalingo.cloud.plugins.modules import database_user, database_user_info, database_users
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    ADDON_ID,
    API_TOKEN,
    APP,
    APP_SECRET,
    DB_TOKEN,
    PASSWORD,
    PASSWORD2,
    PG_HOST,
    PG_URL,
    PROTECTED_PASSWORD,
    REDIS_URL,
    SECRETS,
    Reply,
    leaked,
)

CONNECTION = dict(scheme='postgres', host=PG_HOST, port=30000, database='my_app_4321', options=dict(sslmode='prefer'))
ENVIRONMENT = [PROTECTED_PASSWORD, APP_SECRET, PG_URL, REDIS_URL, 'plain-setting-unit']


def uri(name, password):
    """The URI, its password encoded in full (Ansible would mask a given password left as it is)."""
    encoded = ''.join('%%%02X' % byte for byte in password.encode('utf-8'))
    return 'postgres://%s:%s@%s:30000/my_app_4321?sslmode=prefer' % (quote(name, safe=''), encoded, PG_HOST)


def args(**overrides):
    values = dict(api_token=API_TOKEN, app=APP, addon='postgresql', connection=True)
    values.update(overrides)
    return values


def no_environment_in(outcome, keep=()):
    """Nothing of the app's environment but the address; the passwords only under the keys meant for them."""
    result = dict((key, value) for key, value in outcome.result.items() if key not in keep)
    assert not leaked(result, list(SECRETS) + ENVIRONMENT), leaked(result, list(SECRETS) + ENVIRONMENT)
    assert not leaked(outcome.warnings, list(SECRETS) + ENVIRONMENT)
    assert not leaked(outcome.result, [PROTECTED_PASSWORD, APP_SECRET, 'plain-setting-unit', REDIS_URL])


@pytest.mark.parametrize('check', [False, True])
def test_info_returns_the_address_without_credentials(fake, runner, check):
    done = runner.ok(database_user_info, args(), check=check)
    assert done['connection'] == CONNECTION
    assert fake.routes() == ['exchange', 'addons', 'addon_token', 'list', 'variables']
    no_environment_in(done)


@pytest.mark.parametrize('module, extra', [(database_user_info, {}), (database_user, dict(name='metabase')),
                                           (database_users, dict(users=[dict(name='metabase')]))])
def test_without_the_option_not_one_more_request(fake, runner, module, extra):
    done = runner.ok(module, args(connection=False, **extra))
    assert 'variables' not in fake.routes()
    assert not any(key.startswith('connection') for key in done.result)


@pytest.mark.parametrize('check', [False, True])
def test_a_given_password_gives_the_uri_in_check_mode_too(fake, runner, check):
    done = runner.ok(database_user, args(name='metabase', read_only=True, password=PASSWORD), check=check)
    assert done['changed'] is True
    assert done['connection'] == CONNECTION
    assert done['connection_uri'] == uri('metabase', PASSWORD)
    assert ('metabase' in fake.users()) is not check and (fake.writes == []) is check
    assert PASSWORD not in done['connection_uri']  # Ansible would mask it: no_log option
    no_environment_in(done, keep=('connection_uri',))


def test_a_generated_password_gives_the_uri_of_the_real_run_only(fake, runner):
    checked = runner.ok(database_user, args(name='reporting'), check=True)
    assert checked['connection'] == CONNECTION and 'connection_uri' not in checked
    done = runner.ok(database_user, args(name='reporting'))
    generated = fake.generated_passwords()[-1]
    assert done['password'] == generated and done['connection_uri'] == uri('reporting', generated)
    no_environment_in(done, keep=('connection_uri', 'password'))


def test_a_reset_gives_the_uri_of_the_new_password(fake, runner):
    fake.add_user('reporting', password=PASSWORD)
    done = runner.ok(database_user, args(name='reporting', state='reset_password'))
    assert done['connection_uri'] == uri('reporting', fake.generated_passwords()[-1])


def test_an_existing_user_whose_password_is_unknown_gets_the_address_only(fake, runner):
    fake.add_user('reporting', password=PASSWORD)
    done = runner.ok(database_user, args(name='reporting'))
    assert done['changed'] is False and done['connection'] == CONNECTION and 'connection_uri' not in done


def test_a_removed_user_has_no_uri(fake, runner):
    fake.add_user('reporting', password=PASSWORD)
    done = runner.ok(database_user, args(name='reporting', state='absent', password=PASSWORD))
    assert done['connection'] == CONNECTION and 'connection_uri' not in done


@pytest.mark.parametrize('check', [False, True])
def test_database_users_gives_the_uri_of_each_user_whose_password_it_knows(fake, runner, check):
    fake.add_user('old-user', password=PASSWORD)
    users = [dict(name='given-user', password=PASSWORD2), dict(name='generated'), dict(name='old-user', state='absent')]
    done = runner.ok(database_users, args(users=users), check=check)
    expected = {'given-user': uri('given-user', PASSWORD2)}
    if not check:
        expected['generated'] = uri('generated', fake.generated_passwords()[-1])
    assert done['connection'] == CONNECTION and done['connection_uris'] == expected
    no_environment_in(done, keep=('connection_uris', 'passwords'))


@pytest.mark.parametrize('module, extra', [(database_user_info, {}), (database_user, dict(name='metabase')),
                                           (database_users, dict(users=[]))])
def test_a_database_token_alone_cannot_read_the_environment(fake, runner, module, extra):
    failed = runner.fail(module, dict(database_token=DB_TOKEN, addon=ADDON_ID, connection=True, **extra))
    assert failed['failure'] == dict(option='connection')
    assert 'api_token and app' in failed.msg and '\n' not in failed.msg
    assert fake.calls == []


@pytest.mark.parametrize('change, message', [
    (lambda env: env.pop('SCALINGO_POSTGRESQL_URL'), 'has no SCALINGO_POSTGRESQL_URL variable'),
    (lambda env: env.update(SCALINGO_POSTGRESQL_URL=PG_URL.replace('my-app-4321:', 'someone-else:')),
     "None of the app's SCALINGO_POSTGRESQL_URL variables (SCALINGO_POSTGRESQL_URL) is the URL of this database"),
    (lambda env: env.update(SCALINGO_POSTGRESQL_URL_2=PG_URL.replace('30000', '30001')), 'give different addresses'),
])
@pytest.mark.parametrize('module', [database_user, database_users])
def test_no_address_fails_before_any_write_and_says_why(fake, runner, change, message, module):
    change(fake.variables[APP])
    extra = dict(name='metabase', password=PASSWORD) if module is database_user else dict(users=[dict(name='metabase')])
    failed = runner.fail(module, args(**extra))
    assert message in failed.msg and 'leave connection out' in failed.msg
    assert failed['changed'] is False and fake.writes == [] and 'metabase' not in fake.users()
    assert failed.get('created', []) == []
    assert failed['failure']['url'].endswith('/v1/apps/my-app/variables') and failed['failure']['uncertain'] is False
    no_environment_in(failed)


@pytest.mark.parametrize('body', [{'variables': [{'name': 'A', 'value': 1}]}, {'variables': {}}, [],
                                  {'variables': [{'name': 'A', 'value': 'x'}, {'name': 'A', 'value': 'y'}]}])
def test_an_environment_of_another_shape_fails_naming_the_url(fake, runner, body):
    fake.script('variables', Reply(200, json=body))
    failed = runner.fail(database_user_info, args())
    assert 'GET https://api.osc-fr1.scalingo.com/v1/apps/my-app/variables answered with an unexpected shape' in failed.msg


def test_refused_reading_the_environment_says_what_to_do(fake, runner):
    fake.script('variables', Reply(403, json={'error': 'forbidden'}))
    failed = runner.fail(database_user, args(name='metabase', password=PASSWORD))
    assert "may not read the app's environment" in failed.msg and fake.writes == []


def test_an_environment_echoed_in_an_error_is_redacted(fake, runner):
    """A proxy that puts the environment it read in the failure of a later request shows no secret of it."""
    fake.script('create', Reply(422, json={'errors': {'name': ['upstream said %s %s' % (PG_URL, APP_SECRET)]}}))
    failed = runner.fail(database_user, args(name='metabase', password=PASSWORD))
    assert 'upstream said' in failed.msg or 'upstream said' in str(failed['failure'])
    no_environment_in(failed)
