# -*- coding: utf-8 -*-
"""What the emulator holds: apps, addons, database users, API tokens and the tokens it issues."""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
import uuid
import zlib
from collections import OrderedDict

from . import rules

# Each addon type: its provider's name, and the (plausible, fixed) version GET /api/databases/{id} reports.
TYPES = {
    "postgresql": ("PostgreSQL", "16.6.0"),
    "mysql": ("MySQL", "8.0.40"),
    "mongodb": ("MongoDB", "7.0.16"),
    "influxdb": ("InfluxDB", "1.8.10"),
    "redis": ("Redis", "7.2.7"),
    "elasticsearch": ("Elasticsearch", "7.10.2"),
    "opensearch": ("OpenSearch", "2.17.1"),
}
# The statuses Scalingo's clients know (scalingo.js): an addon's, and an app's.
ADDON_STATUSES = ("running", "provisioning", "suspended")
APP_STATUSES = ("new", "stopped", "running", "crashed", "restarting", "scaling", "booting")
FEATURE_STATUSES = ("ACTIVATED", "PENDING_TO_ACTIVATE", "PENDING_TO_REMOVE")
_FEATURE_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# go-scalingo's MaintenanceWindow: every Tuesday, 03:00 UTC, for 8 hours
MAINTENANCE_WINDOW = {"weekday_utc": 2, "starting_hour_utc": 3, "duration_in_hour": 8}


def iso(timestamp):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(timestamp))


def changed_features(features, changes):
    """``features`` ({name: status}) with ``changes`` applied ({name: status, or None to remove it}), checked against
    Scalingo's rule that publicly-available requires force-ssl. Raises ValueError."""
    if not isinstance(changes, dict):
        raise ValueError("features must be an object of feature names to a status, or to null to remove one")
    result = dict(features)
    for name, status in changes.items():
        if not isinstance(name, str) or not _FEATURE_NAME.match(name):
            raise ValueError("feature name %r: lowercase letters, digits and single hyphens only" % (name,))
        if status is None:
            result.pop(name, None)
        elif status in FEATURE_STATUSES:
            result[name] = status
        else:
            raise ValueError("feature %s: status %r is not one of %s (or null to remove it)"
                             % (name, status, ", ".join(FEATURE_STATUSES)))
    public = result.get("publicly-available")
    if public in ("ACTIVATED", "PENDING_TO_ACTIVATE") and result.get("force-ssl") != "ACTIVATED":
        raise ValueError("publicly-available (%s) requires force-ssl ACTIVATED, and force-ssl would be %s"
                         % (public, result.get("force-ssl") or "absent"))
    return result


class User(object):
    def __init__(self, name, read_only=False, protected=False, password=None, seeded=False, password_encryption="SCRAM-SHA-256"):
        self.name = name
        self.read_only = bool(read_only)
        self.protected = bool(protected)
        self.password = password
        self.seeded = seeded
        self.password_encryption = password_encryption


class Addon(object):
    def __init__(self, app, spec):
        self.app = app
        self.id = spec["id"]
        self.type = spec["type"]
        self.plan = spec.get("plan") or "%s-starter-512" % self.type
        self.database = spec["database"]
        self.protected_user = spec.get("protected_user") or self.database
        self.seed_users = list(spec.get("users") or [])
        self.status = spec.get("status") or "running"
        # a postgresql addon the seed keeps in memory (postgres: {mode: off}) even when the backend is on
        self.in_memory = (spec.get("postgres") or {}).get("mode") == "off"
        self.users = OrderedDict()
        self.pg = None  # PgCluster for postgresql addons when the PostgreSQL backend is on
        self.provisioned_at = time.time()
        # checked by config.normalize_config; reset() brings them back
        self.seed_features = dict(spec.get("features") or {})
        self.features = dict(self.seed_features)
        self.seed_hostname = spec.get("hostname")  # "host:port" GET /api/databases/{id} gives, in place of the default

    @property
    def address(self):
        """``(host, port)`` where the database listens: the real PostgreSQL server when there is one (a client can
        connect there), else a Scalingo-like name with a port stable for the addon."""
        if self.pg is not None:
            return self.pg.host, self.pg.port
        if self.seed_hostname:
            host, dummy, port = self.seed_hostname.rpartition(":")
            return host, int(port)
        host = "%s.%s.a.%s.scalingo-dbs.com" % (self.database.replace("_", "-").lower(), self.type, self.app.region)
        return host, 30000 + zlib.crc32(self.id.encode("utf-8")) % 10000

    @property
    def hostname(self):
        """What the Database API calls hostname: "FQDN and port of the database", one string."""
        return "%s:%d" % self.address

    @property
    def manages_users(self):
        return self.type in rules.USER_MANAGED_TYPES

    def password_encryptions(self, names):
        """{name: "SCRAM-SHA-256" | "MD5" | None} as PostgreSQL stores them; {} without a PostgreSQL server."""
        if self.pg is None or not names:
            return {}
        return self.pg.password_encryptions(names)

    def user_json(self, user, encryptions=None):
        """A user as the Database API shows it (never its password); only PostgreSQL fills dbms_attributes.
        ``encryptions``: from ``password_encryptions``, to read them for a whole list at once."""
        data = {"name": user.name, "read_only": user.read_only, "protected": user.protected}
        if self.type == "postgresql":
            if encryptions is None:
                encryptions = self.password_encryptions([user.name])
            enc = encryptions.get(user.name) if self.pg is not None else user.password_encryption
            data["dbms_attributes"] = {"password_encryption": enc or user.password_encryption}
        return data

    def database_json(self):
        """The database as GET /api/databases/{id} shows it (go-scalingo's Database): one node, no cluster."""
        host, port = self.address
        return {
            "id": self.id,
            "resource_id": self.database,
            "app_name": self.app.name,
            "created_at": iso(self.provisioned_at),
            "plan": self.plan,
            "status": "running",
            "type_name": self.type,
            "readable_version": TYPES[self.type][1],
            "hostname": self.hostname,
            "instances": [{
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "%s/instances/0" % self.id)),
                "hostname": host, "port": port, "status": "running", "type": "db-node",
            }],
            "features": [{"name": name, "status": status} for name, status in self.features.items()],
            "cluster": False,
            "encryption_at_rest": True,
            "maintenance_window": dict(MAINTENANCE_WINDOW),
        }

    def to_json(self):
        plan_display = self.plan.split("-", 1)[-1].replace("-", " ").title()
        provider = TYPES[self.type][0]
        return {
            "id": self.id,
            "app_id": self.app.id,
            "resource_id": self.database,
            "status": self.status,
            "provisioned_at": iso(self.provisioned_at),
            "deprovisioned_at": None,
            "plan": {
                "id": "pl-" + str(uuid.uuid5(uuid.NAMESPACE_URL, self.plan)),
                "name": self.plan,
                "display_name": plan_display,
                "price": 0.0,
                "description": "%s plan emulated locally" % provider,
                "position": 1,
                "on_demand": False,
                "disabled": False,
            },
            "addon_provider": {
                "id": self.type,
                "name": provider,
                "logo_url": "",
            },
        }


