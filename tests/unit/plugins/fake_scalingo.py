# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""An in-memory Scalingo for unit tests, faked at the transport: the emulator's own services, in process.

``FakeScalingo`` is a ``requests`` transport adapter: the code under test builds and sends real ``requests``
requests, and the emulator of the integration tests (tests/emulator/scalingo_emulator) answers each of them with its
auth service, regional API and Database API, in process, without its servers and with its users in memory. The adapter
adds test scripting only: which service and region a URL reaches, the record of every request (so that tests can
count calls, check where each credential went and scan everything for secrets), and scripted failures.

Failures are scripted per route with ``script(route, *replies)``: each matching request takes the next ``Reply`` (or
raises the next exception) before the emulator answers again.

The fake account's ids and secrets live here too; what the unit tests share besides is in unit_support.py.
"""

import base64
import collections
import copy
import http.client
import json
import time

from urllib.parse import urlsplit

import requests

from requests.adapters import BaseAdapter
from urllib3.exceptions import ProtocolError
from requests.structures import CaseInsensitiveDict

from ansible_collections.scalingo.cloud.tests.emulator.scalingo_emulator.emulator import Emulator
from ansible_collections.scalingo.cloud.tests.emulator.scalingo_emulator.model import User
from ansible_collections.scalingo.cloud.tests.emulator.scalingo_emulator.routing import match_route, normalize_path

MISSING = object()


class Reply:
    """A scripted answer: a status with a JSON body, a text body or no body, and headers."""

    def __init__(self, status, json=MISSING, text=None, headers=None):  # pylint: disable=redefined-outer-name
        self.status = status
        self.json = json
        self.text = text
        self.headers = dict(headers or {})


class AfterApplying:
    """A scripted failure that comes after the fake really applied the request: the answer is lost."""

    def __init__(self, failure):
        self.failure = failure


class Late:
    """A scripted failure after which the fake applies the request late, as a write the server finishes after the
    client gave up waiting: when the ``after``-th request from then on arrives."""

    def __init__(self, failure, after=1):
        self.failure = failure
        self.after = after


class Race:
    """A scripted failure of a request the fake does not apply, at whose arrival another run changes the users:
    ``change(fake)``, as a task that was rate-limited or refused its token would meet it once it sends again."""

    def __init__(self, failure, change):
        self.failure = failure
        self.change = change


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


# Long, unique secrets: easy to scan for, and never a substring of anything else.
API_TOKEN = 'tk-us-unit-Qm7vX2pL9sT4wB8nK3hR6yD1fJ5gZ0cA'
OTHER_API_TOKEN = 'tk-us-unit-Wrong0x9Hq2Lr5Mz8Pv3Nt6Kb1Jd4Fs7Gc'
BEARER = 'bearer-unit-eyJ8kT3mQ6wZ1xR9pL4vN7sB2dH5gF0jC'
DB_TOKEN = 'dbtoken-unit-eyJ2nV5cX8zA1qW4eR7tY0uI3oP6lK9m'
OTHER_DB_TOKEN = 'dbtoken-unit-eyJ7hG4fD1sA8pO5iU2yT9rE6wQ3zXc'
PASSWORD = 'pw-unit-Nq4Ve8Rk2Ty6Ui0Op3As7Df1Gh5Jk9Lz'      # 40 characters
PASSWORD2 = 'pw-unit-Zx1Cv5Bn9Mq3We7Rt2Yu6Io0Pa4Sd8Fg'     # 40 characters

# How the transport fails, as requests raises it: no answer in time, a connection lost once the request was sent, and
# a connection that could not be made (nothing sent).
TIMEOUT = requests.exceptions.ReadTimeout('HTTPSConnectionPool: Read timed out. (read timeout=30)')
DROPPED = requests.exceptions.ConnectionError(ProtocolError(
    'Connection aborted.', http.client.RemoteDisconnected('Remote end closed connection without response')))
REFUSED = requests.exceptions.ConnectionError(
    "HTTPSConnectionPool(host='db-api.osc-fr1.scalingo.com', port=443): Max retries exceeded (Caused by "
    "NewConnectionError('<urllib3.connection.HTTPSConnection object>: Failed to establish a new connection: "
    "[Errno 111] Connection refused'))")

APP = 'my-app'
APP_ID = 'ap-5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9'
ADDON_ID = 'ad-0c4f8e2a-5b7d-4e19-a3c6-9d1e2f3a4b5c'
OTHER_ADDON_ID = 'ad-7e1d9c3b-2a4f-4d6e-8b0a-1c2d3e4f5a6b'
MYSQL_ADDON_ID = '5c599fd6f18b3202f7ab4e66'          # an old-style id: 24 hexadecimal characters
PROTECTED_USER = 'my-app-4321'
# Where the database listens, as GET /api/databases/{id} says.
PG_HOST = 'my-app-4321.postgresql.a.osc-fr1.scalingo-dbs.com'
PG_PORT = 30000

SECRETS = (API_TOKEN, BEARER, DB_TOKEN, PASSWORD, PASSWORD2)


def api_url(region):
    return 'https://api.%s.scalingo.com' % region


def db_url(region):
    return 'https://db-api.%s.scalingo.com' % region


AUTH_BASE = 'https://auth.scalingo.com'
API_BASE = api_url('osc-fr1')
DB_BASE = db_url('osc-fr1')


def addon(addon_id, addon_type, resource_id=None, plan=None, status='running'):
    """An addon of the account, as the emulator's seed gives it."""
    spec = dict(id=addon_id, type=addon_type, database=resource_id, plan=plan, status=status)
    return dict((key, value) for key, value in spec.items() if value is not None)


