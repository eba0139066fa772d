# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A task that waits out Scalingo's rate limit says so when it ends, with how long and what helps; one that did not
wait says nothing. Real ansible-playbook runs against the emulator, its rate limit switched on (a short window, so
that the test waits a few seconds rather than a minute)."""

from __future__ import annotations

from e2e_support import DEMO_APP, info_task

WARNING = "The task waited"


def test_a_rate_limited_loop_says_how_long_each_task_waited_and_why(ansible, emu):
    # One request per window: each task sends two to the main API (its addon, its database token) one right after
    # the other, so each meets the limit, however slow the machine.
    emu.set_settings(api_rate_limit=1, api_rate_window=3, rate_limit_body='text')
    target = {'app': DEMO_APP, 'addon': 'postgresql'}
    run = ansible.playbook([info_task('list %d' % index, dict(target), register='listed%d' % index)
                            for index in range(2)])
    results = [run.result('list %d' % index) for index in range(2)]
    assert all(result['waited_seconds'] > 0 for result in results), results
    for result in results:
        warnings = [warning for warning in result.get('warnings', []) if WARNING in warning]
        if result['waited_seconds'] > 0:
            assert len(warnings) == 1, result
            assert "for Scalingo's rate limit (HTTP 429)" in warnings[0]
            assert 'scalingo.cloud.database_users' in warnings[0] and 'database_token' in warnings[0]
        else:
            assert warnings == [], result
    assert '[WARNING]: The task waited' in run.output()


def test_a_task_that_did_not_wait_says_nothing_of_it(ansible, emu):
    run = ansible.playbook([info_task('list', {'app': DEMO_APP, 'addon': 'postgresql'}, register='listed')])
    assert run.result('list')['waited_seconds'] == 0
    assert WARNING not in run.output()