class App(object):
    """An app of the seed. ``owner``: the user of its owner's API token (id, username, email)."""

    def __init__(self, spec, default_region, owner):
        self.name = spec["name"]
        self.id = spec.get("id") or "ap-" + str(uuid.uuid4())
        self.region = spec.get("region") or default_region
        self.members = spec.get("members")
        self.status = spec.get("status") or "running"
        self.owner = {"id": owner["id"], "username": owner["username"], "email": owner["email"]}
        self.created_at = time.time()
        self.addons = [Addon(self, a) for a in spec.get("addons") or []]

    def visible_to(self, token_name):
        """Does the API token named so see the app (an app with members is seen by its members only)?"""
        return not self.members or token_name in self.members

    def to_json(self):
        return {
            "id": self.id,
            "name": self.name,
            "region": self.region,
            "created_at": iso(self.created_at),
            "status": self.status,
            "owner": dict(self.owner),
            "url": "https://%s.%s.scalingo.io" % (self.name, self.region),
        }


def _jwt_like(payload):
    """A token shaped like a JWT (header.payload.signature); the signature is random."""
    parts = [json.dumps(part, separators=(",", ":")).encode() for part in ({"alg": "HS512", "typ": "JWT"}, payload)]
    return ".".join(base64.urlsafe_b64encode(part).rstrip(b"=").decode("ascii") for part in parts + [secrets.token_bytes(32)])


class Tokens(object):
    """The seeded API tokens, and the tokens issued from them: "auth" (the exchange's bearer) and "addon" (a
    database token). ``lock``: the emulator's lock, which guards all of its state."""

    def __init__(self, api_tokens, lock, fixed=()):
        self.by_token = OrderedDict((t["token"], t) for t in api_tokens)
        self.by_name = OrderedDict((t["name"], t) for t in api_tokens)
        self.issued = {}
        self._lock = lock
        # the seed's issued_tokens: what issue() gives for a kind (and addon), valid from the start
        self.fixed = {(t["kind"], t.get("addon_id")): t["token"] for t in fixed}
        for t in fixed:
            self.issue(t["kind"], self.by_name[t["api_token"]], 10 * 365 * 86400, t.get("addon_id"))

    def issue(self, kind, api_token, ttl, addon_id=None):
        now = time.time()
        payload = {"iss": "scalingo-emulator", "sub": api_token["user"]["id"], "kind": kind,
                   "iat": int(now), "exp": int(now + ttl), "jti": str(uuid.uuid4())}
        if addon_id:
            payload["addon_id"] = addon_id
        token = self.fixed.get((kind, addon_id)) or _jwt_like(payload)
        with self._lock:
            self.issued[token] = {"kind": kind, "api_token": api_token["name"], "addon_id": addon_id,
                                  "issued_at": now, "expires_at": now + ttl}
        return token

    def check_bearer(self, auth, kind):
        """``(record, None)`` when the request carries a live token of ``kind``, else ``(None, message)``."""
        if auth["auth_scheme"] != "bearer" or not auth["secret"]:
            return None, "no bearer token provided"
        with self._lock:
            record = self.issued.get(auth["secret"])
        if record is None or record["kind"] != kind:
            return None, "invalid token"
        if record["expires_at"] <= time.time():
            return None, "token expired"
        return record, None

    def classify(self, header):
        """What an Authorization header carries: its scheme, the secret, and which token that is (for the log)."""
        info = dict.fromkeys(("auth_scheme", "token_kind", "token_name", "token_addon_id", "basic_user", "secret"))
        if not header:
            return info
        scheme, dummy, value = header.strip().partition(" ")
        scheme, value = scheme.lower(), value.strip()
        info["auth_scheme"] = scheme if scheme in ("basic", "bearer") else "other"
        if scheme == "basic":
            try:
                info["basic_user"], dummy, info["secret"] = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                pass
        else:
            info["secret"] = value if scheme == "bearer" else (value or scheme)
        with self._lock:
            api, issued = self.by_token.get(info["secret"]), self.issued.get(info["secret"])
        info["token_kind"] = "unknown"
        if api is not None:
            info.update(token_kind="api_token", token_name=api["name"])
        elif issued is not None:
            info.update(token_kind=issued["kind"] + "_token", token_name=issued["api_token"], token_addon_id=issued.get("addon_id"))
        return info
