# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the unit-level fake Scalingo (fake_scalingo) scripts and records: scripted replies, writes applied before
a failure or late, trickled bodies, and each request as a ``Call``."""

import json
import time

from urllib.parse import urlsplit

MISSING = object()


class Reply:
    """A scripted answer: a status with a JSON body, a text body or no body, and headers."""

    def __init__(self, status, json=MISSING, text=None, headers=None):  # pylint: disable=redefined-outer-name
        self.status = status
        self.json = json
        self.text = text
        self.headers = dict(headers or {})

    def __repr__(self):
        return 'Reply(%s)' % self.status


class AfterApplying:
    """A scripted failure that comes after the fake really applied the request: the answer is lost."""

    def __init__(self, failure):
        self.failure = failure

    def __repr__(self):
        return 'AfterApplying(%r)' % (self.failure,)


class Late:
    """A scripted failure after which the fake applies the request late, as a write the server finishes after the
    client gave up waiting: when the ``after``-th request from then on arrives."""

    def __init__(self, failure, after=1):
        self.failure = failure
        self.after = after

    def __repr__(self):
        return 'Late(%r)' % (self.failure,)


class Race:
    """A scripted failure of a request the fake does not apply, at whose arrival another run changes the users:
    ``change(fake)``, as a task that was rate-limited or refused its token would meet it once it sends again."""

    def __init__(self, failure, change):
        self.failure = failure
        self.change = change

    def __repr__(self):
        return 'Race(%r)' % (self.failure,)


class Trickle:
    """A scripted answer whose body arrives one byte every ``interval`` seconds, in real time."""

    def __init__(self, reply, interval):
        self.reply = reply
        self.interval = interval


class TrickledBody:
    """A raw body for requests that yields one byte at a time, slowly."""

    def __init__(self, content, interval):
        self._content = content
        self._interval = interval

    def read(self, amount=None, **kwargs):
        if not self._content:
            return b''
        time.sleep(self._interval)
        byte, self._content = self._content[:1], self._content[1:]
        return byte

    def close(self):
        pass


class Call:
    """One request as the fake received it."""

    def __init__(self, request, service, route, timeout, verify):
        self.method = request.method
        self.url = request.url
        self.service = service
        self.route = route
        self.headers = dict(request.headers)
        body = request.body
        if isinstance(body, bytes):
            body = body.decode('utf-8')
        self.raw_body = body
        try:
            self.body = json.loads(body) if body else None
        except ValueError:
            self.body = body
        self.timeout = timeout
        self.verify = verify
        self.status = None

    @property
    def host(self):
        return urlsplit(self.url).hostname

    def text(self):
        """Everything this request carried, as one string to scan."""
        return '\n'.join([self.method, self.url, json.dumps(self.headers, sort_keys=True), self.raw_body or ''])

    def __repr__(self):
        return '<%s %s -> %s>' % (self.method, self.url, self.status)
