# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import pytest

from ansible_collections.scalingo.cloud.plugins.module_utils._connection import service_root
from ansible_collections.scalingo.cloud.plugins.module_utils._plan import check_name


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


@pytest.mark.parametrize('name', ['abcdef', 'my-user', 'My_User_2', 'a' * 32, 'metabase', 'user--x', '-abcdef'])
def test_check_name_accepts_the_union_of_the_rules(name):
    assert check_name(name) is None
