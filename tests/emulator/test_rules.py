# -*- coding: utf-8 -*-
"""Scalingo's rules for database users (scalingo_emulator/rules.py; the cases test_users.py sends over HTTP are not
repeated here), and what the package may import. No emulator runs here."""

from __future__ import annotations

import subprocess
import sys

import pytest

from emulator_client import GOOD_PW, HERE, HYPHEN_HINT, UNDERSCORE_HINT

from scalingo_emulator import rules


@pytest.mark.parametrize("name, rule, addon_type, errors", [
    ("report-user", "hyphen", "mysql", []),
    ("a" * 32, "hyphen", "mysql", []),  # the 16 characters of MySQL belong to the underscore rule only
    ("a" * 33, "hyphen", None, ["is too long (maximum is 32 characters)"]),
    ("short", "hyphen", None, ["is too short (minimum is 6 characters)"]),
    ("-leading", "hyphen", None, [HYPHEN_HINT]),
    ("trailing-", "hyphen", None, [HYPHEN_HINT]),
    ("double--hyphen", "hyphen", None, [HYPHEN_HINT]),
    ("under_score", "hyphen", None, [HYPHEN_HINT]),
    ("Report_User", "underscore", "postgresql", []),
    ("a" * 17, "underscore", "postgresql", []),
    ("1abcdef", "underscore", None, [UNDERSCORE_HINT]),
    ("my-user", "underscore", None, [UNDERSCORE_HINT]),
    ("", "hyphen", None, ["can't be blank"]),
    (None, "underscore", None, ["can't be blank"]),
    (42, "hyphen", None, ["is invalid"]),
])
def test_name_errors(name, rule, addon_type, errors):
    assert rules.name_errors(name, rule, addon_type) == errors


@pytest.mark.parametrize("password, confirmation, required, errors", [
    (GOOD_PW, GOOD_PW, False, {}),
    ("x" * 24, "x" * 24, False, {}),
    ("x" * 64, "x" * 64, True, {}),
    ("x" * 23, "x" * 23, False, {"password": ["is too short (minimum is 24 characters)"]}),
    ("x" * 65, "x" * 65, False, {"password": ["is too long (maximum is 64 characters)"]}),
    ("x'" * 15, "x'" * 15, False, {"password": ["must not contain quotes"]}),
    ('x"', 'x"', False, {"password": ["is too short (minimum is 24 characters)", "must not contain quotes"]}),
    (GOOD_PW, None, False, {"password_confirmation": ["doesn't match Password"]}),
    (None, GOOD_PW, False, {"password": ["is invalid"]}),
    # a PATCH needs a password: there is nothing to generate
    (None, None, True, {"password": ["can't be blank"]}),
    ("", "", True, {"password": ["can't be blank"]}),
])
def test_password_errors(password, confirmation, required, errors):
    assert rules.password_errors(password, confirmation, required) == errors


def test_generated_passwords_reserved_names_and_read_only():
    assert rules.server_generates_password(None, None) and rules.server_generates_password("", None)
    assert not rules.server_generates_password(None, GOOD_PW)
    password = rules.generate_password()
    assert len(password) == 32 and set(password) <= set(rules.PASSWORD_ALPHABET) and rules.generate_password() != password
    assert rules.password_errors(password, password) == {}
    assert rules.postgres_reserves("pg_reader") and rules.postgres_reserves("public")
    assert not rules.postgres_reserves("publication")
    assert rules.read_only_value(None) == (False, {}) and rules.read_only_value(True) == (True, {})


def test_the_package_imports_without_psycopg_or_pyyaml():
    """The unit tests import it through ansible-test's collection loader, where neither may be installed."""
    code = ("import sys; sys.modules['psycopg'] = sys.modules['yaml'] = None; sys.path.insert(0, %r); "
            "import scalingo_emulator; scalingo_emulator.Emulator({'api_tokens': [{'name': 'owner'}]}, pg='auto')" % HERE)
    subprocess.run([sys.executable, "-c", code], check=True)
