# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import pytest

from ansible_collections.scalingo.cloud.plugins.module_utils._connection import is_addon_id, service_root
from ansible_collections.scalingo.cloud.plugins.module_utils._plan import check_name, check_password
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import ADDON_ID, MYSQL_ADDON_ID


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


@pytest.mark.parametrize('name', ['abcdef', 'my-user', 'My_User_2', 'a' * 32, 'metabase', 'user--x', '-abcdef'])
def test_check_name_accepts_the_union_of_the_rules(name):
    assert check_name(name) is None


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
