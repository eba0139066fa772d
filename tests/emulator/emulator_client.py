# -*- coding: utf-8 -*-
"""What the emulator's own tests share: constants of the seed, and a small HTTP client that walks the token chain.

The tests use http.client directly (not requests): they see exactly what the emulator sends, dropped connections
included.
"""

from __future__ import annotations

import base64
import collections
import http.client
import json
import os
import urllib.parse

try:
    import psycopg
except ImportError:  # pragma: no cover
    psycopg = None

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = os.path.join(HERE, "seed.yml")
DEMO = "emu-demo-app"
TWIN = "emu-twin-pg"
# the one app of osc-secnum-fr1: a PostgreSQL addon whose users are kept in memory, and a suspended MySQL
SECNUM = "emu-secnum-app"
SECNUM_PG = "ad-b144ed56-979c-42b9-b175-64bfd09dcc30"
SECNUM_MYSQL = "ad-30c7487f-d866-4ff9-ad4a-252bdbb57abc"
REGIONS = ("osc-fr1", "osc-secnum-fr1")
# the seed's addon with features: force-ssl and publicly-available, both ACTIVATED
LEGACY_MYSQL = "ad-c97f42d9-a4f5-43e8-b436-4fe0bfd38fda"
GOOD_PW = "Correct_Horse_Battery_Staple_42"  # 31 chars
OTHER_PW = "Another_Long_Password_Value_0987"
HYPHEN_HINT = "is invalid: must contain only lowercase letters, digits and hyphens, without leading, trailing or double hyphens"
UNDERSCORE_HINT = "is invalid: must start with a letter and contain only letters, digits and underscores"


class Resp(collections.namedtuple("Resp", "status headers body")):
    def json(self):
        return json.loads(self.body.decode("utf-8"))


def call(base, method, path, headers=None, body=None, timeout=10):
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    hdrs = {"Accept": "application/json", "User-Agent": "emulator-tests/1"}
    hdrs.update(headers or {})
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        hdrs["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        return Resp(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def basic(token, user=""):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, token)).encode()).decode()}


def bearer(token):
    return {"Authorization": "Bearer " + token}


class Client(object):
    """Walks the three-token chain like a module does, on the regional API and the Database API of the app's region
    (the default region's unless said)."""

    def __init__(self, emu, token_name="owner"):
        self.emu = emu
        self.api_token = emu.api_token(token_name)
        self._bearer = None

    def exchange(self):
        return call(self.emu.urls["auth"], "POST", "/v1/tokens/exchange", basic(self.api_token))

    @property
    def bearer(self):
        if self._bearer is None:
            resp = self.exchange()
            assert resp.status == 200, resp.body
            self._bearer = resp.json()["token"]
        return self._bearer

    def url(self, service, region=None):
        return self.emu.region_urls(region)[service] if region else self.emu.urls[service]

    def api(self, method, path, region=None):
        return call(self.url("api", region), method, path, bearer(self.bearer))

    def addon_token(self, app, addon_id):
        resp = self.api("POST", "/v1/apps/%s/addons/%s/token" % (app, addon_id), self.emu.app(app).region)
        assert resp.status == 200, resp.body
        return resp.json()["addon"]["token"]

    def db(self, method, addon_id, suffix="", body=None, token=None, app=DEMO, timeout=10):
        token = token or self.addon_token(app, addon_id)
        return call(self.url("db", self.emu.app(app).region), method, "/api/databases/%s/users%s" % (addon_id, suffix),
                    bearer(token), body, timeout)


def create_body(name, password=None, read_only=False, confirmation="same"):
    user = {"database_id": "ignored", "name": name, "read_only": read_only, "password": password,
            "password_confirmation": password if confirmation == "same" else confirmation}
    return {"database_user": user}


def patch_body(password):
    return {"database_user": {"database_id": "ignored", "password": password, "password_confirmation": password}}


def names(resp):
    return [u["name"] for u in resp.json()["database-users"]]


def pg_connect(emu, addon_id, user, password, **kwargs):
    info = emu.pg_info(addon_id)
    return psycopg.connect(host=info["host"], port=info["port"], dbname=info["dbname"], user=user, password=password,
                           connect_timeout=5, autocommit=True, **kwargs)
