# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end tests of ``connection: true`` (database_user, database_users, database_user_info).

With it, the modules read the app's environment through the main API (``GET /v1/apps/{app}/variables``), pick the
``SCALINGO_POSTGRESQL_URL`` whose user is the protected one, and return where the database listens (``connection``)
and, for the users whose password they know, the URL that connects as that user (``connection_uri(s)``).

The environment holds every secret of the app. The playbooks run at -vvvv with --diff, and every byte of their
output, every result the callback received and the results they store are scanned for the protected user's
password and every other value of the environment, in every form (``e2e_support.secret_forms``). The URIs returned
then really log in, with psycopg, as is.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from urllib.parse import unquote, urlsplit

import pytest

from e2e_support import (
    DEMO_APP,
    USERS_MODULE,
    find_leaks,
    info_task,
    new_password,
    pg_errors,
    psycopg,
    user_task,
)

PG_VARIABLE = 'SCALINGO_POSTGRESQL_URL'
TARGET = {'app': DEMO_APP, 'addon': 'postgresql', 'connection': True}


def environment_secrets(emu, app=DEMO_APP):
    """``{label: secret}``: every value of the app's environment as the emulator serves it now (the alias
    ``$SCALINGO_POSTGRESQL_URL`` apart: it is a variable's name), and the password of each URL on its own."""
    found = {}
    for variable in emu.variables(app):
        value = variable['value']
        if value.startswith('$'):
            continue
        found[variable['name']] = value
        password = urlsplit(value).password if '://' in value else None
        if password:
            found[variable['name'] + ' password'] = unquote(password)
    return found


def expected_connection(demo_pg):
    info = demo_pg.info
    return {'scheme': 'postgres', 'host': info['host'], 'port': info['port'], 'database': info['dbname'],
            'options': {'sslmode': 'disable'}}


def results_file_task(path, registered):
    """Write the registered results to ``path`` (mode 0600), without showing them."""
    content = '{{ {%s} | to_json }}' % ', '.join("'%s': %s" % (name, name) for name in registered)
    return {'name': 'store the results', 'ansible.builtin.copy': {'content': content, 'dest': path, 'mode': '0600'},
            'no_log': True}


def read_results(path):
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as handle:
        return json.load(handle)


def users_task(name, args, **keywords):
    task = {'name': name, USERS_MODULE: args}
    task.update(keywords)
    return task


def assert_nothing_leaks(run, results, forbidden):
    """No value of the environment in the run's output, in what the callback received, nor in the stored results."""
    assert not find_leaks(run.output(), forbidden), 'environment values in the output: %s\n%r' % (
        find_leaks(run.output(), forbidden), run)
    recorded = json.dumps(run.records, sort_keys=True)
    assert not find_leaks(recorded, forbidden), 'environment values in the results the callback received'
    stored = json.dumps(results, sort_keys=True)
    assert not find_leaks(stored, forbidden), 'environment values in the stored results: %s' % find_leaks(stored, forbidden)


def without(text, allowed):
    """``text`` where each allowed string (a returned URI, a returned password as a JSON value) is blanked out."""
    for value in sorted(allowed, key=len, reverse=True):
        text = text.replace(value, '(allowed)')
    return text


def uri_user(uri):
    parts = urlsplit(uri)
    return unquote(parts.username), unquote(parts.password)


def connect(uri):
    """psycopg on the URI exactly as the module returned it."""
    return psycopg.connect(uri, connect_timeout=5, autocommit=True)


def assert_uri_writes(uri, user):
    table = 'e2e_conn_' + secrets.token_hex(4)
    with connect(uri) as conn:
        assert conn.execute('SELECT current_user').fetchone()[0] == user
        conn.execute('CREATE TABLE %s (id int)' % table)
        conn.execute('INSERT INTO %s VALUES (1)' % table)
        conn.execute("INSERT INTO demo_items (name) VALUES ('e2e-conn-write')")
        assert conn.execute('SELECT count(*) FROM %s' % table).fetchone()[0] == 1
        conn.execute("DELETE FROM demo_items WHERE name = 'e2e-conn-write'")
        conn.execute('DROP TABLE %s' % table)


def assert_uri_read_only(uri, user):
    with connect(uri) as conn:
        assert conn.execute('SELECT current_user').fetchone()[0] == user
        assert conn.execute('SELECT count(*) FROM demo_items').fetchone()[0] >= 3
        for statement in ("INSERT INTO demo_items (name) VALUES ('e2e-conn-refused')", 'CREATE TABLE e2e_conn_refused (id int)'):
            with pytest.raises(pg_errors.InsufficientPrivilege):
                conn.execute(statement)


