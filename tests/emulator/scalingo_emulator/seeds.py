# -*- coding: utf-8 -*-
"""Generated seeds: accounts of many apps, for the inventory plugin's tests and ``make bench``.

    many_apps(300)                                   # 300 apps over the default seed's regions
    many_apps(50, types=("postgresql",), regions=("osc-fr1",), statuses=("running", "suspended"))

The same arguments give the same seed, ids included. Its PostgreSQL addons keep their users in memory
(``postgres: {mode: off}``): hundreds of addons start in about a second, without a PostgreSQL server.
"""

from __future__ import annotations

import uuid

from .config import DEFAULT_SEED, load_config

DATABASE_TYPES = ("postgresql", "mysql", "mongodb", "influxdb")
# A fixed namespace: the ids of a generated app depend on its name only.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://scalingo-emulator.invalid/generated-seeds")


def _stable_id(prefix, name):
    return "%s-%s" % (prefix, uuid.uuid5(_NAMESPACE, name))


def _app_types(turn, types, redis_every):
    """The addon types of an app, the ``turn``-th of its region (so that every region gets every type): one
    database type in turn; every third app a second one (when there are several types); every ``redis_every``-th
    app a Redis too (no database users)."""
    chosen = [types[turn % len(types)]]
    if len(types) > 1 and turn % 3 == 2:
        chosen.append(types[(turn + 1) % len(types)])
    if redis_every and turn % redis_every == redis_every - 1:
        chosen.append("redis")
    return chosen


def _regions(known, names):
    """The regions ``known`` (the default seed's, with their display names), or those named; the first one is the
    default."""
    if not names:
        return known
    by_name = {region["name"]: region for region in known}
    return [dict(by_name.get(name) or {"name": name}) for name in names]


def many_apps(count, types=DATABASE_TYPES, regions=None, statuses=("running",), redis_every=4, prefix="emu-gen"):
    """A seed (dict) of ``count`` apps named ``<prefix>-0001``..., spread in turn over ``regions`` (default: the
    default seed's), each with one or two database addons of ``types`` and, every ``redis_every`` apps, a Redis;
    the addons take ``statuses`` in turn. The API tokens are the default seed's."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError("count must be a number of apps, 0 or more")
    if not types:
        raise ValueError("types must name at least one addon type")
    if not statuses:
        raise ValueError("statuses must name at least one addon status")
    default_seed = load_config(DEFAULT_SEED)
    region_specs = _regions(default_seed.get("regions") or [], list(regions or []))
    apps = []
    addon_index = 0
    for index in range(count):
        name = "%s-%04d" % (prefix, index + 1)
        addons = []
        region, turn = region_specs[index % len(region_specs)]["name"], index // len(region_specs)
        for number, addon_type in enumerate(_app_types(turn, list(types), redis_every)):
            addon = {"id": _stable_id("ad", "%s/%d" % (name, number)), "type": addon_type,
                     "status": statuses[addon_index % len(statuses)]}
            if addon_type == "postgresql":
                addon["postgres"] = {"mode": "off"}
            addons.append(addon)
            addon_index += 1
        apps.append({"name": name, "id": _stable_id("ap", name), "region": region, "addons": addons})
    return {
        "region": region_specs[0]["name"],
        "regions": region_specs,
        "api_tokens": default_seed["api_tokens"],
        "apps": apps,
    }
