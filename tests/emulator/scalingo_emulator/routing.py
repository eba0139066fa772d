# -*- coding: utf-8 -*-
"""The services, their routes, and the route patterns that faults and log queries use."""

from __future__ import annotations

import fnmatch
import re
from urllib.parse import unquote

SERVICES = ("auth", "api", "db")
SERVICE_ALIASES = {
    "auth": "auth",
    "api": "api",
    "regional": "api",
    "db": "db",
    "dbapi": "db",
    "db-api": "db",
    "database": "db",
    "control": "control",
}

ROUTES = [
    ("auth", "POST", r"/v1/tokens/exchange", "auth.exchange"),
    ("auth", "GET", r"/v1/regions", "auth.regions"),
    ("auth", "GET", r"/v1/users/self", "auth.self"),
    ("api", "GET", r"/v1/apps", "api.apps"),
    ("api", "GET", r"/v1/apps/(?P<app>[^/]+)", "api.app"),
    ("api", "GET", r"/v1/apps/(?P<app>[^/]+)/addons", "api.addons"),
    ("api", "GET", r"/v1/apps/(?P<app>[^/]+)/addons/(?P<addon>[^/]+)", "api.addon"),
    ("api", "POST", r"/v1/apps/(?P<app>[^/]+)/addons/(?P<addon>[^/]+)/token", "api.addon_token"),
    ("db", "GET", r"/api/databases/(?P<db>[^/]+)", "db.database"),
    ("db", "GET", r"/api/databases/(?P<db>[^/]+)/users", "users.list"),
    ("db", "POST", r"/api/databases/(?P<db>[^/]+)/users", "users.create"),
    ("db", "PATCH", r"/api/databases/(?P<db>[^/]+)/users/(?P<user>[^/]+)", "users.update"),
    ("db", "DELETE", r"/api/databases/(?P<db>[^/]+)/users/(?P<user>[^/]+)", "users.delete"),
    ("db", "POST", r"/api/databases/(?P<db>[^/]+)/users/(?P<user>[^/]+)/reset_password", "users.reset"),
]
_COMPILED_ROUTES = [(s, m, re.compile("^" + p + "/?$"), n) for (s, m, p, n) in ROUTES]
USER_WRITE_ROUTES = ("users.create", "users.update", "users.delete", "users.reset")


def normalize_path(service, path):
    """Accept what clients send that Scalingo accepts too: a doubled /v1/v1/ (and /v1/api/ on the DB API), and a
    trailing slash."""
    while path.startswith("/v1/v1/"):
        path = path[3:]
    if service == "db" and path.startswith("/v1/api/"):
        path = path[3:]
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    return path


def match_route(service, method, path):
    """``(route name, params)``; ``("<service>.unknown", {})`` when no route matches."""
    for svc, meth, regex, name in _COMPILED_ROUTES:
        if svc != service:
            continue
        match = regex.match(path)
        if match and meth == method:
            return name, {k: unquote(v) for k, v in match.groupdict().items()}
    return "%s.unknown" % service, {}


def route_matches(pattern, service, method, path, route_name):
    """Route patterns: a route name glob (``users.create``, ``users.*``, ``*``) or
    ``service:METHOD:/path-glob`` where the path glob may match a suffix of the path
    (``db:POST:/users`` matches ``/api/databases/ad-x/users``)."""
    if pattern in (None, "", "*"):
        return True
    if ":" not in pattern:
        return fnmatch.fnmatchcase(route_name, pattern)
    parts = pattern.split(":", 2)
    svc = parts[0].strip().lower()
    meth = parts[1].strip().upper() if len(parts) > 1 else "*"
    pth = parts[2].strip() if len(parts) > 2 else "*"
    if svc not in ("", "*") and SERVICE_ALIASES.get(svc, svc) != service:
        return False
    if meth not in ("", "*") and meth != method:
        return False
    if pth in ("", "*"):
        return True
    if not pth.startswith("/") and not pth.startswith("*"):
        pth = "/" + pth
    return fnmatch.fnmatchcase(path, pth) or fnmatch.fnmatchcase(path, "*" + pth)


class Request(object):
    """One request to a service, routed: what the services answer and what the log records."""

    def __init__(self, service, method, raw_path, path, query, headers, body, client, auth, started, region=None):
        self.service = service
        self.region = region  # the region of the regional API or Database API that answers; None for auth
        self.method = method
        self.raw_path = raw_path
        self.path = normalize_path(service, path)
        self.query = query
        self.route, self.params = match_route(service, method, self.path)
        self.headers = headers
        self.body = body
        self.client = client
        self.auth = auth  # what the Authorization header carries (model.Tokens.classify)
        self.started = started
