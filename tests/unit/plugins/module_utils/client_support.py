# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Helpers of the client's unit tests."""

import pytest

from ansible_collections.scalingo.cloud.plugins.module_utils._api import ScalingoClient, ScalingoError
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import ADDON_ID, API_TOKEN, APP, SECRETS, leaked


def client(**overrides):
    params = dict(api_token=API_TOKEN, database_token=None, app=APP, addon=ADDON_ID, region='osc-fr1',
                  auth_url=None, api_url=None, db_api_url=None, timeout=30.0, validate_certs=True)
    params.update(overrides)
    return ScalingoClient(params)


def error_of(call, *args):
    with pytest.raises(ScalingoError) as raised:
        call(*args)
    return raised.value


def assert_clean(error, *secrets):
    """The error's message and failure dict carry none of the secrets."""
    assert not leaked([error.message, str(error), error.to_failure()], secrets or SECRETS)
    assert 'Traceback' not in error.message
