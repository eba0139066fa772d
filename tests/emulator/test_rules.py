# -*- coding: utf-8 -*-
"""Scalingo's rules (scalingo_emulator/rules.py), which the emulator and the unit tests' fake share. No emulator
runs here."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest

from emulator_client import HERE

sys.path.insert(0, HERE)

from scalingo_emulator import rules  # noqa: E402  pylint: disable=wrong-import-position

PACKAGE = os.path.join(HERE, "scalingo_emulator")
GOOD_PW = "Correct_Horse_Battery_Staple_42"


@pytest.mark.parametrize("name, rule, addon_type, errors", [
    ("report-user", "hyphen", "mysql", []),
    ("a" * 32, "hyphen", "mysql", []),  # the 16 characters of MySQL belong to the underscore rule only
    ("a" * 33, "hyphen", None, ["is too long (maximum is 32 characters)"]),
    ("short", "hyphen", None, ["is too short (minimum is 6 characters)"]),
    ("Upper-case", "hyphen", None, ["is invalid: must contain only lowercase letters, digits and hyphens, without "
                                    "leading, trailing or double hyphens"]),
    ("Report_User", "underscore", "postgresql", []),
    ("a" * 17, "underscore", "mysql", ["is too long (maximum is 16 characters)"]),
    ("a" * 17, "underscore", "postgresql", []),
    ("1abcdef", "underscore", None, ["is invalid: must start with a letter and contain only letters, digits and "
                                     "underscores"]),
    ("", "hyphen", None, ["can't be blank"]),
    (None, "underscore", None, ["can't be blank"]),
    (42, "hyphen", None, ["is invalid"]),
], ids=["hyphen", "hyphen-32-mysql", "hyphen-33", "hyphen-short", "hyphen-upper", "underscore", "underscore-17-mysql",
        "underscore-17-pg", "underscore-digit-first", "empty", "null", "not-a-string"])
def test_name_errors(name, rule, addon_type, errors):
    assert rules.name_errors(name, rule, addon_type) == errors


def test_postgres_reserved_names():
    assert rules.postgres_reserves("pg_reader") and rules.postgres_reserves("public")
    assert not rules.postgres_reserves("publication")


@pytest.mark.parametrize("password, confirmation, errors", [
    (GOOD_PW, GOOD_PW, {}),
    ("x" * 24, "x" * 24, {}),
    ("x" * 64, "x" * 64, {}),
    ("x" * 23, "x" * 23, {"password": ["is too short (minimum is 24 characters)"]}),
    ("x" * 65, "x" * 65, {"password": ["is too long (maximum is 64 characters)"]}),
    ("x'" * 15, "x'" * 15, {"password": ["must not contain quotes"]}),
    ('x"', 'x"', {"password": ["is too short (minimum is 24 characters)", "must not contain quotes"]}),
    (GOOD_PW, None, {"password_confirmation": ["doesn't match Password"]}),
    (None, GOOD_PW, {"password": ["is invalid"]}),
], ids=["good", "24", "64", "23", "65", "quotes", "short-and-quote", "no-confirmation", "not-a-string"])
def test_password_errors(password, confirmation, errors):
    assert rules.password_errors(password, confirmation) == errors


def test_what_a_create_generates_and_a_patch_refuses():
    assert rules.server_generates_password(None, None) and rules.server_generates_password("", None)
    assert not rules.server_generates_password(None, GOOD_PW)
    assert rules.password_change_errors(None, None) == {"password": ["can't be blank"]}
    assert rules.password_change_errors("", "") == {"password": ["can't be blank"]}
    assert rules.password_change_errors(GOOD_PW, GOOD_PW) == {}


def test_generated_passwords_pass_the_rules():
    password = rules.generate_password()
    assert len(password) == 32 and set(password) <= set(rules.PASSWORD_ALPHABET)
    assert rules.password_errors(password, password) == {}
    assert rules.generate_password() != password


def test_read_only_value():
    assert rules.read_only_value(None) == (False, {})
    assert rules.read_only_value(True) == (True, {})
    assert rules.read_only_value("yes")[1] == {"read_only": ["is not included in the list"]}


def test_protected_users_and_unknown_resources():
    assert rules.protected_refusal() == (403, {"error": "user is protected"})
    assert rules.not_found("database_user") == {"resource": "database_user", "error": "not found"}


def test_bodies():
    user = {"name": "report-user", "read_only": False, "protected": False}
    assert rules.user_body(user) == user
    assert rules.user_body(user, GOOD_PW) == dict(user, password=GOOD_PW)
    assert "password" not in user
    assert rules.user_body(user, shape="wrapped") == {"database_user": user}
    assert rules.list_body([user]) == {"database-users": [user]}
    assert rules.list_body([], "database_users") == {"database_users": []}
    assert rules.database_user_fields({"database_user": {"name": "x"}}) == {"name": "x"}
    for body in (None, "text", {"name": "x"}, {"database_user": "x"}):
        assert rules.database_user_fields(body) is None


def test_rules_import_only_the_standard_library():
    """The unit tests import rules.py through ansible-test's collection loader, where nothing else is installed."""
    with open(os.path.join(PACKAGE, "rules.py")) as handle:
        tree = ast.parse(handle.read())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "rules.py imports from the package"
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


def test_importing_rules_loads_nothing_else_of_the_package():
    code = ("import json, sys; sys.path.insert(0, %r); import scalingo_emulator.rules; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('scalingo_emulator') or m == 'psycopg')))"
            % HERE)
    out = subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    assert json.loads(out) == ["scalingo_emulator", "scalingo_emulator.rules"]
