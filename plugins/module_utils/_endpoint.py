# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where a database listens, from the Database API, and the connection URI of one of its users.

Private to the scalingo.cloud collection: it may change without notice.

The address comes from ``GET /api/databases/{id}`` (``_answers.database``); the database is named after its protected
user, as in every URL Scalingo puts in an app's environment. The URI follows the form Scalingo's documentation gives
for each type: ``postgresql://<user>:<password>@<host>:<port>/<db>?sslmode=prefer`` and
``mysql://<user>:<password>@<host>:<port>/<db>?useSSL=true&verifyServerCertificate=false``. Scalingo documents no
such form for MongoDB (its Business plans are replica sets, whose members and name the Database API does not give)
nor for InfluxDB: for those, nothing is guessed.
"""

from urllib.parse import quote, urlencode

# The scheme of the URI of each type that has one.
SCHEMES = {'postgresql': 'postgres', 'mysql': 'mysql'}
FORCE_SSL = 'force-ssl'
PUBLICLY_AVAILABLE = 'publicly-available'
ACTIVATED = 'ACTIVATED'


class EndpointError(Exception):
    """The database's address cannot be told; ``str()`` says why and what to do."""


def unsupported(type_name):
    """The message for a database type whose URI Scalingo does not document."""
    return ("return_connection supports %s databases only: Scalingo documents no connection URI for %s databases, so "
            "none is guessed. Leave return_connection out." % (' and '.join(sorted(SCHEMES)), type_name))


def _options(type_name, force_ssl):
    if type_name == 'postgresql':
        # Scalingo's own URLs say prefer; a database that accepts TLS only is better asked for it outright.
        return dict(sslmode='require' if force_ssl else 'prefer')
    return dict(useSSL='true', verifyServerCertificate='false')


class Endpoint:
    """The endpoint of one database, from what the Database API says of it (``database``, see ``_answers.database``)
    and its ``users`` as listed. ``public`` is what the modules return as ``connection``; ``uri()`` the URL of one of
    its users. Raises EndpointError when the database cannot be named or its type has no documented URI."""

    def __init__(self, database, users):
        type_name = database['type']
        if type_name not in SCHEMES:
            raise EndpointError(unsupported(type_name))
        protected = [user['name'] for user in users if user['protected']]
        if len(protected) != 1:
            raise EndpointError("Cannot name this database: Scalingo names it after its protected user, and lists %d "
                                "protected users. Nothing was changed; leave return_connection out." % len(protected))
        features = database['features']
        force_ssl = features.get(FORCE_SSL) == ACTIVATED
        self.public = dict(
            scheme=SCHEMES[type_name],
            host=database['host'],
            port=database['port'],
            database=protected[0],
            options=_options(type_name, force_ssl),
            force_ssl=force_ssl,
            publicly_available=features.get(PUBLICLY_AVAILABLE) == ACTIVATED,
        )

    def uri(self, user, password):
        """The URL of the database for ``user`` and ``password``, each percent-encoded where a URL needs it."""
        where = self.public
        credentials = '%s:%s' % (quote(user, safe=''), quote(password, safe=''))
        return '%s://%s@%s:%d/%s?%s' % (where['scheme'], credentials, where['host'], where['port'],
                                        quote(where['database'], safe=''), urlencode(sorted(where['options'].items())))

    def uris(self, passwords):
        """The URI of each user of ``passwords`` (name -> password)."""
        return dict((user, self.uri(user, password)) for user, password in passwords.items())
