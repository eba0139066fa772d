# -*- coding: utf-8 -*-
"""What tests drive and read: faults (scripted failures, slow answers and meeting points for concurrent requests),
Scalingo's rate limit, and the request log with its per-route counters (where each credential went)."""

from __future__ import annotations

import copy
import fnmatch
import threading
import time
from collections import deque

from .routing import Reply, status_phrase

FAULT_ACTIONS = ("status", "drop", "reset", "delay", "hold")
FAULT_KEYS = ("route", "action", "status", "retry_after", "body", "content_type", "when", "delay", "count",
              "path_contains", "trickle", "until")
# A held request waits at most this long for the others of its group.
HOLD_TIMEOUT = 60.0


def _integer(value, low, high=None):
    return not isinstance(value, bool) and isinstance(value, int) and value >= low and (high is None or value <= high)


def _seconds(spec, key):
    """A number of seconds from a fault spec (null or absent: 0)."""
    value = spec.get(key) or 0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError("fault %s must be a number of seconds" % key)
    return float(value)


class Fault(object):
    """One fault rule: applies to the next ``count`` matching requests."""

    def __init__(self, fault_id, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault must be a JSON object")
        unknown = set(spec) - set(FAULT_KEYS)
        if unknown:
            raise ValueError("unknown fault keys: %s (known: %s)" % (", ".join(sorted(unknown)), ", ".join(FAULT_KEYS)))
        self.id, self.hits, self.held = fault_id, 0, 0
        self.route, self.action = spec.get("route", "*"), self._action(spec)
        self.status, self.retry_after = spec.get("status"), spec.get("retry_after")
        self.body, self.content_type = spec.get("body"), spec.get("content_type")
        self.when, self.path_contains = spec.get("when", "before"), spec.get("path_contains")
        self.delay, self.trickle = _seconds(spec, "delay"), _seconds(spec, "trickle")
        self.until, self.count = spec.get("until", 2), spec.get("count", 1)
        self.remaining = None if self.count in (None, -1) else self.count  # None: until cleared
        for valid, message in (
                (isinstance(self.route, str), "fault route must be a string"),
                (self.action != "status" or _integer(self.status, 100, 599), "fault status must be an HTTP status code"),
                (self.retry_after is None or isinstance(self.retry_after, (int, float, str)),
                 "fault retry_after must be a number of seconds or a string"),
                (self.when in ("before", "after"), "fault when must be 'before' or 'after'"),
                (self.action != "delay" or self.delay > 0, "a delay fault needs delay > 0"),
                (_integer(self.until, 1), "fault until must be a positive integer"),
                (self.remaining is None or _integer(self.count, 1), "fault count must be a positive integer, or -1/null for unlimited")):
            if not valid:
                raise ValueError(message)

    @staticmethod
    def _action(spec):
        action = spec.get("action")
        if action is None:
            if "status" not in spec:
                raise ValueError("fault needs an action (%s) or a status" % ", ".join(FAULT_ACTIONS))
            action = "status"
        if action not in FAULT_ACTIONS:
            raise ValueError("fault action must be one of %s" % ", ".join(FAULT_ACTIONS))
        return action

    @property
    def replaces_answer(self):
        """Does the fault answer in place of the operation (or after it)? "delay" and "hold" only make it wait."""
        return self.action not in ("delay", "hold")

    def matches(self, request):
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.path_contains and self.path_contains not in request.path:
            return False
        return fnmatch.fnmatchcase(request.route, self.route)

    def consume(self):
        self.hits += 1
        if self.remaining is not None:
            self.remaining -= 1

    def reply(self, rate_limit_body):
        """The answer of a fault that answers: a dropped connection, or its status with its body or a default one."""
        if self.action in ("drop", "reset"):
            return Reply(drop="reset" if self.action == "reset" else "close")
        status = self.status
        headers = []
        if self.retry_after is not None:
            headers.append(("Retry-After", str(self.retry_after)))
        if self.body is not None:
            if isinstance(self.body, (dict, list)):
                return Reply(status, self.body, content_type=self.content_type or "application/json; charset=utf-8", headers=headers)
            return Reply(status, str(self.body), content_type=self.content_type or "text/plain; charset=utf-8", headers=headers)
        if status == 429:
            return rate_limited_reply(rate_limit_body, headers)
        if status in (502, 503, 504):
            phrase = "%d %s" % (status, status_phrase(status))
            html = "<html><head><title>%s</title></head><body><h1>%s</h1></body></html>\n" % (phrase, phrase)
            return Reply(status, html, content_type="text/html; charset=utf-8", headers=headers)
        if status == 404:
            return Reply(status, {"error": "not found"}, headers=headers)
        return Reply(status, {"error": status_phrase(status)}, headers=headers)

    def to_dict(self):
        described = {key: getattr(self, key) for key in FAULT_KEYS}
        described.update(id=self.id, remaining=self.remaining, hits=self.hits, held=self.held)
        return described


def rate_limited_reply(rate_limit_body, headers):
    """A 429, with the body of the ``rate_limit_body`` setting."""
    if rate_limit_body == "text":
        return Reply(429, "Retry later", content_type="text/plain; charset=utf-8", headers=headers)
    return Reply(429, {"error": "Too Many Requests"}, headers=headers)


class Faults(object):
    """The faults in force, oldest first (the oldest that matches wins). ``lock``: the emulator's lock;
    ``stop_event``: set when the emulator stops, which frees the held requests."""

    def __init__(self, lock, stop_event):
        self._lock = lock
        self._stop_event = stop_event
        self._held = threading.Condition()
        self._faults = []
        self._seq = 0

    def reset(self):
        with self._lock:
            self._faults = []
            self._seq = 0

    def add(self, specs):
        """Add faults (each a dict, see README.md); returns their ids. Nothing is added if one is invalid."""
        with self._lock:
            faults = []
            for spec in specs:
                self._seq += 1
                faults.append(Fault(self._seq, spec))
            self._faults.extend(faults)
            return [f.id for f in faults]

    def describe(self):
        with self._lock:
            return [f.to_dict() for f in self._faults]

    def clear(self, fault_id=None):
        with self._lock:
            before = len(self._faults)
            if fault_id is None:
                self._faults = []
            else:
                self._faults = [f for f in self._faults if f.id != int(fault_id)]
            return before - len(self._faults)

    def pick(self, request):
        """The fault that takes this request (a routing.Request), and counts it; or None."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(request):
                    fault.consume()
                    return fault
            return None

    def hold(self, fault):
        """Hold a request until ``fault.until`` requests of the fault are held together (or HOLD_TIMEOUT), so that
        requests from concurrent clients meet, whatever the order and the pace at which they arrive."""
        with self._held:
            fault.held += 1
            self._held.notify_all()
            deadline = time.time() + HOLD_TIMEOUT
            while fault.held < fault.until and not self._stop_event.is_set():
                left = deadline - time.time()
                if left <= 0:
                    break
                self._held.wait(min(left, 0.5))


class RateLimit(object):
    """Scalingo's limit on one regional API: ``api_rate_limit`` requests per sliding ``api_rate_window`` seconds,
    then 429. The requests refused do not count."""

    def __init__(self):
        self._window = deque()

    def reset(self):
        self._window = deque()

    def check(self, settings):
        """None when the request may go on, else the 429 to answer. Call it under the emulator's lock."""
        limit = settings["api_rate_limit"]
        if not limit:
            return None
        now = time.time()
        while self._window and self._window[0] <= now - settings["api_rate_window"]:
            self._window.popleft()
        if len(self._window) >= limit:
            return rate_limited_reply(settings["rate_limit_body"], [])
        self._window.append(now)
        return None


MAX_LOGGED_BODY = 65536
MAX_LOG_ENTRIES = 20000
# What a log entry copies from the request, and from what its Authorization header carries (README.md, Control API)
REQUEST_FIELDS = ("client", "service", "region", "method", "path", "raw_path", "query", "route")
AUTH_FIELDS = ("auth_scheme", "token_kind", "token_name", "token_addon_id", "basic_user")


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
            entry = {"seq": self._seq, "time": request.started,
                     "duration_ms": round((time.time() - request.started) * 1000.0, 2)}
            entry.update((key, getattr(request, key)) for key in REQUEST_FIELDS)
            entry.update((key, auth[key]) for key in AUTH_FIELDS)
            entry.update({
                "params": dict(request.params),
                "status": status,
                "dropped": reply.drop,
                "applied": op_reply is not None,
                "operation_status": op_reply.status if op_reply is not None else None,
                "fault": fault.id if fault is not None else None,
                "fault_action": fault.action if fault is not None else None,
                "request_headers": [[k, v] for k, v in request.headers.items()],
                "request_body": _as_text(request.body),
                "response_headers": [[k, v] for k, v in reply.headers] + ([] if reply.drop else [["Content-Type", reply.content_type]]),
                "response_body": "" if reply.drop else _as_text(reply.body),
            })
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
