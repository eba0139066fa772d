# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bad input, through both modules: table-driven and property-based (hypothesis).

- Every invalid value of every option, and every invalid combination of options, ends in a one-line message that
  names the option, and not a single request is sent. Nothing ever ends in a Python traceback: the runner lets
  any exception other than exit_json / fail_json through, and the test errors.
- Valid values never fail the input checks: the module goes on and talks to Scalingo (here, the fake).
- Protected users survive every path (delete, password change, reset, recreate), in check mode and not, for every
  combination of the options, including a creation whose answer says the name is taken or is lost.

The properties use an oracle written here, independently of the checks in plugins/module_utils/_connection.py and
_plan.py.
"""

import contextlib
import itertools
import math
import re
import string

from unittest import mock

import pytest
import requests

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.scalingo.cloud.plugins.modules import database_user, database_user_info
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    ADDON_ID,
    API_TOKEN,
    APP,
    BEARER,
    DB_TOKEN,
    MYSQL_ADDON_ID,
    PASSWORD,
    PASSWORD2,
    PROTECTED_USER,
    FakeScalingo,
    Reply,
    leaked,
)

SECRETS = (API_TOKEN, BEARER, DB_TOKEN, PASSWORD, PASSWORD2)
MODULES = {'database_user': database_user, 'database_user_info': database_user_info}
BOTH = tuple(MODULES)
USER_ONLY = ('database_user',)

# Reproducible in CI, no example database written into the collection, no per-example deadline (CI machines are
# slow); function-scoped fixtures are fine: every example builds its own fake Scalingo (fresh_fake()).
PROPERTY = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def base_args(module, **overrides):
    values = dict(api_token=API_TOKEN, app=APP, addon='postgresql')
    if module == 'database_user':
        values['name'] = 'reporting'
    values.update(overrides)
    return dict((k, v) for k, v in values.items() if v is not None)


@contextlib.contextmanager
def fresh_fake():
    """A new fake Scalingo for one hypothesis example (the ``fake`` fixture lives as long as the whole test)."""
    service = FakeScalingo()
    with mock.patch.object(requests.Session, 'get_adapter', lambda session, url: service):
        yield service


def assert_one_line(msg):
    assert isinstance(msg, str) and msg.strip(), msg
    assert '\n' not in msg.strip() and '\r' not in msg and 'Traceback' not in msg, msg


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


def assert_went_on(outcome, fake):
    """The input checks passed (they run before any request): the module sent requests, and whatever happened
    next ends in a one-line answer."""
    assert fake.calls, 'valid input refused without a request: %r' % (outcome.result,)
    if outcome.failed:
        assert_one_line(outcome.msg)


# --- the table: one invalid value (or combination) per row, the option it must name -------------------------------

LONG_HOST = 'https://' + 'a' * 64 + '.example.test'
INVALID = [
    # name (both modules; optional in database_user_info)
    (BOTH, dict(name='short'), 'name'),
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
    (USER_ONLY, dict(password='x' * 23), 'password'),
    (USER_ONLY, dict(password='x' * 65), 'password'),
    (USER_ONLY, dict(password='quoted-"password"-that-is-long'), 'password'),
    (USER_ONLY, dict(password="quoted-'password'-that-is-long"), 'password'),
    (USER_ONLY, dict(state='reset_password', password=PASSWORD), 'password'),
    # option combinations of database_user
    (USER_ONLY, dict(recreate=True), 'recreate'),
    (USER_ONLY, dict(recreate=True, password=PASSWORD), 'recreate'),
    (USER_ONLY, dict(update_password='always'), 'update_password'),
    (USER_ONLY, dict(update_password='always', read_only=True), 'update_password'),
    # region
    (BOTH, dict(region=''), 'region'),
    (BOTH, dict(region='osc fr1'), 'region'),
    (BOTH, dict(region='OSC-FR1'), 'region'),
    (BOTH, dict(region='osc_fr1'), 'region'),
    (BOTH, dict(region='-osc-fr1'), 'region'),
    (BOTH, dict(region='osc--fr1'), 'region'),
    (BOTH, dict(region='osc-fr1-'), 'region'),
    (BOTH, dict(region='osc.fr1'), 'region'),
    (BOTH, dict(region='osc-fr1\n'), 'region'),
    (BOTH, dict(region='osc-fr1/../x'), 'region'),
    (BOTH, dict(region='x' * 64), 'region'),  # api.<region>.scalingo.com: a host label has at most 63 characters
    # service URLs
    (BOTH, dict(auth_url=''), 'auth_url'),
    (BOTH, dict(auth_url='ftp://auth.example.test'), 'auth_url'),
    (BOTH, dict(auth_url='file:///etc/passwd'), 'auth_url'),
    (BOTH, dict(auth_url='https://'), 'auth_url'),
    (BOTH, dict(api_url='https://user:pw@api.example.test'), 'api_url'),
    (BOTH, dict(api_url='https://api.example.test/v1#x'), 'api_url'),
    (BOTH, dict(api_url='https://api example.test'), 'api_url'),
    (BOTH, dict(db_api_url='https://db.example.test/api?token=x'), 'db_api_url'),
    (BOTH, dict(db_api_url='https://db.example.test:99999999'), 'db_api_url'),
    (BOTH, dict(db_api_url='https://db.example.test:port'), 'db_api_url'),
    (BOTH, dict(db_api_url='https://db.example.test:0'), 'db_api_url'),
    (BOTH, dict(db_api_url='http://[::1'), 'db_api_url'),
    # host names the HTTP stack cannot send: they used to end in a traceback
    (BOTH, dict(db_api_url='https://db..example.test'), 'db_api_url'),
    (BOTH, dict(db_api_url='https://.'), 'db_api_url'),
    (BOTH, dict(db_api_url=LONG_HOST), 'db_api_url'),
    (BOTH, dict(api_url='https://\u2603.example.test'), 'api_url'),
    (BOTH, dict(auth_url='https://a%zzb'), 'auth_url'),
    # timeout
    (BOTH, dict(timeout=0), 'timeout'),
    (BOTH, dict(timeout=-1), 'timeout'),
    (BOTH, dict(timeout=600.5), 'timeout'),
    (BOTH, dict(timeout=float('nan')), 'timeout'),
    (BOTH, dict(timeout=float('inf')), 'timeout'),
    # max_wait
    (BOTH, dict(max_wait=-1), 'max_wait'),
    (BOTH, dict(max_wait=3600.5), 'max_wait'),
    (BOTH, dict(max_wait=float('nan')), 'max_wait'),
    (BOTH, dict(max_wait=float('inf')), 'max_wait'),
    # addon ids and types
    (BOTH, dict(addon=None), 'addon'),
    (BOTH, dict(addon=''), 'addon'),
    (BOTH, dict(addon='redis'), 'addon'),
    (BOTH, dict(addon='elasticsearch'), 'addon'),
    (BOTH, dict(addon='opensearch'), 'addon'),
    (BOTH, dict(addon='pgsql'), 'addon'),
    (BOTH, dict(addon='PostgreSQL'), 'addon'),
    (BOTH, dict(addon='ad-'), 'addon'),
    (BOTH, dict(addon='ad-_x'), 'addon'),
    (BOTH, dict(addon='ad-' + 'a' * 64), 'addon'),
    (BOTH, dict(addon='5C599FD6F18B3202F7AB4E66'), 'addon'),  # legacy ids are lower-case hexadecimal
    (BOTH, dict(addon='5c599fd6f18b3202f7ab4e6'), 'addon'),
    (BOTH, dict(addon=ADDON_ID + '/../x'), 'addon'),
    (BOTH, dict(database_token=DB_TOKEN, addon='postgresql'), 'addon'),
    # app
    (BOTH, dict(app=None), 'app'),
    (BOTH, dict(app=''), 'app'),
    (BOTH, dict(app='bad/app'), 'app'),
    (BOTH, dict(app='my app'), 'app'),
    (BOTH, dict(app='-my-app'), 'app'),
    (BOTH, dict(app='a' * 65), 'app'),
    (BOTH, dict(app='my-app\n'), 'app'),
    # tokens: missing, or not something an HTTP header can carry (a line break used to end in a traceback
    # quoting the token)
    (BOTH, dict(api_token=None), 'api_token'),
    (BOTH, dict(api_token=''), 'api_token'),
    (BOTH, dict(api_token=API_TOKEN + '\n'), 'api_token'),
    (BOTH, dict(api_token=API_TOKEN + ' ' + API_TOKEN), 'api_token'),
    (BOTH, dict(api_token=API_TOKEN + '\u20ac'), 'api_token'),
    (BOTH, dict(database_token=DB_TOKEN + '\n', addon=ADDON_ID), 'database_token'),
    (BOTH, dict(database_token='abc\r\nX-Injected: ' + DB_TOKEN, addon=ADDON_ID), 'database_token'),
    (BOTH, dict(database_token=DB_TOKEN + '\x00', addon=ADDON_ID), 'database_token'),
    (BOTH, dict(database_token='\u2019' + DB_TOKEN, addon=ADDON_ID), 'database_token'),
    (BOTH, dict(database_token=' ' + DB_TOKEN, addon=ADDON_ID), 'database_token'),
]

# What Ansible's own argument checks refuse (types, choices, unknown or missing options): no ``failure`` of ours,
# but the same promise.
REFUSED_BY_ANSIBLE = [
    (USER_ONLY, dict(state='gone'), 'state'),
    (USER_ONLY, dict(state=''), 'state'),
    (USER_ONLY, dict(update_password='never'), 'update_password'),
    (USER_ONLY, dict(read_only='maybe'), 'read_only'),
    (USER_ONLY, dict(recreate='sometimes'), 'recreate'),
    (USER_ONLY, dict(name=None), 'name'),
    (USER_ONLY, dict(password=['a', 'list']), 'password'),
    (BOTH, dict(validate_certs='perhaps'), 'validate_certs'),
    (BOTH, dict(timeout='soon'), 'timeout'),
    (BOTH, dict(max_wait='a minute'), 'max_wait'),
    (BOTH, dict(timeout=[1]), 'timeout'),
    (BOTH, dict(unknown_option=True), 'unknown_option'),
    (BOTH, dict(name={'a': 'dict'}), 'name'),
    (('database_user_info',), dict(state='present'), 'state'),
    (('database_user_info',), dict(password=PASSWORD), 'password'),
]


def _rows(table):
    for modules, overrides, option in table:
        for module in modules:
            yield pytest.param(module, overrides, option, id='%s-%s-%r' % (module, option, sorted(overrides.items()))[:90])


@pytest.mark.parametrize('module, overrides, option', list(_rows(INVALID)))
@pytest.mark.parametrize('check', [False, True], ids=['run', 'check'])
def test_invalid_input_names_the_option_and_sends_nothing(fake, runner, module, overrides, option, check):
    task = base_args(module)
    task.update(overrides)
    task = dict((k, v) for k, v in task.items() if v is not None)
    outcome = runner.run(MODULES[module], task, check=check)
    assert_refused(outcome, fake, option)


@pytest.mark.parametrize('module, overrides, option', list(_rows(REFUSED_BY_ANSIBLE)))
def test_what_ansible_refuses_names_the_option_and_sends_nothing(fake, runner, module, overrides, option):
    task = base_args(module)
    task.update(overrides)
    task = dict((k, v) for k, v in task.items() if v is not None)
    outcome = runner.run(MODULES[module], task)
    assert_refused(outcome, fake, option, exact_failure=False)


@pytest.mark.parametrize('variable, value, option, instead_of', [
    ('SCALINGO_API_TOKEN', API_TOKEN + '\n', 'api_token', 'api_token'),
    ('SCALINGO_DATABASE_TOKEN', DB_TOKEN + '\n', 'database_token', None),
    ('DB_BEARER_TOKEN', 'two words', 'database_token', None),
    ('SCALINGO_REGION', 'r' * 70, 'region', None),
    ('SCALINGO_DB_API_URL', 'db..example.test', 'db_api_url', None),
    ('DB_API_URL', 'https://\u2603', 'db_api_url', None),
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


# --- properties ----------------------------------------------------------------------------------------------------

NAME_CHARS = string.ascii_letters + string.digits + '_-'
valid_names = st.text(alphabet=NAME_CHARS, min_size=6, max_size=32)
# Any character but quotes, surrogates included only as far as a str can carry them (hypothesis excludes them).
valid_passwords = st.text(alphabet=st.characters(blacklist_characters='\'"', blacklist_categories=('Cs',)),
                          min_size=24, max_size=64)
valid_regions = st.from_regex(re.compile(r'[a-z0-9]{1,12}(-[a-z0-9]{1,12}){0,3}', re.ASCII), fullmatch=True)
valid_apps = st.from_regex(re.compile(r'[A-Za-z0-9][A-Za-z0-9_-]{0,63}', re.ASCII), fullmatch=True)
valid_addon_ids = st.one_of(
    st.from_regex(re.compile(r'ad-[0-9A-Za-z][0-9A-Za-z-]{0,62}', re.ASCII), fullmatch=True),
    st.text(alphabet='0123456789abcdef', min_size=24, max_size=24),
)
valid_tokens = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7e), min_size=1, max_size=80)
valid_timeouts = st.floats(min_value=0.001, max_value=600)
valid_urls = st.sampled_from([
    'https://db-api.osc-fr1.scalingo.com', 'db-api.osc-fr1.scalingo.com', 'https://db-api.osc-fr1.scalingo.com/api/',
    'http://127.0.0.1:8080', 'https://[::1]:8443/prefix', 'https://my_host.internal', 'https://xn--exmple-cua.test',
])


def name_is_valid(name):
    return 6 <= len(name) <= 32 and all(c in NAME_CHARS for c in name)


def password_is_valid(password):
    return 24 <= len(password) <= 64 and "'" not in password and '"' not in password


def region_is_valid(region):
    labels = region.split('-')
    return len(region) <= 63 and all(label and all(c in string.ascii_lowercase + string.digits for c in label)
                                     for label in labels)


def app_is_valid(app):
    return (1 <= len(app) <= 64 and app[0] in string.ascii_letters + string.digits
            and all(c in NAME_CHARS for c in app))


def addon_is_valid_id(addon):
    if addon.startswith('ad-'):
        rest = addon[3:]
        return (1 <= len(rest) <= 63 and rest[0] in string.ascii_letters + string.digits
                and all(c in string.ascii_letters + string.digits + '-' for c in rest))
    return len(addon) == 24 and all(c in '0123456789abcdef' for c in addon)


def token_is_valid(token):
    return all(0x21 <= ord(c) <= 0x7e for c in token)


def timeout_is_valid(timeout):
    return not math.isnan(timeout) and 0 < timeout <= 600


def invalid_options(module, task):
    """The options the input checks must refuse in ``task``: an oracle of its own."""
    bad = set()
    name = task.get('name')
    if name is not None and not name_is_valid(name):
        bad.add('name')
    if module == 'database_user':
        password, state = task.get('password'), task.get('state', 'present')
        if password is not None and (not password_is_valid(password) or state == 'reset_password'):
            bad.add('password')
        if task.get('recreate') and task.get('read_only') is None:
            bad.add('recreate')
        if task.get('update_password') == 'always' and password is None and state == 'present':
            bad.add('update_password')
    if 'region' in task and not region_is_valid(task['region']):
        bad.add('region')
    if 'timeout' in task and not timeout_is_valid(task['timeout']):
        bad.add('timeout')
    for option in ('api_token', 'database_token'):
        if task.get(option) and not token_is_valid(task[option]):
            bad.add(option)
    addon = task.get('addon')
    if not addon or not (addon_is_valid_id(addon) or addon in ('postgresql', 'mysql', 'mongodb', 'influxdb')):
        bad.add('addon')
    if task.get('database_token'):
        if addon and not addon_is_valid_id(addon):
            bad.add('addon')
    elif task.get('api_token'):
        if not task.get('app') or not app_is_valid(task['app']):
            bad.add('app')
    else:
        bad.add('api_token')
    return bad


def sometimes_bad(valid, bad):
    """Mostly valid values, sometimes bad ones, sometimes the option left out."""
    return st.one_of(st.none(), valid, valid, bad)


def _tasks(module):
    options = dict(
        api_token=sometimes_bad(st.just(API_TOKEN), st.sampled_from(['', API_TOKEN + '\n', 'a b', 'caf\u00e9'])),
        database_token=st.one_of(st.none(), st.none(), st.just(DB_TOKEN), st.sampled_from(['', DB_TOKEN + '\r\n'])),
        app=sometimes_bad(valid_apps, st.text(max_size=70)),
        addon=sometimes_bad(st.one_of(st.sampled_from(['postgresql', 'mysql', ADDON_ID, MYSQL_ADDON_ID]), valid_addon_ids),
                            st.one_of(st.sampled_from(['redis', 'opensearch', 'elasticsearch', 'Postgresql', '']),
                                      st.text(max_size=70))),
        region=sometimes_bad(st.sampled_from(['osc-fr1', 'osc-secnum-fr1']), st.text(max_size=70)),
        timeout=sometimes_bad(valid_timeouts, st.sampled_from([0.0, -5.0, 601.0, float('nan'), float('inf')])),
        validate_certs=st.one_of(st.none(), st.booleans()),
    )
    if module == 'database_user':
        options.update(
            name=st.one_of(valid_names, valid_names, st.text(max_size=40)),
            state=st.one_of(st.none(), st.sampled_from(['present', 'absent', 'reset_password'])),
            read_only=st.one_of(st.none(), st.booleans()),
            recreate=st.one_of(st.none(), st.booleans()),
            password=st.one_of(st.none(), valid_passwords, st.text(max_size=70)),
            update_password=st.one_of(st.none(), st.sampled_from(['on_create', 'always'])),
        )
    else:
        options.update(name=st.one_of(st.none(), valid_names, st.text(max_size=40)))
    return st.fixed_dictionaries(options).map(lambda task: dict((k, v) for k, v in task.items() if v is not None))


def _check_outcome(runner, module, task, check=False):
    with fresh_fake() as fake:
        outcome = runner.run(MODULES[module], task, check=check)
        bad = invalid_options(module, task)
        if bad:
            assert outcome.failed, (task, bad, outcome)
            option = outcome['failure'].get('option')
            assert option in bad, (task, bad, outcome)
            assert_refused(outcome, fake, option)
        else:
            assert_went_on(outcome, fake)
        # Whatever happened, no secret is in what the module returns (a generated password only under ``password``).
        result = dict(outcome.result)
        result.pop('password', None)
        # Short generated values could be found in any text by chance, and a value may equal another option's
        # (a password of 24 zeros, an addon id of 24 zeros): only long ones that are in no other option count here.
        hidden = dict((k, v) for k, v in task.items() if 'token' in k or k == 'password')
        others = ' '.join(str(v) for k, v in task.items() if k not in hidden)
        given_secrets = [v for v in hidden.values() if len(v) >= 12 and v not in others]
        secrets = list(SECRETS) + fake.generated_passwords() + given_secrets
        assert not leaked(result, secrets), (task, outcome)
        assert not leaked(outcome.warnings, secrets), (task, outcome)
    return outcome


@settings(max_examples=250, **PROPERTY)
@given(task=_tasks('database_user'), check=st.booleans())
def test_property_database_user_options_and_combinations(runner, task, check):
    _check_outcome(runner, 'database_user', task, check)


@settings(max_examples=120, **PROPERTY)
@given(task=_tasks('database_user_info'))
def test_property_database_user_info_options_and_combinations(runner, task):
    _check_outcome(runner, 'database_user_info', task)


@settings(max_examples=120, **PROPERTY)
@given(name=valid_names, password=valid_passwords, read_only=st.booleans())
def test_property_valid_names_and_passwords_pass(runner, name, password, read_only):
    """Generated valid names and passwords never fail the input checks, in either module."""
    for module, task in (('database_user', base_args('database_user', name=name, password=password, read_only=read_only)),
                         ('database_user_info', base_args('database_user_info', name=name))):
        with fresh_fake() as fake:
            assert_went_on(runner.run(MODULES[module], task), fake)


@settings(max_examples=120, **PROPERTY)
@given(name=st.text(max_size=40))
def test_property_any_name(runner, name):
    for module in BOTH:
        _check_outcome(runner, module, base_args(module, name=name))


@settings(max_examples=120, **PROPERTY)
@given(password=st.text(max_size=80))
def test_property_any_password(runner, password):
    _check_outcome(runner, 'database_user', base_args('database_user', password=password))


@settings(max_examples=100, **PROPERTY)
@given(region=st.one_of(valid_regions, st.text(max_size=70), st.text(alphabet='abz09-', max_size=70)))
def test_property_any_region(runner, region):
    """A region the checks let through names the hosts the requests go to."""
    outcome = _check_outcome(runner, 'database_user_info', base_args('database_user_info', region=region))
    if region_is_valid(region):
        assert not outcome.failed or outcome['failure'].get('option') is None


@settings(max_examples=100, **PROPERTY)
@given(app=st.one_of(valid_apps, st.text(max_size=70)), addon=st.one_of(valid_addon_ids, st.text(max_size=70)))
def test_property_any_app_and_addon(runner, app, addon):
    _check_outcome(runner, 'database_user_info', base_args('database_user_info', app=app, addon=addon))


URL_PIECES = st.sampled_from(['https://', 'http://', '', 'ftp://', 'https://user@', '[::1]', '127.0.0.1', ':443', ':0',
                              ':99999', 'db', '.', '..', '-', '_', 'example', '.test', '/api', '/v1', '/', '?q', '#f',
                              '%', '%zz', ' ', '\n', '\u2603', 'xn--', 'a' * 64, '@'])
any_urls = st.one_of(valid_urls, st.lists(URL_PIECES, max_size=6).map(''.join), st.text(max_size=40))


@settings(max_examples=150, **PROPERTY)
@given(option=st.sampled_from(['auth_url', 'api_url', 'db_api_url']), value=any_urls)
def test_property_any_service_url(runner, option, value):
    """A URL is refused naming the option before any request, or the requests really go to its host: never a
    traceback, never a failure of the HTTP library to even send."""
    task = base_args('database_user_info', **{option: value})
    with fresh_fake() as fake:
        outcome = runner.run(database_user_info, task)
        if outcome.failed and outcome['failure'].get('option') is not None:
            assert_refused(outcome, fake, option)
            return
        assert fake.calls, outcome
        assert 'Could not send' not in (outcome.msg or ''), outcome
        if outcome.failed:
            assert_one_line(outcome.msg)


@settings(max_examples=100, **PROPERTY)
@given(api_token=st.one_of(valid_tokens, st.text(max_size=60)), database_token=st.one_of(st.none(), valid_tokens, st.text(max_size=60)))
def test_property_any_token(runner, api_token, database_token):
    """Tokens the checks let through are sent as they are; the others are refused without being quoted."""
    task = base_args('database_user_info', api_token=api_token)
    if database_token is not None:
        task.update(database_token=database_token, addon=ADDON_ID)
    _check_outcome(runner, 'database_user_info', task)


@settings(max_examples=60, **PROPERTY)
@given(timeout=st.floats(allow_nan=True, allow_infinity=True))
def test_property_any_timeout(runner, timeout):
    _check_outcome(runner, 'database_user_info', base_args('database_user_info', timeout=timeout))


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
        if outcome.failed:
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
