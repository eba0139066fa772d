# -*- coding: utf-8 -*-
"""PostgreSQL addons: users are real roles on a real server, one server per addon.

That only the last password logs in (after create, PATCH or reset) and that a deleted user no longer does, the
integration target database_user checks on the emulator's PostgreSQL too (tasks/lifecycle.yml, generated.yml)."""

from __future__ import annotations

import pytest

from emulator_client import DEMO, GOOD_PW, OTHER_PW, TWIN, create_body, pg_connect, psycopg


def test_pg_read_only_and_read_write_users(pg, owner, ids):
    addon = ids["pg"]
    token = owner.addon_token(DEMO, addon)
    assert owner.db("POST", addon, body=create_body("reader-one", GOOD_PW, read_only=True), token=token).status == 201
    assert owner.db("POST", addon, body=create_body("writer-one", OTHER_PW), token=token).status == 201
    listing = {u["name"]: u for u in owner.db("GET", addon, token=token).json()["database-users"]}
    assert listing["reader-one"]["dbms_attributes"] == {"password_encryption": "SCRAM-SHA-256"}
    assert listing["writer-one"]["read_only"] is False

    with pytest.raises(psycopg.OperationalError):  # the superuser logs in on the socket only
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


def test_pg_generated_password_logs_in(pg, owner, ids):
    resp = owner.db("POST", ids["pg"], body=create_body("generated"))
    pg_connect(pg, ids["pg"], "generated", resp.json()["password"]).close()


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
