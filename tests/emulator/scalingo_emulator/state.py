# -*- coding: utf-8 -*-
"""What the state file and GET /_emulator/state hold (README.md): where every service listens, the tokens, the apps
and addons with their users, PostgreSQL and the settings."""

from __future__ import annotations

import os
from collections import OrderedDict


def _addon(emu, app, addon):
    return {
        "id": addon.id, "type": addon.type, "app": app.name, "app_id": app.id, "region": app.region,
        "status": addon.status, "plan": addon.plan,
        "database": addon.database, "manages_users": addon.manages_users,
        "protected_user": addon.protected_user if addon.manages_users else None,
        "hostname": addon.hostname, "features": dict(addon.features),
        "postgres": addon.pg.info() if addon.pg else None,
        "users": emu.users_json(addon),
    }


def describe(emu):
    """The state of a running emulator. Call it under the emulator's lock."""
    apps = []
    addons = OrderedDict()
    for app in emu.apps:
        app_addons = []
        for addon in app.addons:
            entry = _addon(emu, app, addon)
            app_addons.append(entry)
            addons[addon.id] = entry
        apps.append({"name": app.name, "id": app.id, "region": app.region, "status": app.status,
                     "owner": dict(app.owner), "members": app.members, "addons": app_addons})
    return {
        "ready": emu.ready,
        "pid": os.getpid(),
        "startup_seconds": emu.startup_seconds,
        "urls": emu.urls,
        "ports": emu.ports,
        "region": emu.config["region"],
        "regions": emu.region_names,
        # each region's regional API and Database API; urls["api"] and urls["db"] are the default region's
        "region_urls": {name: emu.region_urls(name) for name in emu.region_names},
        "env": emu.env(),
        "api_tokens": [{"name": t["name"], "token": t["token"], "role": t["role"], "limited_block": t["limited_block"]}
                       for t in emu.config["api_tokens"]],
        "apps": apps,
        "addons": addons,
        "postgres": emu.postgres_state,
        "settings": dict(emu.settings),
        "workdir": emu.workdir,
    }
