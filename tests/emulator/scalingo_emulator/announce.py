# -*- coding: utf-8 -*-
"""What ``--print-env`` prints once the emulator is ready (``make emulator``): the variables to export in another
shell, the other apps and addons of the seed, and how to reach the PostgreSQL of the first PostgreSQL addon.

Built from the emulator's state (``Emulator.state()``), so that it follows any seed. Standard library only.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys

# The variables the modules read, in the order they are printed.
CONNECTION_VARIABLES = ("SCALINGO_API_TOKEN", "SCALINGO_AUTH_URL", "SCALINGO_API_URL", "SCALINGO_DB_API_URL",
                        "SCALINGO_REGION")
# Variables that send plain-HTTP requests through a proxy, unless NO_PROXY names the host.
PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def export(name, value):
    return "export %s=%s" % (name, shlex.quote(value))


def main_addon(state):
    """``(app, addon)`` the printed SCALINGO_APP and SCALINGO_ADDON name: the first PostgreSQL addon with a real
    server, else the first addon with database users; None without any."""
    candidates = [(app, addon) for app in state["apps"] for addon in app["addons"] if addon["manages_users"]]
    for app, addon in candidates:
        if addon["postgres"]:
            return app, addon
    return candidates[0] if candidates else None


def collections_path():
    """The directory to put in ANSIBLE_COLLECTIONS_PATH when this emulator belongs to a collection laid out as
    .../ansible_collections/scalingo/cloud (tests/emulator/scalingo_emulator in it), else None."""
    collection = os.path.dirname(os.path.dirname(os.path.dirname(PACKAGE_DIR)))
    if collection.split(os.sep)[-3:] != ["ansible_collections", "scalingo", "cloud"]:
        return None
    return os.path.dirname(os.path.dirname(os.path.dirname(collection)))


def ansible_lines():
    """``[(export line, what it gives another shell)]``: this Python's ansible-playbook, this checkout's collection."""
    lines = []
    bin_dir = os.path.dirname(os.path.abspath(sys.executable))
    if os.access(os.path.join(bin_dir, "ansible-playbook"), os.X_OK):
        lines.append(("export PATH=%s:\"$PATH\"" % shlex.quote(bin_dir), "PATH", "ansible-playbook (with requests)"))
    found = collections_path()
    if found:
        lines.append((export("ANSIBLE_COLLECTIONS_PATH", found), "ANSIBLE_COLLECTIONS_PATH", "scalingo.cloud"))
    return lines


def proxy_lines(environ):
    """NO_PROXY for 127.0.0.1 when a proxy variable would otherwise take the requests to the emulator."""
    if not any(environ.get(name) for name in PROXY_VARIABLES):
        return []
    lines = []
    for name in ("NO_PROXY", "no_proxy"):
        kept = [entry for entry in (environ.get(name) or "").split(",") if entry.strip()]
        lines.append(export(name, ",".join(["127.0.0.1", "localhost"] + kept)))
    return lines


def region_lines(state):
    """What to export instead to reach the apps of the other regions, one line per region that has apps."""
    regions = [region for region in state["regions"] if region != state["region"]
               and any(app["region"] == region for app in state["apps"])]
    return ["  Apps of %s: export SCALINGO_REGION=%s SCALINGO_API_URL=%s SCALINGO_DB_API_URL=%s" % (
        region, region, state["region_urls"][region]["api"], state["region_urls"][region]["db"]) for region in regions]


def addon_rows(state, chosen):
    """One line per other addon with database users: app, id, type, where a real PostgreSQL listens, its status
    unless running, and its region unless the exported one."""
    rows = []
    for app in state["apps"]:
        for addon in app["addons"]:
            if not addon["manages_users"] or addon is chosen:
                continue
            pg = addon["postgres"]
            rows.append((app["name"], addon["id"], addon["type"],
                         ("real PostgreSQL on %s:%s" % (pg["host"], pg["port"]) if pg else "users kept in memory")
                         + ("" if addon["status"] == "running" else ", %s" % addon["status"])
                         + ("" if app["region"] == state["region"] else ", in %s" % app["region"])))
    widths = [max([len(row[i]) for row in rows] or [0]) for i in range(3)]
    return ["  %s  %s  %s  %s" % (row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].ljust(widths[2]), row[3])
            for row in rows]


def postgres_lines(app, pg, postgres):
    uri = "postgresql://%s:%s@%s:%s/%s?sslmode=disable" % (pg["owner"], pg["owner_password"], pg["host"], pg["port"],
                                                           pg["dbname"])
    bundled = os.path.join(postgres.get("bin_dir") or "", "psql")
    psql = "psql" if shutil.which("psql") or not os.access(bundled, os.X_OK) else bundled
    return [
        "PostgreSQL of %s: host %s, port %s, database %s, protected user %s." % (
            app["name"], pg["host"], pg["port"], pg["dbname"], pg["owner"]),
        "Its password is shown because this PostgreSQL is local and throwaway, removed on Ctrl-C (no TLS: sslmode=disable):",
        "  %s %s" % (shlex.quote(psql), shlex.quote(uri)),
    ]


def describe(state, environ=None):
    """The text ``--print-env`` prints, as a list of lines."""
    environ = os.environ if environ is None else environ
    postgres = state["postgres"]
    found = main_addon(state)
    backend = ("a real PostgreSQL %s server for each PostgreSQL addon." % postgres.get("version") if postgres.get("enabled")
               else "PostgreSQL users kept in memory (%s)." % postgres.get("reason"))
    lines = [
        "",
        "A local Scalingo is running: its auth, API and database API on 127.0.0.1 (plain HTTP), and",
        backend,
        "Its tokens and passwords are fake: they open only this emulator.",
        "",
        "Paste these lines in another shell, then run your playbooks there:",
        "",
    ]
    lines += [export(name, state["env"][name]) for name in CONNECTION_VARIABLES]
    if found:
        lines += [export("SCALINGO_APP", found[0]["name"]), export("SCALINGO_ADDON", found[1]["id"])]
    lines += proxy_lines(environ)
    ansible = ansible_lines()
    lines += [entry[0] for entry in ansible] + [""]
    if ansible:
        several = len(ansible) > 1
        lines += ["%s give%s that shell this checkout's %s:" % (" and ".join(entry[1] for entry in ansible),
                                                                "" if several else "s",
                                                                " and ".join(entry[2] for entry in ansible)),
                  "leave %s out to use your own, with requests on the Python that runs the modules." % (
                      "them" if several else "it")]
    lines += [
        "Nothing else is needed: validate_certs only matters over HTTPS, and on implicit localhost the modules run on",
        "ansible-playbook's own Python (an inventory that lists localhost needs ansible_python_interpreter for that).",
        "",
        "Other apps and addons to try (SCALINGO_APP, SCALINGO_ADDON):",
    ]
    lines += addon_rows(state, found[1] if found else None) + region_lines(state)
    lines += ["  Addons without database users, other API tokens, faults to inject: tests/emulator/README.md", ""]
    if found and found[1]["postgres"]:
        lines += postgres_lines(found[0], found[1]["postgres"], postgres) + [""]
    lines.append("Ctrl-C (or kill %s) stops the emulator and PostgreSQL, and removes %s." % (state["pid"], state["workdir"]))
    return lines
