# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The token chain of the Scalingo client: each token fetched once, a refused one renewed once.

Private to the scalingo.cloud collection: it may change without notice.

Scalingo's services take one credential after the other: the API token is exchanged for a bearer token (auth
service), the bearer token fetches the database token of the addon (regional API), and the DB API takes that one.
An addon named by its type is resolved to its id through the app's addon list first. A database token given in the
options skips the first two steps. Tokens last an hour: one that Scalingo refuses is fetched again, once per run.
"""

import base64

from urllib.parse import quote

from ansible_collections.scalingo.cloud.plugins.module_utils import _answers
from ansible_collections.scalingo.cloud.plugins.module_utils._connection import is_addon_id
from ansible_collections.scalingo.cloud.plugins.module_utils._http import ScalingoError

BEARER = 'bearer'
DATABASE = 'database'


def renewable(kind, connection):
    """Whether a token of ``kind`` that Scalingo refused may be fetched again, with the options of ``connection``:
    the bearer token always; a database token given in the options only through the API token and the app."""
    return kind == BEARER or not connection.database_token or bool(connection.api_token and connection.app)


class Tokens:
    """The tokens of one run, for ``connection`` (``_connection.Connection``).

    ``transport`` sends the requests that fetch them (all of them may be sent again: they create nothing a user
    could see); ``secrets`` learns each token as it arrives; ``advice`` words what to do when the addon cannot be
    resolved.
    """

    def __init__(self, connection, transport, secrets, advice):
        self._connection = connection
        self._transport = transport
        self._secrets = secrets
        self._advice = advice
        self._tokens = {BEARER: None, DATABASE: connection.database_token}
        self._renewed = set()  # kinds of token already fetched again after a refusal
        self._addon_id = connection.addon if is_addon_id(connection.addon) else None

    # --- what the users API asks ------------------------------------------------------

    def token(self, kind):
        """The token of ``kind`` (``BEARER`` or ``DATABASE``), fetched the first time it is asked for."""
        if self._tokens[kind] is None:
            token = self._exchange() if kind == BEARER else self._addon_token()
            self._secrets.add(token)
            self._tokens[kind] = token
        return self._tokens[kind]

    def refused(self, kind):
        """Scalingo refused the token of ``kind`` (401). Returns whether a new one will be fetched: at most once per
        kind and per run, and only when ``renewable()``."""
        if not self.renewable(kind) or kind in self._renewed:
            return False
        self._renewed.add(kind)
        self._tokens[kind] = None
        return True

    def renewable(self, kind):
        return renewable(kind, self._connection)

    def send(self, kind, request):
        """``request('Bearer <token>')`` with the token of ``kind``; when Scalingo refuses the token (it expired),
        sent once more with a new one, as a refused request was not applied. The token is fetched outside the try: a
        401 while fetching it is not this request's."""
        token = self.token(kind)
        try:
            return request('Bearer ' + token)
        except ScalingoError as exc:
            if exc.status != 401 or not self.refused(kind):
                raise
            earlier_uncertain = exc.earlier_uncertain
        token = self.token(kind)
        try:
            return request('Bearer ' + token)
        except ScalingoError as exc:
            # The attempt refused with 401 was not applied: only an uncertain one before it may have been.
            exc.earlier_uncertain = exc.earlier_uncertain or earlier_uncertain
            raise

    @property
    def addon_id(self):
        """The addon's id, resolved from its type through the app's addon list when needed."""
        if self._addon_id is None:
            app, addon = self._connection.app, self._connection.addon
            url = self.app_path() + '/addons'
            dummy, data = self.read(url, 'addons')
            matches = _answers.read('GET', url, _answers.addon_ids, data, addon)
            if not matches:
                raise ScalingoError("App '%s' has no %s addon: %s" % (app, addon, self._advice.no_addon()),
                                    method='GET', url=url)
            if len(matches) > 1:
                raise ScalingoError("App '%s' has %d %s addons (%s): %s" % (
                    app, len(matches), addon, ', '.join(self._secrets.text(m) for m in matches),
                    self._advice.several_addons()), method='GET', url=url)
            self._addon_id = matches[0]
        return self._addon_id

    # --- fetching ---------------------------------------------------------------------

    def read(self, url, step):
        """``GET url`` with the bearer token, as a read: sent again whatever happened to it."""
        return self._with_bearer('GET', url, step)

    def _with_bearer(self, method, url, step):
        return self.send(BEARER, lambda auth: self._transport.request(method, url, step, auth, replayable=True))

    def app_path(self):
        """The URL of the app on the regional API."""
        return self._connection.api_root + '/v1/apps/' + quote(self._connection.app, safe='')

    def _exchange(self):
        """A bearer token for the API token."""
        basic = base64.b64encode((':%s' % self._connection.api_token).encode('utf-8')).decode('ascii')
        url = self._connection.auth_root + '/v1/tokens/exchange'
        dummy, data = self._transport.request('POST', url, 'exchange', 'Basic ' + basic, replayable=True)
        return _answers.read('POST', url, _answers.exchange_token, data)

    def _addon_token(self):
        """A database token of the addon, with the bearer token."""
        url = self.app_path() + '/addons/' + quote(self.addon_id, safe='') + '/token'
        dummy, data = self._with_bearer('POST', url, 'addon_token')
        return _answers.read('POST', url, _answers.addon_token, data)
