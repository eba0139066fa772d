# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end tests of ``return_connection: true`` (database_user, database_users, database_user_info).

With it, the modules read where the database listens from the Database API (``GET /api/databases/{id}``), with the
database token they hold, and return it as ``connection``; for a password Scalingo generated in the task, also the
URI that connects as that user (``connection_uri(s)``). A password the task was given is never returned: the
playbook builds that URI itself, as the docs show.

The playbooks run at -vvvv with --diff. Every byte of their output, every result the callback received and the
results they store are scanned for the given passwords in every form (``e2e_support.secret_forms``: raw, URL-encoded
in part or byte by byte, escaped, base64) and for the protected user's password. The URIs then really log in, with
psycopg, as they are.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from urllib.parse import unquote, urlsplit

import pytest

from e2e_support import DEMO_APP, USERS_MODULE, find_leaks, info_task, pg_errors, psycopg, user_task

TARGET = {'app': DEMO_APP, 'addon': 'postgresql', 'return_connection': True}
# The documented recipe for the URI of a given password (docs/user-guide.md, the EXAMPLES of database_user).
RECIPE = ("{{ c.scheme }}://%s:{{ pw | urlencode | replace('/', '%%2F') }}@{{ c.host }}:{{ c.port }}/{{ c.database }}"
          "?{{ c.options | urlencode }}")


def odd_password():
    """A unique password with every character URL-encoders treat differently: / ! * ( ) ~ space % + & =."""
    return 'E2e/!*() %~+&=_' + secrets.token_urlsafe(24)


def expected_connection(demo_pg, sslmode='prefer', force_ssl=False, publicly_available=False):
    info = demo_pg.info
    return {'scheme': 'postgres', 'host': info['host'], 'port': info['port'], 'database': info['dbname'],
            'options': {'sslmode': sslmode}, 'force_ssl': force_ssl, 'publicly_available': publicly_available}


def results_file_task(path, registered):
    """Write the registered results to ``path`` (mode 0600), without showing them."""
    content = '{{ {%s} | to_json }}' % ', '.join("'%s': %s" % (name, name) for name in registered)
    return {'name': 'store the results', 'ansible.builtin.copy': {'content': content, 'dest': path, 'mode': '0600'},
            'no_log': True}


def read_results(path):
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as handle:
        return json.load(handle)


def without(text, allowed):
    """``text`` where each allowed string (a returned URI, a returned password as a JSON value) is blanked out."""
    for value in sorted(allowed, key=len, reverse=True):
        text = text.replace(value, '(allowed)')
    return text


def connect(uri):
    """psycopg on the URI exactly as it is."""
    return psycopg.connect(uri, connect_timeout=5, autocommit=True)


def assert_uri_writes(uri, user):
    table = 'e2e_conn_' + secrets.token_hex(4)
    with connect(uri) as conn:
        assert conn.execute('SELECT current_user').fetchone()[0] == user
        conn.execute('CREATE TABLE %s (id int)' % table)
        conn.execute('DROP TABLE %s' % table)


def assert_uri_read_only(uri, user):
    with connect(uri) as conn:
        assert conn.execute('SELECT current_user').fetchone()[0] == user
        assert conn.execute('SELECT count(*) FROM demo_items').fetchone()[0] >= 3
        with pytest.raises(pg_errors.InsufficientPrivilege):
            conn.execute("INSERT INTO demo_items (name) VALUES ('e2e-conn-refused')")


