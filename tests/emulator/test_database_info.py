# -*- coding: utf-8 -*-
"""GET /api/databases/{id}: where a database listens and its features, and the control that toggles them
(emu.set_features, POST/GET /_emulator/features, restored by reset)."""

from __future__ import annotations

import re

import pytest

from emulator_client import DEMO, LEGACY_MYSQL, SEED, bearer, call, psycopg

import scalingo_emulator as se
from scalingo_emulator.model import PROVIDER_NAMES

SEEDED_FEATURES = {"force-ssl": "ACTIVATED", "publicly-available": "ACTIVATED"}


def database(emu, client, addon_id, token=None):
    """The answer of GET /api/databases/{id}, with a database token of that addon unless ``token`` is given."""
    app = emu.addons[addon_id].app
    token = token or client.addon_token(app.name, addon_id)
    return call(emu.region_urls(app.region)["db"], "GET", "/api/databases/%s" % addon_id, bearer(token))


def shown(emu, client, addon_id):
    resp = database(emu, client, addon_id)
    assert resp.status == 200, resp.body
    assert list(resp.json()) == ["database"]
    return resp.json()["database"]


def fake_hostname(addon):
    return "%s.%s.a.%s.scalingo-dbs.com" % (addon.database.replace("_", "-"), addon.type, addon.app.region)


def test_shape_for_every_type(emu, owner):
    types = set()
    for addon in emu.addons.values():
        db = shown(emu, owner, addon.id)
        types.add(db["type_name"])
        assert db["id"] == addon.id and db["resource_id"] == addon.database and db["app_name"] == addon.app.name
        assert db["plan"] == addon.plan and db["status"] == "running" and db["type_name"] == addon.type
        assert re.match(r"^\d+\.\d+\.\d+$", db["readable_version"]), db["readable_version"]
        assert isinstance(db["cluster"], bool) and isinstance(db["encryption_at_rest"], bool)
        assert db["maintenance_window"] and all(isinstance(v, int) for v in db["maintenance_window"].values())
        host, port = re.match(r"^([^:]+):(\d+)$", db["hostname"]).groups()
        assert db["instances"] == [{"id": db["instances"][0]["id"], "hostname": host, "port": int(port),
                                    "status": "running", "type": "db-node"}]
        assert isinstance(db["instances"][0]["id"], str) and db["instances"][0]["id"]
        assert isinstance(db["features"], list)
        if addon.pg is None:
            assert host == fake_hostname(addon), db["hostname"]
            assert 30000 <= int(port) <= 39999
        # the control's view agrees with the route's
        assert emu.state()["addons"][addon.id]["hostname"] == db["hostname"]
    assert types == set(PROVIDER_NAMES)


def test_fake_ports_are_stable_per_addon(emu, owner):
    fakes = [a for a in emu.addons.values() if a.pg is None]
    again = se.Emulator(SEED, pg="off")  # not started: the same seed, the same names and ports
    hostnames = [shown(emu, owner, a.id)["hostname"] for a in fakes]
    assert [again.addons[a.id].hostname for a in fakes] == hostnames
    assert len({hostname.rsplit(":", 1)[1] for hostname in hostnames}) > 1  # derived from the addon, not one port


def test_postgresql_hostname_is_where_psycopg_connects(pg, owner):
    if psycopg is None:
        pytest.skip("psycopg not installed")
    backed = [a for a in pg.addons.values() if a.pg is not None]
    assert len(backed) == 3
    for addon in backed:
        db = shown(pg, owner, addon.id)
        host, port = db["hostname"].rsplit(":", 1)
        assert host == "127.0.0.1"
        info = pg.pg_info(addon.id)
        with psycopg.connect(host=host, port=int(port), dbname=addon.database, user=addon.protected_user,
                             password=info["owner_password"], connect_timeout=5, autocommit=True) as conn:
            assert conn.execute("SELECT current_database(), inet_server_port()").fetchone() == (addon.database, int(port))
        assert (db["instances"][0]["hostname"], db["instances"][0]["port"]) == (host, int(port))


