# -*- coding: utf-8 -*-
"""Database users over HTTP: the rules applied (one row for each kind of error: test_rules.py checks the rules one by
one), the shapes of the answers and the switches (in-memory addons: fast). Concurrent creates:
tests/e2e/test_e2e_load.py."""

from __future__ import annotations

import pytest

from emulator_client import DEMO, GOOD_PW, HYPHEN_HINT, OTHER_PW, bearer, call, create_body, names, patch_body


@pytest.mark.parametrize("settings, addon, body, status, answer", [
    ({}, "mysql", create_body("Upper-case"), 422, {"errors": {"name": [HYPHEN_HINT]}}),
    ({}, "mysql", create_body("reporting-ro"), 422, {"errors": {"name": ["has already been taken"]}}),
    ({"name_rule": "underscore"}, "mysql", create_body("a" * 17), 422, {"errors": {"name": ["is too long (maximum is 16 characters)"]}}),
    ({"name_rule": "underscore"}, "mysql", create_body("Report_user_16ch", GOOD_PW), 201,
     {"name": "Report_user_16ch", "read_only": False, "protected": False}),
    ({"name_rule": "underscore"}, "mongodb", create_body("b" * 32, GOOD_PW), 201, {"name": "b" * 32, "read_only": False, "protected": False}),
    ({}, "mysql", create_body("pw-user", GOOD_PW, confirmation=OTHER_PW), 422, {"errors": {"password_confirmation": ["doesn't match Password"]}}),
    ({}, "mysql", create_body("pw-user", "y" * 64, read_only=True), 201, {"name": "pw-user", "read_only": True, "protected": False}),
    ({}, "mysql", create_body("ro-bad", read_only="yes"), 422, {"errors": {"read_only": ["is not included in the list"]}}),
    ({}, "mysql", {"name": "no-wrapper"}, 400, {"error": "param is missing or the value is empty: database_user"}),
    ({}, "mysql", b"{not json", 400, {"error": "invalid JSON body"}),
    ({"create_returns_password": "always"}, "mysql", create_body("echo-pass", GOOD_PW), 201,
     {"name": "echo-pass", "read_only": False, "protected": False, "password": GOOD_PW}),
    ({"response_shape": "wrapped"}, "pg", create_body("wrapped-user", GOOD_PW), 201, {"database_user": {
        "name": "wrapped-user", "read_only": False, "protected": False, "dbms_attributes": {"password_encryption": "SCRAM-SHA-256"}}}),
])
def test_create(emu, owner, ids, settings, addon, body, status, answer):
    emu.set_settings(**settings)
    resp = owner.db("POST", ids[addon], body=body)
    assert (resp.status, resp.json()) == (status, answer)


def test_a_generated_password_is_shown_once(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    resp = owner.db("POST", ids["mysql"], body=create_body("gen-user"), token=token)
    user = resp.json()
    assert resp.status == 201 and set(user) == {"name", "read_only", "protected", "password"}
    assert len(user["password"]) == 32 and "'" not in user["password"]
    listing = owner.db("GET", ids["mysql"], token=token)
    assert "gen-user" in names(listing) and user["password"].encode() not in listing.body
    assert all("password" not in u for u in listing.json()["database-users"])


def test_protected_and_unknown_users(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    protected = emu.addons[ids["mysql"]].protected_user
    for user, answer in ((protected, (403, {"error": "user is protected"})),
                         ("ghost-user", (404, {"resource": "database_user", "error": "not found"}))):
        for method, suffix, body in (("DELETE", "", None), ("PATCH", "", patch_body(GOOD_PW)), ("POST", "/reset_password", None)):
            resp = owner.db(method, ids["mysql"], "/%s%s" % (user, suffix), body=body, token=token)
            assert (resp.status, resp.json()) == answer, (method, user)


def test_update_reset_delete_and_shapes(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["influxdb"])
    assert owner.db("POST", ids["influxdb"], body=create_body("shape-user", GOOD_PW), token=token).status == 201
    resp = owner.db("PATCH", ids["influxdb"], "/shape-user", body=patch_body(OTHER_PW), token=token)
    assert resp.status == 200 and resp.json() == {"name": "shape-user", "read_only": False, "protected": False}
    resp = owner.db("PATCH", ids["influxdb"], "/shape-user", body={"database_user": {"password": None}}, token=token)
    assert resp.status == 422 and resp.json()["errors"] == {"password": ["can't be blank"]}
    emu.set_settings(response_shape="wrapped", patch_returns_password=True)
    resp = owner.db("PATCH", ids["influxdb"], "/shape-user", body=patch_body(OTHER_PW), token=token)
    assert resp.json() == {"database_user": {"name": "shape-user", "read_only": False, "protected": False, "password": OTHER_PW}}
    resp = owner.db("POST", ids["influxdb"], "/shape-user/reset_password", token=token)
    assert resp.status == 200 and len(resp.json()["database_user"]["password"]) == 32
    resp = owner.db("DELETE", ids["influxdb"], "/shape-user", token=token)
    assert resp.status == 204 and resp.body == b""
    assert "shape-user" not in names(owner.db("GET", ids["influxdb"], token=token))


def test_database_name_in_path_and_settings_refused(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    path = "/api/databases/%s/users" % emu.addons[ids["mysql"]].database
    assert call(emu.urls["db"], "GET", path, bearer(token)).status == 404
    emu.set_settings(accept_database_name_in_path=True)
    assert call(emu.urls["db"], "GET", path, bearer(token)).status == 200
    for bad in ({"name_rule": "camel"}, {"no_such_setting": 1}, {"patch_returns_password": 1}, {"api_rate_limit": 0}):
        with pytest.raises(ValueError):
            emu.set_settings(**bad)
