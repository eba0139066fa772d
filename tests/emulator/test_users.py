# -*- coding: utf-8 -*-
"""Database users: the name and password rules, the shapes of the answers and the switches (in-memory addons: fast)."""

from __future__ import annotations

import threading

import pytest

from emulator_client import DEMO, GOOD_PW, OTHER_PW, bearer, call, create_body, names


@pytest.mark.parametrize("name", ["short", "-leading", "trailing-", "double--hyphen", "Upper-case", "under_score",
                                  "a" * 33, "", None])
def test_hyphen_rule_rejects(emu, owner, ids, name):
    resp = owner.db("POST", ids["mysql"], body=create_body(name))
    assert resp.status == 422
    assert list(resp.json()["errors"]) == ["name"]


def test_underscore_rule(emu, owner, ids):
    emu.set_settings(name_rule="underscore")
    token = owner.addon_token(DEMO, ids["mysql"])
    assert owner.db("POST", ids["mysql"], body=create_body("my-user"), token=token).status == 422
    assert owner.db("POST", ids["mysql"], body=create_body("1abcdef"), token=token).status == 422
    resp = owner.db("POST", ids["mysql"], body=create_body("a" * 17), token=token)
    assert resp.status == 422 and "maximum is 16" in resp.json()["errors"]["name"][0]
    assert owner.db("POST", ids["mysql"], body=create_body("Report_user_16ch"), token=token).status == 201
    assert owner.db("POST", ids["mongodb"], body=create_body("b" * 32)).status == 201


def test_password_rules(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])

    def errors(password, confirmation="same"):
        resp = owner.db("POST", ids["mysql"], body=create_body("pw-user", password, confirmation=confirmation), token=token)
        assert resp.status == 422, resp.body
        return resp.json()["errors"]

    assert "password" in errors("x" * 23)
    assert "password" in errors("x" * 65)
    assert "password" in errors("x" * 30 + "'")
    assert "password" in errors("x" * 30 + '"')
    assert errors(GOOD_PW, confirmation=OTHER_PW) == {"password_confirmation": ["doesn't match Password"]}
    assert errors(GOOD_PW, confirmation=None) == {"password_confirmation": ["doesn't match Password"]}
    assert owner.db("POST", ids["mysql"], body=create_body("pw-user", "y" * 64), token=token).status == 201


