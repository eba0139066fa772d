# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import pytest

from ansible_collections.scalingo.cloud.plugins.module_utils._connection import (
    check_connection_params,
    is_addon_id,
    service_root,
)
from ansible_collections.scalingo.cloud.plugins.module_utils._plan import check_name, check_password
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    ADDON_ID,
    API_TOKEN,
    APP,
    DB_TOKEN,
    MYSQL_ADDON_ID,
)


def connection(**overrides):
    params = dict(api_token=API_TOKEN, database_token=None, app=APP, addon='postgresql', region='osc-fr1',
                  auth_url=None, api_url=None, db_api_url=None, timeout=30.0, validate_certs=True)
    params.update(overrides)
    return params


@pytest.mark.parametrize('value, suffix, expected', [
    ('https://auth.scalingo.com', '/v1', 'https://auth.scalingo.com'),
    ('https://auth.scalingo.com/', '/v1', 'https://auth.scalingo.com'),
    ('https://auth.scalingo.com/v1', '/v1', 'https://auth.scalingo.com'),
    ('https://auth.scalingo.com/v1/', '/v1', 'https://auth.scalingo.com'),
    ('auth.example.test', '/v1', 'https://auth.example.test'),
    ('  api.example.test/v1  ', '/v1', 'https://api.example.test'),
    ('db-api.osc-fr1.scalingo.com', '/api', 'https://db-api.osc-fr1.scalingo.com'),
    ('https://db-api.osc-fr1.scalingo.com/api', '/api', 'https://db-api.osc-fr1.scalingo.com'),
    ('https://db-api.osc-fr1.scalingo.com/api/', '/api', 'https://db-api.osc-fr1.scalingo.com'),
    ('http://localhost:8080/api', '/api', 'http://localhost:8080'),
    ('https://gateway.example.test/scalingo/db/api', '/api', 'https://gateway.example.test/scalingo/db'),
    ('https://gateway.example.test/myapi', '/api', 'https://gateway.example.test/myapi'),
    ('https://db.example.test/v1', '/api', 'https://db.example.test/v1'),
])
def test_service_root_accepts_hosts_and_urls(value, suffix, expected):
    assert service_root(value, suffix) == expected


@pytest.mark.parametrize('value, reason', [
    ('', 'is empty'),
    ('   ', 'is empty'),
    ('ftp://db.example.test', 'http or https'),
    ('https://', 'no host name'),
    ('https://user:secret@db.example.test', 'credentials'),
    ('https://db.example.test/?x=1', 'query or a fragment'),
    ('https://db.example.test/#top', 'query or a fragment'),
    ('https://db.example.test:port', 'invalid port'),
    ('https://db.example.test/a b', 'spaces'),
])
def test_service_root_refuses_unusable_values(value, reason):
    with pytest.raises(ValueError) as raised:
        service_root(value, '/api')
    assert reason in str(raised.value)


@pytest.mark.parametrize('value, expected', [
    (ADDON_ID, True),
    (MYSQL_ADDON_ID, True),
    ('ad-x', True),
    ('postgresql', False),
    ('ad-', False),
    ('5C599FD6F18B3202F7AB4E66', False),
    ('5c599fd6f18b3202f7ab4e6', False),
    ('', False),
    (None, False),
])
def test_is_addon_id(value, expected):
    assert is_addon_id(value) is expected


def test_valid_connection_params_pass():
    assert check_connection_params(connection()) is None
    assert check_connection_params(connection(addon=ADDON_ID)) is None
    assert check_connection_params(connection(api_token=None, app=None, database_token=DB_TOKEN, addon=ADDON_ID)) is None
    assert check_connection_params(connection(region='osc-secnum-fr1', timeout=600)) is None


