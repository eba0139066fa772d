# -*- coding: utf-8 -*-
"""Settings (the switches), their defaults and checks; seeds: loading and normalisation."""

from __future__ import annotations

import copy
import json
import os
import re
import secrets
import uuid

from . import rules
from .model import ADDON_STATUSES, APP_STATUSES, PROVIDER_NAMES, changed_features

DEFAULT_SEED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "seed.yml")

ROLES = ("owner", "collaborator", "limited")
# What a limited collaborator is refused: the addon token, or the writes to users.
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
    # does PATCH return the new password; what it answers: "user" (the user object) or "empty" (200, no body)
    "patch_returns_password": False,
    "patch_answer": "user",
    # the list wrongly includes each user's password (a misbehaviour the modules must not pass on)
    "list_includes_password": False,
    # key of the list answer
    "list_key": rules.LIST_KEY,
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
    "name_rule": rules.NAME_RULES,
    "response_shape": rules.RESPONSE_SHAPES,
    "rate_limit_body": ("json", "text"),
    "create_returns_password": ("generated", "always"),
    "other_dbms_attributes": ("absent", "empty"),
    "patch_answer": ("user", "empty"),
}
BOOL_SETTINGS = ("patch_returns_password", "strict_basic_user", "accept_database_name_in_path", "list_includes_password")


class EmulatorError(Exception):
    """Raised when the emulator cannot be configured or started."""


class PostgresUnavailable(EmulatorError):
    """The PostgreSQL backend was asked for (not ``auto``'s fallback to memory) and is missing or cannot start."""


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


def _default_database_name(app_name, addon_id):
    base = re.sub(r"[^a-z0-9]+", "_", app_name.lower()).strip("_") or "app"
    digits = int(re.sub(r"[^0-9a-f]", "", addon_id.lower())[-6:] or "0", 16) % 10000
    return "%s_%04d" % (base[:40], digits)


def _normalize_api_tokens(tokens):
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
    return out_tokens


def postgres_mode(value):
    """A PostgreSQL mode as a seed gives it: YAML reads a bare ``off`` as false."""
    return "off" if value is False else value


def _check_status(what, status, known):
    if status is not None and status not in known:
        raise EmulatorError("%s: status must be one of %s" % (what, ", ".join(known)))


def _normalize_addon(app, addon, addon_ids):
    addon.setdefault("id", "ad-" + str(uuid.uuid4()))
    if addon["id"] in addon_ids:
        raise EmulatorError("duplicate addon id %s" % addon["id"])
    addon_ids.add(addon["id"])
    if addon.get("type") not in PROVIDER_NAMES:
        raise EmulatorError("addon %s: type must be one of %s" % (addon["id"], ", ".join(PROVIDER_NAMES)))
    _check_status("addon %s" % addon["id"], addon.get("status"), ADDON_STATUSES)
    addon.setdefault("database", _default_database_name(app["name"], addon["id"]))
    # postgres: {mode: off} (or off, false): this addon's users in memory, whatever the backend
    postgres = addon.get("postgres")
    mode = postgres_mode(postgres.get("mode") if isinstance(postgres, dict) else postgres)
    if mode not in (None, "off"):
        raise EmulatorError("addon %s: postgres can only be {mode: off}" % addon["id"])
    addon["postgres"] = {"mode": mode} if mode else {}
    try:
        addon["features"] = changed_features({}, addon.get("features") or {})
    except ValueError as exc:
        raise EmulatorError("addon %s: %s" % (addon["id"], exc))


def _default_owner(app, tokens):
    """The API token that owns an app: the first of its members with the owner role, else its first member, else the
    seed's first owner token."""
    members = app.get("members") or []
    owners = [t["name"] for t in tokens if t["role"] == "owner"]
    return ([m for m in members if m in owners] + members + owners + [tokens[0]["name"]])[0]


def _normalize_apps(apps, region_names, default_region, tokens):
    addon_ids = set()
    app_keys = set()
    for app in apps:
        if not app.get("name"):
            raise EmulatorError("every app needs a name")
        for key in (app["name"], app.get("id")):
            if key and key in app_keys:
                raise EmulatorError("duplicate app %s" % key)
            app_keys.add(key)
        app["region"] = app.get("region") or default_region
        if app["region"] not in region_names:
            raise EmulatorError("app %s: region %s is not among the seed's regions (%s)"
                                % (app["name"], app["region"], ", ".join(region_names)))
        _check_status("app %s" % app["name"], app.get("status"), APP_STATUSES)
        app["owner"] = app.get("owner") or _default_owner(app, tokens)
        if app["owner"] not in [t["name"] for t in tokens]:
            raise EmulatorError("app %s: owner %s is not an API token of the seed" % (app["name"], app["owner"]))
        for addon in app.get("addons") or []:
            _normalize_addon(app, addon, addon_ids)
    return apps


def normalize_config(raw):
    """Validate a seed and fill in defaults. Returns a new dict."""
    cfg = copy.deepcopy(raw or {})
    regions = cfg.get("regions") or [{"name": "osc-fr1"}, {"name": "osc-secnum-fr1"}]
    regions = [r if isinstance(r, dict) else {"name": r} for r in regions]
    cfg["regions"] = regions
    names = [r.get("name") for r in regions]
    if not all(names) or len(set(names)) != len(names):
        raise EmulatorError("every region needs a name of its own")
    cfg["region"] = cfg.get("region") or names[0]
    if cfg["region"] not in names:
        raise EmulatorError("region %s is not among the seed's regions (%s)" % (cfg["region"], ", ".join(names)))
    cfg["settings"] = validate_settings(cfg.get("settings") or {})
    cfg["postgres"] = dict(cfg.get("postgres") or {})
    if "mode" in cfg["postgres"]:
        cfg["postgres"]["mode"] = postgres_mode(cfg["postgres"]["mode"])
    cfg["api_tokens"] = _normalize_api_tokens(cfg.get("api_tokens") or [])
    cfg["apps"] = _normalize_apps(cfg.get("apps") or [], names, cfg["region"], cfg["api_tokens"])
    # tokens the emulator issues with a fixed value, valid from the start: [{kind: auth | addon, token, addon_id}]
    cfg["issued_tokens"] = [dict(t, api_token=t.get("api_token") or cfg["api_tokens"][0]["name"])
                            for t in cfg.get("issued_tokens") or []]
    return cfg
