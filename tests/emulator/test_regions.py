# -*- coding: utf-8 -*-
"""Regions: each one a regional API and a Database API of its own, serving only the apps and addons of that region;
/v1/regions says where; the log says which region's server answered. (Rate limit per region: test_faults.py.)"""

from __future__ import annotations

import pytest

from emulator_client import DEMO, GOOD_PW, REGIONS, SECNUM, SECNUM_MYSQL, SECNUM_PG, Client, bearer, call, create_body, names


def apps_of(client, region):
    resp = client.api("GET", "/v1/apps", region)
    assert resp.status == 200, resp.body
    return resp.json()["apps"]


def test_each_region_is_served_on_ports_of_its_own(emu, owner):
    regions = call(emu.urls["auth"], "GET", "/v1/regions", bearer(owner.bearer)).json()["regions"]
    assert [(r["name"], r["default"]) for r in regions] == [("osc-fr1", True), ("osc-secnum-fr1", False)]
    urls = [(r["api"], r["database_api"]) for r in regions]
    assert urls == [(emu.region_urls(name)["api"], emu.region_urls(name)["db"]) for name in REGIONS]
    assert len({url for pair in urls for url in pair}) == 4, urls
    # urls["api"] and urls["db"] stay the default region's
    assert urls[0] == (emu.urls["api"], emu.urls["db"]) and set(emu.urls) == {"auth", "api", "db", "control"}
    assert emu.state()["region_urls"] == {name: emu.region_urls(name) for name in REGIONS}
    env = emu.env(region="osc-secnum-fr1")
    assert (env["SCALINGO_REGION"], env["SCALINGO_AUTH_URL"], env["SCALINGO_API_URL"], env["SCALINGO_DB_API_URL"]) == (
        "osc-secnum-fr1", emu.urls["auth"], regions[1]["api"], regions[1]["database_api"])
    with pytest.raises(KeyError):
        emu.region_urls("osc-nowhere")


def test_each_region_lists_only_its_apps_in_the_documented_shape(emu, owner):
    listed = {region: apps_of(owner, region) for region in REGIONS}
    assert [app["name"] for app in listed["osc-secnum-fr1"]] == [SECNUM]
    every = [app for apps in listed.values() for app in apps]
    assert sorted(app["name"] for app in every) == sorted(app.name for app in emu.apps)
    assert all(app["region"] == region for region in REGIONS for app in listed[region])
    demo = next(app for app in every if app["name"] == DEMO)
    assert set(demo) == {"id", "name", "region", "status", "owner", "created_at", "url"}
    assert (demo["id"], demo["region"], demo["status"]) == (emu.app(DEMO).id, "osc-fr1", "running")
    user = emu.tokens.by_name["owner"]["user"]
    assert demo["owner"] == {"id": user["id"], "username": user["username"], "email": user["email"]}
    # members-only apps are listed to their members only
    assert "emu-private-app" in [app["name"] for app in every]
    assert "emu-private-app" not in [app["name"] for app in apps_of(Client(emu, "collaborator"), "osc-fr1")]


def test_an_app_of_another_region_is_404(emu, owner):
    for key in (SECNUM, emu.app(SECNUM).id):
        for method, path in (("GET", "/v1/apps/%s"), ("GET", "/v1/apps/%s/addons"), ("GET", "/v1/apps/%s/addons/" + SECNUM_PG),
                             ("POST", "/v1/apps/%s/addons/" + SECNUM_PG + "/token")):
            resp = owner.api(method, path % key, "osc-fr1")
            assert resp.status == 404 and resp.json() == {"resource": "app", "error": "not found"}, path
            assert owner.api(method, path % key, "osc-secnum-fr1").status == 200, path
    assert owner.api("GET", "/v1/apps/%s/addons" % DEMO, "osc-secnum-fr1").status == 404


def test_each_database_api_serves_only_its_regions_addons(emu, owner, ids):
    secnum_db, default_db = emu.region_urls("osc-secnum-fr1")["db"], emu.urls["db"]
    secnum_token, demo_token = owner.addon_token(SECNUM, SECNUM_PG), owner.addon_token(DEMO, ids["mysql"])
    for db, path, token, status in ((secnum_db, "/api/databases/%s/users" % SECNUM_PG, secnum_token, 200),
                                    (default_db, "/api/databases/%s/users" % SECNUM_PG, secnum_token, 404),
                                    (secnum_db, "/api/databases/%s" % ids["mysql"], demo_token, 404),
                                    (default_db, "/api/databases/%s" % ids["mysql"], demo_token, 200)):
        resp = call(db, "GET", path, bearer(token))
        assert resp.status == status and (status == 200 or resp.json() == {"resource": "database", "error": "not found"})


def test_the_seed_keeps_one_postgresql_addon_in_memory(emu, owner):
    # postgres: {mode: off} on that addon of the seed: no server, whatever the backend
    assert emu.pg_info(SECNUM_PG) is None and emu.state()["addons"][SECNUM_PG]["postgres"] is None
    assert (emu.addons[emu.addon_id(DEMO, "postgresql")].pg is not None) == emu.pg_enabled
    assert emu.create_user_over_http(SECNUM, SECNUM_PG, "secnum-user", GOOD_PW)["name"] == "secnum-user"
    assert "secnum-user" in names(owner.db("GET", SECNUM_PG, app=SECNUM))
    assert owner.db("POST", SECNUM_PG, body=create_body("secnum-user", GOOD_PW), app=SECNUM).status == 422


def test_the_log_says_which_regions_server_answered(emu, owner, ids):
    emu.reset_log()
    owner.api("GET", "/v1/apps", "osc-secnum-fr1")
    owner.db("GET", SECNUM_MYSQL, app=SECNUM)
    owner.db("GET", ids["mysql"])
    seen = [(e["service"], e["route"], e["region"]) for e in emu.requests()]
    assert seen == [
        ("auth", "auth.exchange", None),
        ("api", "api.apps", "osc-secnum-fr1"),
        ("api", "api.addon_token", "osc-secnum-fr1"),
        ("db", "users.list", "osc-secnum-fr1"),
        ("api", "api.addon_token", "osc-fr1"),
        ("db", "users.list", "osc-fr1"),
    ]
    assert [e["route"] for e in emu.requests(region="osc-fr1")] == ["api.addon_token", "users.list"]
    over_http = call(emu.urls["control"], "GET", "/_emulator/log?region=osc-secnum-fr1&service=db").json()["requests"]
    assert [(e["route"], e["region"]) for e in over_http] == [("users.list", "osc-secnum-fr1")]


def test_addon_statuses(emu, owner):
    addons = {a["id"]: a for a in owner.api("GET", "/v1/apps/%s/addons" % SECNUM, "osc-secnum-fr1").json()["addons"]}
    assert addons[SECNUM_MYSQL]["status"] == "suspended" and addons[SECNUM_PG]["status"] == "running"
    one = owner.api("GET", "/v1/apps/%s/addons/%s" % (SECNUM, SECNUM_MYSQL), "osc-secnum-fr1").json()["addon"]
    assert one["status"] == "suspended" and emu.state()["addons"][SECNUM_MYSQL]["status"] == "suspended"
    assert {a["status"] for a in owner.api("GET", "/v1/apps/%s/addons" % DEMO).json()["addons"]} == {"running"}