def basic_auth(token):
    return 'Basic ' + base64.b64encode((':%s' % token).encode('utf-8')).decode('ascii')


class FakeScalingo(BaseAdapter):
    """Scalingo's auth, API and DB API services, the emulator's, as a requests transport adapter."""

    def __init__(self):
        super(FakeScalingo, self).__init__()
        self.auth_base, self.api_base, self.db_base = AUTH_BASE, API_BASE, DB_BASE
        self.region = 'osc-fr1'
        # The account, which a test may change before (or between) its requests, as the emulator's seed gives it: the
        # regions (name -> regional API), the id and region of each app, its addons, the database token of each addon
        # (of no app, even), and what GET /api/databases/{id} says of a database beyond its addon (hostname, features).
        self.regions = collections.OrderedDict([('osc-fr1', API_BASE)])
        self.app_info = {APP: dict(id=APP_ID, region='osc-fr1')}
        self.apps = {APP: [addon(ADDON_ID, 'postgresql', PROTECTED_USER, 'postgresql-starter-512'),
                           addon('ad-11111111-2222-3333-4444-555555555555', 'redis', 'my-app-redis-1234', 'redis-starter-256')]}
        self.addon_tokens = {ADDON_ID: DB_TOKEN}
        self.database_info = {ADDON_ID: dict(hostname='%s:%d' % (PG_HOST, PG_PORT))}
        # The emulator's settings: response_shape 'bare' or 'wrapped'; patch_answer 'user' or 'empty' (200, no body);
        # echo_password: create answers the password it was given; list_includes_password: a misbehaving list.
        self.response_shape, self.patch_answer = 'bare', 'user'
        self.echo_password = self.list_includes_password = False
        self.calls = []
        self._scripts = collections.defaultdict(collections.deque)
        self._late = []  # [requests still to come, call] of writes to apply late
        self._generated = 0
        self._emulator = self._seed = None

    # --- the emulator -------------------------------------------------------------------

    def _account(self):
        """The emulator's seed: the account, with the tokens it issues fixed."""
        regions = collections.OrderedDict(self.regions)
        regions[self.region] = self.api_base
        return dict(
            region=self.region,
            regions=[dict(name=name, api=base, database_api=self.db_base if name == self.region else db_url(name))
                     for name, base in regions.items()],
            api_tokens=[dict(name='owner', token=API_TOKEN)],
            issued_tokens=[dict(kind='auth', token=BEARER)] + [dict(kind='addon', addon_id=addon_id, token=token)
                                                               for addon_id, token in self.addon_tokens.items()],
            apps=[dict(self.app_info.get(name, {}), name=name,
                       addons=[dict(spec, **self.database_info.get(spec['id'], {})) for spec in addons])
                  for name, addons in self.apps.items()])

    @property
    def emulator(self):
        """The emulator that answers: built from the account, again when a test changed it (the users kept)."""
        seed = self._account()
        if seed != self._seed:
            old, self._seed = self._emulator, copy.deepcopy(seed)
            self._emulator = Emulator(config=seed, pg='off')
            self._emulator.generate_password = self._generate
            self._emulator.seed_users()
            for addon_id, found in self._emulator.addons.items():
                if old is not None and addon_id in old.addons:
                    found.users = old.addons[addon_id].users
        self._emulator.set_settings(
            response_shape=self.response_shape, patch_answer=self.patch_answer,
            create_returns_password='always' if self.echo_password else 'generated',
            list_includes_password=self.list_includes_password)
        return self._emulator

    def _answer(self, call):
        """The emulator's answer to a request."""
        body = (call.raw_body or '').encode('utf-8')
        answer = self.emulator.handle_request(call.service, call.method, call.path, CaseInsensitiveDict(call.headers), body,
                                              region=call.region)
        headers = dict(answer.headers, **{'Content-Type': answer.content_type} if answer.body else {})
        return Reply(answer.status, text=answer.body.decode('utf-8') if answer.body else None, headers=headers)

    # --- configuration ------------------------------------------------------------------

    def set_region(self, region):
        for info in self.app_info.values():
            if info['region'] == self.region:
                info['region'] = region
        self.region, self.api_base, self.db_base = region, api_url(region), db_url(region)

    def add_user(self, name, addon_id=ADDON_ID, read_only=False, protected=False, encryption='SCRAM-SHA-256', password=None):
        self.users(addon_id)[name] = User(name, read_only, protected, password, password_encryption=encryption)

    def users(self, addon_id=ADDON_ID):
        """The emulator's users of an addon (name -> ``User``), the live ones."""
        return self.emulator.addons[addon_id].users

    def script(self, route, *replies):
        """Queue answers (``Reply``) or exceptions to raise for the next requests of ``route``."""
        self._scripts[route].extend(replies)

    def snapshot(self):
        """A copy of the users, to compare before and after a run, or to ``restore()``."""
        return dict((addon_id, collections.OrderedDict((name, dict(vars(user))) for name, user in found.users.items()))
                    for addon_id, found in self.emulator.addons.items())

    def restore(self, snapshot):
        for addon_id, users in snapshot.items():
            self.users(addon_id).clear()
            for name, data in users.items():
                self.users(addon_id)[name] = user = User(name)
                vars(user).update(data)

    # --- inspection ---------------------------------------------------------------------

    def select(self, route=None, service=None, method=None):
        return [c for c in self.calls
                if (route is None or c.route == route)
                and (service is None or c.service == service)
                and (method is None or c.method == method)]

    def count(self, route=None, **kwargs):
        return len(self.select(route, **kwargs))

    @property
    def writes(self):
        """Requests that change database users (or try to)."""
        return [c for c in self.calls if c.service == 'db' and c.method != 'GET']

    def routes(self):
        return [c.route for c in self.calls]

    def generated_passwords(self):
        return ['gen-pw-unit-%02d-Ha3Kd8Lq1Wz6Xc0Vb5Nm9Rt2Yp4' % i for i in range(1, self._generated + 1)]

    def _generate(self):
        self._generated += 1
        return self.generated_passwords()[-1]

    # --- transport ----------------------------------------------------------------------

    def close(self):
        pass

    def _service(self, url):
        """``(service, region, path)`` of a URL: the emulator's service that answers it, and its region."""
        bases = [('auth', self.auth_base, None), ('db', self.db_base, self.region), ('api', self.api_base, self.region)]
        bases += [(service, base, region) for region, api in self.regions.items() if region != self.region
                  for service, base in (('api', api), ('db', db_url(region)))]
        for service, base, region in bases:
            base = base.rstrip('/')
            if url == base or url.startswith(base + '/'):
                return service, region, url[len(base):] or '/'
        return None, None, None

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        service, region, path = self._service(request.url)
        route = None
        if service:
            route = match_route(service, request.method, normalize_path(service, urlsplit(path).path))[0].split('.')[-1]
        call = Call(request, service, None if route == 'unknown' else route, timeout, verify)
        call.region, call.path = region, path
        self.calls.append(call)
        # What the real transport (http.client) refuses to send, as it refuses it: a header with a line break, say.
        connection = http.client.HTTPConnection('localhost')
        connection.putrequest(request.method, '/')
        for name, value in request.headers.items():
            connection.putheader(name, value)
        for late in list(self._late):
            late[0] -= 1
            if late[0] == 0:
                self._late.remove(late)
                self._answer(late[1])
        if service is None:
            raise requests.exceptions.ConnectionError(
                "HTTPSConnectionPool(host='%s', port=443): Max retries exceeded "
                "(Caused by NameResolutionError: Name or service not known)" % urlsplit(request.url).hostname)
        queue = self._scripts.get(call.route)
        if not queue:
            return self._respond(call, request, self._answer(call))
        item = queue.popleft()
        if isinstance(item, AfterApplying):
            self._answer(call)
        elif isinstance(item, Late):
            self._late.append([item.after, call])
        elif isinstance(item, Race):
            item.change(self)
        item = getattr(item, 'failure', item)
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, Trickle):
            response = self._respond(call, request, item.reply)
            response.raw = TrickledBody(response._content, item.interval)
            response._content, response._content_consumed = False, False
            return response
        return self._respond(call, request, item)

    def _respond(self, call, request, reply):
        call.status = reply.status
        response = requests.Response()
        response.status_code = reply.status
        response.reason = http.client.responses.get(reply.status, 'Unknown')
        response.url = request.url
        response.request = request
        response.connection = self
        headers = CaseInsensitiveDict(reply.headers)
        if reply.json is not MISSING:
            content = json.dumps(reply.json).encode('utf-8')
            headers.setdefault('Content-Type', 'application/json; charset=utf-8')
        elif reply.text is not None:
            content = reply.text.encode('utf-8')
            headers.setdefault('Content-Type', 'text/plain; charset=utf-8')
        else:
            content = b''
        headers['Content-Length'] = str(len(content))
        response.headers = headers
        response._content = content
        response._content_consumed = True
        response.encoding = 'utf-8'
        return response


class FakeClock:
    """Replaces ``ScalingoClient._clock`` and ``_sleep``: sleeping only moves the clock."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
