# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""An in-memory Scalingo for unit tests, faked at the transport.

``FakeScalingo`` is a ``requests`` transport adapter: the code under test builds and sends real
``requests`` requests, and this adapter answers them as Scalingo's three services would (auth,
regional API, database API), without any network. It records every request so tests can count
calls, check where each credential went and scan everything for secrets.

Failures are scripted per route with ``script(route, *replies)``: each matching request takes the
next ``Reply`` (or raises the next exception) before the normal behaviour resumes.
"""

import base64
import collections
import copy
import http.client
import json
import re

from urllib.parse import quote, quote_plus, unquote, urlsplit

import requests

from requests.adapters import BaseAdapter
from urllib3.exceptions import ProtocolError
from requests.structures import CaseInsensitiveDict

# Scalingo's rules, shared with the emulator of the end-to-end tests so that the two cannot disagree.
from ansible_collections.scalingo.cloud.tests.emulator.scalingo_emulator import rules
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_replies import (  # noqa: F401  (tests import them here)
    MISSING,
    AfterApplying,
    Call,
    Late,
    Race,
    Reply,
    Trickle,
    TrickledBody,
)

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

AUTH_BASE = 'https://auth.scalingo.com'
API_BASE = 'https://api.osc-fr1.scalingo.com'
DB_BASE = 'https://db-api.osc-fr1.scalingo.com'

# What a route is called in scripts, by service, method and path pattern.
_ROUTES = (
    ('auth', 'POST', re.compile(r'^/v1/tokens/exchange$'), 'exchange'),
    ('auth', 'GET', re.compile(r'^/v1/regions$'), 'regions'),
    ('api', 'GET', re.compile(r'^/v1/apps$'), 'apps'),
    ('api', 'GET', re.compile(r'^/v1/apps/(?P<app>[^/]+)/addons$'), 'addons'),
    ('api', 'POST', re.compile(r'^/v1/apps/(?P<app>[^/]+)/addons/(?P<addon>[^/]+)/token$'), 'addon_token'),
    ('db', 'GET', re.compile(r'^/api/databases/(?P<db>[^/]+)$'), 'database'),
    ('db', 'GET', re.compile(r'^/api/databases/(?P<db>[^/]+)/users$'), 'list'),
    ('db', 'POST', re.compile(r'^/api/databases/(?P<db>[^/]+)/users$'), 'create'),
    ('db', 'PATCH', re.compile(r'^/api/databases/(?P<db>[^/]+)/users/(?P<name>[^/]+)$'), 'update'),
    ('db', 'POST', re.compile(r'^/api/databases/(?P<db>[^/]+)/users/(?P<name>[^/]+)/reset_password$'), 'reset'),
    ('db', 'DELETE', re.compile(r'^/api/databases/(?P<db>[^/]+)/users/(?P<name>[^/]+)$'), 'delete'),
)


def user(name, read_only=False, protected=False, encryption='SCRAM-SHA-256', password=None):
    """A user as the fake stores it (the password is kept server side only)."""
    data = dict(name=name, read_only=read_only, protected=protected)
    if encryption:
        data['dbms_attributes'] = dict(password_encryption=encryption)
    data['_password'] = password
    return data


def addon(addon_id, addon_type, resource_id, plan, status='running'):
    """An addon as GET /v1/apps/{app}/addons lists it."""
    return dict(id=addon_id, resource_id=resource_id, status=status, plan=dict(name=plan),
                addon_provider=dict(id=addon_type, name=addon_type.capitalize()))


def basic_auth(token):
    return 'Basic ' + base64.b64encode((':%s' % token).encode('utf-8')).decode('ascii')


class FakeScalingo(BaseAdapter):
    """Scalingo's auth, API and DB API services, in memory, as a requests transport adapter."""

    def __init__(self):
        super(FakeScalingo, self).__init__()
        self.auth_base = AUTH_BASE
        self.api_base = API_BASE
        self.db_base = DB_BASE
        self.api_token = API_TOKEN
        self.bearer = BEARER
        self.apps = {
            APP: [
                addon(ADDON_ID, 'postgresql', PROTECTED_USER, 'postgresql-starter-512'),
                addon('ad-11111111-2222-3333-4444-555555555555', 'redis', 'my-app-redis-1234', 'redis-starter-256'),
            ],
        }
        # The regions GET /v1/regions lists (name -> regional API), and the app ids and regions GET /v1/apps lists.
        self.regions = collections.OrderedDict([('osc-fr1', API_BASE)])
        self.app_info = {APP: dict(id=APP_ID, region='osc-fr1')}
        self.addon_tokens = {ADDON_ID: DB_TOKEN}
        # What GET /api/databases/{id} says of each database: its type, address and features (name -> status).
        self.database_info = {ADDON_ID: dict(type_name='postgresql', hostname='%s:%d' % (PG_HOST, PG_PORT), features={})}
        self.databases = {
            ADDON_ID: collections.OrderedDict([(PROTECTED_USER, user(PROTECTED_USER, protected=True))]),
        }
        # 'bare': the provider page's bare user object; 'wrapped': the clients' {"database_user": {...}}.
        self.response_shape = 'bare'
        # What PATCH answers: 'user' (a user object), 'empty' (200 with no body).
        self.patch_answer = 'user'
        # Misbehaviours some tests need.
        self.echo_password = False          # create answers the password it was given
        self.list_includes_password = False  # the list wrongly includes passwords
        self.calls = []
        self._scripts = collections.defaultdict(collections.deque)
        self._late = []  # [requests still to come, call, route, match] of writes to apply late
        self._generated = 0

    # --- configuration ------------------------------------------------------------------

    def set_region(self, region):
        self.api_base = 'https://api.%s.scalingo.com' % region
        self.db_base = 'https://db-api.%s.scalingo.com' % region

    def add_user(self, name, addon_id=ADDON_ID, **kwargs):
        self.databases.setdefault(addon_id, collections.OrderedDict())[name] = user(name, **kwargs)

    def users(self, addon_id=ADDON_ID):
        return self.databases.get(addon_id, {})

    def script(self, route, *replies):
        """Queue answers (``Reply``) or exceptions to raise for the next requests of ``route``."""
        self._scripts[route].extend(replies)

    def snapshot(self):
        """A copy of the server state, to compare before and after a run."""
        return copy.deepcopy(self.databases)

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

    # --- transport ----------------------------------------------------------------------

    def close(self):
        pass

    def _service(self, url):
        """``(service, path, region)`` of a URL; the region of a regional API, else None."""
        bases = [('auth', self.auth_base, None), ('db', self.db_base, None)]
        bases += [('api', base, region) for region, base in self.regions.items() if base != self.api_base]
        bases.append(('api', self.api_base, next((r for r, b in self.regions.items() if b == self.api_base), None)))
        for service, base, region in bases:
            base = base.rstrip('/')
            if url == base or url.startswith(base + '/'):
                return service, url[len(base):].split('?')[0], region
        return None, None, None

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        service, path, region = self._service(request.url)
        route, match = None, None
        if service:
            for r_service, r_method, pattern, name in _ROUTES:
                found = pattern.match(path)
                if r_service == service and r_method == request.method and found:
                    route, match = name, found
                    break
        call = Call(request, service, route, timeout, verify)
        call.region = region
        self.calls.append(call)
        for late in list(self._late):
            late[0] -= 1
            if late[0] == 0:
                self._late.remove(late)
                self._apply(*late[1:])
        if service is None:
            raise requests.exceptions.ConnectionError(
                "HTTPSConnectionPool(host='%s', port=443): Max retries exceeded "
                "(Caused by NameResolutionError: Name or service not known)" % urlsplit(request.url).hostname)
        queue = self._scripts.get(route)
        if queue:
            item = queue.popleft()
            if isinstance(item, AfterApplying):
                self._apply(call, route, match)
                item = item.failure
            elif isinstance(item, Late):
                self._late.append([item.after, call, route, match])
                item = item.failure
            elif isinstance(item, Race):
                item.change(self)
                item = item.failure
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, Trickle):
                response = self._respond(call, request, item.reply)
                response.raw = TrickledBody(response._content, item.interval)
                response._content, response._content_consumed = False, False
                return response
            return self._respond(call, request, item)
        if route is None:
            return self._respond(call, request, Reply(404, text='<html><body><h1>404 Not Found</h1></body></html>',
                                                      headers={'Content-Type': 'text/html'}))
        params = dict((k, unquote(v)) for k, v in match.groupdict().items())
        return self._respond(call, request, getattr(self, '_' + route)(call, **params))

    def _apply(self, call, route, match):
        getattr(self, '_' + route)(call, **dict((k, unquote(v)) for k, v in match.groupdict().items()))

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

    # --- auth service -------------------------------------------------------------------

    def _exchange(self, call):
        if call.headers.get('Authorization') != basic_auth(self.api_token):
            return Reply(401, json={'error': 'invalid credentials'})
        return Reply(200, json={'token': self.bearer})

    # --- regional API -------------------------------------------------------------------

    def _check_bearer(self, call):
        if call.headers.get('Authorization') != 'Bearer ' + self.bearer:
            return Reply(401, json={'error': 'not authenticated'})
        return None

    def _regions(self, call):
        refused = self._check_bearer(call)
        if refused:
            return refused
        return Reply(200, json={'regions': [dict(name=name, api=base, database_api=self.db_base, display_name=name)
                                            for name, base in self.regions.items()]})

    def _apps(self, call):
        refused = self._check_bearer(call)
        if refused:
            return refused
        return Reply(200, json={'apps': [dict(id=info['id'], name=name, region=info['region'], status='running')
                                         for name, info in self.app_info.items() if info['region'] == call.region]})

    def _addons(self, call, app):
        refused = self._check_bearer(call)
        if refused:
            return refused
        app = next((name for name, info in self.app_info.items() if info['id'] == app), app)
        if app not in self.apps:
            return Reply(404, json=rules.not_found('app'))
        return Reply(200, json={'addons': self.apps[app]})

    def _addon_token(self, call, app, addon):
        refused = self._check_bearer(call)
        if refused:
            return refused
        if app not in self.apps or addon not in [a['id'] for a in self.apps[app]] or addon not in self.addon_tokens:
            return Reply(404, json=rules.not_found('addon'))
        return Reply(200, json={'addon': {'id': addon, 'token': self.addon_tokens[addon]}})

    # --- database API -------------------------------------------------------------------

    def _check_db_token(self, call, db):
        if db not in self.addon_tokens or call.headers.get('Authorization') != 'Bearer ' + self.addon_tokens[db]:
            return Reply(401, json={'error': 'invalid token'})
        if db not in self.databases:
            return Reply(404, json=rules.not_found('database'))
        return None

    @staticmethod
    def _public(data, password=None):
        shown = dict((k, v) for k, v in data.items() if not k.startswith('_'))
        if password is not None:
            shown['password'] = password
        return shown

    def _user_reply(self, status, data, password=None):
        return Reply(status, json=rules.user_body(self._public(data), password, self.response_shape))

    def _generate(self):
        self._generated += 1
        return self.generated_passwords()[-1]

    def _database(self, call, db):
        refused = self._check_db_token(call, db)
        if refused:
            return refused
        info = self.database_info.get(db)
        if info is None:
            return Reply(404, json=rules.not_found('database'))
        return Reply(200, json={'database': dict(
            id=db, resource_id=PROTECTED_USER, app_name=APP, plan='postgresql-starter-512', status='running',
            type_name=info['type_name'], hostname=info['hostname'],
            features=[dict(name=name, status=status) for name, status in info['features'].items()])})

    def _list(self, call, db):
        refused = self._check_db_token(call, db)
        if refused:
            return refused
        users = []
        for data in self.databases[db].values():
            users.append(self._public(data, data['_password'] if self.list_includes_password else None))
        return Reply(200, json=rules.list_body(users))

    def _create(self, call, db):
        refused = self._check_db_token(call, db)
        if refused:
            return refused
        fields = rules.database_user_fields(call.body)
        if fields is None:
            return Reply(400, json={'error': rules.MISSING_DATABASE_USER})
        name = fields.get('name')
        password, confirmation = fields.get('password'), fields.get('password_confirmation')
        generates = rules.server_generates_password(password, confirmation)
        errors = {} if generates else rules.password_errors(password, confirmation)
        # The hyphen rule of the provider's page. The fake answers the bare Rails message (its tests expect it);
        # the emulator adds which rule the name breaks.
        if rules.name_errors(name, 'hyphen'):
            errors['name'] = [rules.INVALID]
        elif name in self.databases[db]:
            errors['name'] = [rules.TAKEN]
        read_only, read_only_errors = rules.read_only_value(fields.get('read_only'))
        errors.update(read_only_errors)
        if errors:
            return Reply(422, json={'errors': errors})
        generated = self._generate() if generates else None
        data = user(name, read_only=read_only, password=generated or password)
        self.databases[db][name] = data
        return self._user_reply(201, data, generated or (password if self.echo_password else None))

    def _find(self, db, name):
        data = self.databases[db].get(name)
        if data is None:
            return None, Reply(404, json=rules.not_found('database_user'))
        if data['protected']:
            status, body = rules.protected_refusal()
            return None, Reply(status, json=body)
        return data, None

    @staticmethod
    def _rehash(data):
        # Like PostgreSQL, a new password is hashed with the server's current method.
        if data.get('dbms_attributes', {}).get('password_encryption') == 'MD5':
            data['dbms_attributes'] = dict(data['dbms_attributes'], password_encryption='SCRAM-SHA-256')

    def _update(self, call, db, name):
        refused = self._check_db_token(call, db)
        if refused:
            return refused
        data, refused = self._find(db, name)
        if refused:
            return refused
        fields = rules.database_user_fields(call.body)
        if fields is None:
            return Reply(400, json={'error': rules.MISSING_DATABASE_USER})
        errors = rules.password_change_errors(fields.get('password'), fields.get('password_confirmation'))
        if errors:
            return Reply(422, json={'errors': errors})
        data['_password'] = fields['password']
        self._rehash(data)
        if self.patch_answer == 'empty':
            return Reply(200)
        return self._user_reply(200, data)

    def _reset(self, call, db, name):
        refused = self._check_db_token(call, db)
        if refused:
            return refused
        data, refused = self._find(db, name)
        if refused:
            return refused
        data['_password'] = self._generate()
        self._rehash(data)
        return self._user_reply(200, data, data['_password'])

    def _delete(self, call, db, name):
        refused = self._check_db_token(call, db)
        if refused:
            return refused
        data, refused = self._find(db, name)
        if refused:
            return refused
        del self.databases[db][name]
        return Reply(204)


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