def test_connection_uris_log_in_and_no_environment_value_shows(ansible, emu, demo_pg, tmp_path):
    forbidden = environment_secrets(emu)
    assert {'SCALINGO_POSTGRESQL_URL password', 'SECRET_KEY_BASE', 'SMTP_PASSWORD', 'SCALINGO_MYSQL_URL password',
            'PLAIN_SETTING'} <= set(forbidden)
    assert forbidden['SCALINGO_POSTGRESQL_URL password'] == demo_pg.info['owner_password']
    ro_password, given_password = new_password(), new_password()
    path = str(tmp_path / 'results.json')
    tasks = [
        info_task('info', dict(TARGET), register='info'),
        user_task('read-write, generated', dict(TARGET, name='e2e-conn-rw'), register='rw', no_log=True),
        user_task('read-only, given', dict(TARGET, name='e2e-conn-ro', read_only=True, password=ro_password),
                  register='ro'),
        users_task('two users', dict(TARGET, users=[{'name': 'e2e-conn-many-gen'},
                                                    {'name': 'e2e-conn-many-given', 'read_only': True,
                                                     'password': given_password}]),
                   register='many', no_log=True),
        results_file_task(path, ['info', 'rw', 'ro', 'many']),
    ]
    run = ansible.playbook(tasks, extra_args=['-vvvv'])
    results = read_results(path)
    assert 'api.variables' in run.counts(), run.counts()

    # what the modules returned
    connection = expected_connection(demo_pg)
    for name in ('info', 'rw', 'ro', 'many'):
        assert results[name]['connection'] == connection, (name, results[name])
    assert 'connection_uri' not in results['info'] and 'connection_uris' not in results['info']
    generated = results['rw']['password']
    generated_many = results['many']['passwords']['e2e-conn-many-gen']
    assert set(results['many']['connection_uris']) == {'e2e-conn-many-gen', 'e2e-conn-many-given'}
    uris = {
        'e2e-conn-rw': (results['rw']['connection_uri'], generated),
        'e2e-conn-ro': (results['ro']['connection_uri'], ro_password),
        'e2e-conn-many-gen': (results['many']['connection_uris']['e2e-conn-many-gen'], generated_many),
        'e2e-conn-many-given': (results['many']['connection_uris']['e2e-conn-many-given'], given_password),
    }
    for user, (uri, password) in uris.items():
        assert uri_user(uri) == (user, password), user
        parts = urlsplit(uri)
        assert (parts.scheme, parts.hostname, parts.port, parts.path, parts.query) == (
            'postgres', connection['host'], connection['port'], '/' + connection['database'], 'sslmode=disable'), uri

    # 1. no value of the environment anywhere
    assert_nothing_leaks(run, results, forbidden)
    # 2. the new users' passwords only inside their URIs and as returned passwords
    new_passwords = {'generated rw': generated, 'given ro': ro_password, 'generated many': generated_many,
                     'given many': given_password}
    allowed = [uri for uri, dummy in uris.values()] + ['"password": "%s"' % generated,
                                                       '"e2e-conn-many-gen": "%s"' % generated_many]
    stored = without(json.dumps(results, sort_keys=True), allowed)
    assert not find_leaks(stored, new_passwords), find_leaks(stored, new_passwords)
    output = without(run.output(), allowed)
    assert not find_leaks(output, new_passwords), find_leaks(output, new_passwords)

    # 3. the URIs log in, as is
    assert_uri_writes(uris['e2e-conn-rw'][0], 'e2e-conn-rw')
    assert_uri_writes(uris['e2e-conn-many-gen'][0], 'e2e-conn-many-gen')
    assert_uri_read_only(uris['e2e-conn-ro'][0], 'e2e-conn-ro')
    assert_uri_read_only(uris['e2e-conn-many-given'][0], 'e2e-conn-many-given')
    demo_pg.assert_owner_untouched()


def test_a_variable_of_another_user_fails_naming_it_and_shows_nothing(ansible, emu, demo_pg, tmp_path):
    """SCALINGO_POSTGRESQL_URL (and so DATABASE_URL, its alias) names another user than the protected one: no
    variable matches; every module fails naming the variable, before any write, and shows none of the values."""
    info = demo_pg.info
    someone_else = 'Someone_Else_' + secrets.token_urlsafe(30)
    emu.set_variables(DEMO_APP, set={PG_VARIABLE: 'postgres://someone-else:%s@%s:%d/%s?sslmode=disable' % (
        someone_else, info['host'], info['port'], info['dbname'])})
    forbidden = environment_secrets(emu)
    forbidden['the protected password'] = info['owner_password']
    assert forbidden['SCALINGO_POSTGRESQL_URL password'] == someone_else
    path = str(tmp_path / 'results.json')
    tasks = [
        info_task('info', dict(TARGET), register='info', ignore_errors=True),
        user_task('one user', dict(TARGET, name='e2e-conn-never', password=new_password()), register='one',
                  ignore_errors=True),
        users_task('two users', dict(TARGET, users=[{'name': 'e2e-conn-never-a'}, {'name': 'e2e-conn-never-b'}]),
                   register='many', ignore_errors=True),
        results_file_task(path, ['info', 'one', 'many']),
    ]
    run = ansible.playbook(tasks, extra_args=['-vvvv'])
    results = read_results(path)

    for name in ('info', 'one', 'many'):
        assert results[name].get('failed') is True, (name, results[name])
        assert PG_VARIABLE in results[name]['msg'], (name, results[name]['msg'])
        assert 'connection_uri' not in results[name] and 'connection_uris' not in results[name]
    assert run.writes() == []
    assert [u['name'] for u in emu.users(demo_pg.addon_id)] == [info['owner']]
    assert_nothing_leaks(run, results, forbidden)
    demo_pg.assert_owner_untouched()
