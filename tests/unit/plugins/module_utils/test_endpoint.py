# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""_endpoint and _answers.database: where a database listens, from the Database API, and the URI of one of its
users."""

from urllib.parse import unquote, urlsplit

import pytest

from hypothesis import given, settings, strategies as st

from ansible_collections.scalingo.cloud.plugins.module_utils._answers import ShapeError, database
from ansible_collections.scalingo.cloud.plugins.module_utils._endpoint import Endpoint, EndpointError
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import examples

OWNER = 'my_app_4321'
USERS = [dict(name=OWNER, protected=True), dict(name='metabase', protected=False)]


def answer(type_name='postgresql', hostname='db.example.com:30000', features=None, **more):
    found = dict(id='ad-1', resource_id=OWNER, type_name=type_name, hostname=hostname, **more)
    if features is not None:
        found['features'] = [dict(name=name, status=status) for name, status in features.items()]
    return {'database': found}


def endpoint(users=None, **fields):
    return Endpoint(database(answer(**fields)), USERS if users is None else users)


def test_the_address_from_the_database_api_and_the_name_from_the_protected_user():
    assert endpoint().public == dict(scheme='postgres', host='db.example.com', port=30000, database=OWNER,
                                     options=dict(sslmode='prefer'), force_ssl=False, publicly_available=False)


@pytest.mark.parametrize('features, sslmode, public', [
    ({}, 'prefer', False),
    ({'force-ssl': 'ACTIVATED'}, 'require', False),
    ({'force-ssl': 'ACTIVATED', 'publicly-available': 'ACTIVATED'}, 'require', True),
    ({'force-ssl': 'PENDING_TO_ACTIVATE'}, 'prefer', False),
    ({'force-ssl': 'PENDING_TO_REMOVE', 'publicly-available': 'PENDING_TO_ACTIVATE'}, 'prefer', False),
    ({'force-ssl': 'ACTIVATED', 'some-future-feature': 'ACTIVATED'}, 'require', False),
])
def test_tls_and_reach_follow_the_features_activated(features, sslmode, public):
    found = endpoint(features=features).public
    assert found['options'] == dict(sslmode=sslmode)
    assert found['force_ssl'] is (sslmode == 'require') and found['publicly_available'] is public


def test_mysql_takes_the_options_of_scalingo_s_own_uri():
    found = endpoint(type_name='mysql', hostname='db.example.com:3306', features={'force-ssl': 'ACTIVATED'})
    assert found.public['scheme'] == 'mysql' and found.public['force_ssl'] is True
    assert found.uri('reader', 'p') == 'mysql://reader:p@db.example.com:3306/%s?useSSL=true&verifyServerCertificate=false' % OWNER


@pytest.mark.parametrize('type_name', ['mongodb', 'influxdb', 'redis'])
def test_a_type_without_a_documented_uri_is_refused_rather_than_guessed(type_name):
    with pytest.raises(EndpointError, match='supports mysql and postgresql databases only.*no connection URI for %s' % type_name):
        endpoint(type_name=type_name)


@pytest.mark.parametrize('users', [[dict(name='a', protected=False)], [dict(name='a', protected=True), dict(name='b', protected=True)]])
def test_without_one_protected_user_the_database_has_no_name(users):
    with pytest.raises(EndpointError, match='Cannot name this database'):
        endpoint(users=users)


def test_the_uri_of_a_user_percent_encodes_its_credentials():
    password = 'a:b@c/d?e#f%g h+i!*()' * 2
    uri = endpoint().uri('meta-base_1', password)
    parts = urlsplit(uri)
    assert (parts.scheme, parts.hostname, parts.port, parts.path, parts.query) == (
        'postgres', 'db.example.com', 30000, '/' + OWNER, 'sslmode=prefer')
    assert (unquote(parts.username), unquote(parts.password)) == ('meta-base_1', password)


@pytest.mark.parametrize('data, expected', [
    (None, 'a JSON object'),
    ({'database': []}, 'a "database" object'),
    (answer(type_name=None), 'a database with its "type_name"'),
    (answer(hostname=None), 'a database with its "hostname"'),
    (answer(hostname='db.example.com'), '<host name>:<port>'),
    (answer(hostname='db.example.com:'), '<host name>:<port>'),
    (answer(hostname='db.example.com:0'), '<host name>:<port>'),
    (answer(hostname='db.example.com:65536'), '<host name>:<port>'),
    (answer(hostname='db.example.com:３０'), '<host name>:<port>'),
    (answer(hostname='user:pw@db.example.com:30000'), '<host name>:<port>'),
    (answer(hostname='db.example.com/x:30000'), '<host name>:<port>'),
    (answer(hostname=':30000'), '<host name>:<port>'),
    ({'database': dict(answer()['database'], features='force-ssl')}, '"features" as a list'),
    ({'database': dict(answer()['database'], features=[['force-ssl']])}, 'features as objects'),
])
def test_an_answer_of_another_shape_is_refused(data, expected):
    with pytest.raises(ShapeError) as caught:
        database(data)
    assert expected in str(caught.value)


@pytest.mark.parametrize('feature', [dict(name='force-ssl'), dict(status='ACTIVATED'), dict(name=1, status='ACTIVATED'),
                                     dict(name='force-ssl', status=True)])
def test_a_feature_without_its_name_and_status_as_text_is_refused(feature):
    data = answer()
    data['database']['features'] = [feature]
    with pytest.raises(ShapeError, match='features with their'):
        database(data)


def test_features_absent_or_null_mean_none():
    assert database(answer())['features'] == {}
    data = answer()
    data['database']['features'] = None
    assert database(data)['features'] == {}


@settings(max_examples=examples(300), deadline=None)
@given(st.one_of(st.none(), st.text(max_size=40), st.integers(), st.lists(st.text(max_size=5), max_size=3),
                 st.from_regex(r'\A[a-z0-9.-]{1,20}:[0-9]{1,6}\Z')),
       st.one_of(st.none(), st.text(max_size=12), st.sampled_from(['postgresql', 'mysql', 'mongodb'])))
def test_any_answer_gives_an_address_or_a_shape_error(hostname, type_name):
    try:
        found = database(answer(type_name=type_name, hostname=hostname))
    except ShapeError:
        return
    assert isinstance(found['host'], str) and found['host'] and ':' not in found['host'] and '@' not in found['host']
    assert isinstance(found['port'], int) and 0 < found['port'] < 65536