def every_form(secret):
    """Every form in which ``secret`` may be shown: as it is, URL-encoded (in part, or byte by byte in either case),
    JSON-escaped, base64-encoded, as Python quotes it."""
    raw = secret.encode('utf-8')
    forms = [
        secret,
        quote(secret, safe=''), quote(secret), quote(secret, safe="!*()'~"), quote_plus(secret),
        ''.join('%%%02X' % byte for byte in raw), ''.join('%%%02x' % byte for byte in raw),
        json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], repr(secret)[1:-1],
        base64.b64encode(raw).decode('ascii'), base64.b64encode(b':' + raw).decode('ascii'),
    ]
    return sorted(set(forms))


def all_text(value):
    """A value (result, failure, warnings...) as one string to scan for secrets."""
    return json.dumps(value, sort_keys=True, default=repr)


def leaked(value, secrets):
    """The secrets that appear in ``value``."""
    text = all_text(value)
    return [s for s in secrets if s in text]


def assert_no_secret(outcome, fake):
    """No token and no password anywhere in a module's outcome, except a generated password under ``password``."""
    result = dict(outcome.result)
    generated = result.pop('password', None)
    if generated is not None:
        assert generated in fake.generated_passwords()
    secrets = list(SECRETS) + fake.generated_passwords()
    assert not leaked(result, secrets), leaked(result, secrets)
    assert not leaked(outcome.warnings, secrets)
