# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The input rules, as tables derived from each module's argument spec and the documented rules; no second oracle.

- What the spec declares (types, choices, required options, unknown options) is refused naming the option: the rows
  are generated from the spec itself, so a new option brings its own.
- Every option with a rule of ours has rows of what it refuses (test_bad_input.INVALID) and of what the docs say it
  accepts, at the bounds they give (VALID here): an option without both fails ``test_every_option_has_its_rows``.
- Any value of any option (hypothesis) is either refused before any request naming an option of the task, or goes on
  to Scalingo; never a traceback, never a secret in the result.
"""

import contextlib

from unittest import mock

import pytest
import requests

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.scalingo.cloud.plugins.module_utils._connection import connection_argument_spec
from ansible_collections.scalingo.cloud.plugins.module_utils._module import ScalingoModule
from ansible_collections.scalingo.cloud.plugins.modules import database_user, database_user_info, database_users
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    ADDON_ID,
    DB_TOKEN,
    MYSQL_ADDON_ID,
    PASSWORD,
    SECRETS,
    FakeScalingo,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import examples, leaked
from ansible_collections.scalingo.cloud.tests.unit.plugins.modules.test_bad_input import (
    BOTH,
    INVALID,
    MODULES,
    USER_ONLY,
    assert_refused,
    base_args,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.module_runner import assert_one_line

# No per-example deadline (CI machines are slow); function-scoped fixtures are fine: every example builds its own fake
# Scalingo (fresh_fake()). Reproducible: conftest.py's hypothesis profile.
PROPERTY = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@contextlib.contextmanager
def fresh_fake():
    """A new fake Scalingo for one hypothesis example (the ``fake`` fixture lives as long as the whole test)."""
    service = FakeScalingo()
    with mock.patch.object(requests.Session, 'get_adapter', lambda session, url: service):
        yield service


def assert_went_on(outcome, fake):
    """The input checks passed (they run before any request): the module sent requests, or began to (a timeout of a
    few microseconds may end the wait before the transport records the call, on a busy machine), and whatever happened
    next ends in a one-line answer."""
    began = outcome.failed and (outcome.result.get('failure') or {}).get('method') is not None
    assert fake.calls or began, 'valid input refused without a request: %r' % (outcome.result,)
    if outcome.failed:
        assert_one_line(outcome.msg)


CLASSES = {'database_user': database_user.DatabaseUser, 'database_user_info': database_user_info.DatabaseUserInfo,
           'database_users': database_users.DatabaseUsers}
ALL = tuple(CLASSES)


def argument_spec(module):
    """The whole argument spec of ``module``, as ScalingoModule builds it."""
    spec = connection_argument_spec()
    spec.update(ScalingoModule.argument_spec, return_connection=dict(type='bool'))
    spec.update(CLASSES[module].argument_spec)
    return spec


# --- what the argument spec declares, refused by Ansible's own checks ----------------------------------------------

# A value of the wrong type for each type the spec uses (Ansible turns anything into a str: INVALID has those rows).
WRONG_TYPE = {'bool': 'perhaps', 'float': 'soon', 'list': 'not-a-list'}


def _declared_rows():
    for module in ALL:
        for option, entry in sorted(argument_spec(module).items()):
            if entry.get('type', 'str') in WRONG_TYPE:
                yield pytest.param(module, {option: WRONG_TYPE[entry['type']]}, option,
                                   id='%s-%s-type' % (module, option))
            if entry.get('choices'):
                yield pytest.param(module, {option: 'none-of-' + '-'.join(entry['choices'])}, option,
                                   id='%s-%s-choice' % (module, option))
            if entry.get('required'):
                yield pytest.param(module, {option: None}, option, id='%s-%s-required' % (module, option))
        yield pytest.param(module, {'unknown_option': True}, 'unknown_option', id='%s-unknown' % module)


@pytest.mark.parametrize('module, overrides, option', list(_declared_rows()))
def test_what_the_spec_declares_is_refused_naming_the_option(fake, runner, module, overrides, option):
    assert_refused(runner.run(MODULES[module], base_args(module, **overrides)), fake, option, exact_failure=False)


@pytest.mark.parametrize('option, value', [('state', 'gone'), ('update_password', 'never'), ('read_only', 'maybe'),
                                           ('name', None), ('password', ['a', 'list'])])
def test_what_the_spec_declares_of_an_entry_is_refused_naming_it(fake, runner, option, value):
    entry = dict(name='reporting')
    entry[option] = value
    outcome = runner.run(database_users, base_args('database_users', users=[dict(name='reader'), entry]))
    assert_refused(outcome, fake, option, exact_failure=False)


@pytest.mark.parametrize('entry', ['reporting', 5, ['reporting']])
def test_an_entry_that_is_no_dict_is_refused_naming_its_place(fake, runner, entry):
    """Ansible's own message (``dictionary requested, could not parse JSON or key=value``) names no option."""
    outcome = runner.run(database_users, base_args('database_users', users=[dict(name='reader'), entry]))
    assert_refused(outcome, fake, 'users[1]')


# --- what the docs say each option accepts, at the bounds they give ------------------------------------------------

