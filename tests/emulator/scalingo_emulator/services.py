# -*- coding: utf-8 -*-
"""The three services, each a function of the emulator and a routed request that returns a Reply:

* the auth service: the token exchange (API token -> bearer), the regions, and the user behind a bearer;
* the regional API of one region: its apps, their addons, and the token of an addon's database (bearer from the auth
  service). An app of another region is unknown there, as on Scalingo where each region has an API of its own;
* the Database API of one region: an addon's database and its users, with that addon's token. The users of postgresql
  addons are real roles when the PostgreSQL backend is on (addon.pg).
"""

from __future__ import annotations

import json

from . import rules
from .model import User
from .routing import Reply, error, not_found

USER_WRITE_ROUTES = ("users.create", "users.update", "users.delete", "users.reset")


def auth(emu, request):
    auth_info, tokens = request.auth, emu.tokens
    if request.route == "auth.exchange":
        if auth_info["auth_scheme"] != "basic" or not auth_info["secret"]:
            return Reply(401, {"error": "basic authentication with the API token as password is required"},
                         headers=[("WWW-Authenticate", 'Basic realm="scalingo"')])
        api = tokens.by_token.get(auth_info["secret"])
        if api is None or auth_info["basic_user"]:
            return error(401, "invalid credentials")
        return Reply(200, {"token": tokens.issue("auth", api, emu.settings["token_ttl"])})
    if request.route == "auth.unknown":
        return error(404, "not found")
    record, denied = tokens.check_bearer(auth_info, "auth")
    if denied:
        return error(401, denied)
    if request.route == "auth.self":
        return Reply(200, {"user": dict(tokens.by_name[record["api_token"]]["user"])})
    regions = []
    for region in emu.config["regions"]:
        urls = emu.region_urls(region["name"])
        regions.append({
            "name": region["name"],
            "display_name": region.get("display_name", region["name"]),
            "api": urls["api"],
            "database_api": urls["db"],
            "dashboard": "http://%s:%d/dashboard/%s" % (emu.host, emu.ports.get("control", 0), region["name"]),
            "ssh": "ssh.%s.scalingo.invalid:22" % region["name"],
            "default": region["name"] == emu.config["region"],
        })
    return Reply(200, {"regions": regions})


def regional(emu, request):
    if request.route == "api.unknown":
        return error(404, "not found")
    tokens = emu.tokens
    record, denied = tokens.check_bearer(request.auth, "auth")
    if denied:
        return error(401, denied)
    api = tokens.by_name[record["api_token"]]
    # the apps of this region that the API token's owner sees
    apps = [app for app in emu.apps if app.region == request.region and app.visible_to(api["name"])]
    if request.route == "api.apps":
        return Reply(200, {"apps": [a.to_json() for a in apps]})
    app = next((app for app in apps if request.params["app"] in (app.name, app.id)), None)
    if app is None:
        return not_found("app")
    if request.route == "api.app":
        return Reply(200, {"app": app.to_json()})
    if request.route == "api.addons":
        return Reply(200, {"addons": [a.to_json() for a in app.addons]})
    addon = next((a for a in app.addons if a.id == request.params["addon"]), None)
    if addon is None:
        return not_found("addon")
    if request.route == "api.addon":
        return Reply(200, {"addon": addon.to_json()})
    if api["role"] == "limited" and api["limited_block"] == "addon_token":
        return error(403, "limited collaborators are not allowed to access the database of this app")
    body = addon.to_json()
    body["token"] = tokens.issue("addon", api, emu.settings["addon_token_ttl"], addon_id=addon.id)
    return Reply(200, {"addon": body})


