# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bad input, property-based (hypothesis): any value of any option, any combination, against an oracle written here,
independently of the checks in plugins/module_utils/_connection.py and _plan.py. An invalid task names the option and
sends nothing; a valid one goes on to Scalingo; nothing ever ends in a traceback."""

import math
import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.scalingo.cloud.plugins.modules import database_user_info
from ansible_collections.scalingo.cloud.tests.unit.plugins.examples import examples
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    ADDON_ID,
    API_TOKEN,
    DB_TOKEN,
    MYSQL_ADDON_ID,
    leaked,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.modules.bad_input_support import (
    SECRETS,
    MODULES,
    BOTH,
    PROPERTY,
    base_args,
    fresh_fake,
    assert_one_line,
    assert_refused,
    assert_went_on,
)


# --- properties ----------------------------------------------------------------------------------------------------

NAME_CHARS = string.ascii_letters + string.digits + '_-'
valid_names = st.text(alphabet=NAME_CHARS, min_size=6, max_size=32)
# Any character but quotes, surrogates included only as far as a str can carry them (hypothesis excludes them).
valid_passwords = st.text(alphabet=st.characters(blacklist_characters='\'"\x00', blacklist_categories=('Cs',)),
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
    return 24 <= len(password) <= 64 and not set('\'"\x00') & set(password) and not any(
        '\ud800' <= character <= '\udfff' for character in password)


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


def refused_by_the_spec(module, task):
    """The options Ansible's own argument checks refuse in ``task``, before ours: ``required`` (addon),
    ``required_one_of`` (a token) and ``required_if`` (recreate needs read_only) of the argument spec."""
    bad = set()
    if 'addon' not in task:
        bad.add('addon')
    if 'api_token' not in task and 'database_token' not in task:
        bad.add('api_token')
    if module == 'database_user' and task.get('recreate') and 'read_only' not in task:
        bad.add('read_only')
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
        by_spec = refused_by_the_spec(module, task)
        if by_spec:
            assert outcome.failed and 'failure' not in outcome, (task, by_spec, outcome)
            named = [option for option in by_spec if option in outcome.msg]
            assert named, (task, by_spec, outcome)
            assert_refused(outcome, fake, named[0], exact_failure=False)
        elif bad:
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


@settings(max_examples=examples(250), **PROPERTY)
@given(task=_tasks('database_user'), check=st.booleans())
def test_property_database_user_options_and_combinations(runner, task, check):
    _check_outcome(runner, 'database_user', task, check)


@settings(max_examples=examples(120), **PROPERTY)
@given(task=_tasks('database_user_info'))
def test_property_database_user_info_options_and_combinations(runner, task):
    _check_outcome(runner, 'database_user_info', task)


@settings(max_examples=examples(120), **PROPERTY)
@given(name=valid_names, password=valid_passwords, read_only=st.booleans())
def test_property_valid_names_and_passwords_pass(runner, name, password, read_only):
    """Generated valid names and passwords never fail the input checks, in either module."""
    for module, task in (('database_user', base_args('database_user', name=name, password=password, read_only=read_only)),
                         ('database_user_info', base_args('database_user_info', name=name))):
        with fresh_fake() as fake:
            assert_went_on(runner.run(MODULES[module], task), fake)


@settings(max_examples=examples(120), **PROPERTY)
@given(name=st.text(max_size=40))
def test_property_any_name(runner, name):
    for module in BOTH:
        _check_outcome(runner, module, base_args(module, name=name))


@settings(max_examples=examples(120), **PROPERTY)
@given(password=st.text(max_size=80))
def test_property_any_password(runner, password):
    _check_outcome(runner, 'database_user', base_args('database_user', password=password))


@settings(max_examples=examples(100), **PROPERTY)
@given(region=st.one_of(valid_regions, st.text(max_size=70), st.text(alphabet='abz09-', max_size=70)))
def test_property_any_region(runner, region):
    """A region the checks let through names the hosts the requests go to."""
    outcome = _check_outcome(runner, 'database_user_info', base_args('database_user_info', region=region))
    if region_is_valid(region):
        assert not outcome.failed or outcome['failure'].get('option') is None


@settings(max_examples=examples(100), **PROPERTY)
@given(app=st.one_of(valid_apps, st.text(max_size=70)), addon=st.one_of(valid_addon_ids, st.text(max_size=70)))
def test_property_any_app_and_addon(runner, app, addon):
    _check_outcome(runner, 'database_user_info', base_args('database_user_info', app=app, addon=addon))


URL_PIECES = st.sampled_from(['https://', 'http://', '', 'ftp://', 'https://user@', '[::1]', '127.0.0.1', ':443', ':0',
                              ':99999', 'db', '.', '..', '-', '_', 'example', '.test', '/api', '/v1', '/', '?q', '#f',
                              '%', '%zz', ' ', '\n', '\u2603', 'xn--', 'a' * 64, '@'])
any_urls = st.one_of(valid_urls, st.lists(URL_PIECES, max_size=6).map(''.join), st.text(max_size=40))


@settings(max_examples=examples(150), **PROPERTY)
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


@settings(max_examples=examples(100), **PROPERTY)
@given(api_token=st.one_of(valid_tokens, st.text(max_size=60)), database_token=st.one_of(st.none(), valid_tokens, st.text(max_size=60)))
def test_property_any_token(runner, api_token, database_token):
    """Tokens the checks let through are sent as they are; the others are refused without being quoted."""
    task = base_args('database_user_info', api_token=api_token)
    if database_token is not None:
        task.update(database_token=database_token, addon=ADDON_ID)
    _check_outcome(runner, 'database_user_info', task)


@settings(max_examples=examples(60), **PROPERTY)
@given(timeout=st.floats(allow_nan=True, allow_infinity=True))
def test_property_any_timeout(runner, timeout):
    _check_outcome(runner, 'database_user_info', base_args('database_user_info', timeout=timeout))
