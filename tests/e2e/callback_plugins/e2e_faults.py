# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Callback of the end-to-end tests: arms the emulator's faults (or changes its settings) as a task starts.

Many fault scenarios fit in one ansible-playbook run this way: each task gets its own faults, armed when it
starts, so that a fault meant for one task is never consumed by another. The plan is a JSON file named by
E2E_FAULTS_FILE: ``{"control": "http://127.0.0.1:port", "tasks": {"task name": [["/_emulator/faults", {...}],
...]}}``; each pair is POSTed to the emulator's control API, in order, before the task's first worker starts.

The tests enable it with ANSIBLE_CALLBACKS_ENABLED=e2e_recorder,e2e_faults (e2e_support.Ansible does it when a
playbook has ``at_task``).
"""

from __future__ import annotations

import json
import os
import urllib.request

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r'''
name: e2e_faults
type: aggregate
short_description: Arm emulator faults as tasks start, for the end-to-end tests
description:
  - POSTs the control calls planned for a task (in the JSON file named by E2E_FAULTS_FILE) to the emulator when the
    task starts.
requirements:
  - E2E_FAULTS_FILE set in the environment
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'e2e_faults'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._plan = {'control': None, 'tasks': {}}
        path = os.environ.get('E2E_FAULTS_FILE')
        if path:
            with open(path, encoding='utf-8') as handle:
                self._plan = json.load(handle)
        # The control API is on loopback: never through a proxy.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def v2_playbook_on_task_start(self, task, is_conditional):
        for path, body in self._plan['tasks'].get(task.get_name(), []):
            request = urllib.request.Request(self._plan['control'] + path, data=json.dumps(body).encode('utf-8'),
                                             headers={'Content-Type': 'application/json'}, method='POST')
            with self._opener.open(request, timeout=10) as answer:
                if answer.status >= 300:
                    raise RuntimeError('emulator control %s answered %s' % (path, answer.status))

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)
