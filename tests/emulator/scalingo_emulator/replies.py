# -*- coding: utf-8 -*-
"""The answers the emulator's services give, before the HTTP server writes them."""

from __future__ import annotations

import json
from http import HTTPStatus

from . import rules


class Reply(object):
    """One HTTP answer (or a dropped connection)."""

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


def json_reply(status, obj, headers=None):
    return Reply(status, obj, headers=headers)


def error(status, message, **extra):
    body = {"error": message}
    body.update(extra)
    return json_reply(status, body)


def not_found(resource):
    return json_reply(404, rules.not_found(resource))


def unprocessable(errors):
    return json_reply(422, {"errors": errors})


def status_phrase(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
