# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Helpers of the bad-input tests (test_bad_input.py, test_input_rules.py)."""

import contextlib

from unittest import mock

import requests

from hypothesis import HealthCheck

from ansible_collections.scalingo.cloud.plugins.modules import database_user, database_user_info, database_users
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import SECRETS, FakeScalingo, leaked, task, user_task
from ansible_collections.scalingo.cloud.tests.unit.plugins.module_runner import assert_one_line

MODULES = {'database_user': database_user, 'database_user_info': database_user_info, 'database_users': database_users}
BOTH = ('database_user', 'database_user_info')
USER_ONLY = ('database_user',)

# Reproducible in CI, no example database written into the collection, no per-example deadline (CI machines are
# slow); function-scoped fixtures are fine: every example builds its own fake Scalingo (fresh_fake()).
PROPERTY = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def base_args(module, **overrides):
    return (user_task if module == 'database_user' else task)(**overrides)


@contextlib.contextmanager
def fresh_fake():
    """A new fake Scalingo for one hypothesis example (the ``fake`` fixture lives as long as the whole test)."""
    service = FakeScalingo()
    with mock.patch.object(requests.Session, 'get_adapter', lambda session, url: service):
        yield service


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
    """The input checks passed (they run before any request): the module sent requests, or began to (a timeout of a
    few microseconds may end the wait before the transport records the call, on a busy machine), and whatever happened
    next ends in a one-line answer."""
    began = outcome.failed and (outcome.result.get('failure') or {}).get('method') is not None
    assert fake.calls or began, 'valid input refused without a request: %r' % (outcome.result,)
    if outcome.failed:
        assert_one_line(outcome.msg)
