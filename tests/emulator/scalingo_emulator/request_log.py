# -*- coding: utf-8 -*-
"""The request log and the per-route counters: what the tests read to check where each credential went."""

from __future__ import annotations

import copy
import fnmatch
import time
from collections import deque

MAX_LOGGED_BODY = 65536
MAX_LOG_ENTRIES = 20000


def _as_text(data):
    if isinstance(data, bytes):
        return data[:MAX_LOGGED_BODY].decode("utf-8", errors="replace")
    return "" if data is None else str(data)[:MAX_LOGGED_BODY]


class RequestLog(object):
    """The last MAX_LOG_ENTRIES requests, and a counter per route. ``lock``: the emulator's lock."""

    def __init__(self, lock):
        self._lock = lock
        self._entries = deque(maxlen=MAX_LOG_ENTRIES)
        self._seq = 0
        self._counters = {}

    def reset(self):
        """Empty, numbering from 1 again."""
        with self._lock:
            self.clear()
            self._seq = 0

    def clear(self):
        """Empty the log and the counters (the numbering goes on)."""
        with self._lock:
            self._entries.clear()
            self._counters = {}

    def record(self, request, reply, op_reply, fault):
        """Log one request (a routing.Request): the answer sent, and the operation's when it ran."""
        status = None if reply.drop else reply.status
        auth = request.auth
        with self._lock:
            self._seq += 1
            entry = {
                "seq": self._seq,
                "time": request.started,
                "duration_ms": round((time.time() - request.started) * 1000.0, 2),
                "client": request.client,
                "service": request.service,
                "region": request.region,
                "method": request.method,
                "path": request.path,
                "raw_path": request.raw_path,
                "query": request.query,
                "route": request.route,
                "params": dict(request.params),
                "status": status,
                "dropped": reply.drop,
                "applied": op_reply is not None,
                "operation_status": op_reply.status if op_reply is not None else None,
                "fault": fault.id if fault is not None else None,
                "fault_action": fault.action if fault is not None else None,
                "auth_scheme": auth["auth_scheme"],
                "token_kind": auth["token_kind"],
                "token_name": auth["token_name"],
                "token_addon_id": auth["token_addon_id"],
                "basic_user": auth["basic_user"],
                "request_headers": [[k, v] for k, v in request.headers.items()],
                "request_body": _as_text(request.body),
                "response_headers": [[k, v] for k, v in reply.headers] + ([] if reply.drop else [["Content-Type", reply.content_type]]),
                "response_body": "" if reply.drop else _as_text(reply.body),
            }
            self._entries.append(entry)
            counter = self._counters.setdefault(request.route, {"count": 0, "statuses": {}, "service": request.service})
            counter["count"] += 1
            key = "dropped" if reply.drop else str(status)
            counter["statuses"][key] = counter["statuses"].get(key, 0) + 1

    def select(self, service=None, route=None, method=None, since=None, region=None):
        """Copies of the entries, filtered (route: a glob over route names, as faults take it; region: the regional
        APIs' and Database APIs' of that region)."""
        with self._lock:
            entries = list(self._entries)
        out = []
        for entry in entries:
            if service and entry["service"] != service:
                continue
            if region and entry["region"] != region:
                continue
            if method and entry["method"] != method.upper():
                continue
            if route and not fnmatch.fnmatchcase(entry["route"], route):
                continue
            if since is not None and entry["seq"] <= since:
                continue
            out.append(copy.deepcopy(entry))
        return out

    def counters(self):
        with self._lock:
            return copy.deepcopy(self._counters)
