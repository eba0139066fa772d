# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Callback of the end-to-end tests: appends every task result (and loop item), in full, to a JSON lines file.

The tests enable it with ANSIBLE_CALLBACK_PLUGINS=<this dir>, ANSIBLE_CALLBACKS_ENABLED=e2e_recorder and
E2E_RESULTS_FILE=<path>; the normal stdout callback still prints as usual.
"""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'e2e_recorder'
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, status, result, item=False):
        path = os.environ.get('E2E_RESULTS_FILE')
        if not path:
            return
        # result.task, .host and .result: ansible-core 2.19+ (make e2e runs the newest line only)
        record = dict(task=result.task.get_name(), host=result.host.get_name(), status=status, item=item,
                      result=result.result)
        with open(path, 'a', encoding='utf-8') as handle:
            handle.write(json.dumps(record, default=str, sort_keys=True) + '\n')

    def v2_runner_on_ok(self, result):
        self._record('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record('failed', result)

    def v2_runner_on_skipped(self, result):
        self._record('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._record('unreachable', result)

    def v2_runner_item_on_ok(self, result):
        self._record('ok', result, item=True)

    def v2_runner_item_on_failed(self, result):
        self._record('failed', result, item=True)

    def v2_runner_item_on_skipped(self, result):
        self._record('skipped', result, item=True)
