# -*- coding: utf-8 -*-
"""The control API, /_emulator/...: JSON in, JSON out, no authentication. It calls the Emulator's own methods."""

from __future__ import annotations

import json

from .routing import Reply, error


def handle(emu, method, path, query, body):
    parts = [p for p in path.split("/") if p][1:]
    name = parts[0] if parts else ""
    try:
        payload = json.loads(body.decode("utf-8")) if body and body.strip() else {}
    except (ValueError, UnicodeDecodeError):
        return error(400, "invalid JSON body")
    try:
        reply = _dispatch(emu, method, name, parts, query, payload)
    except (ValueError, TypeError, AttributeError) as exc:
        return error(400, str(exc))
    return reply or error(404, "unknown control endpoint %s %s" % (method, path))


def _dispatch(emu, method, name, parts, query, payload):
    """The answer of a known endpoint, or None."""
    first = {key: values[0] for key, values in query.items() if values}
    if method == "GET":
        if name == "health":
            return Reply(200, {"ready": emu.ready})
        if name == "state":
            return Reply(200, emu.state())
        if name == "log":
            since = first.get("since")
            return Reply(200, {"requests": emu.requests(service=first.get("service"), route=first.get("route"),
                                                        method=first.get("method"), since=int(since) if since else None,
                                                        region=first.get("region"))})
        if name == "counters":
            return Reply(200, {"routes": emu.counters()})
        if name == "faults":
            return Reply(200, {"faults": emu.faults()})
        if name == "settings":
            return Reply(200, {"settings": dict(emu.settings)})
        if name == "features":
            return Reply(200, {"features": emu.features(first.get("addon_id"))})
    if method == "DELETE" and name == "faults":
        return Reply(200, {"cleared": emu.clear_faults(parts[1] if len(parts) > 1 else None)})
    if method != "POST":
        return None
    if name == "settings":
        return Reply(200, {"settings": emu.set_settings(**payload)})
    if name == "faults":
        specs = payload.get("faults") if isinstance(payload, dict) and "faults" in payload else payload
        specs = [specs] if isinstance(specs, dict) else specs
        if not isinstance(specs, list):
            return error(400, "expected a fault object, a list, or {\"faults\": [...]}")
        return Reply(201, {"ids": emu.add_faults(specs), "faults": emu.faults()})
    if name == "features":
        if not isinstance(payload, dict) or set(payload) != {"addon_id", "features"}:
            raise ValueError('expected {"addon_id": ID, "features": {"force-ssl": "ACTIVATED", "publicly-available": null}}')
        return Reply(200, {"features": emu.set_features(payload["addon_id"], payload["features"])})
    if name == "reset-log":
        emu.reset_log()
        return Reply(200, {"ok": True})
    if name == "reset":
        return Reply(200, emu.reset(users=payload.get("users", True), tokens=payload.get("tokens", False)))
    return None
