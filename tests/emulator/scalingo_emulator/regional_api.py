# -*- coding: utf-8 -*-
"""The regional API: apps, their addons, and the token of an addon's database (bearer from the auth service)."""

from __future__ import annotations

from .replies import error, json_reply, not_found


class RegionalApi(object):

    def __init__(self, emulator):
        self.emu = emulator

    def _find_app(self, key, record):
        """The app named or numbered ``key``, if the token's owner is one of its members."""
        for app in self.emu.apps:
            if key in (app.name, app.id):
                if app.members and record["api_token"] not in app.members:
                    return None
                return app
        return None

    def handle(self, request):
        if request.route == "api.unknown":
            return error(404, "not found")
        tokens = self.emu.tokens
        record, denied = tokens.check_bearer(request.auth, "auth")
        if denied:
            return error(401, denied)
        api = tokens.by_name[record["api_token"]]
        if request.route == "api.apps":
            return json_reply(200, {"apps": [a.to_json() for a in self.emu.apps if not a.members or api["name"] in a.members]})
        app = self._find_app(request.params["app"], record)
        if app is None:
            return not_found("app")
        if request.route == "api.app":
            return json_reply(200, {"app": app.to_json()})
        if request.route == "api.addons":
            return json_reply(200, {"addons": [a.to_json() for a in app.addons]})
        addon = None
        for candidate in app.addons:
            if candidate.id == request.params["addon"]:
                addon = candidate
        if addon is None:
            return not_found("addon")
        if request.route == "api.addon":
            return json_reply(200, {"addon": addon.to_json()})
        # api.addon_token
        if api["role"] == "limited" and api["limited_block"] == "addon_token":
            return error(403, "limited collaborators are not allowed to access the database of this app")
        body = addon.to_json()
        body["token"] = tokens.issue("addon", api, self.emu.settings["addon_token_ttl"], addon_id=addon.id)
        return json_reply(200, {"addon": body})
