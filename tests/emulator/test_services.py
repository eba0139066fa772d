# -*- coding: utf-8 -*-
"""The three services and their tokens: the auth chain, who may open what, and what refuses whom."""

from __future__ import annotations

import base64
import json
import time
import types

from emulator_client import DEMO, TWIN, Client, basic, bearer, call, create_body
from scalingo_emulator import model

UNKNOWN_ADDON = "ad-00000000-0000-4000-8000-000000000000"


def test_auth_chain(emu, owner, ids):
    resp = owner.exchange()
    assert resp.status == 200
    token = resp.json()["token"]
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert token.count(".") == 2 and abs(payload["exp"] - (time.time() + 3600)) < 5
    self_user = call(emu.urls["auth"], "GET", "/v1/users/self", bearer(token)).json()["user"]
    assert self_user == emu.tokens.by_name["owner"]["user"]
    addons = call(emu.urls["api"], "GET", "/v1/apps/%s/addons" % DEMO, bearer(token)).json()["addons"]
    by_type = {a["addon_provider"]["id"]: a for a in addons}
    assert set(by_type) == {"postgresql", "mysql", "mongodb", "influxdb", "redis"}
    assert by_type["postgresql"]["addon_provider"]["name"] == "PostgreSQL" and "plan" in by_type["postgresql"]
    assert by_type["postgresql"]["app_id"] == emu.app(DEMO).id
    # {app} may be the app id too, and a doubled /v1/v1/ prefix is accepted
    for path in ("/v1/apps/%s/addons" % emu.app(DEMO).id, "/v1/v1/apps/%s/addons/" % DEMO):
        assert [a["id"] for a in call(emu.urls["api"], "GET", path, bearer(token)).json()["addons"]] == [a["id"] for a in addons]
    resp = call(emu.urls["api"], "POST", "/v1/apps/%s/addons/%s/token" % (DEMO, ids["pg"]), bearer(token))
    addon = resp.json()["addon"]
    assert resp.status == 200 and addon["id"] == ids["pg"] and addon["token"]
    resp = call(emu.urls["db"], "GET", "/api/databases/%s/users" % ids["pg"], bearer(addon["token"]))
    assert resp.status == 200 and resp.json()["database-users"] == [{
        "name": emu.addons[ids["pg"]].protected_user, "read_only": False, "protected": True,
        "dbms_attributes": {"password_encryption": "SCRAM-SHA-256"}}]


def test_each_token_opens_its_own_service_only(emu, owner, ids):
    auth, api, db = emu.urls["auth"], emu.urls["api"], emu.urls["db"]
    api_token, addon_token = owner.api_token, owner.addon_token(DEMO, ids["pg"])
    addons, users = "/v1/apps/%s/addons" % DEMO, "/api/databases/%s/users" % ids["pg"]
    refused = [
        (auth, "POST", "/v1/tokens/exchange", basic("tk-us-nope")),
        (auth, "POST", "/v1/tokens/exchange", {}),
        (auth, "POST", "/v1/tokens/exchange", bearer(api_token)),
        (auth, "POST", "/v1/tokens/exchange", basic(api_token, user="someone")),
        (auth, "GET", "/v1/regions", bearer(api_token)),
        (api, "GET", addons, bearer(api_token)),
        (api, "GET", addons, basic(api_token)),
        (api, "GET", addons, {}),
        (api, "GET", addons, bearer("not-a-token")),
        (api, "GET", addons, bearer(addon_token)),
        (db, "GET", users, bearer(owner.bearer)),
        (db, "GET", users, bearer(api_token)),
        (db, "GET", users, {}),
    ]
    for base, method, path, headers in refused:
        resp = call(base, method, path, headers)
        assert resp.status == 401 and "error" in resp.json(), (base, method, path, headers)
    assert call(db, "GET", users, {}).json() == {"error": "no bearer token provided"}
    assert call(api, "GET", addons, bearer("not-a-token")).json() == {"error": "invalid token"}
    assert call(db, "GET", users, bearer(addon_token)).status == 200


