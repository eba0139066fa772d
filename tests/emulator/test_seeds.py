# -*- coding: utf-8 -*-
"""Generated seeds (seeds.many_apps, --seed-apps): their apps and addons, the same every time, served by region
without any PostgreSQL server; and the seed's postgres: {mode: off}, YAML's bare off included."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from emulator_client import HERE, Client, basic, call

import scalingo_emulator as se
from scalingo_emulator.seeds import many_apps

DATABASE_TYPES = {"postgresql", "mysql", "mongodb", "influxdb"}


def addon_ids(seed):
    return [addon["id"] for app in seed["apps"] for addon in app["addons"]]


def test_count_types_and_regions():
    seed = many_apps(50)
    assert [app["name"] for app in seed["apps"]] == ["emu-gen-%04d" % n for n in range(1, 51)]
    assert len({app["id"] for app in seed["apps"]}) == 50 and len(set(addon_ids(seed))) == len(addon_ids(seed))
    for app in seed["apps"]:
        assert {addon["type"] for addon in app["addons"]} & DATABASE_TYPES, app
    by_region = collections.defaultdict(set)
    for app in seed["apps"]:
        by_region[app["region"]] |= {addon["type"] for addon in app["addons"]}
    # every region gets every database type, and some Redis
    assert dict(by_region) == {region: DATABASE_TYPES | {"redis"} for region in ("osc-fr1", "osc-secnum-fr1")}
    assert any(len([a for a in app["addons"] if a["type"] in DATABASE_TYPES]) > 1 for app in seed["apps"])
    assert len(many_apps(1)["apps"]) == 1 and many_apps(0)["apps"] == []
    assert se.many_apps is many_apps
    assert [t["name"] for t in seed["api_tokens"]] == [t["name"] for t in se.load_config(None)["api_tokens"]]


def test_the_same_arguments_give_the_same_seed():
    assert many_apps(300) == many_apps(300)
    assert addon_ids(many_apps(50)) == addon_ids(many_apps(300))[:len(addon_ids(many_apps(50)))]
    assert addon_ids(many_apps(5, prefix="other")) != addon_ids(many_apps(5))
    # normalising (which fills in database names) does not change it either
    assert se.Emulator(many_apps(20), pg="off").config == se.Emulator(many_apps(20), pg="off").config


def test_arguments():
    seed = many_apps(12, types=("mysql",), regions=("osc-secnum-fr1",), statuses=("running", "suspended", "provisioning"),
                     redis_every=0)
    assert {app["region"] for app in seed["apps"]} == {"osc-secnum-fr1"} and seed["region"] == "osc-secnum-fr1"
    assert {addon["type"] for app in seed["apps"] for addon in app["addons"]} == {"mysql"}
    statuses = [addon["status"] for app in seed["apps"] for addon in app["addons"]]
    assert statuses == ["running", "suspended", "provisioning"] * 4
    assert many_apps(3, regions=("eu-test1",))["regions"] == [{"name": "eu-test1"}]
    for bad in (dict(count=-1), dict(count=2, types=()), dict(count=2, statuses=())):
        with pytest.raises(ValueError):
            many_apps(**bad)


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


def test_postgres_off_in_a_yaml_seed(tmp_path):
    """YAML reads a bare off as false: both places where a seed says it still mean off."""
    path = tmp_path / "seed.yml"
    path.write_text("postgres: {mode: off}\napi_tokens: [{name: owner}]\n"
                    "apps: [{name: one, addons: [{type: postgresql, postgres: off}, {type: postgresql}]}]\n")
    emu = se.Emulator(str(path))
    assert emu.pg_mode == "off"
    assert [a.in_memory for a in emu.app("one").addons] == [True, False]


def test_the_command_line_starts_a_generated_seed(tmp_path):
    state_file = tmp_path / "emulator.json"
    proc = subprocess.Popen([sys.executable, "-m", "scalingo_emulator", "--seed-apps", "40", "--state-file",
                             str(state_file)], cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60  # only so that nothing hangs
        while not state_file.exists():
            assert proc.poll() is None and time.time() < deadline, proc.stderr.read()
            time.sleep(0.05)
        state = json.loads(state_file.read_text())
        assert [app["name"] for app in state["apps"]] == [app["name"] for app in many_apps(40)["apps"]]
        assert state["postgres"]["enabled"] is False
        assert call(state["urls"]["auth"], "POST", "/v1/tokens/exchange", basic(state["env"]["SCALINGO_API_TOKEN"])).status == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    both = subprocess.run([sys.executable, "-m", "scalingo_emulator", "--seed-apps", "3", "--seed", "x.yml"], cwd=HERE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert both.returncode == 2 and "not allowed with" in both.stderr
