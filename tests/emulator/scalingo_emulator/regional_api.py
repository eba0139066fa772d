# -*- coding: utf-8 -*-
"""The regional API of one region: its apps, their addons, and the token of an addon's database (bearer from the
auth service). An app of another region is unknown here, as on Scalingo where each region has an API of its own."""

from __future__ import annotations

from .replies import error, json_reply, not_found


class RegionalApi(object):

    def __init__(self, emulator):
        self.emu = emulator

    def _apps(self, region, token_name):
        """The apps of ``region`` that the API token named so sees."""
        return [app for app in self.emu.apps if app.region == region and app.visible_to(token_name)]

    def _find_app(self, key, region, token_name):
        """The app named or numbered ``key``, if it is of this region and the token's owner sees it."""
        for app in self._apps(region, token_name):
            if key in (app.name, app.id):
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
            return json_reply(200, {"apps": [a.to_json() for a in self._apps(request.region, api["name"])]})
        app = self._find_app(request.params["app"], request.region, api["name"])
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
