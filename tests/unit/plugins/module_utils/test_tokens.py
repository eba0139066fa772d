# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The token chain on its own, against the fake Scalingo: which token, fetched when, renewed how often."""

import pytest

from ansible_collections.scalingo.cloud.plugins.module_utils._advice import Advice
from ansible_collections.scalingo.cloud.plugins.module_utils._connection import Connection
from ansible_collections.scalingo.cloud.plugins.module_utils._http import Transport
from ansible_collections.scalingo.cloud.plugins.module_utils._redaction import Secrets
from ansible_collections.scalingo.cloud.plugins.module_utils._tokens import BEARER, DATABASE, Tokens, renewable
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    ADDON_ID,
    API_TOKEN,
    APP,
    BEARER as BEARER_TOKEN,
    DB_TOKEN,
)


def connection(**overrides):
    params = dict(api_token=API_TOKEN, database_token=None, app=APP, addon=ADDON_ID)
    params.update(overrides)
    return Connection(params)


def chain(**overrides):
    """``(tokens, transport, secrets)`` for the options ``overrides`` change."""
    conn = connection(**overrides)
    secrets = Secrets()
    advice = Advice(conn, fixed_database_token=not renewable(DATABASE, conn))
    transport = Transport(30.0, True, 'unit', secrets, advice, 120.0)
    return Tokens(conn, transport, secrets, advice), transport, secrets


# --- which token, fetched when ---------------------------------------------------------------

def test_each_token_is_fetched_once_and_learned_as_a_secret(fake):
    tokens, dummy, secrets = chain(addon='postgresql')
    assert tokens.token(DATABASE) == DB_TOKEN
    assert tokens.token(BEARER) == BEARER_TOKEN
    assert tokens.token(DATABASE) == DB_TOKEN
    assert fake.routes() == ['exchange', 'addons', 'addon_token']
    assert tokens.addon_id == ADDON_ID
    assert secrets.text('%s %s' % (BEARER_TOKEN, DB_TOKEN)) == '******** ********'


# --- which token may be renewed, and how often ------------------------------------------------

@pytest.mark.parametrize('options, bearer, database', [
    (dict(), True, True),
    (dict(database_token=DB_TOKEN), True, True),
    (dict(database_token=DB_TOKEN, app=None), True, False),
    (dict(database_token=DB_TOKEN, api_token=None), True, False),
])
def test_renewable(options, bearer, database):
    conn = connection(**options)
    assert (renewable(BEARER, conn), renewable(DATABASE, conn)) == (bearer, database)


def test_a_refused_token_is_renewed_once_per_kind(fake):
    tokens = chain()[0]
    tokens.token(DATABASE)
    assert tokens.refused(DATABASE) is True
    assert tokens.token(DATABASE) == DB_TOKEN
    assert tokens.refused(DATABASE) is False
    assert tokens.refused(BEARER) is True and tokens.refused(BEARER) is False
    assert fake.routes() == ['exchange', 'addon_token', 'addon_token']
