# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Scalingo client: the token chain and the users API.

Private to the scalingo.cloud collection: it may change without notice and must not be
imported from outside it. With ``_http`` (the transport), this is the only code of the collection
that speaks HTTP.
"""

import base64

from urllib.parse import quote

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_CORE_VERSION

from ansible_collections.scalingo.cloud.plugins.module_utils import _answers
from ansible_collections.scalingo.cloud.plugins.module_utils._connection import Connection, is_addon_id
from ansible_collections.scalingo.cloud.plugins.module_utils._http import ScalingoError, Transport
from ansible_collections.scalingo.cloud.plugins.module_utils._redaction import Secrets

COLLECTION_VERSION = '1.0.0'
USER_AGENT = 'scalingo.cloud/%s (ansible-core/%s)' % (COLLECTION_VERSION, ANSIBLE_CORE_VERSION)

# Token requests create nothing a user could see: they are sent again like reads.
_TOKEN_STEPS = ('exchange', 'addon_token')


class ScalingoClient:
    """Talks to Scalingo for one module run, with the connection options in ``params``: one HTTP session, each token
    fetched once."""

    def __init__(self, params):
        connection = Connection(params)
        self.auth_root, self.api_root, self.db_api_root = connection.auth_root, connection.api_root, connection.db_api_root
        self.api_token = connection.api_token
        self.database_token_param = connection.database_token
        self.app = connection.app
        self.addon = connection.addon
        self.secrets = Secrets()
        for secret in (self.api_token, self.database_token_param):
            self.add_secret(secret)
        self.transport = Transport(connection.timeout, connection.validate_certs, USER_AGENT, self.secrets, self._hint,
                                   connection.max_wait)
        self._bearer = None
        self._db_token = self.database_token_param
        self._renewed = set()  # tokens already fetched again after a 401, at most once each
        self._addon_id = self.addon if is_addon_id(self.addon) else None

    @property
    def session(self):
        return self.transport.session

    # --- secrets ---------------------------------------------------------------------

    def add_secret(self, value):
        """Remember a secret so that no message built here can ever show it, in any form."""
        self.secrets.add(value)

    def redact(self, text):
        return self.secrets.text(text) if isinstance(text, str) else text

    # --- requests --------------------------------------------------------------------

    def _request(self, method, url, step, auth, body=None):
        return self.transport.request(method, url, step, auth, body,
                                      replayable=method == 'GET' or step in _TOKEN_STEPS)

    def _read(self, method, url, parse, data, *args):
        """``parse(data, *args)``; an answer of another shape fails naming the URL."""
        try:
            return parse(data, *args)
        except _answers.ShapeError as exc:
            raise ScalingoError('%s %s answered with an unexpected shape (expected %s): is this URL a Scalingo '
                                'service?' % (method, url, exc), method=method, url=url)

    def _hint(self, status, step, attempts):
        """What to do about an error status, in the words of the modules' options."""
        if status == 401:
            if step == 'exchange':
                return 'Check the API token (api_token or SCALINGO_API_TOKEN): it is wrong, revoked or expired.'
            if step in ('database', 'user') and self.database_token_param and not self._renewable('database'):
                return ('Check the database token (database_token, SCALINGO_DATABASE_TOKEN or DB_BEARER_TOKEN): it is wrong, '
                        'expired (they last one hour) or issued for another addon. With api_token and app as well, an '
                        'expired one is fetched again.')
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
            return ('Scalingo kept rate-limiting the requests after %d attempt%s: run fewer tasks at once '
                    '(forks, throttle) or reuse a database_token, and try again later.' % (attempts, 's' if attempts > 1 else ''))
        if status >= 500:
            return 'Scalingo had a server error: try again later; quote failure.request_id to Scalingo support if it persists.'
        return ''

    # --- tokens and addon --------------------------------------------------------------

    def _bearer_token(self):
        if self._bearer is None:
            basic = base64.b64encode((':%s' % self.api_token).encode('utf-8')).decode('ascii')
            url = self.auth_root + '/v1/tokens/exchange'
            dummy, data = self._request('POST', url, 'exchange', 'Basic ' + basic)
            token = self._read('POST', url, _answers.exchange_token, data)
            self.add_secret(token)
            self._bearer = token
        return self._bearer

    def _with_token(self, kind, method, url, step, body=None):
        """Send with the bearer (``kind`` 'bearer') or the database token (``kind`` 'database').

        A token that Scalingo refuses (401: it expired, they last an hour) is fetched again, once, and the request
        sent again: a refused request was not applied. A database_token given by the user is fetched again only
        through an API token (and the app). The token is fetched outside the try: a 401 while fetching it is not
        this request's.
        """
        fetch = self._bearer_token if kind == 'bearer' else self._database_token
        token = fetch()
        try:
            return self._request(method, url, step, 'Bearer ' + token, body)
        except ScalingoError as exc:
            if exc.status != 401 or not self._renewable(kind) or kind in self._renewed:
                raise
        self._renewed.add(kind)
        if kind == 'bearer':
            self._bearer = None
        else:
            self._db_token = None
        token = fetch()
        try:
            return self._request(method, url, step, 'Bearer ' + token, body)
        except ScalingoError as exc:
            exc.resent = True
            raise

    def _renewable(self, kind):
        return kind == 'bearer' or not self.database_token_param or bool(self.api_token and self.app)

    def _app_path(self):
        return self.api_root + '/v1/apps/' + quote(self.app, safe='')

    @property
    def addon_id(self):
        """The addon's id, resolved from its type through the app's addon list when needed."""
        if self._addon_id is None:
            url = self._app_path() + '/addons'
            dummy, data = self._with_token('bearer', 'GET', url, 'addons')
            matches = self._read('GET', url, _answers.addon_ids, data, self.addon)
            if not matches:
                raise ScalingoError("App '%s' has no %s addon: check app and addon." % (self.app, self.addon),
                                    method='GET', url=url)
            if len(matches) > 1:
                raise ScalingoError("App '%s' has %d %s addons (%s): set addon to the id of the one to manage." % (
                    self.app, len(matches), self.addon, ', '.join(self.redact(m) for m in matches)), method='GET', url=url)
            self._addon_id = matches[0]
        return self._addon_id

    def _database_token(self):
        if self._db_token is None:
            url = self._app_path() + '/addons/' + quote(self.addon_id, safe='') + '/token'
            dummy, data = self._with_token('bearer', 'POST', url, 'addon_token')
            token = self._read('POST', url, _answers.addon_token, data)
            self.add_secret(token)
            self._db_token = token
        return self._db_token

    # --- database users --------------------------------------------------------------

    def _users_url(self, name=None, action=None):
        url = self.db_api_root + '/api/databases/' + quote(self.addon_id, safe='') + '/users'
        if name is not None:
            url += '/' + quote(name, safe='')
        if action:
            url += '/' + action
        return url

    def _write(self, method, url, step, name, body=None):
        """Send a write; returns ``(user or None, password or None)`` from its answer.

        A success whose body is unusable still means the write was applied: it fails with outcome ``applied``,
        for the caller to read the state.
        """
        dummy, data = self._with_token('database', method, url, step, body)
        if data is None:
            return None, None
        if isinstance(data, dict) and isinstance(data.get('password'), str):
            self.add_secret(data['password'])
        elif isinstance(data, dict) and isinstance(data.get('database_user'), dict) \
                and isinstance(data['database_user'].get('password'), str):
            self.add_secret(data['database_user']['password'])
        try:
            return _answers.user_and_password(data, name)
        except _answers.ShapeError as exc:
            raise ScalingoError('%s %s answered with an unexpected shape (expected %s), although it says the request '
                                'succeeded.' % (method, url, exc),
                                method=method, url=url, outcome='applied')

    def list_users(self):
        url = self._users_url()
        dummy, data = self._with_token('database', 'GET', url, 'database')
        return self._read('GET', url, _answers.users, data)

    def get_user(self, name):
        """The user named ``name``, or None. The API has no single-user read."""
        for user in self.list_users():
            if user['name'] == name:
                return user
        return None

    def create_user(self, name, read_only, password=None):
        """Create a user; returns ``(user, password)``: the password Scalingo generated, or None when one was given
        (or when the answer lacks it: the caller decides)."""
        self.add_secret(password)
        body = dict(database_id=self.addon_id, name=name, read_only=bool(read_only),
                    password=password, password_confirmation=password)
        url = self._users_url()
        user, answered = self._write('POST', url, 'database', name, {'database_user': body})
        if user is None:
            raise ScalingoError('POST %s answered without the user it created, although it says the request '
                                'succeeded.' % url, method='POST', url=url, outcome='applied')
        return user, (answered if password is None else None)

    def change_password(self, name, password):
        """Set a password; returns the user when the answer holds it, else None."""
        self.add_secret(password)
        body = dict(database_id=self.addon_id, password=password, password_confirmation=password)
        return self._write('PATCH', self._users_url(name), 'user', name, {'database_user': body})[0]

    def reset_password(self, name):
        """Ask Scalingo for a new password; returns ``(user, password)``."""
        url = self._users_url(name, 'reset_password')
        user, password = self._write('POST', url, 'user', name)
        if user is None or not password:
            raise ScalingoError('POST %s answered without the new password, although it says the password was '
                                'reset.' % url, method='POST', url=url, outcome='applied')
        return user, password

    def delete_user(self, name):
        """Delete a user. A 404 is an error like any other: the caller reads the users to know what it means."""
        self._with_token('database', 'DELETE', self._users_url(name), 'user')
