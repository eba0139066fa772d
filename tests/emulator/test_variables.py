# -*- coding: utf-8 -*-
"""The app's environment variables: GET /v1/apps/{app}/variables on the main API, and the control API that changes
them (POST/GET /_emulator/variables, restored by reset)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from emulator_client import DEMO, TWIN, Client, bearer, call, psycopg

PRIVATE = "emu-private-app"


def variables(client, app=DEMO, query=""):
    resp = client.api("GET", "/v1/apps/%s/variables%s" % (app, query))
    assert resp.status == 200, resp.body
    return resp.json()["variables"]


def by_name(listed):
    return {v["name"]: v["value"] for v in listed}


def test_route_shape_and_computed_variables(emu, owner, ids):
    listed = variables(owner)
    assert all(set(v) == {"id", "name", "value"} for v in listed)
    assert len({v["id"] for v in listed}) == len(listed)
    values = by_name(listed)
    assert set(values) == {"SCALINGO_POSTGRESQL_URL", "SCALINGO_MYSQL_URL", "SCALINGO_MONGO_URL", "SCALINGO_INFLUX_URL",
                           "SCALINGO_REDIS_URL", "DATABASE_URL", "SECRET_KEY_BASE", "SMTP_PASSWORD", "PLAIN_SETTING"}
    # an alias is returned as written, with or without aliases=false
    assert values["DATABASE_URL"] == "$SCALINGO_POSTGRESQL_URL"
    assert by_name(variables(owner, query="?aliases=false")) == values
    assert re.match(r"^[0-9a-f]{64}$", values["SECRET_KEY_BASE"])
    assert len(values["SMTP_PASSWORD"]) >= 40
    assert values["PLAIN_SETTING"] == "hello-plain-setting-value"
    for variable, addon in (("SCALINGO_MYSQL_URL", "mysql"), ("SCALINGO_MONGO_URL", "mongodb"),
                            ("SCALINGO_INFLUX_URL", "influxdb")):
        url = urlsplit(values[variable])
        assert url.username == emu.addons[ids[addon]].protected_user, variable
        assert len(url.password) >= 24
    assert urlsplit(values["SCALINGO_MYSQL_URL"]).scheme == "mysql"
    assert values["SCALINGO_MONGO_URL"].startswith("mongodb://") and "replicaSet=" in values["SCALINGO_MONGO_URL"]
    assert urlsplit(values["SCALINGO_INFLUX_URL"]).port == 8086
    pg_url = urlsplit(values["SCALINGO_POSTGRESQL_URL"])
    assert pg_url.scheme == "postgres" and pg_url.username == emu.addons[ids["pg"]].protected_user
    if emu.pg_enabled:
        info = emu.pg_info(ids["pg"])
        assert values["SCALINGO_POSTGRESQL_URL"] == "postgres://%s:%s@%s:%d/%s?sslmode=disable" % (
            info["owner"], info["owner_password"], info["host"], info["port"], info["dbname"])
    # the app id works too, and the ids are stable
    assert variables(owner, emu.app(DEMO).id) == listed
    assert variables(owner) == listed
    # one variable per type: the first addon of the type (emu-twin-pg holds two PostgreSQL addons)
    twin = by_name(variables(owner, TWIN))
    assert urlsplit(twin["SCALINGO_POSTGRESQL_URL"]).username == emu.addons[ids["twin1"]].protected_user
    assert "SCALINGO_ELASTICSEARCH_URL" in twin and "SCALINGO_OPENSEARCH_URL" in twin
    assert not [name for name in twin if name.startswith("SCALINGO_POSTGRESQL_URL_")]
    # the secrets differ from one app to another
    assert twin["SECRET_KEY_BASE"] != values["SECRET_KEY_BASE"]
    assert emu.variables(DEMO) == listed
    assert emu.counters()["api.variables"]["count"] >= 4


def test_bearer_is_checked(emu, owner, ids):
    api = emu.urls["api"]
    path = "/v1/apps/%s/variables" % DEMO
    assert call(api, "GET", path).status == 401
    assert call(api, "GET", path, bearer("not-a-token")).status == 401
    assert call(api, "GET", path, bearer(owner.api_token)).status == 401
    assert call(api, "GET", path, bearer(owner.addon_token(DEMO, ids["pg"]))).status == 401
    assert call(api, "GET", path, bearer(owner.bearer)).status == 200
    resp = owner.api("GET", "/v1/apps/emu-no-such-app/variables")
    assert resp.status == 404 and resp.json() == {"resource": "app", "error": "not found"}
    # an app the token is not a member of is unknown; limited collaborators read as on the app's other read routes
    assert Client(emu, "collaborator").api("GET", "/v1/apps/%s/variables" % PRIVATE).status == 404
    assert Client(emu, "owner").api("GET", "/v1/apps/%s/variables" % PRIVATE).status == 200
    assert Client(emu, "limited").api("GET", path).status == 200
    assert owner.api("POST", path).status == 404


def test_faults_target_the_route(emu, owner):
    emu.add_fault("api.variables", status=503, count=1)
    assert owner.api("GET", "/v1/apps/%s/variables" % DEMO).status == 503
    assert owner.api("GET", "/v1/apps/%s/variables" % DEMO).status == 200
    assert [e["route"] for e in emu.requests(service="api", route="api.variables")] == ["api.variables"] * 2


def test_control_set_unset_and_reset(emu, owner):
    control = emu.urls["control"]
    before = variables(owner)
    other = "postgres://someone-else:Emulator_Test_Other_Secret_4f2a9c1d77e3b8a0@127.0.0.1:5432/elsewhere"
    resp = call(control, "POST", "/_emulator/variables", body={
        "app": DEMO, "set": {"SCALINGO_POSTGRESQL_URL": other, "NEW_ONE": "$PLAIN_SETTING"},
        "unset": ["SMTP_PASSWORD", "NOT_THERE"]})
    assert resp.status == 200
    values = by_name(variables(owner))
    assert values["SCALINGO_POSTGRESQL_URL"] == other and values["NEW_ONE"] == "$PLAIN_SETTING"
    assert "SMTP_PASSWORD" not in values
    assert by_name(resp.json()["variables"]) == values
    assert by_name(call(control, "GET", "/_emulator/variables?app=%s" % DEMO).json()["variables"]) == values
    # an overridden variable keeps its id
    ids_before = {v["name"]: v["id"] for v in before}
    assert {v["name"]: v["id"] for v in variables(owner)}["SCALINGO_POSTGRESQL_URL"] == ids_before["SCALINGO_POSTGRESQL_URL"]
    # other apps are untouched
    assert "NEW_ONE" not in by_name(variables(owner, TWIN))
    # errors
    assert call(control, "POST", "/_emulator/variables", body={"app": "nope", "set": {}}).status == 400
    assert call(control, "POST", "/_emulator/variables", body={"app": DEMO, "set": {"A": 1}}).status == 400
    assert call(control, "POST", "/_emulator/variables", body={"app": DEMO, "unset": "A"}).status == 400
    assert call(control, "GET", "/_emulator/variables").status == 400
    # reset restores the computed variables, the same values
    assert call(control, "POST", "/_emulator/reset", body={}).status == 200
    assert variables(owner) == before
    emu.set_variables(DEMO, unset=["SECRET_KEY_BASE"])
    emu.reset()
    assert emu.variables(DEMO) == before


def test_postgresql_url_logs_in_as_is(pg, owner, ids):
    if psycopg is None:
        pytest.skip("psycopg not installed")
    for app, addon in ((DEMO, "pg"), (TWIN, "twin1")):
        url = by_name(variables(owner, app))["SCALINGO_POSTGRESQL_URL"]
        with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
            user, database = conn.execute("SELECT current_user, current_database()").fetchone()
        assert user == pg.addons[ids[addon]].protected_user
        assert database == pg.pg_info(ids[addon])["dbname"]
