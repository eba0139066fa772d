# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where a database listens, read from the app's environment, and the connection URI of one of its users.

Private to the scalingo.cloud collection: it may change without notice.

Scalingo's API gives no address for a database: each database addon puts its URL, with the credentials of the
database's own (protected) user, in the app's environment as ``SCALINGO_<TYPE>_URL``, and Scalingo's guide says to
connect as another user by keeping that endpoint and replacing the credentials. The environment holds every secret
of the app: only the chosen URL's scheme, host, port, database and options ever leave this file, and no message
quotes a value.
"""

import re

from urllib.parse import parse_qsl, quote, unquote, urlsplit

# The part of SCALINGO_<TYPE>_URL of each addon type with users.
ENV_TYPES = {'postgresql': 'POSTGRESQL', 'mysql': 'MYSQL', 'mongodb': 'MONGO', 'influxdb': 'INFLUX'}
# A value that stands for another variable: $NAME or ${NAME}.
_ALIAS_RE = re.compile(r'^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$')
# Names of variables, and of URL options, that may hold a credential.
_SECRET_NAME_RE = re.compile(r'pass|pwd|secret|token|key|credential|private|auth', re.IGNORECASE)
_SCHEME_RE = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*$')
_URL_RE = re.compile(r'^([^/?#]*)(/[^?#]*)?(\?[^#]*)?(#.*)?$')


class EndpointError(Exception):
    """The environment does not say where this database listens; ``str()`` says why and what to do."""


def _resolve(variables, name):
    """The value of ``name``, through the aliases it stands for (a loop of aliases resolves to nothing)."""
    seen = set()
    value = variables.get(name)
    while value is not None:
        match = _ALIAS_RE.match(value)
        if not match:
            return value
        name = match.group(1) or match.group(2)
        if name in seen:
            return None
        seen.add(name)
        value = variables.get(name)
    return None


class _Url:
    """A database URL taken apart; ``None`` from ``parse()`` when it is not one."""

    def __init__(self, scheme, user, password, hosts, path, query):
        self.scheme, self.user, self.password = scheme, user, password
        self.hosts, self.path, self.query = hosts, path, query

    @classmethod
    def parse(cls, value):
        scheme, separator, rest = (value or '').partition('://')
        match = _URL_RE.match(rest)
        if not separator or not _SCHEME_RE.match(scheme) or not match:
            return None
        userinfo, at, hosts = match.group(1).rpartition('@')
        if not at or not hosts or not userinfo:
            return None
        user, dummy, password = userinfo.partition(':')
        return cls(scheme.lower(), unquote(user), unquote(password), hosts, match.group(2) or '', match.group(3) or '')

    @property
    def endpoint(self):
        """What tells two URLs of one database apart: all but the credentials."""
        return self.scheme, self.hosts, self.path, self.query


class Endpoint:
    """The endpoint of one database: ``public`` is what the modules return as ``connection``, ``uri()`` the URL of
    one of its users."""

    def __init__(self, url):
        self._url = url
        if ',' in url.hosts:  # several hosts (a MongoDB replica set): shown as written
            host, port = url.hosts, None
        else:
            parts = urlsplit('//' + url.hosts)
            try:
                host, port = parts.hostname, parts.port
            except ValueError:
                host, port = url.hosts, None
        self.public = dict(
            scheme=url.scheme,
            host=host,
            port=port,
            database=unquote(url.path.lstrip('/')) or None,
            options=dict((key, value) for key, value in parse_qsl(url.query.lstrip('?'), keep_blank_values=True)
                         if not _SECRET_NAME_RE.search(key)),
        )

    def uri(self, user, password):
        """The URL of the database for ``user``, its name percent-encoded where needed, and its password in full.

        Every byte of the password is encoded: Ansible masks every copy of a ``no_log`` option in the result, so a
        given password left as it is would come back as ``********`` inside the URI. Drivers decode either form.
        """
        url = self._url
        encoded = ''.join('%%%02X' % byte for byte in password.encode('utf-8'))
        return '%s://%s:%s@%s%s%s' % (url.scheme, quote(user, safe=''), encoded, url.hosts, url.path, url.query)

    def uris(self, passwords):
        """The URI of each user of ``passwords`` (name -> password)."""
        return dict((user, self.uri(user, password)) for user, password in passwords.items())


def secrets_in(variables):
    """The values of ``variables`` (name -> value) to keep out of every message: the credentials of every URL, and
    every variable whose name says it is a credential. The others never leave this file."""
    found = []
    for name, value in variables.items():
        url = _Url.parse(value)
        if url is not None and url.password:
            found += [value, url.password]
        elif _SECRET_NAME_RE.search(name):
            found.append(value)
    return found


def find(variables, users, addon_type=None):
    """The endpoint of the database whose users are ``users``, from the app's ``variables``: the
    ``SCALINGO_<TYPE>_URL`` variable (of ``addon_type`` when known) whose user is the database's protected user.
    Raises EndpointError when none or several different ones match, naming variables, never their values."""
    protected = [user['name'] for user in users if user['protected']]
    if len(protected) != 1:
        raise EndpointError("Cannot tell this database's own user, whose URL the app's environment holds: Scalingo lists "
                            "%d protected users. Leave connection out." % len(protected))
    types = [ENV_TYPES[addon_type]] if addon_type in ENV_TYPES else sorted(ENV_TYPES.values())
    pattern = re.compile(r'^SCALINGO_(%s)(_[A-Z0-9_]+)?_URL(_[A-Z0-9_]+)?$' % '|'.join(types))
    expected = 'SCALINGO_%s_URL' % (types[0] if len(types) == 1 else '<TYPE>')
    names = sorted(name for name in variables if pattern.match(name))
    if not names:
        raise EndpointError("The app's environment has no %s variable, where Scalingo gives the database's address: "
                            "check that app names the app that holds this addon, or leave connection out." % expected)
    matches = [(name, url) for name, url in ((name, _Url.parse(_resolve(variables, name))) for name in names)
               if url is not None and url.user == protected[0]]
    if not matches:
        raise EndpointError("None of the app's %s variables (%s) is the URL of this database, whose own user is '%s': "
                            "restore the variable Scalingo set, or leave connection out."
                            % (expected, ', '.join(names), protected[0]))
    if len(set(url.endpoint for dummy, url in matches)) > 1:
        raise EndpointError("The app's variables %s give different addresses for this database (user '%s'), so "
                            "which one to use cannot be told: remove the stale one, or leave connection out."
                            % (', '.join(name for name, dummy in matches), protected[0]))
    return Endpoint(matches[0][1])
