# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a Scalingo account holds, for the inventory plugin: its regions, their apps, the apps' addons.

Private to the scalingo.cloud collection: it may change without notice.

Every request is a read with the bearer token, over the modules' own transport (``_http``: time bounds, retries, the
rate limit waited out within ``max_wait``) and token chain (``_tokens``); no database token is ever asked for.
"""

from urllib.parse import quote

from ansible_collections.scalingo.cloud.plugins.module_utils import _answers
from ansible_collections.scalingo.cloud.plugins.module_utils._api import Session


class Account(Session):
    """The account of the API token of the connection options in ``params`` (``api_token``, ``auth_url``, ``api_url``,
    ``timeout``, ``max_wait``, ``validate_certs``)."""

    def _read(self, url, step, parse):
        dummy, data = self.tokens.read(url, step)
        return _answers.read('GET', url, parse, data)

    def regions(self):
        """Every region of Scalingo: ``[{"name", "api"}]``."""
        return self._read(self.connection.auth_root + '/v1/regions', 'regions', _answers.regions)

    def apps(self, api_root):
        """The apps of the account in the region whose API is ``api_root``: ``[{"id", "name"}]``."""
        return self._read(api_root + '/v1/apps', 'apps', _answers.apps)

    def addons(self, api_root, app):
        """The addons of ``app`` (its id): ``[{"id", "type", "resource_id", "status", "plan"}]``."""
        return self._read(api_root + '/v1/apps/' + quote(app, safe='') + '/addons', 'addons', _answers.addons)