def database(emu, request):
    if request.route == "db.unknown":
        return error(404, "not found")
    settings, tokens = emu.settings, emu.tokens
    record, denied = tokens.check_bearer(request.auth, "addon")
    if denied:
        return error(401, denied)
    addon = _find_addon(emu, request.params["db"], request.region)
    if addon is None:
        return not_found("database")
    if record["addon_id"] != addon.id:
        return error(401, "token is not valid for this database")
    if request.route == "db.database":
        return Reply(200, {"database": addon.database_json()})
    if not addon.manages_users:
        return error(400, "database type %s does not support user management" % addon.type)
    api = tokens.by_name[record["api_token"]]
    if request.route in USER_WRITE_ROUTES and api["role"] == "limited" and api["limited_block"] == "user_writes":
        return error(403, "limited collaborators are not allowed to manage database users")
    if request.route == "users.list":
        encryptions = addon.password_encryptions(list(addon.users))
        users = [addon.user_json(u, encryptions) for u in addon.users.values()]
        if settings["list_includes_password"]:
            users = [dict(shown, password=u.password) for shown, u in zip(users, addon.users.values())]
        return Reply(200, {"database-users": users})
    if request.route == "users.create":
        return _create_user(emu, addon, request.body)
    # the 404 of an unknown user comes first, then the protected user's refusal, then the body's validation
    user = addon.users.get(request.params["user"])
    if user is None:
        return not_found("database_user")
    if user.protected:
        return error(403, "user is protected")
    if request.route == "users.delete":
        if addon.pg is not None:
            addon.pg.drop_user(user.name)
        del addon.users[user.name]
        return Reply(204)
    if request.route == "users.reset":
        password = emu.generate_password()
        _set_password(addon, user, password)
        return Reply(200, _user_body(emu, addon, user, password))
    fields, problem = _database_user_fields(request.body)
    if problem is not None:
        return problem
    password = fields.get("password")
    errors = rules.password_errors(password, fields.get("password_confirmation"), required=True)
    if errors:
        return Reply(422, {"errors": errors})
    _set_password(addon, user, password)
    if settings["patch_answer"] == "empty":
        return Reply(200)
    return Reply(200, _user_body(emu, addon, user, password if settings["patch_returns_password"] else None))


HANDLERS = {"auth": auth, "api": regional, "db": database}


def _find_addon(emu, key, region):
    """The addon of id ``key`` (or of that database name, by setting), if it is of this Database API's region."""
    addon = emu.addons.get(key)
    if addon is None and emu.settings["accept_database_name_in_path"]:
        addon = next((a for a in emu.addons.values() if a.database == key), None)
    return addon if addon is not None and addon.app.region == region else None


def _user_body(emu, addon, user, password=None):
    """The answer of create, PATCH or reset: the user (with ``password`` when shown), bare or wrapped in
    ``{"database_user": ...}`` (setting response_shape)."""
    body = addon.user_json(user)
    if password is not None:
        body["password"] = password
    return {"database_user": body} if emu.settings["response_shape"] == "wrapped" else body


def _database_user_fields(body):
    """``(the database_user object of the body, None)``, or ``(None, the 400 to answer)``."""
    try:
        parsed = json.loads(body.decode("utf-8")) if body and body.strip() else None
    except (ValueError, UnicodeDecodeError):
        return None, error(400, "invalid JSON body")
    if not isinstance(parsed, dict) or not isinstance(parsed.get("database_user"), dict):
        return None, error(400, "param is missing or the value is empty: database_user")
    return parsed["database_user"], None


def _set_password(addon, user, password):
    if addon.pg is not None:
        addon.pg.set_password(user.name, password)
    # like PostgreSQL, a new password is hashed with the server's method (the PostgreSQL server's own when on)
    user.password, user.password_encryption = password, "SCRAM-SHA-256"


def _create_user(emu, addon, body):
    fields, problem = _database_user_fields(body)
    if problem is not None:
        return problem
    errors = {}
    name = fields.get("name")
    name_errors = rules.name_errors(name, emu.settings["name_rule"], addon.type)
    if not name_errors and (name in addon.users or (addon.pg is not None and addon.pg.role_exists(name))):
        name_errors = [rules.TAKEN]
    if not name_errors and addon.pg is not None and rules.postgres_reserves(name):
        name_errors = [rules.RESERVED]
    if name_errors:
        errors["name"] = name_errors
    read_only, read_only_errors = rules.read_only_value(fields.get("read_only"))
    errors.update(read_only_errors)
    password, confirmation = fields.get("password"), fields.get("password_confirmation")
    generated = rules.server_generates_password(password, confirmation)
    if generated:
        password = emu.generate_password()
    else:
        errors.update(rules.password_errors(password, confirmation))
    if errors:
        return Reply(422, {"errors": errors})
    if addon.pg is not None:
        addon.pg.create_user(name, password, read_only)
    user = User(name, read_only=read_only, password=password)
    addon.users[name] = user
    show = generated or emu.settings["create_returns_password"] == "always"
    return Reply(201, _user_body(emu, addon, user, password if show else None))