def test_expired_tokens_are_401(emu, ids, monkeypatch):
    emu.set_settings(token_ttl=60, addon_token_ttl=60)
    client = Client(emu)
    addon_token = client.addon_token(DEMO, ids["mysql"])
    assert client.db("GET", ids["mysql"], token=addon_token).status == 200
    # a minute later on the tokens' clock, rather than a short TTL and a sleep: a busy machine could let a short TTL
    # run out before the check above
    later = time.time() + 61
    monkeypatch.setattr(model, "time", types.SimpleNamespace(time=lambda: later, strftime=time.strftime, gmtime=time.gmtime))
    resp = client.api("GET", "/v1/apps/%s/addons" % DEMO)
    assert resp.status == 401 and resp.json() == {"error": "token expired"}
    assert client.db("GET", ids["mysql"], token=addon_token).json() == {"error": "token expired"}


def test_addon_token_is_scoped_to_its_addon(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["pg"])
    for suffix in ("", "/users"):  # the database route and the users routes check it alike
        resp = call(emu.urls["db"], "GET", "/api/databases/%s%s" % (ids["mysql"], suffix), bearer(token))
        assert resp.status == 401 and resp.json() == {"error": "token is not valid for this database"}
        resp = call(emu.urls["db"], "GET", "/api/databases/%s%s" % (UNKNOWN_ADDON, suffix), bearer(token))
        assert resp.status == 404 and resp.json() == {"resource": "database", "error": "not found"}
    # twin PostgreSQL addons of one app do not share tokens
    assert owner.db("GET", ids["twin2"], token=owner.addon_token(TWIN, ids["twin1"])).status == 401


def test_the_apps_environment_is_not_served(emu, owner):
    # GET /v1/apps/{app}/variables holds every secret of an app: the emulator has no such route, like Scalingo's
    # answer to a path it does not know
    emu.reset_log()
    for app in (DEMO, emu.app(DEMO).id):
        resp = owner.api("GET", "/v1/apps/%s/variables" % app)
        assert resp.status == 404 and resp.json() == {"error": "not found"}
    assert [e["route"] for e in emu.requests(service="api") if e["path"].endswith("/variables")] == ["api.unknown"] * 2


def test_unknown_app_or_addon_is_404(emu, owner, ids):
    resp = owner.api("GET", "/v1/apps/no-such-app/addons")
    assert resp.status == 404 and resp.json() == {"resource": "app", "error": "not found"}
    for addon in (UNKNOWN_ADDON, ids["twin1"]):  # unknown, or of another app
        resp = owner.api("POST", "/v1/apps/%s/addons/%s/token" % (DEMO, addon))
        assert resp.status == 404 and resp.json() == {"resource": "addon", "error": "not found"}
    # a members-only app is unknown to the others
    assert owner.api("GET", "/v1/apps/emu-private-app/addons").status == 200
    assert Client(emu, "collaborator").api("GET", "/v1/apps/emu-private-app/addons").status == 404


def test_unsupported_types(emu, owner, ids):
    for kind, app in (("redis", DEMO), ("elasticsearch", TWIN)):
        resp = owner.db("GET", ids[kind], app=app)
        assert resp.status == 400
        assert resp.json() == {"error": "database type %s does not support user management" % kind}


def test_limited_collaborators(emu, ids):
    limited = Client(emu, "limited")
    resp = limited.api("POST", "/v1/apps/%s/addons/%s/token" % (DEMO, ids["mysql"]))
    assert resp.status == 403 and "error" in resp.json()
    assert limited.api("GET", "/v1/apps/%s/addons" % DEMO).status == 200
    writes = Client(emu, "limited-db")
    token = writes.addon_token(DEMO, ids["mysql"])
    assert writes.db("GET", ids["mysql"], token=token).status == 200
    assert writes.db("POST", ids["mysql"], body=create_body("some-user"), token=token).status == 403
    assert writes.db("POST", ids["mysql"], "/reporting-ro/reset_password", token=token).status == 403
    assert Client(emu, "collaborator").db("POST", ids["mysql"], body=create_body("some-user")).status == 201
