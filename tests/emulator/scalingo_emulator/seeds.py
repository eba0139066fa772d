# -*- coding: utf-8 -*-
"""Generated seeds: accounts of many apps, for the inventory plugin's tests and ``make bench`` (``--seed-apps N``).

The same count gives the same seed, ids included. Its PostgreSQL addons keep their users in memory
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


def _app_types(turn):
    """The addon types of an app, the ``turn``-th of its region (so that every region gets every type): one
    database type in turn; every third app a second one; every fourth app a Redis too (no database users)."""
    chosen = [DATABASE_TYPES[turn % len(DATABASE_TYPES)]]
    if turn % 3 == 2:
        chosen.append(DATABASE_TYPES[(turn + 1) % len(DATABASE_TYPES)])
    if turn % 4 == 3:
        chosen.append("redis")
    return chosen


def many_apps(count):
    """A seed (dict) of ``count`` apps named ``emu-gen-0001``..., spread in turn over the default seed's regions,
    each with one or two database addons and, every fourth app of a region, a Redis; all running. The API tokens
    are the default seed's."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError("count must be a number of apps, 0 or more")
    default_seed = load_config(DEFAULT_SEED)
    regions = default_seed["regions"]
    apps = []
    for index in range(count):
        name = "emu-gen-%04d" % (index + 1)
        addons = [dict({"id": _stable_id("ad", "%s/%d" % (name, number)), "type": addon_type},
                       **({"postgres": {"mode": "off"}} if addon_type == "postgresql" else {}))
                  for number, addon_type in enumerate(_app_types(index // len(regions)))]
        apps.append({"name": name, "id": _stable_id("ap", name), "region": regions[index % len(regions)]["name"],
                     "addons": addons})
    return {"region": default_seed["region"], "regions": regions, "api_tokens": default_seed["api_tokens"], "apps": apps}