def test_token_checks(emu, owner, ids):
    db_url, path = emu.urls["db"], "/api/databases/%s" % ids["mysql"]
    resp = call(db_url, "GET", path)
    assert resp.status == 401 and resp.json() == {"error": "no bearer token provided"}
    assert call(db_url, "GET", path, bearer(owner.bearer)).status == 401
    resp = database(emu, owner, ids["mysql"], token=owner.addon_token(DEMO, ids["pg"]))
    assert resp.status == 401 and resp.json() == {"error": "token is not valid for this database"}
    emu.set_settings(wrong_addon_token_status=403)
    assert database(emu, owner, ids["mysql"], token=owner.addon_token(DEMO, ids["pg"])).status == 403
    token = owner.addon_token(DEMO, ids["mysql"])
    resp = call(db_url, "GET", "/api/databases/ad-00000000-0000-4000-8000-000000000000", bearer(token))
    assert resp.status == 404 and resp.json() == {"resource": "database", "error": "not found"}
    emu.expire_tokens("addon")
    assert database(emu, owner, ids["mysql"], token=token).json() == {"error": "token expired"}
    # the route serves databases without user management too
    assert shown(emu, owner, ids["redis"])["type_name"] == "redis"


def test_features_through_the_python_api(emu, owner, ids):
    mysql = ids["mysql"]
    assert shown(emu, owner, mysql)["features"] == [] and emu.features(mysql) == {}
    assert emu.set_features(mysql, {"force-ssl": "PENDING_TO_ACTIVATE"}) == {"force-ssl": "PENDING_TO_ACTIVATE"}
    assert emu.set_features(mysql, {"force-ssl": "ACTIVATED", "publicly-available": "PENDING_TO_ACTIVATE"}) == {
        "force-ssl": "ACTIVATED", "publicly-available": "PENDING_TO_ACTIVATE"}
    assert shown(emu, owner, mysql)["features"] == [{"name": "force-ssl", "status": "ACTIVATED"},
                                                    {"name": "publicly-available", "status": "PENDING_TO_ACTIVATE"}]
    assert emu.set_features(mysql, {"publicly-available": None, "not-there": None}) == {"force-ssl": "ACTIVATED"}
    assert shown(emu, owner, mysql)["features"] == [{"name": "force-ssl", "status": "ACTIVATED"}]
    assert emu.state()["addons"][mysql]["features"] == {"force-ssl": "ACTIVATED"}
    # one addon's features only
    assert shown(emu, owner, ids["pg"])["features"] == []
    for bad in ({"force-ssl": "ON"}, {"Force_SSL": "ACTIVATED"}, ["force-ssl"]):
        with pytest.raises(ValueError):
            emu.set_features(mysql, bad)
    with pytest.raises(ValueError, match="unknown addon"):
        emu.set_features("ad-nope", {})


def test_features_through_the_control_api(emu, owner, ids):
    control, mysql = emu.urls["control"], ids["mysql"]
    resp = call(control, "POST", "/_emulator/features", body={"addon_id": mysql, "features": {"force-ssl": "ACTIVATED"}})
    assert resp.status == 200 and resp.json() == {"features": {"force-ssl": "ACTIVATED"}}
    assert call(control, "GET", "/_emulator/features?addon_id=%s" % mysql).json() == {"features": {"force-ssl": "ACTIVATED"}}
    assert shown(emu, owner, mysql)["features"] == [{"name": "force-ssl", "status": "ACTIVATED"}]
    # the service ports answer the control API too
    resp = call(emu.urls["db"], "POST", "/_emulator/features", body={"addon_id": mysql, "features": {"force-ssl": None}})
    assert resp.json() == {"features": {}}
    refusals = [
        ({"addon_id": "ad-nope", "features": {}}, "unknown addon"),
        ({"addon_id": mysql, "features": {"force-ssl": "on"}}, "not one of ACTIVATED"),
        ({"addon_id": mysql, "features": ["force-ssl"]}, "features must be an object"),
        ({"addon_id": mysql}, "expected {"),
        ({"addon_id": mysql, "features": {}, "app": DEMO}, "expected {"),
        ([mysql], "expected {"),
    ]
    for body, message in refusals:
        resp = call(control, "POST", "/_emulator/features", body=body)
        assert resp.status == 400 and message in resp.json()["error"], (body, resp.body)
    resp = call(control, "GET", "/_emulator/features")
    assert resp.status == 400 and "unknown addon" in resp.json()["error"]
    assert emu.features(mysql) == {}


