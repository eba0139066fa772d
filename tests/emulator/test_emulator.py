# -*- coding: utf-8 -*-
"""Tests of the Scalingo emulator itself (not of the collection).

Run: python -m pytest tests/emulator -q
One emulator serves the whole module; every test leaves it as seeded (fixture ``clean``).
PostgreSQL tests are skipped when the emulator runs without its PostgreSQL backend.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import scalingo_emulator as se  # noqa: E402  pylint: disable=wrong-import-position

try:
    import psycopg
except ImportError:  # pragma: no cover
    psycopg = None

SEED = os.path.join(HERE, "seed.yml")
DEMO = "emu-demo-app"
TWIN = "emu-twin-pg"
GOOD_PW = "Correct_Horse_Battery_Staple_42"  # 31 chars
OTHER_PW = "Another_Long_Password_Value_0987"


# ---------------------------------------------------------------------------
# helpers


class Resp(object):
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

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
    """Walks the three-token chain like a module does."""

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

    def api(self, method, path):
        return call(self.emu.urls["api"], method, path, bearer(self.bearer))

    def addon_token(self, app, addon_id):
        resp = self.api("POST", "/v1/apps/%s/addons/%s/token" % (app, addon_id))
        assert resp.status == 200, resp.body
        return resp.json()["addon"]["token"]

    def db(self, method, addon_id, suffix="", body=None, token=None, app=DEMO, timeout=10):
        token = token or self.addon_token(app, addon_id)
        return call(self.emu.urls["db"], method, "/api/databases/%s/users%s" % (addon_id, suffix), bearer(token), body, timeout)


def create_body(name, password=None, read_only=False, confirmation="same"):
    user = {"database_id": "ignored", "name": name, "read_only": read_only, "password": password,
            "password_confirmation": password if confirmation == "same" else confirmation}
    return {"database_user": user}


def names(resp):
    return [u["name"] for u in resp.json()["database-users"]]


# ---------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def emu():
    began = time.time()
    emulator = se.Emulator(SEED)
    emulator.start()
    sys.stderr.write("\nemulator started in %.2fs (postgres: %s)\n" % (time.time() - began, emulator.state()["postgres"]))
    try:
        yield emulator
    finally:
        workdir = emulator.workdir
        emulator.stop()
        assert not os.path.exists(workdir)


@pytest.fixture(autouse=True)
def clean(emu):
    yield
    emu.reset(users=True)


@pytest.fixture()
def owner(emu):
    return Client(emu)


@pytest.fixture()
def pg(emu):
    if psycopg is None or not emu.pg_enabled:
        pytest.skip("PostgreSQL backend not available")
    return emu


@pytest.fixture()
def ids(emu):
    return {
        "pg": emu.addon_id(DEMO, "postgresql"),
        "mysql": emu.addon_id(DEMO, "mysql"),
        "mongodb": emu.addon_id(DEMO, "mongodb"),
        "influxdb": emu.addon_id(DEMO, "influxdb"),
        "redis": emu.addon_id(DEMO, "redis"),
        "twin1": emu.addon_id(TWIN, "postgresql", 0),
        "twin2": emu.addon_id(TWIN, "postgresql", 1),
        "elasticsearch": emu.addon_id(TWIN, "elasticsearch"),
    }


def pg_connect(emu, addon_id, user, password, **kwargs):
    info = emu.pg_info(addon_id)
    return psycopg.connect(host=info["host"], port=info["port"], dbname=info["dbname"], user=user, password=password,
                           connect_timeout=5, autocommit=True, **kwargs)


# ---------------------------------------------------------------------------
# the auth chain


def test_auth_chain(emu, owner, ids):
    resp = owner.exchange()
    assert resp.status == 200
    token = resp.json()["token"]
    assert token.count(".") == 2
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert abs(payload["exp"] - (time.time() + 3600)) < 5

    regions = call(emu.urls["auth"], "GET", "/v1/regions", bearer(token)).json()["regions"]
    assert {r["name"] for r in regions} == {"osc-fr1", "osc-secnum-fr1"}
    assert regions[0]["api"] == emu.urls["api"] and regions[0]["database_api"] == emu.urls["db"]

    addons = call(emu.urls["api"], "GET", "/v1/apps/%s/addons" % DEMO, bearer(token)).json()["addons"]
    by_type = {a["addon_provider"]["id"]: a for a in addons}
    assert set(by_type) == {"postgresql", "mysql", "mongodb", "influxdb", "redis"}
    assert by_type["postgresql"]["addon_provider"]["name"] == "PostgreSQL"
    assert by_type["postgresql"]["id"].startswith("ad-") and "plan" in by_type["postgresql"]
    app_id = emu.app(DEMO).id
    assert by_type["postgresql"]["app_id"] == app_id
    # {app} may be the app id too
    by_id = call(emu.urls["api"], "GET", "/v1/apps/%s/addons" % app_id, bearer(token)).json()["addons"]
    assert [a["id"] for a in by_id] == [a["id"] for a in addons]

    resp = call(emu.urls["api"], "POST", "/v1/apps/%s/addons/%s/token" % (DEMO, ids["pg"]), bearer(token))
    assert resp.status == 200
    addon = resp.json()["addon"]
    assert addon["id"] == ids["pg"] and addon["token"]

    resp = call(emu.urls["db"], "GET", "/api/databases/%s/users" % ids["pg"], bearer(addon["token"]))
    assert resp.status == 200
    users = resp.json()["database-users"]
    protected = emu.addons[ids["pg"]].protected_user
    assert users == [{"name": protected, "read_only": False, "protected": True,
                      "dbms_attributes": {"password_encryption": "SCRAM-SHA-256"}}]


def test_regional_api_v1_doubled_prefix_is_accepted(emu, owner):
    assert owner.api("GET", "/v1/v1/apps/%s/addons" % DEMO).status == 200


def test_wrong_credentials_are_401(emu, owner, ids):
    auth, api, db = emu.urls["auth"], emu.urls["api"], emu.urls["db"]
    api_token = owner.api_token
    assert call(auth, "POST", "/v1/tokens/exchange", basic("tk-us-nope")).status == 401
    assert call(auth, "POST", "/v1/tokens/exchange").status == 401
    assert call(auth, "POST", "/v1/tokens/exchange", bearer(api_token)).status == 401
    assert call(auth, "POST", "/v1/tokens/exchange", basic(api_token, user="someone")).status == 401
    assert call(auth, "GET", "/v1/regions", bearer(api_token)).status == 401
    # the API token does not open the regional API, in either scheme
    path = "/v1/apps/%s/addons" % DEMO
    assert call(api, "GET", path, bearer(api_token)).status == 401
    assert call(api, "GET", path, basic(api_token)).status == 401
    assert call(api, "GET", path).status == 401
    resp = call(api, "GET", path, bearer("not-a-token"))
    assert resp.status == 401 and "error" in resp.json()
    # the regional bearer does not open the DB API, nor does an addon token open the regional API
    addon_token = owner.addon_token(DEMO, ids["pg"])
    users = "/api/databases/%s/users" % ids["pg"]
    assert call(db, "GET", users, bearer(owner.bearer)).status == 401
    assert call(db, "GET", users, bearer(api_token)).status == 401
    assert call(db, "GET", users).status == 401
    assert call(api, "GET", path, bearer(addon_token)).status == 401
    assert call(db, "GET", users, bearer(addon_token)).status == 200


def test_expired_tokens_are_401(emu, ids):
    emu.set_settings(token_ttl=0.4, addon_token_ttl=0.4)
    client = Client(emu)
    addon_token = client.addon_token(DEMO, ids["mysql"])
    assert client.db("GET", ids["mysql"], token=addon_token).status == 200
    time.sleep(0.5)
    resp = client.api("GET", "/v1/apps/%s/addons" % DEMO)
    assert resp.status == 401 and resp.json() == {"error": "token expired"}
    assert client.db("GET", ids["mysql"], token=addon_token).status == 401
    # expiring on demand
    emu.set_settings(token_ttl=3600, addon_token_ttl=3600)
    fresh = Client(emu)
    token = fresh.addon_token(DEMO, ids["mysql"])
    assert emu.expire_tokens("addon") >= 1
    assert fresh.db("GET", ids["mysql"], token=token).status == 401
    assert fresh.api("GET", "/v1/apps/%s/addons" % DEMO).status == 200


def test_addon_token_is_scoped_to_its_addon(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["pg"])
    resp = owner.db("GET", ids["mysql"], token=token)
    assert resp.status == 401 and resp.json() == {"error": "token is not valid for this database"}
    resp = owner.db("GET", "ad-00000000-0000-4000-8000-000000000000", token=token)
    assert resp.status == 404 and resp.json() == {"resource": "database", "error": "not found"}
    # twin PostgreSQL addons of one app do not share tokens
    twin_token = owner.addon_token(TWIN, ids["twin1"])
    assert owner.db("GET", ids["twin2"], token=twin_token).status == 401


def test_unknown_app_or_addon_is_404(emu, owner, ids):
    resp = owner.api("GET", "/v1/apps/no-such-app/addons")
    assert resp.status == 404 and resp.json() == {"resource": "app", "error": "not found"}
    resp = owner.api("POST", "/v1/apps/%s/addons/ad-00000000-0000-4000-8000-000000000000/token" % DEMO)
    assert resp.status == 404 and resp.json() == {"resource": "addon", "error": "not found"}
    # an addon of another app
    assert owner.api("POST", "/v1/apps/%s/addons/%s/token" % (DEMO, ids["twin1"])).status == 404
    # members-only app
    private = "emu-private-app"
    assert owner.api("GET", "/v1/apps/%s/addons" % private).status == 200
    assert Client(emu, "collaborator").api("GET", "/v1/apps/%s/addons" % private).status == 404


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
    resp = writes.db("POST", ids["mysql"], body=create_body("some-user"), token=token)
    assert resp.status == 403
    assert writes.db("POST", ids["mysql"], "/reporting-ro/reset_password", token=token).status == 403
    assert Client(emu, "collaborator").db("POST", ids["mysql"], body=create_body("some-user")).status == 201


# ---------------------------------------------------------------------------
# users: validation and shapes (in-memory addons: fast)


@pytest.mark.parametrize("name", ["short", "-leading", "trailing-", "double--hyphen", "Upper-case", "under_score",
                                  "a" * 33, "", None])
def test_hyphen_rule_rejects(emu, owner, ids, name):
    resp = owner.db("POST", ids["mysql"], body=create_body(name))
    assert resp.status == 422
    assert list(resp.json()["errors"]) == ["name"]


def test_underscore_rule(emu, owner, ids):
    emu.set_settings(name_rule="underscore")
    token = owner.addon_token(DEMO, ids["mysql"])
    assert owner.db("POST", ids["mysql"], body=create_body("my-user"), token=token).status == 422
    assert owner.db("POST", ids["mysql"], body=create_body("1abcdef"), token=token).status == 422
    resp = owner.db("POST", ids["mysql"], body=create_body("a" * 17), token=token)
    assert resp.status == 422 and "maximum is 16" in resp.json()["errors"]["name"][0]
    assert owner.db("POST", ids["mysql"], body=create_body("Report_user_16ch"), token=token).status == 201
    assert owner.db("POST", ids["mongodb"], body=create_body("b" * 32)).status == 201


def test_password_rules(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])

    def errors(password, confirmation="same"):
        resp = owner.db("POST", ids["mysql"], body=create_body("pw-user", password, confirmation=confirmation), token=token)
        assert resp.status == 422, resp.body
        return resp.json()["errors"]

    assert "password" in errors("x" * 23)
    assert "password" in errors("x" * 65)
    assert "password" in errors("x" * 30 + "'")
    assert "password" in errors("x" * 30 + '"')
    assert errors(GOOD_PW, confirmation=OTHER_PW) == {"password_confirmation": ["doesn't match Password"]}
    assert errors(GOOD_PW, confirmation=None) == {"password_confirmation": ["doesn't match Password"]}
    assert owner.db("POST", ids["mysql"], body=create_body("pw-user", "y" * 64), token=token).status == 201


def test_create_generated_password_and_list_hides_passwords(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    resp = owner.db("POST", ids["mysql"], body=create_body("gen-user"), token=token)
    assert resp.status == 201
    user = resp.json()
    assert user["name"] == "gen-user" and user["protected"] is False and user["read_only"] is False
    assert len(user["password"]) >= 24 and "'" not in user["password"]
    assert "dbms_attributes" not in user  # only PostgreSQL fills it (setting other_dbms_attributes)
    resp = owner.db("POST", ids["mysql"], body=create_body("given-pass", GOOD_PW, read_only=True), token=token)
    assert resp.status == 201 and "password" not in resp.json() and resp.json()["read_only"] is True
    listing = owner.db("GET", ids["mysql"], token=token)
    assert "gen-user" in names(listing) and "given-pass" in names(listing)
    assert all("password" not in u for u in listing.json()["database-users"])
    assert user["password"].encode() not in listing.body


def test_duplicate_and_bad_bodies(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    assert owner.db("POST", ids["mysql"], body=create_body("dup-user"), token=token).status == 201
    resp = owner.db("POST", ids["mysql"], body=create_body("dup-user"), token=token)
    assert resp.status == 422 and resp.json() == {"errors": {"name": ["has already been taken"]}}
    resp = owner.db("POST", ids["mysql"], body={"name": "no-wrapper"}, token=token)
    assert resp.status == 400 and "error" in resp.json()
    assert owner.db("POST", ids["mysql"], body=b"{not json", token=token).status == 400
    resp = owner.db("POST", ids["mysql"], body=create_body("ro-bad", read_only="yes"), token=token)
    assert resp.status == 422 and "read_only" in resp.json()["errors"]


def test_protected_and_unknown_users(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    protected = emu.addons[ids["mysql"]].protected_user
    patch = {"database_user": {"database_id": ids["mysql"], "password": GOOD_PW, "password_confirmation": GOOD_PW}}
    for method, suffix, body in (("DELETE", "/" + protected, None), ("PATCH", "/" + protected, patch),
                                 ("POST", "/%s/reset_password" % protected, None)):
        resp = owner.db(method, ids["mysql"], suffix, body=body, token=token)
        assert resp.status == 403 and resp.json() == {"error": "user is protected"}
    resp = owner.db("POST", ids["mysql"], body=create_body(protected.replace("_", "-")), token=token)
    assert resp.status in (201, 422)
    for method, suffix, body in (("DELETE", "/ghost-user", None), ("PATCH", "/ghost-user", patch),
                                 ("POST", "/ghost-user/reset_password", None)):
        resp = owner.db(method, ids["mysql"], suffix, body=body, token=token)
        assert resp.status == 404 and resp.json() == {"resource": "database_user", "error": "not found"}


def test_update_reset_delete_and_shapes(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["influxdb"])
    assert owner.db("POST", ids["influxdb"], body=create_body("shape-user", GOOD_PW), token=token).status == 201
    patch = {"database_user": {"database_id": ids["influxdb"], "password": OTHER_PW, "password_confirmation": OTHER_PW}}
    resp = owner.db("PATCH", ids["influxdb"], "/shape-user", body=patch, token=token)
    assert resp.status == 200 and resp.json() == {"name": "shape-user", "read_only": False, "protected": False}
    resp = owner.db("PATCH", ids["influxdb"], "/shape-user", body={"database_user": {"password": None}}, token=token)
    assert resp.status == 422 and resp.json()["errors"] == {"password": ["can't be blank"]}
    emu.set_settings(response_shape="wrapped", other_dbms_attributes="empty", patch_returns_password=True)
    resp = owner.db("PATCH", ids["influxdb"], "/shape-user", body=patch, token=token)
    assert resp.json() == {"database_user": {"name": "shape-user", "read_only": False, "protected": False,
                                             "dbms_attributes": {}, "password": OTHER_PW}}
    resp = owner.db("POST", ids["influxdb"], "/shape-user/reset_password", token=token)
    assert resp.status == 200 and len(resp.json()["database_user"]["password"]) >= 24
    resp = owner.db("DELETE", ids["influxdb"], "/shape-user", token=token)
    assert resp.status == 204 and resp.body == b""
    assert "shape-user" not in names(owner.db("GET", ids["influxdb"], token=token))


def test_concurrent_creates(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mongodb"])
    results = []

    def worker(i):
        results.append(owner.db("POST", ids["mongodb"], body=create_body("par-user-%02d" % i), token=token).status)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [201] * 16
    assert len([n for n in names(owner.db("GET", ids["mongodb"], token=token)) if n.startswith("par-user-")]) == 16


def test_other_switches(emu, owner, ids):
    token = owner.addon_token(DEMO, ids["mysql"])
    emu.set_settings(accept_database_name_in_path=True, wrong_addon_token_status=403, list_key="database_users",
                     create_returns_password="always")
    by_name = call(emu.urls["db"], "GET", "/api/databases/%s/users" % emu.addons[ids["mysql"]].database, bearer(token))
    assert by_name.status == 200 and "database_users" in by_name.json()
    assert owner.db("GET", ids["mongodb"], token=token).status == 403
    resp = owner.db("POST", ids["mysql"], body=create_body("echo-pass", GOOD_PW), token=token)
    assert resp.json()["password"] == GOOD_PW
    with pytest.raises(ValueError):
        emu.set_settings(name_rule="camel")
    with pytest.raises(ValueError):
        emu.set_settings(no_such_setting=1)


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


# ---------------------------------------------------------------------------
# PostgreSQL: real roles


def test_pg_read_only_and_read_write_users(pg, owner, ids):
    addon = ids["pg"]
    token = owner.addon_token(DEMO, addon)
    assert owner.db("POST", addon, body=create_body("reader-one", GOOD_PW, read_only=True), token=token).status == 201
    assert owner.db("POST", addon, body=create_body("writer-one", OTHER_PW), token=token).status == 201
    listing = {u["name"]: u for u in owner.db("GET", addon, token=token).json()["database-users"]}
    assert listing["reader-one"]["dbms_attributes"] == {"password_encryption": "SCRAM-SHA-256"}
    assert listing["writer-one"]["read_only"] is False

    with pytest.raises(psycopg.OperationalError):
        pg_connect(pg, addon, "reader-one", "wrong-password-wrong-password")
    with pytest.raises(psycopg.OperationalError):
        pg_connect(pg, addon, "postgres", "")
    with pg_connect(pg, addon, "reader-one", GOOD_PW) as conn:
        assert conn.execute("SELECT count(*) FROM demo_items").fetchone()[0] == 3
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO demo_items (name) VALUES ('nope')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE ro_table (id int)")
    with pg_connect(pg, addon, "writer-one", OTHER_PW) as conn:
        conn.execute("INSERT INTO demo_items (name) VALUES ('delta')")
        conn.execute("UPDATE demo_items SET name = 'ALPHA' WHERE name = 'alpha'")
        conn.execute("CREATE TABLE writer_table (id serial PRIMARY KEY, note text)")
        conn.execute("INSERT INTO writer_table (note) VALUES ('hello')")
    # default privileges: the reader sees the writer's new table, read-only
    with pg_connect(pg, addon, "reader-one", GOOD_PW) as conn:
        assert conn.execute("SELECT note FROM writer_table").fetchall() == [("hello",)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM writer_table")
    # deleting the writer keeps its table (reassigned to the database owner) and drops the role
    assert owner.db("DELETE", addon, "/writer-one", token=token).status == 204
    info = pg.pg_info(addon)
    with pg_connect(pg, addon, info["owner"], info["owner_password"]) as conn:
        assert conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'writer-one'").fetchone() is None
        assert conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'writer_table'").fetchone()[0] == info["owner"]
    with pytest.raises(psycopg.OperationalError):
        pg_connect(pg, addon, "writer-one", OTHER_PW)


def test_pg_password_change_and_reset(pg, owner, ids):
    addon = ids["pg"]
    token = owner.addon_token(DEMO, addon)
    assert owner.db("POST", addon, body=create_body("rotating", GOOD_PW), token=token).status == 201
    patch = {"database_user": {"database_id": addon, "password": OTHER_PW, "password_confirmation": OTHER_PW}}
    assert owner.db("PATCH", addon, "/rotating", body=patch, token=token).status == 200
    with pytest.raises(psycopg.OperationalError):
        pg_connect(pg, addon, "rotating", GOOD_PW)
    pg_connect(pg, addon, "rotating", OTHER_PW).close()
    resp = owner.db("POST", addon, "/rotating/reset_password", token=token)
    assert resp.status == 200
    new_password = resp.json()["password"]
    assert resp.json()["dbms_attributes"] == {"password_encryption": "SCRAM-SHA-256"}
    with pytest.raises(psycopg.OperationalError):
        pg_connect(pg, addon, "rotating", OTHER_PW)
    pg_connect(pg, addon, "rotating", new_password).close()
    # a generated password on create works too
    resp = owner.db("POST", addon, body=create_body("generated"), token=token)
    pg_connect(pg, addon, "generated", resp.json()["password"]).close()


def test_pg_twin_addons_are_separate_servers(pg, owner, ids):
    one, two = pg.pg_info(ids["twin1"]), pg.pg_info(ids["twin2"])
    assert one["port"] != two["port"] and one["dbname"] != two["dbname"]
    for addon in (ids["twin1"], ids["twin2"]):
        assert owner.db("POST", addon, body=create_body("same-name", GOOD_PW), app=TWIN).status == 201
    listing = {u["name"]: u for u in owner.db("GET", ids["twin2"], app=TWIN).json()["database-users"]}
    assert listing["metabase"]["dbms_attributes"]["password_encryption"] == "MD5"
    # underscore rule: mixed-case names are real (quoted) PostgreSQL roles
    pg.set_settings(name_rule="underscore")
    assert owner.db("POST", ids["twin1"], body=create_body("Report_User", GOOD_PW, read_only=True), app=TWIN).status == 201
    with pg_connect(pg, ids["twin1"], "Report_User", GOOD_PW) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == "Report_User"
    # the protected user owns the database and can log in with the password given in the state
    with pg_connect(pg, ids["twin1"], one["owner"], one["owner_password"]) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == one["dbname"]


def test_pg_hba_requires_password_over_tcp(pg, ids):
    info = pg.pg_info(ids["pg"])
    with open(os.path.join(info["data_dir"], "pg_hba.conf")) as handle:
        rules = [line.split() for line in handle if line.strip() and not line.startswith("#")]
    assert ["host", "all", "all", "127.0.0.1/32", "scram-sha-256"] in rules
    assert all(rule[-1] != "trust" for rule in rules if rule[0] != "local")
    assert all(rule[2] == "postgres" for rule in rules if rule[0] == "local")


# ---------------------------------------------------------------------------
# faults


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


# ---------------------------------------------------------------------------
# log and control API


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
    # the API token was only ever sent to the auth service
    assert {e["service"] for e in emu.find_in_log(client.api_token)} == {"auth"}
    assert {e["service"] for e in emu.find_in_log(client.bearer)} == {"auth", "api"}
    assert {e["service"] for e in emu.find_in_log(GOOD_PW)} == {"db"}
    entry = emu.requests(route="users.create")[0]
    assert json.loads(entry["request_body"])["database_user"]["name"] == "log-user"
    assert ["User-Agent", "emulator-tests/1"] in entry["request_headers"]


def test_control_api_over_http(emu, ids):
    control = emu.urls["control"]
    assert call(control, "GET", "/_emulator/health").json() == {"ready": True}
    state = call(control, "GET", "/_emulator/state").json()
    assert state["urls"] == emu.urls and state["addons"][ids["pg"]]["type"] == "postgresql"
    if emu.pg_enabled:
        assert state["addons"][ids["pg"]]["postgres"]["port"] == emu.pg_info(ids["pg"])["port"]
    resp = call(control, "POST", "/_emulator/faults", body={"route": "users.list", "status": 504, "count": 1})
    assert resp.status == 201 and len(resp.json()["ids"]) == 1
    assert call(control, "GET", "/_emulator/faults").json()["faults"][0]["status"] == 504
    assert Client(emu).db("GET", ids["mysql"]).status == 504
    assert call(control, "DELETE", "/_emulator/faults").status == 200
    resp = call(control, "POST", "/_emulator/settings", body={"name_rule": "camel"})
    assert resp.status == 400
    resp = call(emu.urls["db"], "POST", "/_emulator/settings", body={"name_rule": "underscore"})
    assert resp.json()["settings"]["name_rule"] == "underscore"
    log = call(control, "GET", "/_emulator/log?service=db").json()["requests"]
    assert log and {e["service"] for e in log} == {"db"}
    assert "users.list" in call(control, "GET", "/_emulator/counters").json()["routes"]
    assert call(control, "POST", "/_emulator/reset-log").status == 200
    assert call(control, "GET", "/_emulator/log").json()["requests"] == []
    assert call(control, "POST", "/_emulator/expire-tokens", body={"kind": "auth"}).status == 200
    assert call(control, "GET", "/v1/regions").status == 404


# ---------------------------------------------------------------------------
# CLI: state file, signals, cleanup


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def test_cli_state_file_and_clean_stop(tmp_path):
    state_file = tmp_path / "build" / "emulator.json"
    began = time.time()
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "scalingo_emulator"), "--seed", SEED,
                             "--state-file", str(state_file), "--set", "name_rule=underscore"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while not state_file.exists():
            assert proc.poll() is None, proc.stderr.read()
            assert time.time() - began < 60
            time.sleep(0.05)
        state = json.loads(state_file.read_text())
        sys.stderr.write("\nCLI ready in %.2fs (startup_seconds=%s)\n" % (time.time() - began, state["startup_seconds"]))
        assert state["ready"] is True and state["settings"]["name_rule"] == "underscore"
        assert set(state["urls"]) == {"auth", "api", "db", "control"}
        assert state["env"]["SCALINGO_API_TOKEN"].startswith("tk-us-")
        resp = call(state["urls"]["auth"], "POST", "/v1/tokens/exchange", basic(state["env"]["SCALINGO_API_TOKEN"]))
        assert resp.status == 200
        pids = [a["postgres"]["pid"] for a in state["addons"].values() if a["postgres"]]
        assert all(_alive(pid) for pid in pids)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        assert not state_file.exists()
        assert not os.path.exists(state["workdir"])
        deadline = time.time() + 5
        while any(_alive(pid) for pid in pids) and time.time() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in pids)
        with pytest.raises(ConnectionError):
            call(state["urls"]["auth"], "POST", "/v1/tokens/exchange", timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
