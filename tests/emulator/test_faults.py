# -*- coding: utf-8 -*-
"""Faults (statuses, dropped connections, slow answers) and Scalingo's rate limit on the regional APIs."""

from __future__ import annotations

import http.client
import socket
import time

import pytest

from emulator_client import DEMO, GOOD_PW, REGIONS, SECNUM_MYSQL, SECNUM, create_body, names, pg_connect, psycopg


def test_rate_limit_on_each_regional_api_in_its_own_window(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    emu.set_settings(api_rate_limit=2)
    for region in REGIONS:
        assert [owner.api("GET", "/v1/apps", region).status for dummy in range(3)] == [200, 200, 429], region
    assert [e["status"] for e in emu.requests(route="api.apps")] == [200, 200, 429] * 2
    resp = owner.api("GET", "/v1/apps")
    assert resp.json() == {"error": "Too Many Requests"} and "retry-after" not in resp.headers
    # neither the auth service nor the Database APIs are limited
    assert owner.exchange().status == 200 and owner.db("GET", ids["mysql"], token=token).status == 200
    # as Scalingo documents it: a plain-text body, no Retry-After; the window slides
    emu.set_settings(rate_limit_body="text")
    refused = owner.api("GET", "/v1/apps")
    assert refused.status == 429 and refused.body == b"Retry later" and "retry-after" not in refused.headers
    emu.set_settings(api_rate_window=0.5)
    time.sleep(0.6)  # the window has slid past both requests: allowed again (a lower bound, whatever the load)
    assert owner.api("GET", "/v1/apps").status == 200


def test_statuses_their_bodies_and_counts(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    emu.reset_log()
    emu.add_fault("users.list", status=429, retry_after=7)
    resp = owner.db("GET", ids["mysql"], token=token)
    assert (resp.status, resp.headers["retry-after"], resp.json()) == (429, "7", {"error": "Too Many Requests"})
    emu.add_fault("users.*", status=503, count=2)
    assert [owner.db("GET", ids["mysql"], token=token).status for dummy in range(3)] == [503, 503, 200]
    assert emu.counters()["users.list"]["statuses"] == {"429": 1, "503": 2, "200": 1}
    assert [e["applied"] for e in emu.requests(route="users.list")] == [False, False, False, True]
    emu.set_settings(rate_limit_body="text")
    emu.add_fault("api.addon_token", status=429)
    resp = owner.api("POST", "/v1/apps/%s/addons/%s/token" % (DEMO, ids["mysql"]))
    assert resp.status == 429 and resp.body == b"Retry later" and "retry-after" not in resp.headers
    emu.add_fault("auth.exchange", status=500)
    resp = owner.exchange()
    assert resp.status == 500 and resp.json() == {"error": "Internal Server Error"}
    emu.add_fault("users.list", status=200, body="<html>proxy</html>", content_type="text/html")
    resp = owner.db("GET", ids["mysql"], token=token)
    assert (resp.status, resp.headers["content-type"], resp.body) == (200, "text/html", b"<html>proxy</html>")
    # a fault matches the servers of every region
    emu.add_fault("users.list", status=503, path_contains=SECNUM_MYSQL)
    assert owner.db("GET", ids["mysql"], token=token).status == 200
    assert owner.db("GET", SECNUM_MYSQL, app=SECNUM).status == 503


def test_drop_after_applying_creates_the_user(emu, owner, ids):
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


def test_drop_before_reset_and_502_after(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    emu.add_fault("users.create", action="drop")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        owner.db("POST", ids["mysql"], body=create_body("lost-user"), token=token)
    assert "lost-user" not in names(owner.db("GET", ids["mysql"], token=token))
    emu.add_fault("users.list", action="reset")
    with pytest.raises(ConnectionError):
        owner.db("GET", ids["mysql"], token=token)
    emu.add_fault("users.delete", status=502, when="after")
    assert owner.db("POST", ids["mysql"], body=create_body("gone-user"), token=token).status == 201
    resp = owner.db("DELETE", ids["mysql"], "/gone-user", token=token)
    assert resp.status == 502 and resp.headers["content-type"].startswith("text/html")
    assert "gone-user" not in names(owner.db("GET", ids["mysql"], token=token))


def test_slow_answers_and_invalid_faults(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    emu.add_fault("*", action="delay", delay=0.4)
    began = time.time()
    assert owner.db("GET", ids["mysql"], token=token).status == 200
    assert time.time() - began >= 0.4
    emu.add_fault("users.list", action="delay", delay=3)
    with pytest.raises(socket.timeout):
        owner.db("GET", ids["mysql"], token=token, timeout=0.3)
    for bad in ({"action": "explode"}, {"status": 503, "when": "later"}, {"status": 99}, {"action": "delay"},
                {"status": 503, "count": 0}, {"status": 503, "region": "osc-fr1"}):
        with pytest.raises(ValueError):
            emu.add_fault("users.list", **bad)
