# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the unit tests share besides the fake Scalingo (fake_scalingo.py): ``task()`` (a module's arguments against
the fake account), the setups of test tables, ``client()`` (a ScalingoClient of the account), the scans for secrets,
and ``examples()``."""

import base64
import json

from urllib.parse import quote, quote_plus

import pytest

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_CORE_VERSION

from ansible_collections.scalingo.cloud.plugins.module_utils._api import ScalingoClient, ScalingoError
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import ADDON_ID, API_TOKEN, APP, PASSWORD, SECRETS


def task(**options):
    """A module's arguments against the fake account: ``options`` over its API token, app and addon type; an option
    given as None is left out."""
    values = dict(api_token=API_TOKEN, app=APP, addon='postgresql')
    values.update(options)
    return dict((key, value) for key, value in values.items() if value is not None)


def user_task(**options):
    """database_user's arguments: user 'reporting' unless ``options`` name another."""
    return task(**dict(dict(name='reporting'), **options))


def existing(read_only=False):
    """A table's setup: user 'reporting' exists, with PASSWORD."""
    def setup(fake):
        fake.add_user('reporting', read_only=read_only, password=PASSWORD)
    return setup


def nothing(fake):
    """A table's setup: no user but the protected one."""


def every_form(secret):
    """Every form in which ``secret`` may be shown: as it is, URL-encoded (in part, or byte by byte in either case),
    JSON-escaped, base64-encoded, as Python quotes it."""
    raw = secret.encode('utf-8')
    forms = [
        secret,
        quote(secret, safe=''), quote(secret), quote(secret, safe="!*()'~"), quote_plus(secret),
        ''.join('%%%02X' % byte for byte in raw), ''.join('%%%02x' % byte for byte in raw),
        json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], repr(secret)[1:-1],
        base64.b64encode(raw).decode('ascii'), base64.b64encode(b':' + raw).decode('ascii'),
    ]
    return sorted(set(forms))


def all_text(value):
    """A value (result, failure, warnings...) as one string to scan for secrets."""
    return json.dumps(value, sort_keys=True, default=repr)


def leaked(value, secrets):
    """The secrets that appear in ``value``."""
    text = all_text(value)
    return [s for s in secrets if s in text]


def assert_no_secret(outcome, fake):
    """No token and no password anywhere in a module's outcome, except a generated password under ``password``."""
    result = dict(outcome.result)
    generated = result.pop('password', None)
    if generated is not None:
        assert generated in fake.generated_passwords()
    secrets = list(SECRETS) + fake.generated_passwords()
    assert not leaked(result, secrets), leaked(result, secrets)
    assert not leaked(outcome.warnings, secrets)


# --- the client, on its own ------------------------------------------------------------------

def client(**overrides):
    """A ScalingoClient of the fake account, with ``overrides`` of its options."""
    params = dict(api_token=API_TOKEN, database_token=None, app=APP, addon=ADDON_ID, region='osc-fr1',
                  auth_url=None, api_url=None, db_api_url=None, timeout=30.0, validate_certs=True)
    params.update(overrides)
    return ScalingoClient(params)


def row(name, *values):
    """A row of a test table, ``name`` being its id."""
    return pytest.param(*values, id=name)


def error_of(call, *args):
    with pytest.raises(ScalingoError) as raised:
        call(*args)
    return raised.value


def assert_clean(error, *secrets):
    """The error's message and failure dict carry none of the secrets."""
    assert not leaked([error.message, str(error), error.to_failure()], secrets or SECRETS)
    assert 'Traceback' not in error.message


# --- property tests ---------------------------------------------------------------------------

NEWEST_CORE = (2, 21)


def examples(count):
    """How many examples a property test draws: all of them on the newest ansible-core line make test runs, a third on the
    older ones, which run the same collection code under another ansible-core (the Makefile's CORES)."""
    line = tuple(int(part) for part in ANSIBLE_CORE_VERSION.split('.')[:2])
    return count if line >= NEWEST_CORE else max(20, count // 3)
