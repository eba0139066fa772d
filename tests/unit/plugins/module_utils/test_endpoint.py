# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""_endpoint: the database's address found in the app's environment, and the URI of one of its users."""

from urllib.parse import unquote, urlsplit

import pytest

from hypothesis import given, settings, strategies as st

from ansible_collections.scalingo.cloud.plugins.module_utils._endpoint import EndpointError, find, secrets_in

OWNER = 'my_app_4321'
OWNER_PASSWORD = 'pw-owner-endpoint-Jh7Gf6Ds5Aq4Wz3Xc2Vb1Nm0'
OTHER_SECRET = 'secret-endpoint-Pl0Ok9Ij8Uh7Yg6Tf5Rd4Es3Wa2'
PG_URL = 'postgres://%s:%s@db.example.com:30000/my_app_4321?sslmode=prefer' % (OWNER, OWNER_PASSWORD)
USERS = [dict(name=OWNER, protected=True), dict(name='metabase', protected=False)]


def env(**variables):
    values = dict(SECRET_KEY_BASE=OTHER_SECRET)
    values.update(variables)
    return values


def test_the_url_of_the_protected_user_without_credentials():
    endpoint = find(env(SCALINGO_POSTGRESQL_URL=PG_URL), USERS, 'postgresql')
    assert endpoint.public == dict(scheme='postgres', host='db.example.com', port=30000, database='my_app_4321',
                                   options=dict(sslmode='prefer'))


@pytest.mark.parametrize('alias', ['$SCALINGO_POSTGRESQL_URL_REAL', '${SCALINGO_POSTGRESQL_URL_REAL}'])
def test_aliases_are_resolved(alias):
    variables = env(SCALINGO_POSTGRESQL_URL=alias, SCALINGO_POSTGRESQL_URL_REAL=PG_URL, DATABASE_URL='$SCALINGO_POSTGRESQL_URL')
    assert find(variables, USERS).public['host'] == 'db.example.com'


def test_an_alias_loop_is_no_url():
    variables = env(SCALINGO_POSTGRESQL_URL='$DATABASE_URL', DATABASE_URL='$SCALINGO_POSTGRESQL_URL')
    with pytest.raises(EndpointError, match='None of the app'):
        find(variables, USERS)


def test_the_same_address_under_two_names_is_one():
    variables = env(SCALINGO_POSTGRESQL_URL=PG_URL, SCALINGO_POSTGRESQL_URL_2='$SCALINGO_POSTGRESQL_URL')
    assert find(variables, USERS).public['port'] == 30000


@pytest.mark.parametrize('variables, message', [
    (env(), 'has no SCALINGO_POSTGRESQL_URL variable'),
    (env(SCALINGO_MYSQL_URL='mysql://%s:x@h:3306/db' % OWNER), 'has no SCALINGO_POSTGRESQL_URL variable'),
    (env(SCALINGO_POSTGRESQL_URL='postgres://someone:%s@h:5432/db' % OWNER_PASSWORD), "whose own user is 'my_app_4321'"),
    (env(SCALINGO_POSTGRESQL_URL='not a url %s' % OWNER_PASSWORD), 'None of the app'),
    (env(SCALINGO_POSTGRESQL_URL=PG_URL, SCALINGO_POSTGRESQL_URL_OLD=PG_URL.replace('30000', '30001')),
     'SCALINGO_POSTGRESQL_URL, SCALINGO_POSTGRESQL_URL_OLD give different addresses'),
])
def test_none_or_several_fail_naming_variables_never_values(variables, message):
    with pytest.raises(EndpointError) as caught:
        find(variables, USERS, 'postgresql')
    assert message in str(caught.value)
    assert OWNER_PASSWORD not in str(caught.value) and OTHER_SECRET not in str(caught.value)


