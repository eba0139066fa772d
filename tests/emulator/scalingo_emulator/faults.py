# -*- coding: utf-8 -*-
"""Faults (scripted failures, slow answers and meeting points for concurrent requests) and Scalingo's rate limit."""

from __future__ import annotations

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


def _number(spec, key, default, message):
    """A number of seconds from a fault spec (null or absent: ``default``)."""
    value = spec.get(key, default) or default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(message)
    return value


class Fault(object):
    """One fault rule: applies to the next ``count`` matching requests."""

    def __init__(self, fault_id, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault must be a JSON object")
        unknown = set(spec) - set(FAULT_KEYS)
        if unknown:
            raise ValueError("unknown fault keys: %s (known: %s)" % (", ".join(sorted(unknown)), ", ".join(FAULT_KEYS)))
        self.id = fault_id
        self.route = spec.get("route", "*")
        if not isinstance(self.route, str):
            raise ValueError("fault route must be a string")
        self.action = self._action(spec)
        self.status = spec.get("status")
        if self.action == "status":
            if isinstance(self.status, bool) or not isinstance(self.status, int) or not 100 <= self.status <= 599:
                raise ValueError("fault status must be an HTTP status code")
        self.retry_after = spec.get("retry_after")
        if self.retry_after is not None and not isinstance(self.retry_after, (int, float, str)):
            raise ValueError("fault retry_after must be a number of seconds or a string")
        self.body = spec.get("body")
        self.content_type = spec.get("content_type")
        self.when = spec.get("when", "before")
        if self.when not in ("before", "after"):
            raise ValueError("fault when must be 'before' or 'after'")
        delay = _number(spec, "delay", 0, "fault delay must be a number of seconds")
        if self.action == "delay" and delay <= 0:
            raise ValueError("a delay fault needs delay > 0")
        self.delay = float(delay)
        self.trickle = float(_number(spec, "trickle", 0, "fault trickle must be a number of seconds between bytes"))
        until = spec.get("until", 2)
        if isinstance(until, bool) or not isinstance(until, int) or until < 1:
            raise ValueError("fault until must be a positive integer")
        self.until = until
        self.held = 0
        count = spec.get("count", 1)
        if count is None or count == -1:
            self.remaining = None
        elif isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError("fault count must be a positive integer, or -1/null for unlimited")
        else:
            self.remaining = count
        self.count = count
        self.path_contains = spec.get("path_contains")
        self.hits = 0

    @staticmethod
    def _action(spec):
        action = spec.get("action")
        if action is None:
            if "status" in spec:
                action = "status"
            elif spec.get("delay"):
                action = "delay"
            else:
                raise ValueError("fault needs an action (%s) or a status" % ", ".join(FAULT_ACTIONS))
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
