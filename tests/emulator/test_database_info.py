# -*- coding: utf-8 -*-
"""GET /api/databases/{id}: where a database listens and its features, and the control that toggles them
(emu.set_features, POST/GET /_emulator/features, restored by reset). Its token checks: test_services.py."""

from __future__ import annotations

import re

import pytest

from emulator_client import LEGACY_MYSQL, SEED, bearer, call

import scalingo_emulator as se
from scalingo_emulator.model import TYPES

SEEDED_FEATURES = {"force-ssl": "ACTIVATED", "publicly-available": "ACTIVATED"}


def shown(emu, client, addon_id):
    """The database of GET /api/databases/{id}, asked with a database token of that addon."""
    app = emu.addons[addon_id].app
    resp = call(emu.region_urls(app.region)["db"], "GET", "/api/databases/%s" % addon_id,
                bearer(client.addon_token(app.name, addon_id)))
    assert resp.status == 200 and list(resp.json()) == ["database"], resp.body
    return resp.json()["database"]


def test_shape_for_every_type(emu, owner):
    again = se.Emulator(SEED, pg="off")  # not started: the same seed, the same names and ports
    for addon in emu.addons.values():
        db = shown(emu, owner, addon.id)
        assert db["id"] == addon.id and db["resource_id"] == addon.database and db["app_name"] == addon.app.name
        assert db["plan"] == addon.plan and db["status"] == "running" and db["type_name"] == addon.type
        assert re.match(r"^\d+\.\d+\.\d+$", db["readable_version"]), db["readable_version"]
        assert db["cluster"] is False and db["encryption_at_rest"] is True
        assert db["maintenance_window"] and all(isinstance(v, int) for v in db["maintenance_window"].values())
        host, port = re.match(r"^([^:]+):(\d+)$", db["hostname"]).groups()
        assert db["instances"] == [{"id": db["instances"][0]["id"], "hostname": host, "port": int(port),
                                    "status": "running", "type": "db-node"}]
        assert isinstance(db["instances"][0]["id"], str) and db["instances"][0]["id"]
        assert db["features"] == [{"name": name, "status": status} for name, status in addon.seed_features.items()]
        if addon.pg is not None:  # where a client connects: tests/integration/targets/database_user/tasks/connection.yml
            assert (host, int(port)) == ("127.0.0.1", emu.pg_info(addon.id)["port"])
        else:
            expected = "%s.%s.a.%s.scalingo-dbs.com" % (addon.database.replace("_", "-"), addon.type, addon.app.region)
            assert host == expected and 30000 <= int(port) <= 39999 and again.addons[addon.id].hostname == db["hostname"]
        # the control's view agrees with the route's
        assert emu.state()["addons"][addon.id]["hostname"] == db["hostname"]
    assert {addon.type for addon in emu.addons.values()} == set(TYPES)
    # fake ports derive from the addon, not one port for all
    assert len({a.hostname.rsplit(":", 1)[1] for a in emu.addons.values() if a.pg is None}) > 1


def test_features_through_the_python_api(emu, owner, ids):
    mysql = ids["mysql"]
    assert emu.features(mysql) == {}
    assert emu.set_features(mysql, {"force-ssl": "PENDING_TO_ACTIVATE"}) == {"force-ssl": "PENDING_TO_ACTIVATE"}
    assert emu.set_features(mysql, {"force-ssl": "ACTIVATED", "publicly-available": "PENDING_TO_ACTIVATE"}) == {
        "force-ssl": "ACTIVATED", "publicly-available": "PENDING_TO_ACTIVATE"}
    assert shown(emu, owner, mysql)["features"] == [{"name": "force-ssl", "status": "ACTIVATED"},
                                                    {"name": "publicly-available", "status": "PENDING_TO_ACTIVATE"}]
    assert emu.set_features(mysql, {"publicly-available": None, "not-there": None}) == {"force-ssl": "ACTIVATED"}
    assert shown(emu, owner, mysql)["features"] == [{"name": "force-ssl", "status": "ACTIVATED"}]
    assert emu.state()["addons"][mysql]["features"] == {"force-ssl": "ACTIVATED"}
    assert shown(emu, owner, ids["pg"])["features"] == []  # one addon's features only
    with pytest.raises(ValueError, match="unknown addon"):  # the refusals of the control API below come from there
        emu.set_features("ad-nope", {})


def test_features_through_the_control_api(emu, owner, ids):
    control, mysql = emu.urls["control"], ids["mysql"]
    resp = call(control, "POST", "/_emulator/features", body={"addon_id": mysql, "features": {"force-ssl": "ACTIVATED"}})
    assert resp.status == 200 and resp.json() == {"features": {"force-ssl": "ACTIVATED"}}
    assert call(control, "GET", "/_emulator/features?addon_id=%s" % mysql).json() == {"features": {"force-ssl": "ACTIVATED"}}
    # the service ports answer the control API too
    resp = call(emu.urls["db"], "POST", "/_emulator/features", body={"addon_id": mysql, "features": {"force-ssl": None}})
    assert resp.json() == {"features": {}}
    refusals = [
        ({"addon_id": "ad-nope", "features": {}}, "unknown addon"),
        ({"addon_id": mysql, "features": {"Force_SSL": "ACTIVATED"}}, "lowercase letters, digits and single hyphens"),
        ({"addon_id": mysql, "features": ["force-ssl"]}, "features must be an object"),
        ({"addon_id": mysql}, "expected {"),
        ({"addon_id": mysql, "features": {}, "app": "emu-demo-app"}, "expected {"),
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


def test_force_ssl_stays_while_publicly_available_and_reset_restores_the_seeds(emu, owner, ids):
    for change in ({"force-ssl": None}, {"force-ssl": "PENDING_TO_REMOVE"}):
        with pytest.raises(ValueError, match="requires force-ssl"):
            emu.set_features(LEGACY_MYSQL, change)
    assert emu.features(LEGACY_MYSQL) == SEEDED_FEATURES
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