VALID = [
    (BOTH, dict(name='a' * 6)),                                     # 6 to 32 letters, digits, '_' and '-'
    (BOTH, dict(name='A_b-9' + 'z' * 27)),
    (USER_ONLY, dict(password='p' * 24)),                           # 24 to 64 characters, no quote, no NUL
    (USER_ONLY, dict(password='p' * 64)),
    (USER_ONLY, dict(password='spaces, \u00fcn\u00efc\u00f6d\u00e9 \u2713 and `~!@#$%^&*()')),
    (USER_ONLY, dict(state='absent')),
    (USER_ONLY, dict(state='reset_password')),
    (USER_ONLY, dict(update_password='always', password=PASSWORD)),
    (USER_ONLY, dict(recreate=True, read_only=True)),
    (BOTH, dict(region='osc-secnum-fr1')),                           # a host label: at most 63 characters
    (BOTH, dict(region='r' * 63)),
    (BOTH, dict(app='a')),                                          # 1 to 64, starting with a letter or digit
    (BOTH, dict(app='A' + 'b_-' * 21)),
    (BOTH, dict(addon='mysql')),                                    # a type Scalingo manages users of, or an id
    (BOTH, dict(addon='mongodb')),
    (BOTH, dict(addon='influxdb')),
    (BOTH, dict(addon=ADDON_ID)),
    (BOTH, dict(addon=MYSQL_ADDON_ID)),
    (BOTH, dict(addon='ad-' + 'a' * 63)),
    (BOTH, dict(database_token=DB_TOKEN, addon=ADDON_ID, api_token=None, app=None)),
    (BOTH, dict(api_token='!' + '~' * 79)),                         # printable ASCII, as a header carries it
    (BOTH, dict(timeout=0.001)),                                    # 0 (excluded) to 600 seconds
    (BOTH, dict(timeout=600)),
    (BOTH, dict(max_wait=0)),                                       # 0 to 3600 seconds
    (BOTH, dict(max_wait=3600)),
    (BOTH, dict(auth_url='auth.example.test')),                     # a host, or an http(s) URL
    (BOTH, dict(api_url='http://127.0.0.1:8080')),
    (BOTH, dict(db_api_url='https://[::1]:8443/prefix')),
    (BOTH, dict(db_api_url='https://db-api.osc-fr1.scalingo.com/api/')),
    (BOTH, dict(db_api_url='https://my_host.internal')),
    (BOTH, dict(validate_certs=False)),
    (BOTH, dict(return_connection=True)),
]


@pytest.mark.parametrize('module, overrides', [
    pytest.param(module, overrides, id='%s-%r' % (module, sorted(overrides.items()))[:90])
    for modules, overrides in VALID for module in modules])
def test_what_the_docs_accept_goes_on_to_scalingo(fake, runner, module, overrides):
    assert_went_on(runner.run(MODULES[module], base_args(module, **overrides)), fake)


# Options with no rule beyond the spec's type and choices: the generated rows above are all they need.
SPEC_ONLY = {'state', 'read_only', 'recreate', 'update_password', 'validate_certs', 'return_connection'}


@pytest.mark.parametrize('module', BOTH)
def test_every_option_has_its_rows(module):
    """A new option of ours comes with rows of what it refuses and of what it accepts."""
    refused = set(row[2] for row in INVALID if module in row[0])
    accepted = set(option for modules, overrides in VALID if module in modules for option in overrides)
    for option in sorted(set(argument_spec(module)) - SPEC_ONLY):
        assert option in refused, '%s: no row of test_bad_input.INVALID refuses a value of %s' % (module, option)
        assert option in accepted, '%s: no row of VALID accepts a value of %s' % (module, option)


# --- any value of any option ---------------------------------------------------------------------------------------

_TEXT = st.one_of(st.text(max_size=70), st.sampled_from(
    ['', ' ', '\n', 'osc-fr1', 'postgresql', ADDON_ID, 'a' * 64, 'https://', 'db..example.test', '%zz', '\u2603']))
# A bool, a float or a choice Ansible cannot take is refused in its own words, which quote the value as it is: no line
# breaks then.
_WORDS = st.sampled_from(['', 'yes', 'maybe', '0', '1e3', 'nan', 'soon'])
VALUES = {
    'str': _TEXT,
    'float': st.one_of(st.floats(allow_nan=True, allow_infinity=True), _WORDS),
    'bool': st.one_of(st.booleans(), _WORDS),
    'list': st.lists(st.fixed_dictionaries({'name': _TEXT}, optional={'password': _TEXT, 'state': _WORDS}), max_size=3),
}


@settings(max_examples=examples(300), **PROPERTY)
@given(data=st.data())
def test_any_value_of_any_option_is_refused_before_any_request_or_goes_on(runner, data):
    module = data.draw(st.sampled_from(ALL))
    spec = argument_spec(module)
    task = base_args(module)
    for option in data.draw(st.lists(st.sampled_from(sorted(spec)), min_size=1, max_size=3, unique=True)):
        choices = spec[option].get('choices')
        task[option] = data.draw(st.one_of(st.sampled_from(choices), _WORDS) if choices
                                 else VALUES[spec[option].get('type', 'str')])
    with fresh_fake() as fake:
        outcome = runner.run(MODULES[module], task, check=data.draw(st.booleans()))
        began = (outcome.result.get('failure') or {}).get('method') is not None
        if not outcome.failed or fake.calls or began:
            assert_went_on(outcome, fake)
        else:
            named = [option for option in sorted(spec, key=len, reverse=True) if option in outcome.msg]
            assert named, outcome
            assert_refused(outcome, fake, named[0], exact_failure=False)
        # Long given secrets that appear in no other option must appear nowhere; a generated one only where the module
        # returns it on purpose.
        result = dict((k, v) for k, v in outcome.result.items() if k not in CLASSES[module].returned_secrets)
        given_secrets = [value for option, value in task.items()
                         if ('token' in option or option == 'password') and isinstance(value, str) and len(value) >= 12
                         and value not in ' '.join(str(v) for k, v in task.items() if k != option)]
        secrets = list(SECRETS) + fake.generated_passwords() + given_secrets
        assert not leaked(result, secrets) and not leaked(outcome.warnings, secrets), (task, outcome)
