# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""return_connection, through the modules: the address from the Database API, the URI of a generated password, and
no given password back in any form."""

from urllib.parse import quote

import pytest

from ansible_collections.scalingo.cloud.plugins.modules import database_user, database_user_info, database_users
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    ADDON_ID,
    DB_TOKEN,
    PASSWORD,
    PG_HOST,
    PROTECTED_USER,
    SECRETS,
    Reply,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import every_form, leaked, task

CONNECTION = dict(scheme='postgres', host=PG_HOST, port=30000, database=PROTECTED_USER, options=dict(sslmode='prefer'),
                  force_ssl=False, publicly_available=False)
# A given password with every character that URL-encoders treat differently.
ODD_PASSWORD = 'pw/unit!*() %x~Zq8Wn3+Lk6Jh1&Gf4=Ds7Ap0Mb'


def uri(name, password, sslmode='prefer'):
    credentials = '%s:%s' % (quote(name, safe=''), quote(password, safe=''))
    return 'postgres://%s@%s:30000/%s?sslmode=%s' % (credentials, PG_HOST, PROTECTED_USER, sslmode)


def args(**overrides):
    return task(**dict(dict(return_connection=True), **overrides))


def no_secret_in(outcome, keep=(), given=()):
    """No token nor password in the result but under ``keep``; no ``given`` password in any form, anywhere."""
    result = dict((key, value) for key, value in outcome.result.items() if key not in keep)
    assert not leaked(result, SECRETS), leaked(result, SECRETS)
    assert not leaked(outcome.warnings, SECRETS)
    forms = [form for password in given for form in every_form(password)]
    assert not leaked(outcome.result, forms), leaked(outcome.result, forms)
    assert not leaked(outcome.warnings, forms)


@pytest.mark.parametrize('check', [False, True])
def test_info_returns_the_address_from_the_database_api(fake, runner, check):
    done = runner.ok(database_user_info, args(), check=check)
    assert done['connection'] == CONNECTION
    assert fake.routes() == ['exchange', 'addons', 'addon_token', 'list', 'database']
    assert fake.select('database')[0].headers['Authorization'] == 'Bearer ' + DB_TOKEN
    no_secret_in(done)


@pytest.mark.parametrize('module, extra', [(database_user_info, {}), (database_user, dict(name='metabase')),
                                           (database_users, dict(users=[dict(name='metabase')]))])
def test_the_address_costs_one_request_and_a_database_token_alone_is_enough(fake, runner, module, extra):
    without = runner.ok(module, args(return_connection=False, **extra))
    assert 'database' not in fake.routes()
    assert not any(key.startswith('connection') for key in without.result)
    fake.calls = []
    fake.users().pop('metabase', None)
    done = runner.ok(module, dict(database_token=DB_TOKEN, addon=ADDON_ID, return_connection=True, **extra))
    assert done['connection'] == CONNECTION and fake.routes().count('database') == 1
    assert [c.service for c in fake.calls] == ['db'] * len(fake.calls)


@pytest.mark.parametrize('password', [PASSWORD, ODD_PASSWORD])
@pytest.mark.parametrize('check', [False, True])
def test_a_given_password_comes_back_in_no_form(fake, runner, check, password):
    done = runner.ok(database_user, args(name='metabase', read_only=True, password=password), check=check)
    assert done['changed'] is True and done['connection'] == CONNECTION
    assert 'connection_uri' not in done and 'password' not in done
    assert ('metabase' in fake.users()) is not check
    no_secret_in(done, given=[password])


def test_a_generated_password_gives_the_uri_of_the_real_run_only(fake, runner):
    checked = runner.ok(database_user, args(name='reporting'), check=True)
    assert checked['connection'] == CONNECTION and 'connection_uri' not in checked
    done = runner.ok(database_user, args(name='reporting'))
    generated = fake.generated_passwords()[-1]
    assert done['password'] == generated and done['connection_uri'] == uri('reporting', generated)
    no_secret_in(done, keep=('connection_uri', 'password'))


@pytest.mark.parametrize('features, sslmode', [({}, 'prefer'), ({'force-ssl': 'ACTIVATED', 'publicly-available': 'ACTIVATED'}, 'require')])
def test_a_reset_gives_the_uri_of_the_new_password_with_tls_if_the_database_accepts_nothing_else(fake, runner, features, sslmode):
    fake.database_info[ADDON_ID]['features'] = features
    fake.add_user('reporting', password=PASSWORD)
    done = runner.ok(database_user, args(name='reporting', state='reset_password'))
    assert done['connection'] == dict(CONNECTION, options=dict(sslmode=sslmode), force_ssl=bool(features),
                                      publicly_available=bool(features))
    assert done['connection_uri'] == uri('reporting', fake.generated_passwords()[-1], sslmode=sslmode)


@pytest.mark.parametrize('extra', [dict(), dict(state='absent'), dict(password=PASSWORD)])
def test_an_existing_or_removed_user_gets_the_address_only(fake, runner, extra):
    fake.add_user('reporting', password=PASSWORD)
    done = runner.ok(database_user, args(name='reporting', **extra))
    assert done['connection'] == CONNECTION and 'connection_uri' not in done
    no_secret_in(done, given=[PASSWORD])


@pytest.mark.parametrize('check', [False, True])
def test_database_users_gives_the_uri_of_each_generated_password(fake, runner, check):
    fake.add_user('old-user', password=PASSWORD)
    users = [dict(name='given-user', password=ODD_PASSWORD), dict(name='generated'), dict(name='old-user', state='absent')]
    done = runner.ok(database_users, args(users=users), check=check)
    expected = {} if check else {'generated': uri('generated', fake.generated_passwords()[-1])}
    assert done['connection'] == CONNECTION and done['connection_uris'] == expected
    no_secret_in(done, keep=('connection_uris', 'passwords'), given=[ODD_PASSWORD])


@pytest.mark.parametrize('addon', ['mongodb', 'influxdb'])
@pytest.mark.parametrize('module, extra', [(database_user_info, {}), (database_user, dict(name='metabase')),
                                           (database_users, dict(users=[]))])
def test_a_type_without_a_documented_uri_is_refused_before_any_request(fake, runner, module, extra, addon):
    failed = runner.fail(module, args(addon=addon, **extra))
    assert failed['failure'] == dict(option='return_connection')
    assert 'no connection URI for %s' % addon in failed.msg and '\n' not in failed.msg
    assert fake.calls == []


def _one_write(module):
    return (dict(name='metabase', password=PASSWORD) if module is database_user
            else dict(users=[dict(name='metabase', password=PASSWORD)]))


@pytest.mark.parametrize('change, message', [
    (lambda fake: fake.users().clear(), 'lists 0 protected users'),
    (lambda fake: fake.add_user('other-db', protected=True), 'lists 2 protected users'),
    (lambda fake: fake.script('database', Reply(200, json={'database': dict(
        fake.emulator.addons[ADDON_ID].database_json(), type_name='mongodb')})), 'no connection URI for mongodb'),
    (lambda fake: fake.script('database', Reply(200, json={'database': {'type_name': 'postgresql', 'hostname': 'h'}})),
     'answered with an unexpected shape'),
    (lambda fake: fake.database_info[ADDON_ID].update(hostname='%s.example.com:30000' % DB_TOKEN),
     'holds a credential'),
    (lambda fake: fake.script('database', Reply(404, json={'error': 'not found'})), 'was not found'),
])
@pytest.mark.parametrize('module', [database_user, database_users])
def test_no_address_fails_before_any_write_and_says_why(fake, runner, change, message, module):
    change(fake)
    failed = runner.fail(module, args(**_one_write(module)))
    assert message in failed.msg, failed.msg
    assert failed['changed'] is False and fake.writes == [] and 'metabase' not in fake.users()
    assert failed.get('created', []) == []
    assert failed['failure']['url'] == 'https://db-api.osc-fr1.scalingo.com/api/databases/%s' % ADDON_ID
    assert failed['failure']['uncertain'] is False
    no_secret_in(failed, given=[PASSWORD])
