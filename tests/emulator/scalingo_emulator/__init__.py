# -*- coding: utf-8 -*-
"""Local stand-in for Scalingo's auth service, regional API and Database API (README.md beside this package).

Standard library only, except psycopg (PostgreSQL backend, imported when used) and PyYAML (YAML seed files): the unit
tests import the package through ansible-test's collection loader and run it in process.

    with Emulator("tests/emulator/seed.yml") as emu:
        emu.urls["auth"], emu.api_token("owner"), emu.add_fault("users.create", status=503)
"""

from __future__ import annotations

from .config import DEFAULT_SEED, EmulatorError, load_config
from .emulator import Emulator
from .seeds import many_apps
from .cli import main

__all__ = ["DEFAULT_SEED", "Emulator", "EmulatorError", "load_config", "main", "many_apps"]
