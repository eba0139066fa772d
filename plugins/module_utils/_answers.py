# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Strict readers of Scalingo's answers.

Private to the scalingo.cloud collection: it may change without notice.

A server's answer is input: every field the modules decide on is checked for its type here, before any
decision is taken. Anything else raises ``ShapeError``, which ``read()`` turns into a failure naming the URL.
"""

from ansible_collections.scalingo.cloud.plugins.module_utils._connection import is_host_name, service_root
from ansible_collections.scalingo.cloud.plugins.module_utils._http import ScalingoError


class ShapeError(Exception):
    """An answer that does not have the shape the modules rely on. ``str()`` says what was expected."""


def read(method, url, parse, data, *args):
    """``parse(data, *args)`` of the answer to ``method url``; an answer of another shape fails naming the URL."""
    try:
        return parse(data, *args)
    except ShapeError as exc:
        raise ScalingoError('%s %s answered with an unexpected shape (expected %s): is this URL a Scalingo '
                            'service?' % (method, url, exc), method=method, url=url)


def _text(data, key, where):
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ShapeError('%s "%s" as a non-empty string' % (where, key))
    return value


def _flag(data, key, where):
    value = data.get(key)
    if not isinstance(value, bool):
        raise ShapeError('%s "%s" as true or false' % (where, key))
    return value


def _object(data, where):
    if not isinstance(data, dict):
        raise ShapeError(where)
    return data


def exchange_token(data):
    """The bearer token of ``POST /v1/tokens/exchange``."""
    return _text(_object(data, 'a JSON object'), 'token', 'a')


def addon_ids(data, addon_type):
    """The ids of the addons of type ``addon_type`` in ``GET /v1/apps/{app}/addons``."""
    addons = _object(data, 'a JSON object').get('addons')
    if not isinstance(addons, list):
        raise ShapeError('an "addons" list')
    ids = []
    for addon in addons:
        addon = _object(addon, 'addons as objects')
        provider = _object(addon.get('addon_provider'), 'each addon with an "addon_provider" object')
        if _text(provider, 'id', 'each addon_provider with its') == addon_type:
            ids.append(_text(addon, 'id', 'each addon with its'))
    return sorted(ids)


def regions(data):
    """The regions of ``GET /v1/regions``: ``[{"name", "api"}]``, the API's root a URL."""
    listed = _object(data, 'a JSON object').get('regions')
    if not isinstance(listed, list):
        raise ShapeError('a "regions" list')
    found = []
    for region in listed:
        region = _object(region, 'regions as objects')
        name, api = _text(region, 'name', 'regions with their'), _text(region, 'api', 'regions with their')
        try:
            found.append(dict(name=name, api=service_root(api, '/v1')))
        except ValueError:
            raise ShapeError('regions with their "api" as a URL')
    return found


def apps(data):
    """The apps of ``GET /v1/apps``: ``[{"id", "name"}]``."""
    listed = _object(data, 'a JSON object').get('apps')
    if not isinstance(listed, list):
        raise ShapeError('an "apps" list')
    return [dict(id=_text(app, 'id', 'apps with their'), name=_text(app, 'name', 'apps with their'))
            for app in (_object(item, 'apps as objects') for item in listed)]


def addons(data):
    """The addons of ``GET /v1/apps/{app}/addons``: ``[{"id", "type", "resource_id", "status", "plan"}]``, ``plan``
    the plan's name, or None when the answer gives none."""
    listed = _object(data, 'a JSON object').get('addons')
    if not isinstance(listed, list):
        raise ShapeError('an "addons" list')
    found = []
    for addon in listed:
        addon = _object(addon, 'addons as objects')
        provider = _object(addon.get('addon_provider'), 'each addon with an "addon_provider" object')
        plan = addon.get('plan')
        plan = plan.get('name') if isinstance(plan, dict) else plan
        if plan is not None and not isinstance(plan, str):
            raise ShapeError('each addon with its "plan" as an object with a "name", or null')
        found.append(dict(id=_text(addon, 'id', 'each addon with its'),
                          type=_text(provider, 'id', 'each addon_provider with its'),
                          resource_id=_text(addon, 'resource_id', 'each addon with its'),
                          status=_text(addon, 'status', 'each addon with its'), plan=plan))
    return found


def addon_token(data):
    """The database token of ``POST /v1/apps/{app}/addons/{id}/token``."""
    addon = _object(_object(data, 'a JSON object').get('addon'), 'an "addon" object')
    return _text(addon, 'token', 'an addon with its')


def _dbms_attributes(value):
    """What the database engine says of a user: optional, and shown as it is (unknown keys may appear); only
    ``password_encryption`` is shown in diffs, so only its type matters."""
    if value is None:
        return {}
    attributes = _object(value, 'users with "dbms_attributes" as an object')
    encryption = attributes.get('password_encryption')
    if encryption is not None and not isinstance(encryption, str):
        raise ShapeError('users with "dbms_attributes": {"password_encryption"} as a string')
    return dict(attributes)


def user(data):
    """A user as the modules show it, never with a password."""
    data = _object(data, 'users as objects')
    return dict(
        name=_text(data, 'name', 'users with their'),
        read_only=_flag(data, 'read_only', 'users with'),
        protected=_flag(data, 'protected', 'users with'),
        dbms_attributes=_dbms_attributes(data.get('dbms_attributes')),
    )


def users(data):
    """The users of ``GET /api/databases/{id}/users``, each name once."""
    listed = _object(data, 'a JSON object').get('database-users')
    if not isinstance(listed, list):
        raise ShapeError('a "database-users" list')
    found = [user(item) for item in listed]
    names = [item['name'] for item in found]
    if len(set(names)) != len(names):
        raise ShapeError('each user listed once')
    return found


def user_and_password(data, name):
    """``(user, password or None)`` of a create, password change or reset answer.

    The provider's page shows a bare user object, Scalingo's clients read ``{"database_user": {...}}``: both are
    accepted. The answer must be about ``name``.
    """
    data = _object(data, 'a user object')
    if isinstance(data.get('database_user'), dict):
        data = data['database_user']
    found = user(data)
    if found['name'] != name:
        raise ShapeError('the user "%s"' % name)
    password = data.get('password')
    if password is not None and (not isinstance(password, str) or not password):
        raise ShapeError('"password" as a non-empty string or null')
    return found, password


def database(data):
    """What ``GET /api/databases/{id}`` says of where the database listens: ``type`` (``type_name``), ``host`` and
    ``port`` (from ``hostname``, "FQDN and port of the database"), and ``features`` (name -> status)."""
    found = _object(_object(data, 'a JSON object').get('database'), 'a "database" object')
    type_name = _text(found, 'type_name', 'a database with its')
    host, colon, port = _text(found, 'hostname', 'a database with its').rpartition(':')
    if not colon or not is_host_name(host) or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        raise ShapeError('a database "hostname" as <host name>:<port>')
    features = found.get('features')
    if features is None:
        features = []
    if not isinstance(features, list):
        raise ShapeError('a database with "features" as a list')
    statuses = {}
    for feature in features:
        feature = _object(feature, 'features as objects')
        statuses[_text(feature, 'name', 'features with their')] = _text(feature, 'status', 'features with their')
    return dict(type=type_name, host=host, port=int(port), features=statuses)