@pytest.mark.parametrize('users', [[dict(name='a', protected=False)], [dict(name='a', protected=True), dict(name='b', protected=True)]])
def test_without_one_protected_user_there_is_no_telling(users):
    with pytest.raises(EndpointError, match="Cannot tell this database's own user"):
        find(env(SCALINGO_POSTGRESQL_URL=PG_URL), users)


def test_an_addon_given_by_id_finds_its_url_among_every_type():
    mysql = 'mysql://%s:%s@mysql.example:3306/app?useSSL=true' % (OWNER, OWNER_PASSWORD)
    variables = env(SCALINGO_MYSQL_URL=mysql, SCALINGO_POSTGRESQL_URL=PG_URL.replace(OWNER, 'other_db'))
    assert find(variables, USERS).public['scheme'] == 'mysql'


def test_a_replica_set_keeps_its_hosts_as_written():
    url = 'mongodb://%s:%s@h1.example:27017,h2.example:27018/app?replicaSet=rs0&ssl=true' % (OWNER, OWNER_PASSWORD)
    endpoint = find(env(SCALINGO_MONGO_URL=url), USERS, 'mongodb')
    assert endpoint.public == dict(scheme='mongodb', host='h1.example:27017,h2.example:27018', port=None,
                                   database='app', options=dict(replicaSet='rs0', ssl='true'))
    assert endpoint.uri('reader', 'pw') == 'mongodb://reader:%70%77@h1.example:27017,h2.example:27018/app?replicaSet=rs0&ssl=true'


def test_options_that_look_like_credentials_are_not_shown():
    url = PG_URL + '&sslpassword=%s&application_name=app' % OTHER_SECRET
    public = find(env(SCALINGO_POSTGRESQL_URL=url), USERS).public
    assert public['options'] == dict(sslmode='prefer', application_name='app')


def test_the_uri_of_a_user_percent_encodes_its_credentials():
    endpoint = find(env(SCALINGO_POSTGRESQL_URL=PG_URL), USERS)
    password = 'a:b@c/d?e#f%g h+i' * 2
    uri = endpoint.uri('metabase', password)
    parts = urlsplit(uri)
    assert (parts.scheme, parts.hostname, parts.port, parts.path, parts.query) == (
        'postgres', 'db.example.com', 30000, '/my_app_4321', 'sslmode=prefer')
    assert (unquote(parts.username), unquote(parts.password)) == ('metabase', password)
    assert OWNER_PASSWORD not in uri and password not in uri


def test_secrets_are_the_credentials_of_urls_and_the_variables_named_so():
    variables = dict(SCALINGO_POSTGRESQL_URL=PG_URL, SECRET_KEY_BASE=OTHER_SECRET, SMTP_PASS='smtp-pass-value',
                     PLAIN='plain-value', REDIS_URL='redis://:redis-secret-value@h:1')
    assert sorted(secrets_in(variables)) == sorted([PG_URL, OWNER_PASSWORD, OTHER_SECRET, 'smtp-pass-value',
                                                    'redis://:redis-secret-value@h:1', 'redis-secret-value'])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.from_regex(r'\ASCALINGO_(POSTGRESQL|MYSQL|MONGO|INFLUX)(_[A-Z0-9]{1,3})?_URL\Z') | st.text(max_size=12),
                       st.text(max_size=40) | st.sampled_from([PG_URL, '$SCALINGO_POSTGRESQL_URL', '${X}']), max_size=6),
       st.sampled_from([None, 'postgresql', 'mysql', 'mongodb', 'influxdb']))
def test_any_environment_gives_an_endpoint_or_a_message_without_any_value(variables, addon_type):
    variables = dict(variables, SECRET_KEY_BASE=OTHER_SECRET)
    try:
        endpoint = find(variables, USERS, addon_type)
    except EndpointError as exc:
        assert OWNER_PASSWORD not in str(exc) and OTHER_SECRET not in str(exc)
    else:
        assert OWNER_PASSWORD not in repr(endpoint.public) and OTHER_SECRET not in repr(endpoint.public)
