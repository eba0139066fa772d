# -*- coding: utf-8 -*-
"""Faults (statuses, dropped connections, slow answers) and Scalingo's rate limit on the regional API."""

from __future__ import annotations

import http.client
import socket
import time

import pytest

from emulator_client import DEMO, GOOD_PW, create_body, names, pg_connect, psycopg


def test_natural_rate_limit_on_regional_api(emu, owner):
    owner.bearer  # pylint: disable=pointless-statement
    emu.set_settings(api_rate_limit=3, rate_limit_retry_after=60)
    statuses = [owner.api("GET", "/v1/apps/%s/addons" % DEMO).status for dummy in range(4)]
    assert statuses == [200, 200, 200, 429]
    resp = owner.api("GET", "/v1/apps/%s/addons" % DEMO)
    assert resp.headers["retry-after"] == "60" and resp.json() == {"error": "Too Many Requests"}
    assert owner.exchange().status == 200  # the auth service is not limited


def test_scalingo_documented_rate_limit_frees_as_the_window_slides(emu, owner):
    owner.bearer  # pylint: disable=pointless-statement
    emu.set_settings(api_rate_limit=2, rate_limit_body="text")  # a minute, as Scalingo documents
    statuses = [owner.api("GET", "/v1/apps/%s/addons" % DEMO).status for dummy in range(3)]
    assert statuses == [200, 200, 429]
    refused = owner.api("GET", "/v1/apps/%s/addons" % DEMO)
    assert refused.status == 429 and refused.body == b"Retry later" and "retry-after" not in refused.headers
    emu.set_settings(api_rate_window=0.5)
    time.sleep(0.6)  # the window has slid past both requests: allowed again (a lower bound, whatever the load)
    assert owner.api("GET", "/v1/apps/%s/addons" % DEMO).status == 200


def test_fault_429_with_retry_after_then_ok(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    emu.add_fault("users.list", status=429, retry_after=7)
    resp = owner.db("GET", ids["mysql"], token=token)
    assert resp.status == 429 and resp.headers["retry-after"] == "7"
    assert resp.json() == {"error": "Too Many Requests"}
    assert owner.db("GET", ids["mysql"], token=token).status == 200
    emu.set_settings(rate_limit_body="text")
    emu.add_fault("api.addon_token", status=429)
    resp = owner.api("POST", "/v1/apps/%s/addons/%s/token" % (DEMO, ids["mysql"]))
    assert resp.status == 429 and resp.body == b"Retry later" and "retry-after" not in resp.headers


def test_fault_503_for_next_two(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    emu.reset_log()
    emu.add_fault("db:GET:/users", status=503, count=2)
    statuses = [owner.db("GET", ids["mysql"], token=token).status for dummy in range(3)]
    assert statuses == [503, 503, 200]
    assert emu.counters()["users.list"]["statuses"] == {"503": 2, "200": 1}
    assert [e["applied"] for e in emu.requests(route="users.list")] == [False, False, True]


def test_fault_drop_after_apply_creates_user(emu, owner, ids):
    addon = ids["pg"] if emu.pg_enabled else ids["mysql"]
    token = owner.addon_token(DEMO, addon)
    emu.add_fault("users.create", action="drop", when="after")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        owner.db("POST", addon, body=create_body("landed-user", GOOD_PW), token=token)
    assert "landed-user" in names(owner.db("GET", addon, token=token))
    entry = emu.requests(route="users.create")[-1]
    assert entry["dropped"] == "close" and entry["applied"] and entry["operation_status"] == 201
    if emu.pg_enabled and psycopg is not None:
        pg_connect(emu, addon, "landed-user", GOOD_PW).close()
    # retrying the create now answers "taken"
    resp = owner.db("POST", addon, body=create_body("landed-user", GOOD_PW), token=token)
    assert resp.status == 422 and resp.json()["errors"]["name"] == ["has already been taken"]


def test_fault_drop_before_and_reset_and_502_after(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    emu.add_fault("users.create", action="drop")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        owner.db("POST", ids["mysql"], body=create_body("lost-user"), token=token)
    assert "lost-user" not in names(owner.db("GET", ids["mysql"], token=token))
    emu.add_fault("users.list", action="reset")
    with pytest.raises(ConnectionError):
        owner.db("GET", ids["mysql"], token=token)
    emu.add_fault("db:DELETE:/users/*", status=502, when="after")
    assert owner.db("POST", ids["mysql"], body=create_body("gone-user"), token=token).status == 201
    resp = owner.db("DELETE", ids["mysql"], "/gone-user", token=token)
    assert resp.status == 502 and resp.headers["content-type"].startswith("text/html")
    assert "gone-user" not in names(owner.db("GET", ids["mysql"], token=token))


def test_fault_slow_answer(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    emu.add_fault("*", action="delay", delay=0.4)
    began = time.time()
    assert owner.db("GET", ids["mysql"], token=token).status == 200
    assert time.time() - began >= 0.4
    emu.add_fault("users.list", action="delay", delay=3)
    with pytest.raises(socket.timeout):
        owner.db("GET", ids["mysql"], token=token, timeout=0.3)


def test_fault_auth_exchange_and_validation(emu, owner):
    emu.add_fault("auth.exchange", status=500)
    resp = owner.exchange()
    assert resp.status == 500 and resp.json() == {"error": "Internal Server Error"}
    assert owner.exchange().status == 200
    with pytest.raises(ValueError):
        emu.add_fault("users.list", action="explode")
    with pytest.raises(ValueError):
        emu.add_fault("users.list", status=503, when="later")
