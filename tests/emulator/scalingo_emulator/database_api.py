# -*- coding: utf-8 -*-
"""The Database API of one region: an addon's database and its users, with an addon token. Scalingo's rules are in rules.py; the
users of postgresql addons are real roles when the PostgreSQL backend is on (addon.pg)."""

from __future__ import annotations

import json

from . import rules
from .model import User
from .replies import Reply, error, json_reply, not_found, unprocessable
from .routing import USER_WRITE_ROUTES


def _database_user_fields(body):
    """``(fields, None)``, or ``(None, the 400 to answer)``."""
    try:
        parsed = json.loads(body.decode("utf-8")) if body and body.strip() else None
    except (ValueError, UnicodeDecodeError):
        return None, error(400, "invalid JSON body")
    fields = rules.database_user_fields(parsed)
    if fields is None:
        return None, error(400, rules.MISSING_DATABASE_USER)
    return fields, None


class DatabaseApi(object):

    def __init__(self, emulator):
        self.emu = emulator

    def _find_addon(self, key, region):
        """The addon of id ``key`` (or of that database name, by setting), if it is of this Database API's region."""
        addon = self.emu.addons.get(key)
        if addon is None and self.emu.settings["accept_database_name_in_path"]:
            for candidate in self.emu.addons.values():
                if candidate.database == key:
                    addon = candidate
        return addon if addon is not None and addon.app.region == region else None

    def _user_body(self, addon, user, password=None):
        settings = self.emu.settings
        return rules.user_body(addon.user_json(user, settings["other_dbms_attributes"]), password,
                               settings["response_shape"])

    def handle(self, request):
        if request.route == "db.unknown":
            return error(404, "not found")
        settings, tokens = self.emu.settings, self.emu.tokens
        record, denied = tokens.check_bearer(request.auth, "addon")
        if denied:
            return error(401, denied)
        addon = self._find_addon(request.params["db"], request.region)
        if addon is None:
            return not_found("database")
        if record["addon_id"] != addon.id:
            return error(settings["wrong_addon_token_status"], "token is not valid for this database")
        if request.route == "db.database":
            return json_reply(200, {"database": addon.database_json()})
        if not addon.manages_users:
            return error(settings["unsupported_type_status"], rules.unsupported_type_message(addon.type))
        api = tokens.by_name[record["api_token"]]
        if request.route in USER_WRITE_ROUTES and api["role"] == "limited" and api["limited_block"] == "user_writes":
            return error(403, "limited collaborators are not allowed to manage database users")
        if request.route == "users.list":
            encryptions = addon.password_encryptions(list(addon.users))
            users = [addon.user_json(u, settings["other_dbms_attributes"], encryptions) for u in addon.users.values()]
            if settings["list_includes_password"]:
                users = [dict(shown, password=u.password) for shown, u in zip(users, addon.users.values())]
            return json_reply(200, rules.list_body(users, settings["list_key"]))
        if request.route == "users.create":
            return self._create_user(addon, request.body)
        user = addon.users.get(request.params["user"])
        if user is None:
            return not_found("database_user")
        if user.protected:
            return json_reply(*rules.protected_refusal())
        if request.route == "users.delete":
            if addon.pg is not None:
                addon.pg.drop_user(user.name)
            del addon.users[user.name]
            return Reply(204)
        if request.route == "users.reset":
            password = self.emu.generate_password()
            self._set_password(addon, user, password)
            return json_reply(200, self._user_body(addon, user, password))
        return self._update_user(addon, user, request.body)

    @staticmethod
    def _set_password(addon, user, password):
        if addon.pg is not None:
            addon.pg.set_password(user.name, password)
        # like PostgreSQL, a new password is hashed with the server's method (the PostgreSQL server's own when on)
        user.password, user.password_encryption = password, "SCRAM-SHA-256"

    def _update_user(self, addon, user, body):
        fields, problem = _database_user_fields(body)
        if problem is not None:
            return problem
        password = fields.get("password")
        errors = rules.password_change_errors(password, fields.get("password_confirmation"))
        if errors:
            return unprocessable(errors)
        self._set_password(addon, user, password)
        if self.emu.settings["patch_answer"] == "empty":
            return Reply(200)
        return json_reply(200, self._user_body(addon, user, password if self.emu.settings["patch_returns_password"] else None))

    def _create_user(self, addon, body):
        fields, problem = _database_user_fields(body)
        if problem is not None:
            return problem
        errors = {}
        name = fields.get("name")
        name_errors = rules.name_errors(name, self.emu.settings["name_rule"], addon.type)
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
            password = self.emu.generate_password()
        else:
            errors.update(rules.password_errors(password, confirmation))
        if errors:
            return unprocessable(errors)
        if addon.pg is not None:
            addon.pg.create_user(name, password, read_only)
        user = User(name, read_only=read_only, password=password)
        addon.users[name] = user
        show = generated or self.emu.settings["create_returns_password"] == "always"
        return json_reply(201, self._user_body(addon, user, password if show else None))
