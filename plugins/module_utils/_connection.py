# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The connection options every scalingo.cloud module shares: their spec, defaults and checks, and what they name.

Private to the scalingo.cloud collection: it may change without notice.

They are documented in the scalingo.cloud.connection doc fragment (plugins/doc_fragments/connection.py).
``check_connection_params()`` runs before any request; ``Connection`` reads the options it accepted.
"""

import re

from urllib.parse import urlsplit, urlunsplit

from ansible.module_utils.basic import env_fallback

DEFAULT_REGION = 'osc-fr1'
DEFAULT_AUTH_URL = 'https://auth.scalingo.com'
DEFAULT_TIMEOUT = 30
# Seconds of waiting between attempts, for the whole task: the default covers Scalingo's one-minute window of rate
# limiting, twice over.
DEFAULT_MAX_WAIT = 120.0

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


# What the argument spec says of the options every module shares, beside their own spec: the checks Ansible makes
# before ours. Ours (check_connection_params) say more, and take an empty value (AWX injects every variable of a
# credential) as not set.
CONNECTION_RULES = dict(required_one_of=[('api_token', 'database_token')])


def connection_argument_spec():
    """Options every module shares; documented in the scalingo.cloud.connection fragment."""
    return dict(
        api_token=dict(type='str', no_log=True, fallback=(env_fallback, ['SCALINGO_API_TOKEN'])),
        database_token=dict(type='str', no_log=True, fallback=(env_fallback, ['SCALINGO_DATABASE_TOKEN'])),
        app=dict(type='str', fallback=(env_fallback, ['SCALINGO_APP'])),
        addon=dict(type='str', required=True, fallback=(env_fallback, ['SCALINGO_ADDON'])),
        region=dict(type='str', default=DEFAULT_REGION, fallback=(env_fallback, ['SCALINGO_REGION'])),
        auth_url=dict(type='str', fallback=(env_fallback, ['SCALINGO_AUTH_URL'])),
        api_url=dict(type='str', fallback=(env_fallback, ['SCALINGO_API_URL'])),
        db_api_url=dict(type='str', fallback=(env_fallback, ['SCALINGO_DB_API_URL', 'SCALINGO_DB_URL'])),
        timeout=dict(type='float', default=DEFAULT_TIMEOUT),
        max_wait=dict(type='float', default=DEFAULT_MAX_WAIT),
        validate_certs=dict(type='bool', default=True),
    )


def region_urls(region):
    """Default API and DB API roots of a region (every region follows one naming rule)."""
    return 'https://api.%s.scalingo.com' % region, 'https://db-api.%s.scalingo.com' % region


def is_host_name(host):
    """Whether ``host`` is a host name the HTTP stack can send (or an IPv4 address): dot-separated labels of letters,
    digits, "-" and "_"."""
    return 0 < len(host) <= 253 and all(_HOST_LABEL_RE.fullmatch(label) for label in host.split('.'))


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
    if ':' not in host and not is_host_name(host):
        raise ValueError('has an invalid host name (letters, digits, "-" and "_" in dot-separated labels of at most 63)')
    if not re.fullmatch(re.escape('[%s]' % host if ':' in host else host) + r'(:[0-9]*)?', parts.netloc.lower()):
        raise ValueError('has an invalid host name')
    path = parts.path.rstrip('/')
    if path.endswith(suffix):
        path = path[:-len(suffix)]
    return urlunsplit((parts.scheme, parts.netloc, path, '', ''))


def check_service_params(params):
    """Validate how Scalingo is reached (region, service URLs, time bounds, the tokens' characters), before any
    request: ``(option, message)`` for the first problem found, or ``None``."""
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
    return None


def check_connection_params(params):
    """Validate the shared options of the modules before any request: how Scalingo is reached, the addon, and the
    credentials it takes. Returns ``(option, message)`` for the first problem found, or ``None``."""
    problem = check_service_params(params)
    if problem:
        return problem
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


class Connection:
    """The connection options of one run, as the client uses them: defaults applied, service URLs reduced to their
    roots. Raises ValueError on a service URL ``check_connection_params()`` would refuse."""

    def __init__(self, params):
        self.region = params.get('region') or DEFAULT_REGION
        # The service URLs set by an option (or its environment variable), rather than by the region.
        self.urls_given = [option for option in ('auth_url', 'api_url', 'db_api_url') if params.get(option)]
        default_api, default_db_api = region_urls(self.region)
        self.auth_root = service_root(params.get('auth_url') or DEFAULT_AUTH_URL, '/v1')
        self.api_root = service_root(params.get('api_url') or default_api, '/v1')
        self.db_api_root = service_root(params.get('db_api_url') or default_db_api, '/api')
        # An empty value (AWX injects every variable of a credential) means not set, as in the input checks.
        self.api_token = params.get('api_token') or None
        self.database_token = params.get('database_token') or None
        self.app = params.get('app')
        self.addon = params.get('addon')
        self.timeout = params.get('timeout') or DEFAULT_TIMEOUT
        max_wait = params.get('max_wait')
        self.max_wait = DEFAULT_MAX_WAIT if max_wait is None else max_wait
        self.validate_certs = params.get('validate_certs', True)
