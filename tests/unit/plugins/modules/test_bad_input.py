# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bad input, through both modules, as tables of the documented rules (test_input_rules.py adds what the argument spec
declares, what the docs accept, and any value of any option).

- Every invalid value of every option, and every invalid combination of options, ends in a one-line message that
  names the option, and not a single request is sent. Nothing ever ends in a Python traceback: the runner lets
  any exception other than exit_json / fail_json through, and the test errors.
- Protected users survive every path (delete, password change, reset, recreate), in check mode and not, for every
  combination of the options, including a creation whose answer says the name is taken or is lost.
"""

import itertools

import pytest
import requests

from ansible_collections.scalingo.cloud.plugins.modules import database_user, database_user_info, database_users
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    ADDON_ID,
    API_TOKEN,
    APP,
    DB_TOKEN,
    PASSWORD,
    PASSWORD2,
    PROTECTED_USER,
    SECRETS,
    Reply,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import leaked, task
from ansible_collections.scalingo.cloud.tests.unit.plugins.module_runner import assert_one_line

MODULES = {'database_user': database_user, 'database_user_info': database_user_info, 'database_users': database_users}
BOTH = ('database_user', 'database_user_info')
USER_ONLY = ('database_user',)


DEFAULTS = {'database_user': dict(name='reporting'), 'database_users': dict(users=[dict(name='reporting')])}


def base_args(module, **overrides):
    """A task of ``module``: user 'reporting' (database_users: one entry of it); an override of None leaves the option out."""
    return task(**dict(DEFAULTS.get(module, {}), **overrides))


def assert_refused(outcome, fake, option, exact_failure=True):
    """A refusal of the input: failed, one line naming ``option``, no request at all, no secret."""
    assert outcome.failed, outcome
    assert fake.calls == [], 'input refused only after %d request(s): %r' % (len(fake.calls), fake.calls)
    assert_one_line(outcome.msg)
    assert option in outcome.msg, (option, outcome.msg)
    if exact_failure:
        assert outcome['failure'] == dict(option=option), outcome.result
    assert 'exception' not in outcome.result
    assert not leaked(outcome.result, SECRETS), leaked(outcome.result, SECRETS)


# --- the table: one invalid value (or combination) per row, the option it must name -------------------------------

LONG_HOST = 'https://' + 'a' * 64 + '.example.test'
INVALID = [
    # name (both modules; optional in database_user_info)
    (BOTH, dict(name='short'), 'name', 'must be 6 to 32 characters'),
    (BOTH, dict(name=''), 'name'),
    (BOTH, dict(name='x' * 33), 'name'),
    (BOTH, dict(name='bad.name'), 'name'),
    (BOTH, dict(name='bad name'), 'name'),
    (BOTH, dict(name='reporting\n'), 'name'),
    (BOTH, dict(name='\nreporting'), 'name'),
    (BOTH, dict(name='report\x00ing'), 'name'),
    (BOTH, dict(name='rép0rting'), 'name'),
    (BOTH, dict(name='ｒｅｐｏｒｔｉｎｇ'), 'name'),  # full-width letters
    (BOTH, dict(name='report/../ing'), 'name'),
    (BOTH, dict(name='report%2Fing'), 'name'),
    (BOTH, dict(name="report'; DROP ROLE x; --"), 'name'),
    # password
    (USER_ONLY, dict(password=''), 'password'),
    (USER_ONLY, dict(password='x' * 23), 'password', 'got 23'),
    (USER_ONLY, dict(password='x' * 65), 'password'),
    (USER_ONLY, dict(password='quoted-"password"-that-is-long'), 'password', 'quotes'),
    (USER_ONLY, dict(password="quoted-'password'-that-is-long"), 'password'),
    (USER_ONLY, dict(state='reset_password', password=PASSWORD), 'password', 'cannot be used with'),
    # option combinations of database_user
    (USER_ONLY, dict(update_password='always'), 'update_password', 'update_password=always needs password'),
    (USER_ONLY, dict(update_password='always', read_only=True), 'update_password'),
    # region
    (BOTH, dict(region=''), 'region'),
    (BOTH, dict(region='osc fr1'), 'region'),
    (BOTH, dict(region='OSC-FR1'), 'region'),
    (BOTH, dict(region='osc_fr1'), 'region', 'region name'),
    (BOTH, dict(region='-osc-fr1'), 'region'),
    (BOTH, dict(region='osc--fr1'), 'region'),
    (BOTH, dict(region='osc-fr1-'), 'region'),
    (BOTH, dict(region='osc.fr1'), 'region'),
    (BOTH, dict(region='osc-fr1\n'), 'region'),
    (BOTH, dict(region='osc-fr1/../x'), 'region'),
    (BOTH, dict(region='x' * 64), 'region'),  # api.<region>.scalingo.com: a host label has at most 63 characters
    # service URLs
    (BOTH, dict(auth_url=''), 'auth_url', 'is empty'),
    (BOTH, dict(api_url='   '), 'api_url', 'is empty'),
    (BOTH, dict(auth_url='ftp://auth.example.test'), 'auth_url', 'auth_url must use http or https'),
    (BOTH, dict(auth_url='file:///etc/passwd'), 'auth_url', 'http or https'),
    (BOTH, dict(auth_url='https://'), 'auth_url', 'no host name'),
    (BOTH, dict(api_url='https://user:pw@api.example.test'), 'api_url', 'api_url must not embed credentials'),
    (BOTH, dict(api_url='https://api.example.test/v1#x'), 'api_url', 'query or a fragment'),
    (BOTH, dict(api_url='https://api example.test'), 'api_url', 'spaces'),
    (BOTH, dict(db_api_url='https://db.example.test/api?token=x'), 'db_api_url', 'db_api_url must not have a query'),
    (BOTH, dict(db_api_url='https://db.example.test:99999999'), 'db_api_url'),
    (BOTH, dict(db_api_url='https://db.example.test:port'), 'db_api_url', 'invalid port'),
    (BOTH, dict(db_api_url='https://db.example.test:0'), 'db_api_url'),
    (BOTH, dict(db_api_url='http://[::1'), 'db_api_url'),
    # host names the HTTP stack cannot send: they used to end in a traceback
    (BOTH, dict(db_api_url='https://db..example.test'), 'db_api_url'),
    (BOTH, dict(db_api_url='https://.'), 'db_api_url'),
    (BOTH, dict(db_api_url=LONG_HOST), 'db_api_url'),
    (BOTH, dict(api_url='https://\u2603.example.test'), 'api_url'),
    (BOTH, dict(auth_url='https://a%zzb'), 'auth_url'),
    # timeout
    (BOTH, dict(timeout=0), 'timeout', 'timeout must be between 0 and 600'),
    (BOTH, dict(timeout=-1), 'timeout'),
    (BOTH, dict(timeout=600.5), 'timeout', 'timeout must be between 0 and 600'),
    (BOTH, dict(timeout=float('nan')), 'timeout'),
    (BOTH, dict(timeout=float('inf')), 'timeout'),
    # max_wait
    (BOTH, dict(max_wait=-1), 'max_wait'),
    (BOTH, dict(max_wait=3600.5), 'max_wait'),
    (BOTH, dict(max_wait=float('nan')), 'max_wait'),
    (BOTH, dict(max_wait=float('inf')), 'max_wait'),
    # addon ids and types
    (BOTH, dict(addon=''), 'addon', 'addon is required'),
    (BOTH, dict(addon='redis'), 'addon', "addon type 'redis' has no database users"),
    (BOTH, dict(addon='elasticsearch'), 'addon', "addon type 'elasticsearch' has no database users"),
    (BOTH, dict(addon='opensearch'), 'addon', "addon type 'opensearch' has no database users"),
    (BOTH, dict(addon='pgsql'), 'addon', "addon 'pgsql' is neither an addon id"),
    (BOTH, dict(addon='PostgreSQL'), 'addon'),
    (BOTH, dict(addon='ad-'), 'addon'),
    (BOTH, dict(addon='ad-_x'), 'addon'),
    (BOTH, dict(addon='ad-' + 'a' * 64), 'addon'),
    (BOTH, dict(addon='5C599FD6F18B3202F7AB4E66'), 'addon'),  # legacy ids are lower-case hexadecimal
    (BOTH, dict(addon='5c599fd6f18b3202f7ab4e6'), 'addon'),
    (BOTH, dict(addon=ADDON_ID + '/../x'), 'addon'),
    (BOTH, dict(database_token=DB_TOKEN, addon='postgresql'), 'addon', 'with database_token, addon must be the addon id'),
    # app
    (BOTH, dict(app=None), 'app', 'app is required with api_token'),
    (BOTH, dict(app=''), 'app'),
    (BOTH, dict(app='bad/app'), 'app'),
    (BOTH, dict(app='my app'), 'app', "app 'my app' is not an app name or id"),
    (BOTH, dict(app='-my-app'), 'app'),
    (BOTH, dict(app='a' * 65), 'app'),
    (BOTH, dict(app='my-app\n'), 'app'),
    (BOTH, dict(addon=ADDON_ID + '\n'), 'addon'),
    # tokens: missing, or not something an HTTP header can carry (a line break used to end in a traceback
    # quoting the token)
    (BOTH, dict(api_token=''), 'api_token', 'api_token (or SCALINGO_API_TOKEN) is required'),
    (BOTH, dict(api_token=API_TOKEN + '\n'), 'api_token'),
    (BOTH, dict(api_token=API_TOKEN + ' ' + API_TOKEN), 'api_token'),
    (BOTH, dict(api_token=API_TOKEN + '\u20ac'), 'api_token'),
    (BOTH, dict(database_token=DB_TOKEN + '\n', addon=ADDON_ID), 'database_token'),
    (BOTH, dict(database_token='abc\r\nX-Injected: ' + DB_TOKEN, addon=ADDON_ID), 'database_token'),
    (BOTH, dict(database_token=DB_TOKEN + '\x00', addon=ADDON_ID), 'database_token'),
    (BOTH, dict(database_token='\u2019' + DB_TOKEN, addon=ADDON_ID), 'database_token'),
    (BOTH, dict(database_token=' ' + DB_TOKEN, addon=ADDON_ID), 'database_token'),
]

# What Ansible's own argument checks refuse beyond the rows test_input_rules.py derives from the spec: no ``failure``
# of ours, but the same promise.
REFUSED_BY_ANSIBLE = [
    (USER_ONLY, dict(password=['a', 'list']), 'password'),
    (BOTH, dict(name={'a': 'dict'}), 'name'),
    # required_one_of (a token) and required_if (recreate needs read_only): the spec says them
    (BOTH, dict(api_token=None), 'api_token'),
    (USER_ONLY, dict(recreate=True), 'read_only'),
    (USER_ONLY, dict(recreate=True, password=PASSWORD), 'read_only'),
]


def _rows(table):
    for modules, overrides, option, *words in table:
        for module in modules:
            yield pytest.param(module, overrides, option, (words or [''])[0],
                               id='%s-%s-%r' % (module, option, sorted(overrides.items()))[:90])


@pytest.mark.parametrize('module, overrides, option, words', list(_rows(INVALID)))
@pytest.mark.parametrize('check', [False, True], ids=['run', 'check'])
def test_invalid_input_names_the_option_and_sends_nothing(fake, runner, module, overrides, option, words, check):
    outcome = runner.run(MODULES[module], base_args(module, **overrides), check=check)
    assert_refused(outcome, fake, option)
    assert words in outcome.msg


@pytest.mark.parametrize('module, overrides, option, words', list(_rows(REFUSED_BY_ANSIBLE)))
def test_what_ansible_refuses_names_the_option_and_sends_nothing(fake, runner, module, overrides, option, words):
    assert_refused(runner.run(MODULES[module], base_args(module, **overrides)), fake, option, exact_failure=False)


@pytest.mark.parametrize('variable, value, option, instead_of', [
    ('SCALINGO_API_TOKEN', API_TOKEN + '\n', 'api_token', 'api_token'),
    ('SCALINGO_DATABASE_TOKEN', DB_TOKEN + '\n', 'database_token', None),
    ('SCALINGO_REGION', 'r' * 70, 'region', None),
    ('SCALINGO_REGION', 'Osc FR1', 'region', None),
    ('SCALINGO_AUTH_URL', 'ftp://auth.example.test', 'auth_url', None),
    ('SCALINGO_API_URL', 'https://api.example.test/v1?x=y', 'api_url', None),
    ('SCALINGO_DB_URL', 'https://user:pass@db.example.test', 'db_api_url', None),
    ('SCALINGO_DB_API_URL', 'db..example.test', 'db_api_url', None),
    ('SCALINGO_APP', 'my app', 'app', 'app'),
    ('SCALINGO_ADDON', 'redis', 'addon', 'addon'),
])
def test_bad_values_from_the_environment_name_the_option(fake, runner, monkeypatch, variable, value, option, instead_of):
    monkeypatch.setenv(variable, value)
    task = dict(api_token=API_TOKEN, app=APP, addon=ADDON_ID, name='reporting')
    task.pop(instead_of, None)
    assert_refused(runner.run(database_user, task), fake, option)


def test_a_value_the_http_stack_refuses_is_neither_a_traceback_nor_a_leak(fake, runner):
    """Whatever the checks miss and http.client refuses (it quotes the header value in its error) ends in a
    one-line failure that quotes nothing."""
    fake.script('list', ValueError("Invalid header value b'Bearer %s\\n'" % DB_TOKEN))
    outcome = runner.fail(database_user, base_args('database_user'))
    assert_one_line(outcome.msg)
    assert 'Could not send GET' in outcome.msg and 'ValueError' in outcome.msg
    assert not leaked(outcome.result, SECRETS)
    assert fake.writes == []


# --- protected users: every path, every combination ---------------------------------------------------------------

COMBINATIONS = list(itertools.product(
    ['present', 'absent', 'reset_password'],       # state
    [None, True, False],                            # read_only
    [False, True],                                  # recreate
    [None, PASSWORD],                               # password
    ['on_create', 'always'],                        # update_password
))
# How the server shows the protected user: listed; hidden from the first list then "name taken" on the creation
# (another run's view); hidden then the creation's answer lost (a 503 or a dropped connection).
PATHS = ['listed', 'hidden-taken', 'hidden-lost-503', 'hidden-lost-connection']


def _hide_protected_once(fake, path):
    if path == 'listed':
        return
    fake.script('list', Reply(200, json={'database-users': []}))
    if path == 'hidden-taken':
        fake.script('create', Reply(422, json={'errors': {'name': ['has already been taken']}}))
    elif path == 'hidden-lost-503':
        fake.script('create', Reply(503, text='<html><body>Service Unavailable</body></html>',
                                    headers={'Content-Type': 'text/html'}))
    else:
        fake.script('create', requests.exceptions.ConnectionError('Connection aborted.'))


@pytest.mark.parametrize('path', PATHS)
@pytest.mark.parametrize('protected_read_only', [False, True], ids=['rw', 'ro'])
@pytest.mark.parametrize('check', [False, True], ids=['run', 'check'])
def test_protected_user_survives_every_combination(fake, runner, path, protected_read_only, check):
    fake.add_user(PROTECTED_USER, protected=True, read_only=protected_read_only, password=PASSWORD2)
    for state, read_only, recreate, password, update_password in COMBINATIONS:
        fake.calls = []
        _hide_protected_once(fake, path)
        before = fake.snapshot()
        task = base_args('database_user', name=PROTECTED_USER, state=state, read_only=read_only, recreate=recreate,
                         password=password, update_password=update_password)
        outcome = runner.run(database_user, task, check=check)
        label = (path, check, task)
        # Never a write aimed at the protected user, and the user is exactly as it was.
        aimed = [c for c in fake.writes if c.route in ('update', 'reset', 'delete')]
        assert aimed == [], label
        assert fake.snapshot() == before, label
        assert 'password' not in outcome, label
        if outcome.failed and 'failure' not in outcome:
            # Ansible's own argument checks: recreate without read_only, refused before any request
            assert 'recreate is True' in outcome.msg and fake.calls == [], label
        elif outcome.failed:
            assert_one_line(outcome.msg)
            failure = outcome['failure']
            assert (failure == dict(option=failure.get('option'))          # bad input, refused before any request
                    or failure.get('protected') is True                     # refused as protected
                    or "does not exist" in outcome.msg                      # reset of a user the list did not show
                    or failure.get('status') == 422), label                 # the creation refused by the server
            if failure.get('protected'):
                assert "is protected by Scalingo" in outcome.msg and 'nothing was changed' in outcome.msg
        elif path == 'listed' or not check:
            assert outcome['changed'] is False and outcome['password_changed'] is False, label
        # Unscripted leftovers (the create of a combination that did not create) must not leak into the next one.
        fake._scripts.clear()  # pylint: disable=protected-access
