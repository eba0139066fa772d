# -*- coding: utf-8 -*-
"""The auth service: the token exchange (API token → bearer), the regions, and the user behind a bearer."""

from __future__ import annotations

from .replies import error, json_reply


class AuthApi(object):

    def __init__(self, emulator):
        self.emu = emulator

    def handle(self, request):
        auth, settings, tokens = request.auth, self.emu.settings, self.emu.tokens
        if request.route == "auth.exchange":
            if auth["auth_scheme"] != "basic" or not auth["secret"]:
                return json_reply(401, {"error": "basic authentication with the API token as password is required"},
                                  headers=[("WWW-Authenticate", 'Basic realm="scalingo"')])
            if settings["strict_basic_user"] and auth["basic_user"]:
                return error(401, "invalid credentials")
            api = tokens.by_token.get(auth["secret"])
            if api is None:
                return error(401, "invalid credentials")
            return json_reply(200, {"token": tokens.issue("auth", api, settings["token_ttl"])})
        if request.route in ("auth.regions", "auth.self"):
            record, denied = tokens.check_bearer(auth, "auth")
            if denied:
                return error(401, denied)
            if request.route == "auth.self":
                return json_reply(200, {"user": dict(tokens.by_name[record["api_token"]]["user"])})
            return json_reply(200, {"regions": self._regions()})
        return error(404, "not found")

    def _regions(self):
        """Each region with the URLs of its own regional API and Database API."""
        emu = self.emu
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
        return regions
