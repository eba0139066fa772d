# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Input checks of the scalingo.cloud modules, run before any request.

Private to the scalingo.cloud collection: it may change without notice.
Each check returns ``(option, message)`` for the first problem it finds, or None.
"""

import re

from urllib.parse import urlsplit, urlunsplit

# Database types whose users the DB API manages, and the ones it does not.
USER_ADDON_TYPES = ('postgresql', 'mysql', 'mongodb', 'influxdb')
NO_USER_ADDON_TYPES = ('redis', 'elasticsearch', 'opensearch')

# Addon ids: today "ad-<uuid>", formerly 24 hexadecimal characters.
_ADDON_ID_RE = re.compile(r'^(ad-[0-9A-Za-z][0-9A-Za-z-]{0,62}|[0-9a-f]{24})$')
_REGION_RE = re.compile(r'^[a-z0-9]+(-[a-z0-9]+)*$')
_APP_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$')
# One label of a host name as the HTTP stack accepts it (ASCII: international names in their xn-- form).
_HOST_LABEL_RE = re.compile(r'^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$')
# Tokens travel in HTTP headers: visible ASCII only, without spaces or line breaks.
_TOKEN_RE = re.compile(r'^[\x21-\x7e]+$')


def is_addon_id(value):
    return bool(_ADDON_ID_RE.fullmatch(value or ''))


def service_root(value, suffix):
    """Return the root URL of a service from a host or URL, without a trailing ``suffix``.

    Scalingo's examples give the DB API as a bare host, and people paste URLs ending in
    ``/v1`` or ``/api``: all of them name the same root. Raises ValueError when unusable.
    """
    value = (value or '').strip()
    if not value:
        raise ValueError('is empty')
    if '://' not in value:
        value = 'https://' + value
    parts = urlsplit(value)
    if parts.scheme not in ('http', 'https'):
        raise ValueError('must use http or https')
    if not parts.hostname:
        raise ValueError('has no host name')
    if parts.username or parts.password:
        raise ValueError('must not embed credentials')
    if parts.query or parts.fragment:
        raise ValueError('must not have a query or a fragment')
    try:
        valid_port = parts.port != 0  # parts.port raises ValueError on a malformed port
    except ValueError:
        valid_port = False
    if not valid_port:
        raise ValueError('has an invalid port')
    if re.search(r'\s', value):
        raise ValueError('must not contain spaces')
    host = parts.hostname
    # An IPv6 literal was checked by urlsplit; a name must have labels the HTTP stack can send; and nothing may
    # stand between the host and the port.
    if ':' not in host and (len(host) > 253 or not all(_HOST_LABEL_RE.fullmatch(label) for label in host.split('.'))):
        raise ValueError('has an invalid host name (letters, digits, "-" and "_" in dot-separated labels of at most 63)')
    if not re.fullmatch(re.escape('[%s]' % host if ':' in host else host) + r'(:[0-9]*)?', parts.netloc.lower()):
        raise ValueError('has an invalid host name')
    path = parts.path.rstrip('/')
    if path.endswith(suffix):
        path = path[:-len(suffix)]
    return urlunsplit((parts.scheme, parts.netloc, path, '', ''))


def check_connection_params(params):
    """Validate the shared options before any request.

    Returns ``(option, message)`` for the first problem found, or ``None``.
    """
    region = params.get('region')
    # The region names hosts (api.<region>.scalingo.com): one label, at most 63 characters.
    if region is not None and (len(region) > 63 or not _REGION_RE.fullmatch(region)):
        return 'region', "region %r is not a region name such as osc-fr1 or osc-secnum-fr1" % region
    for option, suffix in (('auth_url', '/v1'), ('api_url', '/v1'), ('db_api_url', '/api')):
        if params.get(option) is not None:
            try:
                service_root(params[option], suffix)
            except ValueError as exc:
                return option, '%s %s' % (option, exc)
    timeout = params.get('timeout')
    if timeout is not None and not 0 < timeout <= 600:
        return 'timeout', 'timeout must be between 0 and 600 seconds, got %s' % timeout
    max_wait = params.get('max_wait')
    if max_wait is not None and not 0 <= max_wait <= 3600:
        return 'max_wait', 'max_wait must be between 0 and 3600 seconds, got %s' % max_wait

    for option in ('api_token', 'database_token'):
        # Never quote the value: it is a secret.
        if params.get(option) and not _TOKEN_RE.fullmatch(params[option]):
            return option, ('%s must be visible ASCII characters without spaces or line breaks: '
                            'check that it was copied whole and alone' % option)

    addon = params.get('addon')
    if not addon:
        return 'addon', 'addon is required: an addon id (ad-...) or a type (%s); or set SCALINGO_ADDON' % ', '.join(USER_ADDON_TYPES)
    if addon in NO_USER_ADDON_TYPES:
        return 'addon', "addon type %r has no database users: only %s addons do" % (addon, ', '.join(USER_ADDON_TYPES))
    if not is_addon_id(addon) and addon not in USER_ADDON_TYPES:
        return 'addon', "addon %r is neither an addon id (ad-...) nor a type (%s)" % (addon, ', '.join(USER_ADDON_TYPES))

    if params.get('database_token'):
        if not is_addon_id(addon):
            return 'addon', 'with database_token, addon must be the addon id (ad-...) the token was issued for, not a type'
    elif params.get('api_token'):
        app = params.get('app')
        if not app:
            return 'app', 'app is required with api_token: the name or id of the app that holds the addon; or set SCALINGO_APP'
        if not _APP_RE.fullmatch(app):
            return 'app', "app %r is not an app name or id (letters, digits, '-' and '_')" % app
    else:
        return 'api_token', 'api_token (or SCALINGO_API_TOKEN) is required, unless database_token (or SCALINGO_DATABASE_TOKEN) is given'
    return None


# The union of Scalingo's documented rules; the API applies its own narrower one and says so (422).
_NAME_RE = re.compile(r'^[A-Za-z0-9_-]{6,32}$')


def check_name(name):
    if not _NAME_RE.fullmatch(name or ''):
        return 'name', ("name %r must be 6 to 32 characters among letters, digits, '_' and '-'" % name)
    return None


def check_password(password):
    if not 24 <= len(password) <= 64:
        return 'password', 'password must be 24 to 64 characters long, got %d' % len(password)
    if "'" in password or '"' in password:
        return 'password', 'password must not contain quotes (\' or ")'
    return None
