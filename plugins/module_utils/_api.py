# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Scalingo HTTP client.

Private to the scalingo.cloud collection: it may change without notice and must not be
imported from outside it. This is the only code of the collection that speaks HTTP.
"""

import base64
import email.utils
import time
import traceback

from urllib.parse import quote, urlsplit

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_CORE_VERSION

from ansible_collections.scalingo.cloud.plugins.module_utils._validation import is_addon_id, service_root

REQUESTS_IMPORT_ERROR = None
try:
    import requests
except ImportError:  # pragma: no cover - exercised through missing_required_lib
    requests = None
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

COLLECTION_VERSION = '1.0.0'
USER_AGENT = 'scalingo.cloud/%s (ansible-core/%s)' % (COLLECTION_VERSION, ANSIBLE_CORE_VERSION)

DEFAULT_REGION = 'osc-fr1'
DEFAULT_AUTH_URL = 'https://auth.scalingo.com'
DEFAULT_TIMEOUT = 30

# Retries: bounded in count and in total waiting time, so a task always ends.
MAX_ATTEMPTS = 5
MAX_TOTAL_WAIT = 60.0
_RETRYABLE_STATUSES = (502, 503, 504)
# Only reads are sent again blindly; a write whose outcome is unknown is left to the module,
# which reads the users again first (a deletion sent twice could remove a user created meanwhile).
_REPLAYABLE_METHODS = ('GET',)
_REDACTED = '********'


class ScalingoError(Exception):
    """Any failure talking to Scalingo. ``str()`` is a message that says what to do next.

    ``uncertain`` is true when a write may have been applied although no answer says so
    (connection lost or server error after the request was sent): read the state again.
    """

    def __init__(self, message, status=None, api_message=None, errors=None, request_id=None,
                 method=None, url=None, uncertain=False):
        if uncertain:
            message += (' The request may have been applied all the same: check the state before trying again'
                        ' (a new run of the task does, as it reads the users first).')
        super(ScalingoError, self).__init__(message)
        self.message = message
        self.status = status
        self.api_message = api_message
        self.errors = errors or {}
        self.request_id = request_id
        self.method = method
        self.url = url
        self.uncertain = uncertain

    def to_failure(self):
        """The machine-readable ``failure`` dict modules return."""
        return dict(
            status=self.status,
            message=self.api_message,
            errors=self.errors,
            request_id=self.request_id,
            method=self.method,
            url=self.url,
            uncertain=self.uncertain,
        )


def region_urls(region):
    """Default API and DB API roots of a region (every region follows one naming rule)."""
    return 'https://api.%s.scalingo.com' % region, 'https://db-api.%s.scalingo.com' % region


def _parse_retry_after(value):
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = email.utils.parsedate_tz(value)
    if when is None:
        return None
    return max(0.0, email.utils.mktime_tz(when) - time.time())


class _Authorization(requests.auth.AuthBase if requests else object):
    """Sets the Authorization header, so that no ~/.netrc entry can replace the token."""

    def __init__(self, value):
        self.value = value

    def __call__(self, request):
        request.headers['Authorization'] = self.value
        return request


def _public_user(data):
    """A user as the API describes it, never with a password."""
    attributes = data.get('dbms_attributes')
    return dict(
        name=data.get('name'),
        read_only=bool(data.get('read_only')),
        protected=bool(data.get('protected')),
        dbms_attributes=dict(attributes) if isinstance(attributes, dict) else {},
    )


class ScalingoClient:
    """Talks to Scalingo for one module run: one HTTP session, each token fetched once."""

    # Patched by tests so retries do not really wait.
    _sleep = staticmethod(time.sleep)
    _clock = staticmethod(time.monotonic)

    def __init__(self, params):
        region = params.get('region') or DEFAULT_REGION
        default_api, default_db_api = region_urls(region)
        self.auth_root = service_root(params.get('auth_url') or DEFAULT_AUTH_URL, '/v1')
        self.api_root = service_root(params.get('api_url') or default_api, '/v1')
        self.db_api_root = service_root(params.get('db_api_url') or default_db_api, '/api')
        # An empty value (AWX injects every variable of a credential) means not set, as in the input checks.
        self.api_token = params.get('api_token') or None
        self.database_token_param = params.get('database_token') or None
        self.app = params.get('app')
        self.addon = params['addon']
        self.timeout = params.get('timeout') or DEFAULT_TIMEOUT
        self.validate_certs = params.get('validate_certs', True)
        self._bearer = None
        self._db_token = self.database_token_param
        self._renewed = set()  # tokens already fetched again after a 401, at most once each
        self._addon_id = params['addon'] if is_addon_id(params['addon']) else None
        self._secrets = set(s for s in (self.api_token, self.database_token_param) if s)

        self.session = requests.Session()
        self.session.verify = self.validate_certs
        self.session.headers.update({
            'Accept': 'application/json',
            'Content-Type': 'application/json',
            'User-Agent': USER_AGENT,
        })

    # --- secrets ---------------------------------------------------------------------

    def add_secret(self, value):
        """Remember a secret so that no message built here can ever show it."""
        if value:
            self._secrets.add(value)

    def redact(self, text):
        if not isinstance(text, str):
            return text
        for secret in sorted(self._secrets, key=len, reverse=True):
            if len(secret) >= 4:
                text = text.replace(secret, _REDACTED)
        return text

    def _redact_errors(self, errors):
        if not isinstance(errors, dict):
            return {}
        clean = {}
        for field, messages in errors.items():
            if not isinstance(messages, list):
                messages = [messages]
            clean[self.redact(str(field))] = [self.redact(str(m)) for m in messages]
        return clean

    # --- HTTP ------------------------------------------------------------------------

    def _request(self, method, url, step, auth, body=None):
        """Send one request with safe retries; return ``(status, json_or_None)``.

        ``auth`` is the Authorization header value. 429 is retried on any method (the
        request was refused, not applied); connection errors and 502/503/504 only on
        GET. Never replayed: a write whose answer was lost (``uncertain``), for the module to check.
        """
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.session.request(method, url, json=body, auth=_Authorization(auth), timeout=self.timeout)
            except requests.exceptions.Timeout:
                raise ScalingoError(
                    '%s %s timed out after %s seconds: the host %s did not answer in time; '
                    'raise timeout or check the network.' % (method, url, self.timeout, urlsplit(url).hostname),
                    method=method, url=url, uncertain=method not in _REPLAYABLE_METHODS)
            except requests.exceptions.SSLError as exc:
                raise ScalingoError('Could not reach %s (%s %s): %s.' % (
                    urlsplit(url).hostname, method, url, self.redact(_exception_summary(exc))), method=method, url=url)
            except requests.exceptions.ConnectionError as exc:
                # Only a lost connection may heal by waiting; and only reads are safe to send again blindly.
                retry = method in _REPLAYABLE_METHODS
                wait = self._backoff(attempt)
                if retry and self._may_wait(attempt, started, wait):
                    self._sleep(wait)
                    continue
                raise ScalingoError(
                    'Could not reach %s (%s %s): %s.%s' % (
                        urlsplit(url).hostname, method, url, self.redact(_exception_summary(exc)),
                        ' Gave up after %d attempts.' % attempt if retry else ''),
                    method=method, url=url, uncertain=not retry)
            except requests.exceptions.RequestException as exc:
                raise ScalingoError('Could not send %s %s: %s.' % (method, url, self.redact(_exception_summary(exc))),
                                    method=method, url=url)
            except ValueError as exc:
                # A value the HTTP stack refuses before sending (http.client quotes it: never show its text).
                raise ScalingoError('Could not send %s %s: the HTTP library refused it (%s); check the connection options.' % (
                    method, url, exc.__class__.__name__), method=method, url=url)

            status = response.status_code
            if status == 429 or (status in _RETRYABLE_STATUSES and method in _REPLAYABLE_METHODS):
                wait = _parse_retry_after(response.headers.get('Retry-After')) if status == 429 else None
                if wait is None:
                    wait = self._backoff(attempt)
                if self._may_wait(attempt, started, wait):
                    self._sleep(wait)
                    continue
            if 200 <= status < 300:
                return status, self._json(response, method, url)
            raise self._error(response, method, url, step, attempt)

    @staticmethod
    def _backoff(attempt):
        return float(min(2 ** (attempt - 1), 16))

    def _may_wait(self, attempt, started, wait):
        if attempt >= MAX_ATTEMPTS:
            return False
        return (self._clock() - started) + wait <= MAX_TOTAL_WAIT

    def _json(self, response, method, url):
        """The body of a successful answer; None when empty (204)."""
        if not response.text.strip():
            return None
        try:
            return response.json()
        except (ValueError, RecursionError):  # RecursionError: JSON nested too deep to parse
            raise ScalingoError(
                '%s %s answered HTTP %s with a body that is not JSON (%s): is %s the right Scalingo URL?' % (
                    method, url, response.status_code, response.headers.get('Content-Type') or 'no content type',
                    urlsplit(url).hostname),
                status=response.status_code, request_id=response.headers.get('X-Request-Id'),
                method=method, url=url)

    def _error(self, response, method, url, step, attempts):
        status = response.status_code
        request_id = response.headers.get('X-Request-Id')
        api_message, errors = None, {}
        try:
            data = response.json()
        except (ValueError, RecursionError):
            data = None
            text = response.text.strip()
            # A short plain-text answer ("Retry later") is a message; an HTML page is not.
            if text and len(text) <= 200 and '<' not in text:
                api_message = self.redact(text)
        if isinstance(data, dict):
            if isinstance(data.get('error'), str):
                api_message = self.redact(data['error'])
            elif isinstance(data.get('message'), str):
                api_message = self.redact(data['message'])
            errors = self._redact_errors(data.get('errors'))
        hint = self._hint(status, step, attempts)
        details = api_message or ''
        if errors:
            details = '; '.join('%s %s' % (field, ', '.join(msgs)) for field, msgs in sorted(errors.items()))
        message = 'Scalingo answered HTTP %s to %s %s%s. %s' % (
            status, method, url, ' (%s)' % details if details else '', hint)
        return ScalingoError(
            message.strip(), status=status, api_message=api_message, errors=errors, request_id=request_id,
            method=method, url=url, uncertain=status >= 500 and method not in _REPLAYABLE_METHODS)

    def _hint(self, status, step, attempts):
        if status == 401:
            if step == 'exchange':
                return 'Check the API token (api_token or SCALINGO_API_TOKEN): it is wrong, revoked or expired.'
            if step in ('database', 'user') and self.database_token_param:
                return ('Check the database token (database_token, SCALINGO_DATABASE_TOKEN or DB_BEARER_TOKEN): it is wrong, '
                        'expired (they last one hour) or issued for another addon.')
            return 'The token was refused: check the API token (api_token or SCALINGO_API_TOKEN).'
        if status == 403:
            return ("The token's owner may not manage database users of this addon "
                    "(limited collaborators cannot): use a token of the app's owner or of a full collaborator.")
        if status == 404:
            if step == 'addons':
                return "App '%s' was not found: check app (its name or id) and that the token's owner can see it." % self.app
            if step == 'addon_token':
                return "Addon '%s' was not found in app '%s': check addon and app." % (self.addon, self.app)
            if step == 'user':
                return 'The user was not found: it may have just been removed by someone else; run the task again.'
            if step == 'database':
                return "Database '%s' was not found at %s: check addon, region and db_api_url." % (self.addon, self.db_api_root)
            return 'Not found: check region and the service URLs.'
        if status == 422:
            return 'Scalingo refused the values sent: see failure.errors.'
        if status == 429:
            return ('Scalingo kept rate-limiting the requests after %d attempts: run fewer tasks at once '
                    '(forks, throttle) or reuse a database_token, and try again later.' % attempts)
        if status >= 500:
            return 'Scalingo had a server error: try again later; quote failure.request_id to Scalingo support if it persists.'
        return ''

    # --- tokens and addon --------------------------------------------------------------

    def _bearer_token(self):
        if self._bearer is None:
            basic = base64.b64encode((':%s' % self.api_token).encode('utf-8')).decode('ascii')
            dummy, data = self._request('POST', self.auth_root + '/v1/tokens/exchange', 'exchange', 'Basic ' + basic)
            token = data.get('token') if isinstance(data, dict) else None
            if not isinstance(token, str) or not token:
                raise self._shape_error('POST', self.auth_root + '/v1/tokens/exchange', '"token"')
            self.add_secret(token)
            self._bearer = token
        return self._bearer

    def _with_token(self, kind, method, url, step, body=None):
        """Send with the bearer (``kind`` 'bearer') or the database token (``kind`` 'database').

        A token fetched in this run that Scalingo refuses (401: it expired, they last an hour) is fetched
        again, once, and the request sent again: a refused request was not applied. A database_token given
        by the user cannot be renewed. The token is fetched outside the try: a 401 while fetching it is not
        this request's.
        """
        fetch = self._bearer_token if kind == 'bearer' else self._database_token
        token = fetch()
        try:
            return self._request(method, url, step, 'Bearer ' + token, body)
        except ScalingoError as exc:
            renewable = kind == 'bearer' or not self.database_token_param
            if exc.status != 401 or not renewable or kind in self._renewed:
                raise
        self._renewed.add(kind)
        if kind == 'bearer':
            self._bearer = None
        else:
            self._db_token = None
        return self._request(method, url, step, 'Bearer ' + fetch(), body)

    def _app_path(self):
        return self.api_root + '/v1/apps/' + quote(self.app, safe='')

    @property
    def addon_id(self):
        """The addon's id, resolved from its type through the app's addon list when needed."""
        if self._addon_id is None:
            url = self._app_path() + '/addons'
            dummy, data = self._with_token('bearer', 'GET', url, 'addons')
            addons = data.get('addons') if isinstance(data, dict) else None
            if not isinstance(addons, list):
                raise self._shape_error('GET', url, '"addons"')
            matches = sorted(
                a.get('id') for a in addons
                if isinstance(a, dict) and isinstance(a.get('addon_provider'), dict)
                and a['addon_provider'].get('id') == self.addon and a.get('id'))
            if not matches:
                raise ScalingoError("App '%s' has no %s addon: check app and addon." % (self.app, self.addon))
            if len(matches) > 1:
                raise ScalingoError("App '%s' has %d %s addons (%s): set addon to the id of the one to manage." % (
                    self.app, len(matches), self.addon, ', '.join(matches)))
            self._addon_id = matches[0]
        return self._addon_id

    def _database_token(self):
        if self._db_token is None:
            addon_id = self.addon_id
            url = self._app_path() + '/addons/' + quote(addon_id, safe='') + '/token'
            dummy, data = self._with_token('bearer', 'POST', url, 'addon_token')
            addon = data.get('addon') if isinstance(data, dict) else None
            token = addon.get('token') if isinstance(addon, dict) else None
            if not isinstance(token, str) or not token:
                raise self._shape_error('POST', url, '"addon": {"token"}')
            self.add_secret(token)
            self._db_token = token
        return self._db_token

    def _shape_error(self, method, url, expected):
        return ScalingoError('%s %s answered without the expected %s: is this URL a Scalingo service?' % (method, url, expected),
                             method=method, url=url)

    # --- database users --------------------------------------------------------------

    def _users_url(self, name=None, action=None):
        url = self.db_api_root + '/api/databases/' + quote(self.addon_id, safe='') + '/users'
        if name is not None:
            url += '/' + quote(name, safe='')
        if action:
            url += '/' + action
        return url

    def _user_answer(self, method, url, data):
        """Accept the page's bare user object and the clients' ``{"database_user": {...}}``."""
        if isinstance(data, dict) and isinstance(data.get('database_user'), dict):
            data = data['database_user']
        if not isinstance(data, dict) or not isinstance(data.get('name'), str):
            raise self._shape_error(method, url, 'user object')
        password = data.get('password')
        if password:
            self.add_secret(password)
        return _public_user(data), password or None

    def list_users(self):
        url = self._users_url()
        dummy, data = self._with_token('database', 'GET', url, 'database')
        users = data.get('database-users') if isinstance(data, dict) else None
        if not isinstance(users, list) or not all(isinstance(u, dict) and isinstance(u.get('name'), str) for u in users):
            raise self._shape_error('GET', url, '"database-users" list')
        return [_public_user(u) for u in users]

    def get_user(self, name):
        """The user named ``name``, or None. The API has no single-user read."""
        for user in self.list_users():
            if user['name'] == name:
                return user
        return None

    def create_user(self, name, read_only, password=None):
        """Create a user; returns ``(user, password)``, the password only when Scalingo generated it."""
        self.add_secret(password)
        url = self._users_url()
        body = dict(database_id=self.addon_id, name=name, read_only=bool(read_only),
                    password=password, password_confirmation=password)
        dummy, data = self._with_token('database', 'POST', url, 'database', {'database_user': body})
        user, generated = self._user_answer('POST', url, data)
        return user, (generated if password is None else None)

    def change_password(self, name, password):
        self.add_secret(password)
        url = self._users_url(name)
        body = dict(database_id=self.addon_id, password=password, password_confirmation=password)
        dummy, data = self._with_token('database', 'PATCH', url, 'user', {'database_user': body})
        if data is None:
            return None
        return self._user_answer('PATCH', url, data)[0]

    def reset_password(self, name):
        """Ask Scalingo for a new password; returns ``(user, password)``."""
        url = self._users_url(name, 'reset_password')
        dummy, data = self._with_token('database', 'POST', url, 'user')
        user, password = self._user_answer('POST', url, data)
        if not password:
            raise self._shape_error('POST', url, '"password"')
        return user, password

    def delete_user(self, name):
        """Delete a user; a user already gone is not an error (someone else may have removed it)."""
        try:
            self._with_token('database', 'DELETE', self._users_url(name), 'user')
        except ScalingoError as exc:
            if exc.status != 404:
                raise


def _exception_summary(exc):
    """A short reason for a transport failure, without the URL's query or a traceback."""
    reason = exc.__class__.__name__
    text = str(exc)
    if 'Connection refused' in text:
        return 'connection refused'
    if 'RemoteDisconnected' in text or 'Connection aborted' in text:
        return 'the connection was closed without an answer'
    if 'Name or service not known' in text or 'nodename nor servname' in text or 'Temporary failure in name resolution' in text:
        return 'the host name does not resolve'
    if 'CERTIFICATE_VERIFY_FAILED' in text or isinstance(exc, requests.exceptions.SSLError):
        return 'TLS certificate verification failed (validate_certs)'
    return reason
