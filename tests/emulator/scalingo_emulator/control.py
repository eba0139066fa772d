# -*- coding: utf-8 -*-
"""The control API, /_emulator/...: JSON in, JSON out, no authentication. It calls the Emulator's own methods."""

from __future__ import annotations

import json

from .replies import error, json_reply


class ControlApi(object):

    def __init__(self, emulator):
        self.emu = emulator

    def handle(self, method, path, query, body):
        parts = [p for p in path.split("/") if p][1:]
        name = parts[0] if parts else ""
        try:
            payload = json.loads(body.decode("utf-8")) if body and body.strip() else {}
        except (ValueError, UnicodeDecodeError):
            return error(400, "invalid JSON body")
        try:
            reply = self._dispatch(method, name, parts, query, payload)
        except (ValueError, TypeError) as exc:
            return error(400, str(exc))
        return reply or error(404, "unknown control endpoint %s %s" % (method, path))

    def _dispatch(self, method, name, parts, query, payload):
        """The answer of a known endpoint, or None."""
        emu = self.emu

        def first(key):
            values = query.get(key)
            return values[0] if values else None

        if name in ("health", "ready") and method == "GET":
            return json_reply(200, {"ready": emu.ready})
        if name == "state" and method == "GET":
            return json_reply(200, emu.state())
        if name == "log" and method == "GET":
            since = first("since")
            return json_reply(200, {"requests": emu.requests(service=first("service"), route=first("route"),
                                                             method=first("method"), since=int(since) if since else None,
                                                             region=first("region"))})
        if name == "reset-log" and method == "POST":
            emu.reset_log()
            return json_reply(200, {"ok": True})
        if name == "counters" and method == "GET":
            return json_reply(200, {"routes": emu.counters()})
        if name == "faults":
            return self._faults(method, parts, payload)
        if name == "settings":
            if method == "GET":
                return json_reply(200, {"settings": dict(emu.settings)})
            if method in ("POST", "PATCH"):
                return json_reply(200, {"settings": emu.set_settings(**payload)})
        if name == "expire-tokens" and method == "POST":
            return json_reply(200, {"expired": emu.expire_tokens(payload.get("kind", "all"), payload.get("addon_id"))})
        if name == "reset-users" and method == "POST":
            return json_reply(200, {"removed": emu.reset_users(payload.get("addon_id"))})
        if name == "features":
            return self._features(method, first("addon_id"), payload)
        if name == "reset" and method == "POST":
            return json_reply(200, emu.reset(users=payload.get("users", True), tokens=payload.get("tokens", False)))
        return None

    def _features(self, method, addon_id, payload):
        emu = self.emu
        if method == "GET":
            return json_reply(200, {"features": emu.features(addon_id)})
        if method == "POST":
            if not isinstance(payload, dict) or set(payload) != {"addon_id", "features"}:
                raise ValueError('expected {"addon_id": ID, "features": {"force-ssl": "ACTIVATED", '
                                 '"publicly-available": null}}')
            return json_reply(200, {"features": emu.set_features(payload["addon_id"], payload["features"])})
        return None

    def _faults(self, method, parts, payload):
        emu = self.emu
        if method == "GET":
            return json_reply(200, {"faults": emu.faults()})
        if method == "POST":
            specs = payload.get("faults") if isinstance(payload, dict) and "faults" in payload else payload
            if isinstance(specs, dict):
                specs = [specs]
            if not isinstance(specs, list):
                return error(400, "expected a fault object, a list, or {\"faults\": [...]}")
            ids = emu.add_faults(specs)
            return json_reply(201, {"ids": ids, "faults": emu.faults()})
        if method == "DELETE":
            return json_reply(200, {"cleared": emu.clear_faults(parts[1] if len(parts) > 1 else None)})
        return None
