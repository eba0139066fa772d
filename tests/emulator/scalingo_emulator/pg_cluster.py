# -*- coding: utf-8 -*-
"""One PostgreSQL server per postgresql addon: its life (start, setup, stop) and the SQL behind the users routes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

from .config import EmulatorError
from .rules import generate_password


def _free_port(host):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((host, 0))
        return sock.getsockname()[1]
    finally:
        sock.close()


def _load_prctl():
    """PR_SET_PDEATHSIG lets PostgreSQL die with the emulator even if it is SIGKILLed."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def _die_with_parent():
    if _PRCTL is not None:
        _PRCTL(1, int(signal.SIGQUIT), 0, 0, 0)  # PR_SET_PDEATHSIG; SIGQUIT = immediate shutdown


class PgCluster(object):
    """One PostgreSQL server for one postgresql addon."""

    def __init__(self, backend, index, addon_id, database, owner):
        self.backend = backend
        self.addon_id = addon_id
        self.database = database
        self.owner = owner
        self.owner_password = generate_password(32)
        self.dir = os.path.join(backend.workdir, "pg%d" % index)
        self.data = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "postgres.log")
        self.host = "127.0.0.1"
        self.port = None
        self.proc = None
        self.conn = None
        self.lock = threading.RLock()

    # -- lifecycle
    def launch(self):
        backend = self.backend
        if not os.path.isdir(self.dir):
            os.mkdir(self.dir, 0o700)
            backend.chown(self.dir)
            subprocess.run(["cp", "-a", backend.template_data, self.data], check=True, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **backend.run_kwargs())
        self.port = _free_port(self.host)
        cmd = [backend.binary("postgres"), "-D", self.data, "-p", str(self.port), "-k", self.dir]
        log = open(self.log_path, "ab")
        try:
            kwargs = backend.run_kwargs()
            # PR_SET_PDEATHSIG fires when the *thread* that forked exits: only from the main thread
            if backend.die_with_parent and _PRCTL is not None and threading.current_thread() is threading.main_thread():
                kwargs["preexec_fn"] = _die_with_parent
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True, close_fds=True, **kwargs)
        finally:
            log.close()

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, "r", errors="replace") as handle:
                return "".join(handle.readlines()[-lines:])
        except OSError:
            return ""

    def superuser_connect(self, dbname):
        psycopg = self.backend.psycopg
        return psycopg.connect(host=self.dir, port=self.port, user=self.backend.superuser, dbname=dbname,
                               autocommit=True, connect_timeout=5)

    def wait_ready(self, deadline):
        psycopg = self.backend.psycopg
        while True:
            if self.proc.poll() is not None:
                return False
            try:
                conn = self.superuser_connect("postgres")
                conn.close()
                return True
            except psycopg.OperationalError:
                if time.time() > deadline:
                    raise EmulatorError("PostgreSQL for %s did not start in time:\n%s" % (self.addon_id, self.log_tail()))
                time.sleep(0.03)

    def setup(self):
        from psycopg import sql
        conn = self.superuser_connect("postgres")
        try:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(self.owner), sql.Literal(self.owner_password)))
            strategy = sql.SQL(" STRATEGY FILE_COPY" if self.backend.major >= 15 else "")
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}{}").format(
                sql.Identifier(self.database), sql.Identifier(self.owner), strategy))
            conn.execute("REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC")
            conn.execute("REVOKE CONNECT, TEMPORARY ON DATABASE template1 FROM PUBLIC")
            conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(self.database)))
        finally:
            conn.close()
        self.conn = self.superuser_connect(self.database)
        owner = sql.Identifier(self.owner)
        with self.conn.transaction():
            self.conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(owner))
            self.conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
            self.conn.execute(sql.SQL("SET LOCAL ROLE {}").format(owner))
            self.conn.execute(
                "CREATE TABLE demo_items (id serial PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())")
            self.conn.execute("INSERT INTO demo_items (name) VALUES ('alpha'), ('beta'), ('gamma')")
            self.conn.execute("RESET ROLE")
            self.conn.execute(self._group_grants())

    def _groups(self):
        """The roles that hold the privileges of the read-only users and of the read-write users: a user is a member
        of one, so that creating a user costs the same however many there are."""
        return self.database[:50] + "_readers", self.database[:50] + "_writers"

    def _group_grants(self):
        from psycopg import sql
        readers, writers = (sql.Identifier(group) for group in self._groups())
        db, owner = sql.Identifier(self.database), sql.Identifier(self.owner)
        statements = [
            sql.SQL("CREATE ROLE {} NOLOGIN").format(readers),
            sql.SQL("CREATE ROLE {} NOLOGIN").format(writers),
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, readers),
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(db, writers),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(readers),
            sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(writers),
        ]
        for group, read_only in ((readers, True), (writers, False)):
            tables, sequences = self._privileges(read_only)
            statements += [
                sql.SQL("GRANT " + tables + " ON ALL TABLES IN SCHEMA public TO {}").format(group),
                sql.SQL("GRANT " + sequences + " ON ALL SEQUENCES IN SCHEMA public TO {}").format(group),
            ]
        return sql.SQL("; ").join(statements + self._default_privileges(owner))

    def _default_privileges(self, creator):
        """Tables and sequences that ``creator`` makes later: readable by the readers, writable by the writers and
        the owner."""
        from psycopg import sql
        readers, writers = (sql.Identifier(group) for group in self._groups())
        statements = []
        for grantee, read_only in ((readers, True), (writers, False), (sql.Identifier(self.owner), False)):
            tables, sequences = self._privileges(read_only)
            for kind, privileges in (("TABLES", tables), ("SEQUENCES", sequences)):
                statements.append(sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT " + privileges
                                          + " ON " + kind + " TO {}").format(creator, grantee))
        return statements

    def stop(self):
        with self.lock:
            if self.conn is not None:
                try:
                    self.conn.close()
                except Exception:  # pylint: disable=broad-except
                    pass
                self.conn = None
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGINT, 10), (signal.SIGQUIT, 5), (signal.SIGKILL, 5)):
            try:
                proc.send_signal(sig)
            except OSError:
                return
            try:
                proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def info(self):
        return {
            "host": self.host,
            "port": self.port,
            "dbname": self.database,
            "owner": self.owner,
            "owner_password": self.owner_password,
            "url": "postgresql://%s:%s@%s:%s/%s" % (self.owner, self.owner_password, self.host, self.port, self.database),
            "pid": self.proc.pid if self.proc else None,
            "data_dir": self.data,
        }

    # -- SQL
    def _conn(self):
        if self.conn is None or self.conn.closed or self.conn.broken:
            self.conn = self.superuser_connect(self.database)
        return self.conn

    def role_exists(self, name):
        with self.lock:
            row = self._conn().execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
            return row is not None

    def password_encryptions(self, names):
        with self.lock:
            rows = self._conn().execute("SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY(%s)", (list(names),)).fetchall()
        out = {}
        for rolname, rolpassword in rows:
            if rolpassword is None:
                out[rolname] = None
            elif rolpassword.startswith("SCRAM-SHA-256$"):
                out[rolname] = "SCRAM-SHA-256"
            elif rolpassword.startswith("md5"):
                out[rolname] = "MD5"
            else:
                out[rolname] = None
        return out

    @staticmethod
    def _privileges(read_only):
        if read_only:
            return "SELECT", "SELECT"
        return "SELECT, INSERT, UPDATE, DELETE", "USAGE, SELECT, UPDATE"

    def create_user(self, name, password, read_only, password_encryption="scram-sha-256"):
        """Create a LOGIN role with read-only or read-write access to the addon's database, as a member of the group
        of its mode; the tables a read-write user creates later are reachable by the owner and the other users."""
        from psycopg import sql
        ident = sql.Identifier(name)
        group = sql.Identifier(self._groups()[0 if read_only else 1])
        statements = [
            sql.SQL("SET LOCAL password_encryption = {}").format(sql.Literal(password_encryption)),
            sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD {} IN ROLE {}").format(
                ident, sql.Literal(password), group),
        ]
        if not read_only:
            statements += self._default_privileges(ident)
        with self.lock:
            conn = self._conn()
            with conn.transaction():
                conn.execute(sql.SQL("; ").join(statements))

    def set_password(self, name, password):
        from psycopg import sql
        with self.lock:
            conn = self._conn()
            with conn.transaction():
                conn.execute("SET LOCAL password_encryption = 'scram-sha-256'")
                conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(name), sql.Literal(password)))

    def drop_user(self, name):
        from psycopg import sql
        ident = sql.Identifier(name)
        with self.lock:
            conn = self._conn()
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s AND pid <> pg_backend_pid()", (name,))
            with conn.transaction():
                conn.execute(sql.SQL("REASSIGN OWNED BY {} TO {}").format(ident, sql.Identifier(self.owner)))
                conn.execute(sql.SQL("DROP OWNED BY {}").format(ident))
                conn.execute(sql.SQL("DROP ROLE {}").format(ident))