def test_create_generated_password_and_list_hides_passwords(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    resp = owner.db("POST", ids["mysql"], body=create_body("gen-user"), token=token)
    assert resp.status == 201
    user = resp.json()
    assert user["name"] == "gen-user" and user["protected"] is False and user["read_only"] is False
    assert len(user["password"]) >= 24 and "'" not in user["password"]
    assert "dbms_attributes" not in user  # only PostgreSQL fills it (setting other_dbms_attributes)
    resp = owner.db("POST", ids["mysql"], body=create_body("given-pass", GOOD_PW, read_only=True), token=token)
    assert resp.status == 201 and "password" not in resp.json() and resp.json()["read_only"] is True
    listing = owner.db("GET", ids["mysql"], token=token)
    assert "gen-user" in names(listing) and "given-pass" in names(listing)
    assert all("password" not in u for u in listing.json()["database-users"])
    assert user["password"].encode() not in listing.body


def test_duplicate_and_bad_bodies(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    assert owner.db("POST", ids["mysql"], body=create_body("dup-user"), token=token).status == 201
    resp = owner.db("POST", ids["mysql"], body=create_body("dup-user"), token=token)
    assert resp.status == 422 and resp.json() == {"errors": {"name": ["has already been taken"]}}
    resp = owner.db("POST", ids["mysql"], body={"name": "no-wrapper"}, token=token)
    assert resp.status == 400 and "error" in resp.json()
    assert owner.db("POST", ids["mysql"], body=b"{not json", token=token).status == 400
    resp = owner.db("POST", ids["mysql"], body=create_body("ro-bad", read_only="yes"), token=token)
    assert resp.status == 422 and "read_only" in resp.json()["errors"]


def test_protected_and_unknown_users(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    protected = emu.addons[ids["mysql"]].protected_user
    patch = {"database_user": {"database_id": ids["mysql"], "password": GOOD_PW, "password_confirmation": GOOD_PW}}
    for method, suffix, body in (("DELETE", "/" + protected, None), ("PATCH", "/" + protected, patch),
                                 ("POST", "/%s/reset_password" % protected, None)):
        resp = owner.db(method, ids["mysql"], suffix, body=body, token=token)
        assert resp.status == 403 and resp.json() == {"error": "user is protected"}
    resp = owner.db("POST", ids["mysql"], body=create_body(protected.replace("_", "-")), token=token)
    assert resp.status in (201, 422)
    for method, suffix, body in (("DELETE", "/ghost-user", None), ("PATCH", "/ghost-user", patch),
                                 ("POST", "/ghost-user/reset_password", None)):
        resp = owner.db(method, ids["mysql"], suffix, body=body, token=token)
        assert resp.status == 404 and resp.json() == {"resource": "database_user", "error": "not found"}


def test_update_reset_delete_and_shapes(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["influxdb"])
    assert owner.db("POST", ids["influxdb"], body=create_body("shape-user", GOOD_PW), token=token).status == 201
    patch = {"database_user": {"database_id": ids["influxdb"], "password": OTHER_PW, "password_confirmation": OTHER_PW}}
    resp = owner.db("PATCH", ids["influxdb"], "/shape-user", body=patch, token=token)
    assert resp.status == 200 and resp.json() == {"name": "shape-user", "read_only": False, "protected": False}
    resp = owner.db("PATCH", ids["influxdb"], "/shape-user", body={"database_user": {"password": None}}, token=token)
    assert resp.status == 422 and resp.json()["errors"] == {"password": ["can't be blank"]}
    emu.set_settings(response_shape="wrapped", other_dbms_attributes="empty", patch_returns_password=True)
    resp = owner.db("PATCH", ids["influxdb"], "/shape-user", body=patch, token=token)
    assert resp.json() == {"database_user": {"name": "shape-user", "read_only": False, "protected": False,
                                             "dbms_attributes": {}, "password": OTHER_PW}}
    resp = owner.db("POST", ids["influxdb"], "/shape-user/reset_password", token=token)
    assert resp.status == 200 and len(resp.json()["database_user"]["password"]) >= 24
    resp = owner.db("DELETE", ids["influxdb"], "/shape-user", token=token)
    assert resp.status == 204 and resp.body == b""
    assert "shape-user" not in names(owner.db("GET", ids["influxdb"], token=token))


def test_concurrent_creates(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mongodb"])
    results = []

    def worker(i):
        results.append(owner.db("POST", ids["mongodb"], body=create_body("par-user-%02d" % i), token=token).status)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [201] * 16
    assert len([n for n in names(owner.db("GET", ids["mongodb"], token=token)) if n.startswith("par-user-")]) == 16


def test_other_switches(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    emu.set_settings(accept_database_name_in_path=True, wrong_addon_token_status=403, list_key="database_users",
                     create_returns_password="always")
    by_name = call(emu.urls["db"], "GET", "/api/databases/%s/users" % emu.addons[ids["mysql"]].database, bearer(token))
    assert by_name.status == 200 and "database_users" in by_name.json()
    assert owner.db("GET", ids["mongodb"], token=token).status == 403
    resp = owner.db("POST", ids["mysql"], body=create_body("echo-pass", GOOD_PW), token=token)
    assert resp.json()["password"] == GOOD_PW
    with pytest.raises(ValueError):
        emu.set_settings(name_rule="camel")
    with pytest.raises(ValueError):
        emu.set_settings(no_such_setting=1)
