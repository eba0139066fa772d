# -*- coding: utf-8 -*-
"""Regions: each one a regional API and a Database API of its own, serving only the apps and addons of that region;
/v1/regions says where; the rate limit, faults and the log on every region's servers."""

from __future__ import annotations

import pytest

from emulator_client import DEMO, GOOD_PW, SECNUM, SECNUM_MYSQL, SECNUM_PG, Client, bearer, call, create_body, names

import scalingo_emulator as se

REGIONS = ("osc-fr1", "osc-secnum-fr1")


def apps_of(client, region):
    resp = client.api("GET", "/v1/apps", region)
    assert resp.status == 200, resp.body
    return resp.json()["apps"]


def test_each_region_is_served_on_ports_of_its_own(emu, owner):
    regions = call(emu.urls["auth"], "GET", "/v1/regions", bearer(owner.bearer)).json()["regions"]
    assert [r["name"] for r in regions] == list(REGIONS)
    for region in regions:
        assert (region["api"], region["database_api"]) == (emu.region_urls(region["name"])["api"],
                                                           emu.region_urls(region["name"])["db"])
    urls = [(r["api"], r["database_api"]) for r in regions]
    assert len({url for pair in urls for url in pair}) == 4, urls
    # urls["api"] and urls["db"] stay the default region's, and regions[...]["default"] says which that is
    assert urls[0] == (emu.urls["api"], emu.urls["db"])
    assert [r["default"] for r in regions] == [True, False]
    state = emu.state()
    assert state["region_urls"] == {name: emu.region_urls(name) for name in REGIONS}
    assert state["urls"] == emu.urls and set(emu.urls) == {"auth", "api", "db", "control"}
    assert emu.region_ports("osc-secnum-fr1")["api"] == int(regions[1]["api"].rsplit(":", 1)[1])
    env = emu.env(region="osc-secnum-fr1")
    assert (env["SCALINGO_REGION"], env["SCALINGO_API_URL"], env["SCALINGO_DB_API_URL"]) == (
        "osc-secnum-fr1", regions[1]["api"], regions[1]["database_api"])
    assert env["SCALINGO_AUTH_URL"] == emu.urls["auth"]
    with pytest.raises(KeyError):
        emu.region_urls("osc-nowhere")


def test_each_region_lists_only_its_apps(emu, owner):
    listed = {region: [app["name"] for app in apps_of(owner, region)] for region in REGIONS}
    assert listed["osc-secnum-fr1"] == [SECNUM]
    assert SECNUM not in listed["osc-fr1"] and DEMO in listed["osc-fr1"]
    # every app once over the regions, each where the seed puts it
    every = listed["osc-fr1"] + listed["osc-secnum-fr1"]
    assert sorted(every) == sorted(app.name for app in emu.apps)
    for region in REGIONS:
        assert {app["region"] for app in apps_of(owner, region)} == {region}


def test_an_app_of_another_region_is_404(emu, owner):
    secnum_id = emu.app(SECNUM).id
    for key in (SECNUM, secnum_id):
        for path in ("/v1/apps/%s", "/v1/apps/%s/addons", "/v1/apps/%s/addons/" + SECNUM_PG):
            resp = owner.api("GET", path % key, "osc-fr1")
            assert resp.status == 404 and resp.json() == {"resource": "app", "error": "not found"}, path
            assert owner.api("GET", path % key, "osc-secnum-fr1").status == 200, path
        resp = owner.api("POST", "/v1/apps/%s/addons/%s/token" % (key, SECNUM_PG), "osc-fr1")
        assert resp.status == 404 and resp.json() == {"resource": "app", "error": "not found"}
    assert owner.api("GET", "/v1/apps/%s/addons" % DEMO, "osc-secnum-fr1").status == 404


def test_each_database_api_serves_only_its_regions_addons(emu, owner, ids):
    secnum_token = owner.addon_token(SECNUM, SECNUM_PG)
    secnum_db, default_db = emu.region_urls("osc-secnum-fr1")["db"], emu.urls["db"]
    users = "/api/databases/%s/users" % SECNUM_PG
    assert call(secnum_db, "GET", users, bearer(secnum_token)).status == 200
    resp = call(default_db, "GET", users, bearer(secnum_token))
    assert resp.status == 404 and resp.json() == {"resource": "database", "error": "not found"}
    demo_token = owner.addon_token(DEMO, ids["mysql"])
    resp = call(secnum_db, "GET", "/api/databases/%s" % ids["mysql"], bearer(demo_token))
    assert resp.status == 404 and resp.json() == {"resource": "database", "error": "not found"}
    assert call(default_db, "GET", "/api/databases/%s" % ids["mysql"], bearer(demo_token)).status == 200


