# -*- coding: utf-8 -*-
"""The Emulator: the services, their servers, PostgreSQL, faults and the log tied together, with its Python API.

Every request goes through ``handle_request``: faults first, then the service, then the log. One lock (``_lock``)
guards all of the emulator's state; the services run under it, one request at a time.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import shutil
import sys
import threading
import time
import traceback
import urllib.request
from collections import OrderedDict
from urllib.parse import parse_qs, urlsplit

from . import control, postgres, rules, services, workdir
from .config import PostgresUnavailable, load_config, normalize_config, validate_settings
from .faults import Faults, RateLimit, RequestLog
from .model import App, Tokens, User, changed_features
from .routing import Request, error
from .server import Endpoints


def _http_json(method, url, authorization, body=None):
    """One JSON request to the emulator, bypassing any proxy; raises on an HTTP error."""
    headers = {"Accept": "application/json", "Authorization": authorization}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(urllib.request.Request(url, data=data, headers=headers, method=method), timeout=10) as answer:
        raw = answer.read()
    return json.loads(raw) if raw else None


class Emulator(object):
    """The three Scalingo services plus a control port, in-process: the auth service, and for each region of the seed
    a regional API and a Database API of its own (``urls``: the default region's; ``region_urls(name)``).

    ``config``: path to a YAML/JSON seed, a dict, or None (tests/emulator/seed.yml).
    ``pg``: "auto" (default), "embedded", "system" or "off"; env SCALINGO_EMULATOR_PG.
    ``pg_bin``: directory with initdb/postgres (env SCALINGO_EMULATOR_PG_BIN, which implies "system").
    ``settings``: overrides of the seed's settings.
    """

    def __init__(self, config=None, pg=None, pg_bin=None, host="127.0.0.1", ports=None, settings=None,
                 verbose=False, die_with_parent=True):
        self.config = normalize_config(load_config(config))
        self.host = host
        self.verbose = verbose
        self.requested_ports = dict(ports or {})
        pg_cfg = self.config["postgres"]
        env_bin = os.environ.get("SCALINGO_EMULATOR_PG_BIN") or None
        self.pg_mode = pg or os.environ.get("SCALINGO_EMULATOR_PG") or pg_cfg.get("mode") or "auto"
        self.pg_bin = pg_bin or env_bin or pg_cfg.get("bin_dir") or None
        if self.pg_bin and self.pg_mode == "auto":
            self.pg_mode = "system"
        self.die_with_parent = die_with_parent
        self.seed_settings = validate_settings(settings or {}, self.config["settings"])
        self._lock = threading.RLock()
        self._stop_event = threading.Event()
        self._endpoints = Endpoints(host)
        self._pg = None
        self._pg_reason = None
        self.workdir = None
        self.started = False
        self.ready = False
        self.startup_seconds = None
        self.tokens = Tokens(self.config["api_tokens"], self._lock, self.config["issued_tokens"])
        # where the passwords the Database API generates come from (replaceable: in-process tests know theirs)
        self.generate_password = rules.generate_password
        self.apps = [App(spec, self.config["region"], self.tokens.by_name[spec["owner"]]["user"])
                     for spec in self.config["apps"]]
        self.addons = OrderedDict((addon.id, addon) for app in self.apps for addon in app.addons)
        self._faults = Faults(self._lock, self._stop_event)
        self._log = RequestLog(self._lock)
        # each regional API counts its own requests: Scalingo's regions are deployments of their own
        self._rate_limits = {name: RateLimit() for name in self.region_names}
        self._reset_runtime()

    def _reset_runtime(self):
        """Back to the seed's settings and features, with no fault, an empty log and a fresh rate-limit window."""
        self.settings = dict(self.seed_settings)
        for addon in self.addons.values():
            addon.features = dict(addon.seed_features)
        self._faults.reset()
        self._log.reset()
        for rate_limit in self._rate_limits.values():
            rate_limit.reset()

    # -- start and stop
    def start(self):
        if self.started:
            return self
        began = time.time()
        self.started = True
        try:
            workdir.cleanup_stale_workdirs()
            self.workdir = workdir.make_workdir()
            self._start_postgres()
            self.seed_users()
            self._endpoints.start(self, self.region_names, self.config["region"], self.requested_ports)
        except BaseException:
            self.stop()
            raise
        atexit.register(self.stop)
        self.startup_seconds = round(time.time() - began, 3)
        self.ready = True
        return self

    def _start_postgres(self):
        pg_addons = [a for a in self.addons.values() if a.type == "postgresql" and not a.in_memory]
        if not pg_addons:
            # nothing to back: no binaries to look for, no server to start (generated seeds of hundreds of apps)
            self._pg_reason = "no PostgreSQL addon to back (none, or the seed keeps them in memory)"
            return
        try:
            mode, found = postgres.PgBackend.resolve(self.pg_mode, self.pg_bin)
            if mode is None:
                self._pg_reason = found
                if self.pg_mode != "off":
                    sys.stderr.write("scalingo-emulator: PostgreSQL backend off (%s); postgresql users kept in memory\n" % found)
                return
            self._pg = postgres.PgBackend(mode, found, self.workdir, die_with_parent=self.die_with_parent)
            self._pg.prepare()
            clusters = self._pg.start(pg_addons)
        except Exception as exc:
            raise PostgresUnavailable("PostgreSQL (%s) is missing or cannot start: %s" % (self.pg_mode, exc)) from exc
        for addon in pg_addons:
            addon.pg = clusters[addon.id]

    def seed_users(self):
        """The seed's users, and each addon's protected one (by start(); in process without servers, pg off)."""
        for addon in self.addons.values():
            if not addon.manages_users:
                continue
            addon.users.clear()
            addon.users[addon.protected_user] = User(addon.protected_user, read_only=False, protected=True,
                                                     password=addon.pg.owner_password if addon.pg else rules.generate_password(),
                                                     seeded=True)
            for spec in addon.seed_users:
                spec = dict(spec)
                user = User(spec["name"], read_only=spec.get("read_only", False), protected=spec.get("protected", False),
                            password=spec.get("password") or rules.generate_password(), seeded=True,
                            password_encryption=spec.get("password_encryption", "SCRAM-SHA-256"))
                if addon.pg is not None:
                    addon.pg.create_user(user.name, user.password, user.read_only,
                                         password_encryption="md5" if user.password_encryption == "MD5" else "scram-sha-256")
                addon.users[user.name] = user

    def stop(self):
        """Stop every server and PostgreSQL, remove the work dir. Idempotent."""
        self._stop_event.set()
        self._endpoints.stop()
        if self._pg is not None:
            self._pg.stop()
        if self.workdir and os.path.isdir(self.workdir):
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.ready = False

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- public info
    @property
    def region_names(self):
        return [region["name"] for region in self.config["regions"]]

    @property
    def ports(self):
        """``{"auth", "api", "db", "control"}``; ``api`` and ``db`` are the default region's."""
        return dict(self._endpoints.ports(self.config["region"]))

    @property
    def urls(self):
        return {name: self._endpoints.url(port) for name, port in self.ports.items()}

    def region_urls(self, region):
        """``{"api", "db"}``: the URLs of a region's regional API and Database API; those the seed's region gives
        (``api``, ``database_api``), else its servers' (KeyError: no such region, or not started)."""
        spec = next((r for r in self.config["regions"] if r["name"] == region), {})
        if spec.get("api"):
            return {"api": spec["api"], "db": spec["database_api"]}
        return {name: self._endpoints.url(port) for name, port in self._endpoints.ports(region, shared=False).items()}

    def api_token(self, name="owner"):
        return self.tokens.by_name[name]["token"]

    def fetch_tokens(self, app, addon_id, token="owner"):
        """(bearer, database token), fetched over HTTP as a client does: exchange, then the addon's token route."""
        basic = "Basic " + base64.b64encode((":" + self.api_token(token)).encode()).decode()
        bearer = _http_json("POST", self.urls["auth"] + "/v1/tokens/exchange", basic)["token"]
        api = self.region_urls(self.app(app).region)["api"]
        answer = _http_json("POST", "%s/v1/apps/%s/addons/%s/token" % (api, app, addon_id), "Bearer " + bearer)
        return bearer, answer["addon"]["token"]

    def create_user_over_http(self, app, addon_id, name, password, read_only=False, database_token=None):
        """Create a user through the emulated database API, as someone would outside Ansible (with a database token
        of the addon, fetched when not given)."""
        database_token = database_token or self.fetch_tokens(app, addon_id)[1]
        body = {"database_user": {"name": name, "read_only": read_only, "password": password,
                                  "password_confirmation": password}}
        db = self.region_urls(self.addons[addon_id].app.region)["db"]
        return _http_json("POST", "%s/api/databases/%s/users" % (db, addon_id),
                          "Bearer " + database_token, body)

    def app(self, name_or_id):
        found = [app for app in self.apps if name_or_id in (app.name, app.id)]
        if not found:
            raise KeyError(name_or_id)
        return found[0]

    def addon_id(self, app, addon_type, index=0):
        return [a.id for a in self.app(app).addons if a.type == addon_type][index]

    def pg_info(self, addon_id):
        addon = self.addons[addon_id]
        return addon.pg.info() if addon.pg else None

    @property
    def pg_enabled(self):
        return any(a.pg is not None for a in self.addons.values())

    def users(self, addon_id):
        """An addon's users as the Database API lists them."""
        with self._lock:
            addon = self.addons[addon_id]
            return [addon.user_json(u) for u in addon.users.values()]

    def env(self, token="owner", region=None):
        """The variables the modules read, for the default region or the one named."""
        region = region or self.config["region"]
        urls = dict(self.urls, **self.region_urls(region))
        return {
            "SCALINGO_API_TOKEN": self.api_token(token),
            "SCALINGO_REGION": region,
            "SCALINGO_AUTH_URL": urls["auth"],
            "SCALINGO_API_URL": urls["api"],
            "SCALINGO_DB_API_URL": urls["db"],
        }

    def state(self):
        """What the state file and GET /_emulator/state hold (README.md): where every service listens, the tokens,
        the apps and addons with their users, PostgreSQL and the settings."""
        with self._lock:
            apps, addons = [], OrderedDict()
            for app in self.apps:
                for addon in app.addons:
                    addons[addon.id] = {
                        "id": addon.id, "type": addon.type, "app": app.name, "app_id": app.id, "region": app.region,
                        "status": addon.status, "plan": addon.plan, "database": addon.database,
                        "manages_users": addon.manages_users,
                        "protected_user": addon.protected_user if addon.manages_users else None,
                        "hostname": addon.hostname, "features": dict(addon.features),
                        "postgres": addon.pg.info() if addon.pg else None,
                        "users": [addon.user_json(u) for u in addon.users.values()],
                    }
                apps.append({"name": app.name, "id": app.id, "region": app.region, "status": app.status,
                             "owner": dict(app.owner), "members": app.members,
                             "addons": [addons[addon.id] for addon in app.addons]})
            return {
                "ready": self.ready, "pid": os.getpid(), "startup_seconds": self.startup_seconds,
                "urls": self.urls, "ports": self.ports,
                "region": self.config["region"], "regions": self.region_names,
                # each region's regional API and Database API; urls["api"] and urls["db"] are the default region's
                "region_urls": {name: self.region_urls(name) for name in self.region_names},
                "env": self.env(),
                "api_tokens": [{key: t[key] for key in ("name", "token", "role", "limited_block")}
                               for t in self.config["api_tokens"]],
                "apps": apps,
                "addons": addons,
                "postgres": self._pg.info() if self._pg is not None and self.pg_enabled else {
                    "enabled": False, "reason": self._pg_reason},
                "settings": dict(self.settings),
                "workdir": self.workdir,
            }

    # -- runtime control (Python API; the control API calls the same methods)
    def set_settings(self, **update):
        with self._lock:
            self.settings = validate_settings(update, self.settings)
            return dict(self.settings)

    def add_fault(self, route="*", **spec):
        """Add a fault (README.md), ``add_fault("users.create", status=429, retry_after=2)``; returns its id."""
        return self.add_faults([dict(spec, route=route)])[0]

    def add_faults(self, specs):
        return self._faults.add(specs)

    def faults(self):
        return self._faults.describe()

    def clear_faults(self, fault_id=None):
        return self._faults.clear(fault_id)

    def requests(self, service=None, route=None, method=None, since=None, region=None):
        """Copies of the request log, filtered (route: a glob over route names)."""
        return self._log.select(service=service, route=route, method=method, since=since, region=region)

    def counters(self):
        return self._log.counters()

    def reset_log(self):
        self._log.clear()

    def reset_users(self, addon_id=None):
        """Delete every user that the seed did not create (drops their roles)."""
        removed = []
        with self._lock:
            for addon in self.addons.values():
                if addon_id and addon.id != addon_id:
                    continue
                for user in list(addon.users.values()):
                    if user.seeded:
                        continue
                    if addon.pg is not None:
                        addon.pg.drop_user(user.name)
                    del addon.users[user.name]
                    removed.append({"addon_id": addon.id, "name": user.name})
        return removed

    def features(self, addon_id):
        with self._lock:
            return dict(self._addon_for_control(addon_id).features)

    def set_features(self, addon_id, changes):
        """Give features of an addon a status, or remove them (None); ValueError when publicly-available would be on
        without force-ssl ACTIVATED. Returns the features."""
        with self._lock:
            addon = self._addon_for_control(addon_id)
            addon.features = changed_features(addon.features, changes)
            return dict(addon.features)

    def _addon_for_control(self, addon_id):
        addon = self.addons.get(addon_id) if isinstance(addon_id, str) else None
        if addon is None:
            raise ValueError("unknown addon %r" % (addon_id,))
        return addon

    def reset(self, users=True, tokens=False):
        """Back to the seed: settings, features, faults, log and counters (and users, and issued tokens)."""
        with self._lock:
            removed = self.reset_users() if users else []
            self._reset_runtime()
            if tokens:
                self.tokens.issued = {}
            return {"removed_users": removed}

    # -- request handling
    def handle_request(self, service, method, raw_path, headers, body, client="", region=None):
        """Run one request through faults, the service and the log. Returns a Reply. ``region``: whose regional API
        or Database API received it."""
        started = time.time()
        split = urlsplit(raw_path)
        path = split.path or "/"
        if path.startswith("/_emulator"):
            return control.handle(self, method, path, parse_qs(split.query), body)
        if service == "control":
            return error(404, "not found: the control port only serves /_emulator/")
        request = Request(service, method, raw_path, path, split.query, headers, body, client,
                          self.tokens.classify(headers.get("Authorization")), started, region)
        fault = self._faults.pick(request)
        if fault is not None and fault.delay:
            self._stop_event.wait(fault.delay)
        if fault is not None and fault.action == "hold":
            self._faults.hold(fault)
        op_reply = None
        if fault is not None and fault.when == "before" and fault.replaces_answer:
            reply = fault.reply(self.settings["rate_limit_body"])
        else:
            try:
                op_reply = self._execute(request)
            except Exception as exc:  # pylint: disable=broad-except
                traceback.print_exc()
                op_reply = error(500, "internal emulator error: %s" % exc)
            reply = op_reply
            if fault is not None and fault.when == "after" and fault.replaces_answer:
                with self._lock:
                    reply = fault.reply(self.settings["rate_limit_body"])
        if fault is not None and fault.trickle:
            reply.trickle = fault.trickle
        self._log.record(request, reply, op_reply, fault)
        return reply

    def _execute(self, request):
        with self._lock:
            if request.service == "api":
                # Scalingo limits its regional APIs only
                limited = self._rate_limits[request.region].check(self.settings)
                if limited is not None:
                    return limited
            return services.HANDLERS[request.service](self, request)
