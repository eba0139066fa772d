# -*- coding: utf-8 -*-
"""The request log, the control API, and the command line (state file, signals, cleanup, --print-env)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from emulator_client import DEMO, GOOD_PW, HERE, SEED, Client, basic, bearer, call, create_body

from scalingo_emulator import announce
from scalingo_emulator.seeds import many_apps


def test_log_records_token_kinds_per_service(emu, ids):
    emu.reset_log()
    client = Client(emu)
    call(emu.urls["auth"], "GET", "/v1/regions", bearer(client.bearer))
    client.api("GET", "/v1/apps/%s/addons" % DEMO)
    client.db("GET", ids["mysql"])
    client.db("POST", ids["mysql"], body=create_body("log-user", GOOD_PW))
    kinds = {(e["service"], e["route"], e["auth_scheme"], e["token_kind"]) for e in emu.requests()}
    assert kinds == {
        ("auth", "auth.exchange", "basic", "api_token"),
        ("auth", "auth.regions", "bearer", "auth_token"),
        ("api", "api.addons", "bearer", "auth_token"),
        ("api", "api.addon_token", "bearer", "auth_token"),
        ("db", "users.list", "bearer", "addon_token"),
        ("db", "users.create", "bearer", "addon_token"),
    }
    assert all(e["token_name"] == "owner" for e in emu.requests())
    entry = emu.requests(route="users.create")[0]
    assert json.loads(entry["request_body"])["database_user"]["name"] == "log-user"
    assert ["User-Agent", "emulator-tests/1"] in entry["request_headers"] and entry["token_addon_id"] == ids["mysql"]


def test_control_api_over_http(emu, ids):
    control = emu.urls["control"]
    assert call(control, "GET", "/_emulator/health").json() == {"ready": True}
    state = call(control, "GET", "/_emulator/state").json()
    assert state["urls"] == emu.urls and state["addons"][ids["pg"]]["type"] == "postgresql"
    if emu.pg_enabled:
        assert state["addons"][ids["pg"]]["postgres"]["port"] == emu.pg_info(ids["pg"])["port"]
    resp = call(control, "POST", "/_emulator/faults", body={"faults": [{"route": "users.list", "status": 504}]})
    assert resp.status == 201 and len(resp.json()["ids"]) == 1
    assert call(control, "GET", "/_emulator/faults").json()["faults"][0]["status"] == 504
    assert Client(emu).db("GET", ids["mysql"]).status == 504
    assert call(control, "POST", "/_emulator/faults", body=[{"route": "users.list", "status": 500}] * 2).status == 201
    assert call(control, "DELETE", "/_emulator/faults").json() == {"cleared": 3}  # the one spent too
    assert call(control, "POST", "/_emulator/faults", body={"status": 500, "color": "red"}).status == 400
    resp = call(emu.urls["db"], "POST", "/_emulator/settings", body={"name_rule": "underscore"})
    assert resp.json()["settings"]["name_rule"] == "underscore"
    log = call(control, "GET", "/_emulator/log?service=db").json()["requests"]
    assert log and {e["service"] for e in log} == {"db"}
    assert "users.list" in call(control, "GET", "/_emulator/counters").json()["routes"]
    assert call(control, "POST", "/_emulator/reset-log").status == 200
    assert call(control, "GET", "/_emulator/log").json()["requests"] == []
    assert call(control, "POST", "/_emulator/settings", body=b"{not json").status == 400
    assert call(control, "GET", "/_emulator/nothing").status == 404
    assert call(control, "GET", "/v1/regions").status == 404


@contextlib.contextmanager
def command_line(tmp_path, *args):
    """The emulator started by its command line, with a state file: ``(process, state)`` once it is ready."""
    state_file = tmp_path / "build" / "emulator.json"
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "scalingo_emulator"), "--state-file", str(state_file)]
                            + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60  # only so that nothing hangs
        while not state_file.exists():
            assert proc.poll() is None and time.time() < deadline, proc.stderr.read()
            time.sleep(0.05)
        yield proc, json.loads(state_file.read_text())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        assert not state_file.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_state_file_and_clean_stop(tmp_path):
    with command_line(tmp_path, "--seed", SEED, "--set", "name_rule=underscore") as (proc, state):
        assert state["ready"] is True and state["settings"]["name_rule"] == "underscore"
        # the file holds Emulator.state(), whose content test_regions.py and test_database_info.py check
        assert set(state["urls"]) == {"auth", "api", "db", "control"} and set(state["region_urls"]) == {"osc-fr1", "osc-secnum-fr1"}
        resp = call(state["urls"]["auth"], "POST", "/v1/tokens/exchange", basic(state["env"]["SCALINGO_API_TOKEN"]))
        assert resp.status == 200 and state["env"]["SCALINGO_API_TOKEN"].startswith("tk-us-")
    # PostgreSQL stopped by the signal: tests/e2e/test_e2e_emulator_command.py (its ports refused, nothing uses the work dir)
    assert not os.path.exists(state["workdir"])
    with pytest.raises(ConnectionError):
        call(state["urls"]["auth"], "POST", "/v1/tokens/exchange", timeout=2)


def test_the_command_line_starts_a_generated_seed(tmp_path):
    with command_line(tmp_path, "--seed-apps", "40") as (proc, state):
        assert [app["name"] for app in state["apps"]] == [app["name"] for app in many_apps(40)["apps"]]
        assert state["postgres"]["enabled"] is False


@pytest.mark.parametrize("how", ["directory", "module"])
def test_cli_runs_as_a_directory_and_as_a_module(how):
    command = [sys.executable, os.path.join(HERE, "scalingo_emulator")] if how == "directory" else \
        [sys.executable, "-m", "scalingo_emulator"]
    out = subprocess.run(command + ["--help"], cwd=HERE, check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    assert out.startswith("usage: scalingo_emulator ")
    for option in ("--seed", "--seed-apps", "--state-file", "--pg", "--pg-bin", "--set", "--verbose", "--auth-port", "--control-port",
                   "--print-env"):
        assert option in out
    both = subprocess.run(command + ["--seed-apps", "3", "--seed", "x.yml"], cwd=HERE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert both.returncode == 2 and "not allowed with" in both.stderr


def test_print_env_keeps_proxies_off_loopback(emu):
    """What --print-env prints: NO_PROXY only when a proxy variable would take the requests, keeping what the variable
    held. (The exported lines, pasted into a shell: tests/e2e/test_e2e_emulator_command.py, with no proxy variable.)"""
    state = emu.state()
    plain = announce.describe(state, environ={})
    assert "export SCALINGO_APP=emu-demo-app" in plain and not [line for line in plain if "NO_PROXY" in line.upper()]
    proxied = announce.describe(state, environ={"http_proxy": "http://proxy:3128", "no_proxy": "corp.example"})
    assert "export NO_PROXY=127.0.0.1,localhost" in proxied
    assert "export no_proxy=127.0.0.1,localhost,corp.example" in proxied