def test_uris_log_in_and_no_given_password_shows_in_any_form(ansible, emu, demo_pg, tmp_path):
    ro_password, many_password = odd_password(), odd_password()
    path, built = str(tmp_path / 'results.json'), str(tmp_path / 'built.url')
    tasks = [
        info_task('info', dict(TARGET), register='info'),
        user_task('read-write, generated', dict(TARGET, name='e2e-conn-rw'), register='rw', no_log=True),
        user_task('read-only, given', dict(TARGET, name='e2e-conn-ro', read_only=True, password=ro_password),
                  register='ro'),
        {'name': 'two users', USERS_MODULE: dict(TARGET, users=[
            {'name': 'e2e-conn-many-gen'}, {'name': 'e2e-conn-many-given', 'read_only': True, 'password': many_password}]),
         'register': 'many', 'no_log': True},
        {'name': 'the URI of the given password, built as the docs show',
         'ansible.builtin.copy': {'content': RECIPE % 'e2e-conn-ro', 'dest': built, 'mode': '0600'},
         'vars': {'c': '{{ ro.connection }}', 'pw': ro_password}, 'no_log': True},
        results_file_task(path, ['info', 'rw', 'ro', 'many']),
    ]
    run = ansible.playbook(tasks, extra_args=['-vvvv'])
    results = read_results(path)
    assert run.counts().get('db.database') == 4, run.counts()
    assert not any(route.startswith('api.unknown') for route in run.counts()), run.counts()

    # what the modules returned: the address everywhere, a URI for each generated password, nothing of a given one
    connection = expected_connection(demo_pg)
    for name in ('info', 'rw', 'ro', 'many'):
        assert results[name]['connection'] == connection, (name, results[name])
    for name in ('info', 'ro'):
        assert 'connection_uri' not in results[name] and 'password' not in results[name], name
    assert set(results['many']['connection_uris']) == {'e2e-conn-many-gen'}
    generated, generated_many = results['rw']['password'], results['many']['passwords']['e2e-conn-many-gen']
    uris = {'e2e-conn-rw': (results['rw']['connection_uri'], generated),
            'e2e-conn-many-gen': (results['many']['connection_uris']['e2e-conn-many-gen'], generated_many)}
    for user, (uri, password) in uris.items():
        parts = urlsplit(uri)
        assert (unquote(parts.username), unquote(parts.password)) == (user, password)
        assert (parts.scheme, parts.hostname, parts.port, parts.path, parts.query) == (
            'postgres', connection['host'], connection['port'], '/' + connection['database'], 'sslmode=prefer'), uri

    # 1. the given passwords and the protected user's password, in no form, anywhere
    given = {'given ro': ro_password, 'given many': many_password, 'protected': demo_pg.info['owner_password']}
    for label, text in (('output', run.output()), ('callback', json.dumps(run.records, sort_keys=True)),
                        ('stored results', json.dumps(results, sort_keys=True))):
        assert not find_leaks(text, given), '%s in the %s' % (find_leaks(text, given), label)
    # 2. the generated passwords only inside their URIs and as returned passwords
    allowed = [uri for uri, dummy in uris.values()] + ['"password": "%s"' % generated,
                                                       '"e2e-conn-many-gen": "%s"' % generated_many]
    generated_ones = {'generated rw': generated, 'generated many': generated_many}
    for label, text in (('output', run.output()), ('stored results', json.dumps(results, sort_keys=True))):
        assert not find_leaks(without(text, allowed), generated_ones), label

    # 3. every URI logs in as it is: the returned ones, and the one the playbook built
    assert_uri_writes(uris['e2e-conn-rw'][0], 'e2e-conn-rw')
    assert_uri_writes(uris['e2e-conn-many-gen'][0], 'e2e-conn-many-gen')
    with open(built) as handle:
        assert_uri_read_only(handle.read(), 'e2e-conn-ro')
    demo_pg.assert_owner_untouched()


def test_tls_and_reach_follow_the_database_features(ansible, emu, demo_pg, tmp_path):
    emu.set_features(demo_pg.addon_id, {'force-ssl': 'ACTIVATED', 'publicly-available': 'ACTIVATED'})
    path = str(tmp_path / 'results.json')
    run = ansible.playbook([user_task('generated', dict(TARGET, name='e2e-conn-tls'), register='tls', no_log=True),
                            results_file_task(path, ['tls'])])
    assert run.rc == 0, run
    tls = read_results(path)['tls']
    assert tls['connection'] == expected_connection(demo_pg, 'require', True, True)
    assert urlsplit(tls['connection_uri']).query == 'sslmode=require'
