# -*- coding: utf-8 -*-
"""Seeds: what a seed may say and what is refused; generated seeds (seeds.many_apps, --seed-apps), the same every
time, served by region without any PostgreSQL server; postgres: {mode: off}, YAML's bare off included."""

from __future__ import annotations

import collections
import os

import pytest

from emulator_client import Client

import scalingo_emulator as se
from scalingo_emulator.seeds import many_apps

DATABASE_TYPES = {"postgresql", "mysql", "mongodb", "influxdb"}


def addon_ids(seed):
    return [addon["id"] for app in seed["apps"] for addon in app["addons"]]


def one_app(app=None, addon=None, **top):
    """A one-app seed, ``app`` and ``addon`` merged into its app and its addon."""
    seed = {"api_tokens": [{"name": "owner", "role": "owner"}],
            "apps": [dict({"name": "one-app", "addons": [dict({"id": "ad-one", "type": "mysql"}, **(addon or {}))]}, **(app or {}))]}
    seed.update(top)
    return seed


def test_seed_statuses_regions_owners_and_features():
    emu = se.Emulator(one_app(app={"status": "stopped", "region": "eu-test1"}, regions=["osc-fr1", "eu-test1"],
                              addon={"status": "provisioning", "features": {"force-ssl": "ACTIVATED"}}), pg="off")
    app = emu.app("one-app")
    assert (app.status, app.region, app.addons[0].status) == ("stopped", "eu-test1", "provisioning")
    assert app.owner["username"] == "emu-owner" and app.addons[0].features == {"force-ssl": "ACTIVATED"}


@pytest.mark.parametrize("seed, message", [
    (one_app(addon={"status": "paused"}), "status must be one of"),
    (one_app(app={"status": "up"}), "status must be one of"),
    (one_app(app={"region": "osc-nowhere"}), "region osc-nowhere is not among"),
    (one_app(region="osc-nowhere"), "region osc-nowhere is not among"),
    (one_app(regions=["osc-fr1", "osc-fr1"]), "a name of its own"),
    (one_app(app={"owner": "nobody"}), "owner nobody is not an API token"),
    (one_app(addon={"type": "cassandra"}), "type must be one of"),
    (one_app(addon={"postgres": {"mode": "on"}}), "postgres can only be"),
    (one_app(addon={"features": {"publicly-available": "ACTIVATED"}}), "addon ad-one: .*requires force-ssl"),
    (one_app(addon={"features": {"force-ssl": "YES"}}), "addon ad-one: .*not one of"),
    (one_app(api_tokens=[{"name": "owner", "role": "admin"}]), "role must be one of"),
])
def test_a_bad_seed_is_refused(seed, message):
    with pytest.raises(se.EmulatorError, match=message):
        se.Emulator(seed, pg="off")


def test_postgres_off_in_a_yaml_seed(tmp_path):
    """YAML reads a bare off as false: both places where a seed says it still mean off."""
    path = tmp_path / "seed.yml"
    path.write_text("postgres: {mode: off}\napi_tokens: [{name: owner}]\n"
                    "apps: [{name: one, addons: [{type: postgresql, postgres: off}, {type: postgresql}]}]\n")
    emu = se.Emulator(str(path))
    assert emu.pg_mode == "off" and [a.in_memory for a in emu.app("one").addons] == [True, False]


def test_generated_seeds():
    seed = many_apps(50)
    assert [app["name"] for app in seed["apps"]] == ["emu-gen-%04d" % n for n in range(1, 51)]
    assert len({app["id"] for app in seed["apps"]}) == 50 and len(set(addon_ids(seed))) == len(addon_ids(seed))
    assert all({addon["type"] for addon in app["addons"]} & DATABASE_TYPES for app in seed["apps"])
    by_region = collections.defaultdict(set)
    for app in seed["apps"]:
        by_region[app["region"]] |= {addon["type"] for addon in app["addons"]}
    # every region gets every database type, and some Redis; some apps get two databases
    assert dict(by_region) == {region: DATABASE_TYPES | {"redis"} for region in ("osc-fr1", "osc-secnum-fr1")}
    assert any(len([a for a in app["addons"] if a["type"] in DATABASE_TYPES]) > 1 for app in seed["apps"])
    assert [t["name"] for t in seed["api_tokens"]] == [t["name"] for t in se.load_config(None)["api_tokens"]]
    # the same arguments give the same seed, normalised (database names filled in) too
    assert many_apps(300) == many_apps(300) and addon_ids(seed) == addon_ids(many_apps(300))[:len(addon_ids(seed))]
    assert se.Emulator(many_apps(20), pg="off").config == se.Emulator(many_apps(20), pg="off").config
    assert many_apps(0)["apps"] == [] and {a.status for a in se.Emulator(seed, pg="off").addons.values()} == {"running"}
    for bad in (-1, True, "3"):
        with pytest.raises(ValueError):
            many_apps(bad)


def test_300_apps_start_without_postgresql_and_list_by_region():
    seed = many_apps(300)
    with se.Emulator(seed) as emu:  # the PostgreSQL backend as the environment says: no server is started anyway
        assert not emu.pg_enabled and emu.state()["postgres"]["enabled"] is False
        pg_addons = [a for a in emu.addons.values() if a.type == "postgresql"]
        assert len(pg_addons) == 100 and all(a.pg is None and a.in_memory for a in pg_addons)
        assert os.listdir(emu.workdir) == ["owner.pid"]  # no initdb template, no cluster
        client = Client(emu)
        listed = {region: client.api("GET", "/v1/apps", region).json()["apps"] for region in emu.region_names}
        assert sorted(app["name"] for apps in listed.values() for app in apps) == sorted(a["name"] for a in seed["apps"])
        assert {region: len(apps) for region, apps in listed.items()} == {"osc-fr1": 150, "osc-secnum-fr1": 150}
        last = seed["apps"][-1]
        addons = client.api("GET", "/v1/apps/%s/addons" % last["name"], last["region"]).json()["addons"]
        assert [a["id"] for a in addons] == [a["id"] for a in last["addons"]]
        # users kept in memory: the chain works on a generated PostgreSQL addon
        pg = next(a for a in seed["apps"][1:] if a["addons"][0]["type"] == "postgresql")
        assert client.db("GET", pg["addons"][0]["id"], app=pg["name"]).status == 200