def test_users_of_the_other_regions_postgresql_are_kept_in_memory(emu, owner):
    # postgres: {mode: off} on that addon of the seed: no server, whatever the backend
    assert emu.addons[SECNUM_PG].pg is None and emu.pg_info(SECNUM_PG) is None
    assert emu.state()["addons"][SECNUM_PG]["postgres"] is None
    created = emu.create_user_over_http(SECNUM, SECNUM_PG, "secnum-user", GOOD_PW)
    assert created["name"] == "secnum-user"
    assert "secnum-user" in names(owner.db("GET", SECNUM_PG, app=SECNUM))
    assert owner.db("POST", SECNUM_PG, body=create_body("secnum-user", GOOD_PW), app=SECNUM).status == 422


def test_only_that_addon_stays_in_memory(pg):
    assert pg.addons[pg.addon_id(DEMO, "postgresql")].pg is not None
    assert pg.addons[SECNUM_PG].pg is None


def test_the_rate_limit_applies_to_every_regions_api_each_in_its_own_window(emu, owner, ids):
    owner.bearer  # pylint: disable=pointless-statement
    token = owner.addon_token(DEMO, ids["mysql"])
    emu.set_settings(api_rate_limit=2)
    for region in REGIONS:
        assert [owner.api("GET", "/v1/apps", region).status for dummy in range(3)] == [200, 200, 429], region
    # neither the auth service nor the Database APIs are limited
    assert owner.exchange().status == 200
    assert owner.db("GET", ids["mysql"], token=token).status == 200
    assert [e["status"] for e in emu.requests(route="api.apps")] == [200, 200, 429] * 2


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


def test_faults_on_every_regions_servers_or_on_one(emu, owner):
    emu.add_fault("api.apps", status=503, count=2)
    assert [owner.api("GET", "/v1/apps", region).status for region in REGIONS] == [503, 503]
    emu.add_fault("api.apps", status=500, region="osc-secnum-fr1", count=-1)
    assert [owner.api("GET", "/v1/apps", region).status for region in REGIONS] == [200, 500]
    assert emu.faults()[-1]["region"] == "osc-secnum-fr1"
    emu.clear_faults()
    emu.add_fault("users.list", action="drop", region="osc-secnum-fr1")
    with pytest.raises(ConnectionError):
        owner.db("GET", SECNUM_MYSQL, app=SECNUM)
    with pytest.raises(ValueError):
        emu.add_fault("api.apps", status=500, region=["osc-fr1"])


def test_apps_in_the_documented_shape(emu, owner):
    apps = {app["name"]: app for app in apps_of(owner, "osc-fr1")}
    demo = apps[DEMO]
    assert {"id", "name", "region", "status", "owner", "created_at", "url"} <= set(demo)
    assert (demo["id"], demo["region"], demo["status"]) == (emu.app(DEMO).id, "osc-fr1", "running")
    user = emu.tokens.by_name["owner"]["user"]
    assert demo["owner"] == {"id": user["id"], "username": user["username"], "email": user["email"]}
    # members-only apps are listed to their members only
    assert "emu-private-app" in apps
    assert "emu-private-app" not in [app["name"] for app in apps_of(Client(emu, "collaborator"), "osc-fr1")]
    assert call(emu.urls["api"], "GET", "/v1/apps").status == 401


def test_addon_statuses(emu, owner):
    addons = {a["id"]: a for a in owner.api("GET", "/v1/apps/%s/addons" % SECNUM, "osc-secnum-fr1").json()["addons"]}
    assert addons[SECNUM_MYSQL]["status"] == "suspended" and addons[SECNUM_PG]["status"] == "running"
    one = owner.api("GET", "/v1/apps/%s/addons/%s" % (SECNUM, SECNUM_MYSQL), "osc-secnum-fr1").json()["addon"]
    assert one["status"] == "suspended"
    assert {a["status"] for a in owner.api("GET", "/v1/apps/%s/addons" % DEMO).json()["addons"]} == {"running"}
    assert emu.state()["addons"][SECNUM_MYSQL]["status"] == "suspended"


def _seed(app=None, addon=None, **top):
    """A one-app seed, ``app`` and ``addon`` merged into its app and its addon."""
    seed = {"api_tokens": [{"name": "owner", "role": "owner"}],
            "apps": [dict({"name": "one-app", "addons": [dict({"type": "mysql"}, **(addon or {}))]}, **(app or {}))]}
    seed.update(top)
    return seed


def test_seed_statuses_regions_and_owners():
    emu = se.Emulator(_seed(app={"status": "stopped", "region": "eu-test1"}, addon={"status": "provisioning"},
                            regions=["osc-fr1", "eu-test1"]), pg="off")
    app = emu.app("one-app")
    assert (app.status, app.region, app.addons[0].status) == ("stopped", "eu-test1", "provisioning")
    assert app.to_json()["status"] == "stopped" and app.addons[0].to_json()["status"] == "provisioning"
    assert app.owner["username"] == "emu-owner"
    for bad in (_seed(addon={"status": "paused"}), _seed(app={"status": "up"}), _seed(app={"region": "osc-nowhere"}),
                _seed(region="osc-nowhere"), _seed(app={"owner": "nobody"}), _seed(addon={"postgres": {"mode": "on"}}),
                _seed(regions=["osc-fr1", "osc-fr1"])):
        with pytest.raises(se.EmulatorError):
            se.Emulator(bad, pg="off")
