# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The local Scalingo emulator as a process of its own, for the tools that run Ansible against it.

    process, state = start(python, emulator_dir, work)   # its command line, its default seed; waits for its state
    addon(state, app, addon_type)                         # an addon of the seed, as the state file describes it
    stop(process)

The state file (``work/emulator.json``) gives the URLs, tokens and PostgreSQL servers; the log is
``work/emulator.log``.
"""

import json
import os
import signal
import subprocess
import time

READY_TIMEOUT = 120


class EmulatorError(Exception):
    """The emulator did not start; ``str()`` says why, with its log."""


def start(python, emulator_dir, work):
    """Start the emulator of ``emulator_dir`` (tests/emulator) with ``python``; return ``(process, state)``."""
    state_file = os.path.join(work, 'emulator.json')
    log_path = os.path.join(work, 'emulator.log')
    with open(log_path, 'w', encoding='utf-8') as log:
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            [python, os.path.join(emulator_dir, 'scalingo_emulator'), '--seed', os.path.join(emulator_dir, 'seed.yml'),
             '--state-file', state_file], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + READY_TIMEOUT
    while not os.path.exists(state_file):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            with open(log_path, encoding='utf-8') as handle:
                raise EmulatorError('the emulator did not start (status %s):\n%s' % (process.returncode, handle.read()))
        time.sleep(0.1)
    with open(state_file, encoding='utf-8') as handle:
        return process, json.load(handle)


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def addon(state, app, addon_type, index=0):
    """The ``index``-th addon of type ``addon_type`` of ``app`` in the emulator's state; KeyError when there is none."""
    for found in state['apps']:
        if found['name'] == app:
            addons = [a for a in found['addons'] if a['type'] == addon_type]
            if len(addons) > index:
                return addons[index]
    raise KeyError('the emulator seed has no %s addon in app %s' % (addon_type, app))
