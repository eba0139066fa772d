# -*- coding: utf-8 -*-
"""The emulator in process, without its servers, as the unit tests' fake runs it: handle_request() only, users in
memory, and the seed's hooks for known values (issued tokens, announced URLs, a hostname, generated passwords)."""

from __future__ import annotations

import base64
import json

import pytest

import scalingo_emulator as se

ADDON = "ad-in-process-pg"
SEED = {
    "regions": [{"name": "osc-fr1", "api": "https://api.example.test", "database_api": "https://db.example.test"}],
    "api_tokens": [{"name": "owner", "token": "tk-us-in-process"}],
    "issued_tokens": [{"kind": "auth", "token": "bearer-fixed"}, {"kind": "addon", "addon_id": ADDON, "token": "db-fixed"},
                      {"kind": "addon", "addon_id": "ad-of-no-app", "token": "db-nowhere"}],
    "apps": [{"name": "in-process", "addons": [{"id": ADDON, "type": "postgresql", "database": "in-process-1234",
                                                "hostname": "pg.example.test:30000",
                                                "users": [{"name": "old-hash", "password_encryption": "MD5"}]}]}],
}


@pytest.fixture()
def emu():
    emulator = se.Emulator(config=SEED, pg="off")
    emulator.generate_password = iter(["known-password-%02d-abcdefghijklmnop" % i for i in range(1, 9)]).__next__
    emulator.seed_users()
    return emulator


def ask(emu, service, method, path, token=None, body=None):
    headers = {"Authorization": token} if token else {}
    body = json.dumps(body).encode() if body is not None else b""
    reply = emu.handle_request(service, method, path, headers, body, region=None if service == "auth" else "osc-fr1")
    return reply.status, json.loads(reply.body) if reply.body else None


def test_fixed_tokens_are_issued_and_valid_from_the_start(emu):
    basic = "Basic " + base64.b64encode(b":tk-us-in-process").decode()
    assert ask(emu, "auth", "POST", "/v1/tokens/exchange", basic) == (200, {"token": "bearer-fixed"})
    status, body = ask(emu, "api", "POST", "/v1/apps/in-process/addons/%s/token" % ADDON, "Bearer bearer-fixed")
    assert status == 200 and body["addon"]["token"] == "db-fixed"
    assert ask(emu, "db", "GET", "/api/databases/ad-of-no-app/users", "Bearer db-nowhere")[0] == 404
    status, body = ask(emu, "auth", "GET", "/v1/regions", "Bearer bearer-fixed")
    assert [(r["api"], r["database_api"]) for r in body["regions"]] == [("https://api.example.test", "https://db.example.test")]


def test_hostname_generated_passwords_and_rehash(emu):
    status, body = ask(emu, "db", "GET", "/api/databases/%s" % ADDON, "Bearer db-fixed")
    assert body["database"]["hostname"] == "pg.example.test:30000" and body["database"]["instances"][0]["port"] == 30000
    status, body = ask(emu, "db", "POST", "/api/databases/%s/users/old-hash/reset_password" % ADDON, "Bearer db-fixed")
    assert body["password"] == "known-password-01-abcdefghijklmnop"
    assert body["dbms_attributes"] == {"password_encryption": "SCRAM-SHA-256"}  # as PostgreSQL hashes a new password
    new = {"database_user": {"name": "new-user", "password": None, "password_confirmation": None}}
    assert ask(emu, "db", "POST", "/api/databases/%s/users" % ADDON, "Bearer db-fixed", new)[1]["password"] == \
        "known-password-02-abcdefghijklmnop"


def test_patch_answer_and_list_includes_password(emu):
    emu.set_settings(patch_answer="empty", list_includes_password=True)
    change = {"database_user": {"password": "x" * 30, "password_confirmation": "x" * 30}}
    assert ask(emu, "db", "PATCH", "/api/databases/%s/users/old-hash" % ADDON, "Bearer db-fixed", change) == (200, None)
    status, body = ask(emu, "db", "GET", "/api/databases/%s/users" % ADDON, "Bearer db-fixed")
    assert [u.get("password") for u in body["database-users"]][1] == "x" * 30
    with pytest.raises(ValueError):
        emu.set_settings(patch_answer="nothing")
