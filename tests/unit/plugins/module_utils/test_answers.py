# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Scalingo's answers are input: arbitrary bodies fed to every endpoint's reader, and to the client itself, give a
well-typed value or the client's own error naming the URL, never any other exception."""

import json


from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.scalingo.cloud.plugins.module_utils import _answers
from ansible_collections.scalingo.cloud.plugins.module_utils._api import ScalingoClient, ScalingoError
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    ADDON_ID,
    API_TOKEN,
    APP,
    PASSWORD,
    Reply,
)
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import examples

PROPERTY = dict(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
KEYS = st.sampled_from(['name', 'read_only', 'protected', 'dbms_attributes', 'password_encryption', 'password',
                        'database_user', 'database-users', 'addons', 'addon', 'addon_provider', 'id', 'token', 'x'])
JSON = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS | st.text(max_size=5), inner, max_size=6),
    max_leaves=25)
# Bodies close to the real ones, with any field replaced: the readers must check every field they use.
USER = st.fixed_dictionaries({}, optional={
    'name': st.just('reporting') | JSON, 'read_only': st.booleans() | JSON, 'protected': st.booleans() | JSON,
    'dbms_attributes': st.just({'password_encryption': 'MD5'}) | JSON, 'password': st.just(PASSWORD) | JSON})
NEAR = (USER | st.fixed_dictionaries({'database_user': USER}) | st.fixed_dictionaries({'database-users': st.lists(USER, max_size=3)})
        | st.fixed_dictionaries({'addons': st.lists(st.fixed_dictionaries({}, optional={
            'id': st.just(ADDON_ID) | JSON, 'addon_provider': st.fixed_dictionaries({}, optional={
                'id': st.just('postgresql') | JSON}) | JSON}), max_size=3)})
        | st.fixed_dictionaries({'addon': st.fixed_dictionaries({}, optional={'token': st.text(min_size=1) | JSON})})
        | st.fixed_dictionaries({'token': st.text(min_size=1) | JSON}))
BODIES = JSON | NEAR


def _is_user(value):
    return (isinstance(value, dict) and sorted(value) == ['dbms_attributes', 'name', 'protected', 'read_only']
            and isinstance(value['name'], str) and value['name'] and isinstance(value['read_only'], bool)
            and isinstance(value['protected'], bool) and isinstance(value['dbms_attributes'], dict)
            and isinstance(value['dbms_attributes'].get('password_encryption', ''), str))


@settings(**PROPERTY)
@given(data=BODIES)
def test_every_reader_gives_a_well_typed_value_or_a_shape_error(data):
    checks = [
        (lambda: _answers.exchange_token(data), lambda token: isinstance(token, str) and token),
        (lambda: _answers.addon_token(data), lambda token: isinstance(token, str) and token),
        (lambda: _answers.addon_ids(data, 'postgresql'), lambda ids: all(isinstance(i, str) and i for i in ids)),
        (lambda: _answers.users(data), lambda users: all(_is_user(u) for u in users)
         and len({u['name'] for u in users}) == len(users)),
        (lambda: _answers.user_and_password(data, 'reporting'), lambda found: _is_user(found[0])
         and found[0]['name'] == 'reporting' and (found[1] is None or (isinstance(found[1], str) and found[1]))),
        (lambda: _answers.apps(data),
         lambda apps: all(isinstance(a['id'], str) and isinstance(a['name'], str) for a in apps)),
        (lambda: _answers.addons(data), lambda addons: all(
            all(isinstance(a[key], str) and a[key] for key in ('id', 'type', 'resource_id', 'status'))
            and (a['plan'] is None or isinstance(a['plan'], str)) for a in addons)),
    ]
    for read, well_typed in checks:
        try:
            value = read()
        except _answers.ShapeError as exc:
            assert str(exc)
            continue
        assert well_typed(value), value


ROUTES = dict(dict.fromkeys(['exchange', 'addons', 'addon_token', 'list'], lambda scalingo: scalingo.list_users()), **{
    'create': lambda scalingo: scalingo.create_user('reporting', False),
    'update': lambda scalingo: scalingo.change_password('reporting', PASSWORD),
    'reset': lambda scalingo: scalingo.reset_password('reporting'),
    'database': lambda scalingo: scalingo.endpoint(scalingo.list_users()),
})


@settings(**dict(PROPERTY, max_examples=examples(400)))
@given(route=st.sampled_from(sorted(ROUTES)), data=BODIES, status=st.sampled_from([200, 201]))
def test_the_client_fails_only_with_its_own_error_whatever_a_success_holds(fake, route, data, status):
    fake.add_user('reporting')
    fake.calls = []
    fake.script(route, Reply(status, text=json.dumps(data), headers={'Content-Type': 'application/json'}))
    scalingo = ScalingoClient(dict(api_token=API_TOKEN, app=APP, addon='postgresql', timeout=30, validate_certs=True))
    try:
        ROUTES[route](scalingo)
    except ScalingoError as exc:
        assert exc.url and '\n' not in exc.message
        assert exc.url in exc.message or 'App ' in exc.message  # a missing addon names the app
    finally:
        fake.users().pop('reporting', None)
