# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Scalingo client: the users API, over the token chain (``_tokens``) and the transport (``_http``).

Private to the scalingo.cloud collection: it may change without notice and must not be
imported from outside it. With ``_http`` (the transport) and ``_tokens``, this is the only code of the
collection that speaks HTTP.

Every case in which a request is sent again or a task waits, and the one place that decides it. Every wait comes out
of one budget, ``max_wait``, per run (``_http.Transport.wait``); no layer sends again what another one already did.

====================================================  =====================================================  ====================
case                                                  what happens                                           decided in
====================================================  =====================================================  ====================
HTTP 429, any request                                 waited out (Retry-After, else 1, 2, 4 ... 32 s), sent  ``_http.Transport``
                                                      again, up to 20 times
HTTP 502/503/504 on a read or a token request         sent again after 1, 2, 4 ... s, up to 5 attempts       ``_http.Transport``
connection not made (nothing reached the server)      sent again after 1, 2, 4 ... s, up to 5 attempts       ``_http.Transport``
connection lost on a read or a token request          sent again after 1, 2, 4 ... s, up to 5 attempts       ``_http.Transport``
no answer within ``timeout``, on a read               not sent again: the task fails                         ``_http.Transport``
HTTP 401, with a token the options let it fetch       token fetched again, request sent once more (once per  ``_tokens.Tokens``
                                                      kind of token and per run)
a write answered 5xx or lost (outcome ``unknown``)    users read first; sent once more only when its effect  ``_writer.Writer``
                                                      is not there
a write with no answer in time (``pending``)          creation and password: as ``unknown``; deletion: never ``_writer.Writer``
                                                      sent again, the users polled (1, 2, 4 ... s) until it
                                                      is gone; reset: never sent again, the task fails
====================================================  =====================================================  ====================
"""

from urllib.parse import quote

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_CORE_VERSION

from ansible_collections.scalingo.cloud.plugins.module_utils import _answers, _endpoint
from ansible_collections.scalingo.cloud.plugins.module_utils._advice import Advice
from ansible_collections.scalingo.cloud.plugins.module_utils._connection import Connection
from ansible_collections.scalingo.cloud.plugins.module_utils._http import ScalingoError, Transport
from ansible_collections.scalingo.cloud.plugins.module_utils._redaction import Secrets
from ansible_collections.scalingo.cloud.plugins.module_utils._tokens import DATABASE, Tokens, renewable

COLLECTION_VERSION = '1.0.0'
USER_AGENT = 'scalingo.cloud/%s (ansible-core/%s)' % (COLLECTION_VERSION, ANSIBLE_CORE_VERSION)


class Session:
    """One run's way to Scalingo, with the connection options in ``params``: their secrets, one transport (one HTTP
    session, one budget of waiting) and the token chain, each token fetched once."""

    def __init__(self, params):
        connection = Connection(params)
        self.connection = connection
        self.secrets = Secrets()
        for secret in (connection.api_token, connection.database_token):
            self.secrets.add(secret)
        advice = Advice(connection, fixed_database_token=not renewable(DATABASE, connection))
        self.transport = Transport(connection.timeout, connection.validate_certs, USER_AGENT, self.secrets, advice,
                                   connection.max_wait)
        self.tokens = Tokens(connection, self.transport, self.secrets, advice)

    @property
    def session(self):
        return self.transport.session


class ScalingoClient(Session):
    """Talks to Scalingo's users API for one module run."""

    def __init__(self, params):
        super(ScalingoClient, self).__init__(params)
        connection = self.connection
        self.auth_root, self.api_root, self.db_api_root = connection.auth_root, connection.api_root, connection.db_api_root

    @property
    def addon_id(self):
        """The addon's id, resolved from its type through the app's addon list when needed."""
        return self.tokens.addon_id

    # --- secrets ---------------------------------------------------------------------

    def add_secret(self, value):
        """Remember a secret so that no message built here can ever show it, in any form."""
        self.secrets.add(value)

    def redact(self, text):
        return self.secrets.text(text) if isinstance(text, str) else text

    # --- where the database listens ---------------------------------------------------

    def _database_url(self):
        return self.db_api_root + '/api/databases/' + quote(self.addon_id, safe='')

    def endpoint(self, users):
        """Where the database whose ``users`` were listed listens (``_endpoint.Endpoint``): one read of the Database
        API, with the database token."""
        url = self._database_url()
        dummy, data = self._send('GET', url, 'database')
        database = _answers.read('GET', url, _answers.database, data)
        try:
            endpoint = _endpoint.Endpoint(database, users)
        except _endpoint.EndpointError as exc:
            raise ScalingoError(str(exc), method='GET', url=url)
        if self.secrets.value(endpoint.public) != endpoint.public:
            # A URI is returned as it is built: it must not carry anything but the password it is built for.
            raise ScalingoError('GET %s answered with an address that holds a credential: is this URL a Scalingo '
                                'service?' % url, method='GET', url=url)
        return endpoint

    # --- database users --------------------------------------------------------------

    def _send(self, method, url, step, body=None):
        """A request of the users API, with the database token; only reads may be sent again whatever happened."""
        def request(auth):
            return self.transport.request(method, url, step, auth, body, replayable=method == 'GET')
        return self.tokens.send(DATABASE, request)

    def _users_url(self, name=None, action=None):
        url = self._database_url() + '/users'
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
        dummy, data = self._send(method, url, step, body)
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
        dummy, data = self._send('GET', url, 'database')
        return _answers.read('GET', url, _answers.users, data)

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
        self._send('DELETE', self._users_url(name), 'user')