@pytest.mark.parametrize('overrides, option, words', [
    (dict(region='OSC FR1'), 'region', 'region name'),
    (dict(region='osc_fr1'), 'region', 'region name'),
    (dict(region='osc-fr1.'), 'region', 'region name'),
    (dict(auth_url='ftp://auth.example.test'), 'auth_url', 'auth_url must use http or https'),
    (dict(api_url='https://user:pw@api.example.test'), 'api_url', 'api_url must not embed credentials'),
    (dict(db_api_url='https://db.example.test/api?x=1'), 'db_api_url', 'db_api_url must not have a query'),
    (dict(timeout=0.0), 'timeout', 'timeout must be between 0 and 600'),
    (dict(timeout=-5.0), 'timeout', 'timeout must be between 0 and 600'),
    (dict(timeout=601.0), 'timeout', 'timeout must be between 0 and 600'),
    (dict(addon=None), 'addon', 'addon is required'),
    (dict(addon=''), 'addon', 'addon is required'),
    (dict(addon='redis'), 'addon', "addon type 'redis' has no database users"),
    (dict(addon='elasticsearch'), 'addon', "addon type 'elasticsearch' has no database users"),
    (dict(addon='opensearch'), 'addon', "addon type 'opensearch' has no database users"),
    (dict(addon='postgres'), 'addon', "addon 'postgres' is neither an addon id"),
    (dict(database_token=DB_TOKEN, addon='postgresql'), 'addon', 'with database_token, addon must be the addon id'),
    (dict(app=None), 'app', 'app is required with api_token'),
    (dict(app='my app'), 'app', "app 'my app' is not an app name or id"),
    (dict(app='-app'), 'app', "app '-app' is not an app name or id"),
    (dict(api_token=None), 'api_token', 'api_token (or SCALINGO_API_TOKEN) is required'),
    (dict(api_token=''), 'api_token', 'api_token (or SCALINGO_API_TOKEN) is required'),
])
def test_connection_problems_name_the_option(overrides, option, words):
    problem = check_connection_params(connection(**overrides))
    assert problem is not None
    assert problem[0] == option
    assert words in problem[1]
    assert '\n' not in problem[1]


def test_connection_problems_never_show_tokens():
    problem = check_connection_params(connection(database_token=DB_TOKEN, api_token=API_TOKEN, addon='mysql'))
    assert problem[0] == 'addon'
    assert DB_TOKEN not in problem[1] and API_TOKEN not in problem[1]


@pytest.mark.parametrize('name', ['abcdef', 'my-user', 'My_User_2', 'a' * 32, 'metabase', 'user--x', '-abcdef'])
def test_check_name_accepts_the_union_of_the_rules(name):
    assert check_name(name) is None


@pytest.mark.parametrize('name', ['abcde', 'a' * 33, '', None, 'my.user', 'my user', 'user@db', 'usér-name', "o'brien"])
def test_check_name_refuses(name):
    problem = check_name(name)
    assert problem is not None and problem[0] == 'name'
    assert '6 to 32 characters' in problem[1]


@pytest.mark.parametrize('name', ['abcdef\n', 'metabase\n'])
def test_check_name_refuses_a_trailing_newline(name):
    # '$' in a Python regular expression also matches before a final newline.
    problem = check_name(name)
    assert problem is not None and problem[0] == 'name'


@pytest.mark.parametrize('overrides, option', [
    (dict(region='osc-fr1\n'), 'region'),
    (dict(app='my-app\n'), 'app'),
    (dict(addon=ADDON_ID + '\n'), 'addon'),
])
def test_connection_params_refuse_a_trailing_newline(overrides, option):
    problem = check_connection_params(connection(**overrides))
    assert problem is not None and problem[0] == option


@pytest.mark.parametrize('password', ['x' * 24, 'x' * 64, 'K_gaef6ripo7Ao4Uaxai6Kiey', 'with spaces and symbols !@#$%^&*()'])
def test_check_password_accepts(password):
    assert check_password(password) is None


@pytest.mark.parametrize('password, words', [
    ('x' * 23, 'got 23'),
    ('x' * 65, 'got 65'),
    ('', 'got 0'),
    ("it's-a-long-enough-password", 'quotes'),
    ('a-long-enough-"quoted"-password', 'quotes'),
])
def test_check_password_refuses(password, words):
    problem = check_password(password)
    assert problem[0] == 'password'
    assert words in problem[1]
    assert password not in problem[1] or not password
