# -*- coding: utf-8 -*-
"""The services and their routes; a routed request, and the reply a service gives before the HTTP server writes it."""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from urllib.parse import unquote

SERVICES = ("auth", "api", "db")
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
        match = regex.match(path) if svc == service else None
        if match and meth == method:
            return name, {k: unquote(v) for k, v in match.groupdict().items()}
    return "%s.unknown" % service, {}


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


class Reply(object):
    """One HTTP answer (or a dropped connection). A dict or list body is sent as JSON."""

    def __init__(self, status=200, body=b"", content_type="application/json; charset=utf-8", headers=None, drop=None):
        self.status = status
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode("utf-8")
        elif isinstance(body, str):
            body = body.encode("utf-8")
        self.body = body or b""
        self.content_type = content_type
        self.headers = list(headers or [])
        self.drop = drop  # None, "close" (FIN, no answer) or "reset" (RST)
        self.trickle = 0.0  # seconds between two bytes of the body


def error(status, message):
    return Reply(status, {"error": message})


def not_found(resource):
    """The 404 of an unknown ``resource``: "app", "addon", "database" or "database_user"."""
    return Reply(404, {"resource": resource, "error": "not found"})


def status_phrase(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
