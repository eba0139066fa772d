# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The connection options as the client reads them: defaults, roots, empty values (their checks: test_validation)."""

from ansible_collections.scalingo.cloud.plugins.module_utils import _connection
from ansible_collections.scalingo.cloud.plugins.module_utils._connection import Connection, connection_argument_spec
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import ADDON_ID, API_TOKEN, APP


def test_the_spec_defaults_are_the_client_defaults():
    spec = connection_argument_spec()
    conn = Connection(dict(api_token=API_TOKEN, app=APP, addon=ADDON_ID))
    assert spec['region']['default'] == _connection.DEFAULT_REGION
    assert (spec['timeout']['default'], spec['max_wait']['default']) == (conn.timeout, conn.max_wait)
    assert spec['validate_certs']['default'] is conn.validate_certs is True
    assert (conn.auth_root, conn.api_root, conn.db_api_root) == (
        _connection.DEFAULT_AUTH_URL, 'https://api.osc-fr1.scalingo.com', 'https://db-api.osc-fr1.scalingo.com')


def test_the_secret_options_are_never_logged():
    assert sorted(o for o, entry in connection_argument_spec().items() if entry.get('no_log')) == [
        'api_token', 'database_token']


def test_empty_values_mean_not_set():
    # AWX injects every variable of a credential, set or not.
    conn = Connection(dict(api_token='', database_token='', app=APP, addon=ADDON_ID, region='', auth_url='',
                           api_url='', db_api_url='', timeout=None, max_wait=None))
    assert (conn.api_token, conn.database_token) == (None, None)
    assert conn.api_root == 'https://api.%s.scalingo.com' % _connection.DEFAULT_REGION
    assert (conn.timeout, conn.max_wait) == (_connection.DEFAULT_TIMEOUT, _connection.DEFAULT_MAX_WAIT)
