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
from .model import ADDON_STATUSES, APP_STATUSES, TYPES, changed_features

DEFAULT_SEED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "seed.yml")

ROLES = ("owner", "collaborator", "limited")
# What a limited collaborator is refused: the addon token, or the writes to users.
LIMITED_BLOCKS = ("addon_token", "user_writes")


def _number(value, integer=False):
    return not isinstance(value, bool) and isinstance(value, int if integer else (int, float)) and value > 0


def _choice(*values):
    return (lambda value: isinstance(value, str) and value in values), "one of " + ", ".join(values)


BOOLEAN = (lambda value: isinstance(value, bool)), "true or false"
SECONDS = _number, "a positive number of seconds"
# Each setting: its default, and the check of a new value with what the value must be (their meaning: README.md,
# Settings).
SETTINGS = {
    "name_rule": ("hyphen", _choice(*rules.NAME_RULES)),
    "response_shape": ("bare", _choice("bare", "wrapped")),
    "rate_limit_body": ("json", _choice("json", "text")),
    "token_ttl": (3600, SECONDS),
    "addon_token_ttl": (3600, SECONDS),
    "create_returns_password": ("generated", _choice("generated", "always")),
    # UNKNOWN in the docs: does PATCH return the new password, and does it answer the user or nothing
    "patch_returns_password": (False, BOOLEAN),
    "patch_answer": ("user", _choice("user", "empty")),
    "list_includes_password": (False, BOOLEAN),
    "api_rate_limit": (None, ((lambda value: value is None or _number(value, integer=True)), "null or a positive integer")),
    "api_rate_window": (60, SECONDS),
    "accept_database_name_in_path": (False, BOOLEAN),
}
DEFAULT_SETTINGS = {key: default for key, (default, dummy) in SETTINGS.items()}


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
        raise EmulatorError("PyYAML is needed to read %s" % path)
    return yaml.safe_load(text) or {}


def validate_settings(update, base=None):
    """Check a settings update; return the merged settings (raises ValueError)."""
    merged = dict(base if base is not None else DEFAULT_SETTINGS)
    if not isinstance(update, dict):
        raise ValueError("settings must be a JSON object")
    for key, value in update.items():
        if key not in SETTINGS:
            raise ValueError("unknown setting %r (known: %s)" % (key, ", ".join(sorted(SETTINGS))))
        check, expected = SETTINGS[key][1]
        if not check(value):
            raise ValueError("setting %s must be %s" % (key, expected))
        merged[key] = value
    return merged


def _default_database_name(app_name, addon_id):
    base = re.sub(r"[^a-z0-9]+", "_", app_name.lower()).strip("_") or "app"
    digits = int(re.sub(r"[^0-9a-f]", "", addon_id.lower())[-6:] or "0", 16) % 10000
    return "%s_%04d" % (base[:40], digits)


def _normalize_api_tokens(tokens):
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
        tok["user"] = dict({"id": "us-" + str(uuid.uuid5(uuid.NAMESPACE_URL, tok["name"])), "username": "emu-" + tok["name"],
                            "email": "%s@example.test" % tok["name"], "fullname": "Emulator %s" % tok["name"]},
                           **(tok.get("user") or {}))
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
    if addon.get("type") not in TYPES:
        raise EmulatorError("addon %s: type must be one of %s" % (addon["id"], ", ".join(TYPES)))
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
