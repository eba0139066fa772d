# -*- coding: utf-8 -*-
"""Fixtures of the emulator's own tests (not of the collection).

make e2e runs them, from the collection copy. One emulator serves each test module; every test leaves it as seeded
(fixture ``emu``).
PostgreSQL tests are skipped when the emulator runs without its PostgreSQL backend.
"""

from __future__ import annotations

import os
import sys
import time

import pytest

from emulator_client import DEMO, HERE, SEED, TWIN, Client, psycopg

sys.path.insert(0, HERE)

import scalingo_emulator as se  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope="module")
def running_emulator():
    began = time.time()
    emulator = se.Emulator(SEED)
    emulator.start()
    sys.stderr.write("\nemulator started in %.2fs (postgres: %s)\n" % (time.time() - began, emulator.state()["postgres"]))
    try:
        yield emulator
    finally:
        workdir = emulator.workdir
        emulator.stop()
        assert not os.path.exists(workdir)


@pytest.fixture()
def emu(running_emulator):
    """The module's emulator, back to its seed after the test."""
    yield running_emulator
    running_emulator.reset(users=True)


@pytest.fixture()
def owner(emu):
    return Client(emu)


@pytest.fixture()
def pg(emu):
    if psycopg is None or not emu.pg_enabled:
        pytest.skip("PostgreSQL backend not available")
    return emu


@pytest.fixture()
def ids(emu):
    found = {kind: emu.addon_id(DEMO, kind) for kind in ("mysql", "mongodb", "influxdb", "redis")}
    return dict(found, pg=emu.addon_id(DEMO, "postgresql"), twin1=emu.addon_id(TWIN, "postgresql", 0),
                twin2=emu.addon_id(TWIN, "postgresql", 1), elasticsearch=emu.addon_id(TWIN, "elasticsearch"))