@pytest.mark.parametrize("force_ssl", [None, "PENDING_TO_ACTIVATE", "PENDING_TO_REMOVE"])
@pytest.mark.parametrize("public", ["ACTIVATED", "PENDING_TO_ACTIVATE"])
def test_publicly_available_requires_force_ssl(emu, ids, force_ssl, public):
    mysql = ids["mysql"]
    if force_ssl:
        emu.set_features(mysql, {"force-ssl": force_ssl})
    before = emu.features(mysql)
    with pytest.raises(ValueError, match="publicly-available .* requires force-ssl ACTIVATED"):
        emu.set_features(mysql, {"publicly-available": public})
    resp = call(emu.urls["control"], "POST", "/_emulator/features",
                body={"addon_id": mysql, "features": {"publicly-available": public}})
    assert resp.status == 400 and "requires force-ssl ACTIVATED" in resp.json()["error"]
    assert emu.features(mysql) == before
    # a feature on its way out does not need it; with force-ssl ACTIVATED it is accepted
    assert emu.set_features(mysql, {"publicly-available": "PENDING_TO_REMOVE"})["publicly-available"] == "PENDING_TO_REMOVE"
    assert emu.set_features(mysql, {"force-ssl": "ACTIVATED", "publicly-available": public})["publicly-available"] == public


def test_force_ssl_stays_while_publicly_available(emu):
    for change in ({"force-ssl": None}, {"force-ssl": "PENDING_TO_REMOVE"}):
        with pytest.raises(ValueError, match="requires force-ssl"):
            emu.set_features(LEGACY_MYSQL, change)
    assert emu.features(LEGACY_MYSQL) == SEEDED_FEATURES


def seed_with(features):
    return {"api_tokens": [{"name": "owner"}],
            "apps": [{"name": "one-app", "addons": [{"id": "ad-one", "type": "mysql", "features": features}]}]}


@pytest.mark.parametrize("features, message", [
    ({"publicly-available": "ACTIVATED"}, "requires force-ssl"),
    ({"force-ssl": "PENDING_TO_ACTIVATE", "publicly-available": "PENDING_TO_ACTIVATE"}, "requires force-ssl"),
    ({"force-ssl": "YES"}, "not one of"),
    (["force-ssl"], "must be an object"),
])
def test_a_seed_is_checked_too(features, message):
    with pytest.raises(se.EmulatorError, match="addon ad-one: .*%s" % message):
        se.Emulator(seed_with(features), pg="off")


def test_a_seed_gives_features(emu, owner):
    assert se.Emulator(seed_with(SEEDED_FEATURES), pg="off").addons["ad-one"].features == SEEDED_FEATURES
    assert shown(emu, owner, LEGACY_MYSQL)["features"] == [{"name": name, "status": status}
                                                           for name, status in SEEDED_FEATURES.items()]


def test_reset_restores_the_seeds_features(emu, owner, ids):
    emu.set_features(LEGACY_MYSQL, {"publicly-available": "PENDING_TO_REMOVE"})
    emu.set_features(ids["mysql"], {"force-ssl": "ACTIVATED"})
    emu.reset(users=False)
    assert emu.features(LEGACY_MYSQL) == SEEDED_FEATURES and emu.features(ids["mysql"]) == {}
    emu.set_features(LEGACY_MYSQL, {"publicly-available": None, "force-ssl": "PENDING_TO_REMOVE"})
    emu.set_features(ids["mysql"], {"force-ssl": "ACTIVATED"})
    assert call(emu.urls["control"], "POST", "/_emulator/reset", body={}).status == 200
    state = call(emu.urls["control"], "GET", "/_emulator/state").json()["addons"]
    assert state[LEGACY_MYSQL]["features"] == SEEDED_FEATURES and state[ids["mysql"]]["features"] == {}
    assert shown(emu, owner, LEGACY_MYSQL)["features"] == [{"name": name, "status": status}
                                                           for name, status in SEEDED_FEATURES.items()]
