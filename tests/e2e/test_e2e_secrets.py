# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end tests of secrets: no API token, bearer token, database token or password in anything Ansible shows or
records, and each token sent only to its own service.

The whole flow runs against an emulator of its own, seeded with a fresh random API token, so that every secret of
the run is unique: ansible-playbook at -vvvv with --diff, check mode and real runs, failures whose bodies echo the
secrets back (JSON errors, plain text, an HTML page), a refused API token, a database token given as an option, a
run without TLS verification, and return_connection with passwords that URL-encoders change. Every byte of stdout and
stderr and every result the callback received is scanned for every secret, in every form (``secret_forms``).
Passwords that Scalingo generated may appear in the documented ``password`` key of a result (and in the URI of
``connection_uri``), and nowhere else.
"""

from __future__ import annotations

import base64
import json
import re
import secrets

import pytest

from e2e_support import (
    INFO_MODULE, USER_MODULE, USERS_MODULE, Ansible, Postgres, check_and_real, find_leaks, info_task, issued_secrets,
    new_password, own_emulator, psycopg, user_task)

SECRET_APP = 'e2e-secret-app'


@pytest.fixture(scope='module')
def secret_emu(emu):  # pylint: disable=unused-argument
    """An emulator of this module's own, with a fresh random API token and one PostgreSQL addon (the session
    emulator, ``emu``, is only required for its checks of the requirements)."""
    with own_emulator([{'name': SECRET_APP, 'addons': [{'type': 'postgresql'}]}]) as emulator:
        yield emulator


@pytest.fixture
def secret_ansible(secret_emu, tmp_path):
    secret_emu.reset(users=True)
    yield Ansible(secret_emu, str(tmp_path))
    secret_emu.reset(users=True)


def fault(route, **spec):
    return dict(spec, route=route)


def with_faults(tasks, control_url, at_task):
    """``tasks``, each one named in ``at_task`` (``{task name: [fault(...), ...]}``) after a task that adds those
    emulator faults through its control API (tests/emulator/README.md): armed as that task starts, so that one run
    holds many fault scenarios and a fault meant for one task is never consumed by another. The arming tasks have
    no_log, as the faults' bodies echo secrets; the control API is not in the emulator's request log."""
    assert set(at_task) <= {task['name'] for task in tasks}, 'at_task names no task of the play'
    armed = []
    for task in tasks:
        if task['name'] in at_task:
            armed.append({'name': 'faults for ' + task['name'], 'no_log': True, 'ansible.builtin.uri': {
                'url': control_url + '/_emulator/faults', 'method': 'POST', 'body_format': 'json',
                'body': at_task[task['name']], 'status_code': 201}})
        armed.append(task)
    return armed


def request_text(entry):
    """Everything a request carried: path, headers (Basic credentials decoded) and body."""
    parts = [entry['raw_path'], entry['request_body'] or '']
    for key, value in entry['request_headers']:
        parts.append(value)
        if key.lower() == 'authorization' and value.startswith('Basic '):
            parts.append(base64.b64decode(value[6:]).decode('utf-8', 'replace'))
    return '\n'.join(parts)


def services_sent_to(log, secret):
    return {entry['service'] for entry in log if secret in request_text(entry)}


def test_no_secret_anywhere_and_each_token_to_its_own_service(secret_ansible, secret_emu):
    emu = secret_emu
    addon = emu.addon_id(SECRET_APP, 'postgresql')
    pg = Postgres(emu, addon)
    api_token = emu.api_token('owner')
    wrong_token = 'tk-us-' + secrets.token_urlsafe(40)
    own_bearer, database_token = emu.fetch_tokens(SECRET_APP, addon)
    p1, p2, p3, p4, p5 = [new_password() for dummy in range(5)]
    known = {'api token': api_token, 'wrong api token': wrong_token, 'database token': database_token,
             "the test's bearer": own_bearer, 'p1': p1, 'p2': p2, 'p3': p3, 'p4': p4, 'p5': p5}

    target = {'app': SECRET_APP, 'addon': addon}
    by_token = {'addon': addon, 'database_token': database_token}
    u1, u2, u3, u4 = 'e2e-secret-one', 'e2e-secret-two', 'e2e-secret-three', 'e2e-secret-four'
    user, info = USER_MODULE, INFO_MODULE
    tasks = (
        check_and_real('create with a password', user, dict(target, name=u1, password=p1))
        + check_and_real('create with a generated password', user, dict(target, name=u2))
        + check_and_real('list', info, dict(target))
        + check_and_real('change the password', user, dict(target, name=u1, password=p2, update_password='always'))
        + check_and_real('reset', user, dict(target, name=u2, state='reset_password'))
        + check_and_real('recreate read-only', user, dict(target, name=u1, read_only=True, recreate=True, password=p3))
        + [user_task('recreate read-write, generated', dict(target, name=u1, read_only=False, recreate=True)),
           user_task('with a database token', dict(by_token, name=u3, password=p4)),
           user_task('refusal echoing the secrets', dict(target, name=u4, password=p5), ignore_errors=True),
           info_task('text echoing the secrets', dict(target), ignore_errors=True),
           info_task('HTML page echoing the secrets', dict(target), ignore_errors=True),
           info_task('rate limit echoing the secrets', dict(target)),
           info_task('database token echoed', dict(by_token), ignore_errors=True),
           info_task('fetched tokens echoed', dict(target), ignore_errors=True),
           info_task('a wrong API token', dict(target, api_token=wrong_token), ignore_errors=True),
           info_task('without TLS verification', dict(target, validate_certs=False)),
           user_task('reset of an unknown user', dict(target, name=u4, state='reset_password'), check_mode=True,
                     ignore_errors=True)]
        + check_and_real('delete', user, dict(target, name='{{ item }}', state='absent'), loop=[u1, u2, u3])
    )
    # A server echoes what the request carried: the API token (in the exchange), the password of a creation, the
    # database token given as an option.
    at_task = {
        'refusal echoing the secrets': [fault('users.create', status=422, count=1, body={
            'error': 'refused for %s: %s' % (api_token, p5), 'errors': {'password': ['%s is too common' % p5]}})],
        'text echoing the secrets': [fault('users.list', status=403, count=1, body='forbidden: ' + api_token,
                                           content_type='text/plain')],
        'HTML page echoing the secrets': [fault('users.list', status=500, count=1, content_type='text/html',
                                                body='<html><body><pre>%s</pre></body></html>' % api_token)],
        'rate limit echoing the secrets': [fault('auth.exchange', status=429, retry_after=0, count=1,
                                                 body='slow down ' + api_token, content_type='text/plain')],
        'database token echoed': [fault('users.list', status=401, count=1, body={'error': 'expired: ' + database_token})],
        # Tokens the module fetched itself are no option of the task: Ansible cannot mask them, only the module can.
        # The emulator hands it the bearer and the database token this test fetched, then echoes them.
        'fetched tokens echoed': [
            fault('auth.exchange', status=200, count=1, body={'token': own_bearer}),
            fault('api.addon_token', status=200, count=1, body={'addon': {'id': addon, 'token': database_token}}),
            fault('users.list', status=403, count=1, body={
                'error': 'bearer %s, database token %s' % (own_bearer, database_token),
                'errors': {own_bearer: [database_token], 'token': ['%s refused' % database_token]}}),
        ],
        'a wrong API token': [fault('auth.exchange', status=401, count=1, body={'error': 'invalid token %s' % wrong_token})],
    }
    run = secret_ansible.playbook(with_faults(tasks, emu.urls['control'], at_task), extra_args=['-vvvv'])

    # The run did what it should: the secrets were really there to leak.
    results = {r['task']: r for r in run.records if not r['item']}
    assert {name for name, r in results.items() if r['status'] == 'failed'} == {
        'refusal echoing the secrets', 'text echoing the secrets', 'HTML page echoing the secrets', 'database token echoed',
        'fetched tokens echoed', 'a wrong API token', 'reset of an unknown user'}
    assert results['fetched tokens echoed']['result']['failure']['status'] == 403
    generating = ('create with a generated password', 'reset', 'recreate read-write, generated')
    returned = [results[task]['result']['password'] for task in generating]
    issued = issued_secrets(run.log)
    generated = [secret for label, secret in issued.items() if label.startswith('generated')]
    assert sorted(returned) == sorted(generated) and len(set(generated)) == 3
    tokens = {label: secret for label, secret in issued.items() if not label.startswith('generated')}
    assert len(tokens) >= 20
    assert 'validate_certs is false' in run.output()
    every_secret = dict(known, **issued)

    # 1. stdout and stderr at -vvvv: a generated password only as the value of a "password" key.
    output = run.stdout + '\n' + run.stderr
    for password in generated:
        output = output.replace('"password": "%s"' % password, '"password": "(returned)"')
    found = find_leaks(output, every_secret)
    assert not found, 'secrets in the output of ansible-playbook: %s' % found

    # 2. What the callback received, in full: a generated password only under the result's "password" key.
    recorded = []
    for record in run.records:
        result = dict(record['result'])
        if result.get('password') in generated:
            result.pop('password')
        recorded.append(json.dumps(dict(record, result=result), sort_keys=True))
    recorded = '\n'.join(recorded)
    found = find_leaks(recorded, every_secret)
    assert not found, 'secrets in the results the callback received: %s' % found
    assert not re.search(r'tk-us-[A-Za-z0-9_-]{20,}', output + recorded)
    pg.assert_owner_untouched()

    # 3. Each token only to its own service; passwords only to the database API.
    for entry in run.log:
        expected = {'auth': ('api_token', 'unknown'), 'api': ('auth_token',), 'db': ('addon_token',)}[entry['service']]
        assert entry['token_kind'] in expected, entry
    services = {label: {'api'} if label.startswith('bearer') else {'db'} for label in every_secret}
    services.update({'api token': {'auth'}, 'wrong api token': {'auth'}, "the test's bearer": {'api'}})
    for label, secret in every_secret.items():
        if not label.startswith('generated'):  # the passwords Scalingo generated: see 1. and 2.
            assert services_sent_to(run.log, secret) == services[label], label


# The documented recipe for the URI of a given password (docs/user-guide.md, the EXAMPLES of database_user).
RECIPE = ("{{ c.scheme }}://%s:{{ pw | urlencode | replace('/', '%%2F') }}@{{ c.host }}:{{ c.port }}/{{ c.database }}"
          "?{{ c.options | urlencode }}")


def odd_password():
    """A unique password with every character URL-encoders treat differently: / ! * ( ) ~ space % + & =."""
    return 'E2e/!*() %~+&=_' + secrets.token_urlsafe(24)


def without(text, allowed):
    """``text`` where each allowed string (a returned URI, a returned password as a JSON value) is blanked out."""
    for value in sorted(allowed, key=len, reverse=True):
        text = text.replace(value, '(allowed)')
    return text


def test_return_connection_shows_a_given_password_in_no_form(secret_ansible, secret_emu, tmp_path):
    """return_connection at -vvvv (the rest of it: tests/integration/targets/database_user/tasks/connection.yml and
    tests/unit/plugins/modules/test_return_connection.py). A given password is never returned; the playbook builds its
    URI as the docs show, and that URI logs in as it is."""
    pg = Postgres(secret_emu, secret_emu.addon_id(SECRET_APP, 'postgresql'))
    ro_password, many_password = odd_password(), odd_password()
    path, built = str(tmp_path / 'results.json'), str(tmp_path / 'built.url')
    target = {'app': SECRET_APP, 'addon': 'postgresql', 'return_connection': True}
    tasks = [
        info_task('info', dict(target), register='info'),
        user_task('read-write, generated', dict(target, name='e2e-conn-rw'), register='rw', no_log=True),
        user_task('read-only, given', dict(target, name='e2e-conn-ro', read_only=True, password=ro_password),
                  register='ro'),
        {'name': 'two users', USERS_MODULE: dict(target, users=[
            {'name': 'e2e-conn-many-gen'}, {'name': 'e2e-conn-many-given', 'read_only': True, 'password': many_password}]),
         'register': 'many', 'no_log': True},
        {'name': 'the URI of the given password, built as the docs show',
         'ansible.builtin.copy': {'content': RECIPE % 'e2e-conn-ro', 'dest': built, 'mode': '0600'},
         'vars': {'c': '{{ ro.connection }}', 'pw': ro_password}, 'no_log': True},
        {'name': 'store the results', 'no_log': True, 'ansible.builtin.copy': {
            'content': '{{ dict(info=info, rw=rw, ro=ro, many=many) | to_json }}', 'dest': path, 'mode': '0600'}},
    ]
    run = secret_ansible.playbook(tasks, extra_args=['-vvvv'])
    with open(path) as handle:
        stored = handle.read()
    results = json.loads(stored)

    # 1. the given passwords and the protected user's password, in no form, anywhere
    given = {'given ro': ro_password, 'given many': many_password, 'protected': pg.info['owner_password']}
    for label, text in (('output', run.output()), ('callback', json.dumps(run.records)), ('stored results', stored)):
        assert not find_leaks(text, given), '%s in the %s' % (find_leaks(text, given), label)
    # 2. the generated passwords only inside their URIs and as returned passwords
    generated = {'rw': results['rw']['password'], 'many': results['many']['passwords']['e2e-conn-many-gen']}
    allowed = [results['rw']['connection_uri'], results['many']['connection_uris']['e2e-conn-many-gen'],
               '"password": "%s"' % generated['rw'], '"e2e-conn-many-gen": "%s"' % generated['many']]
    for label, text in (('output', run.output()), ('stored results', stored)):
        assert not find_leaks(without(text, allowed), generated), label

    # 3. the URI the playbook built logs in as it is
    with open(built) as handle, psycopg.connect(handle.read(), connect_timeout=5, autocommit=True) as conn:
        assert conn.execute('SELECT current_user').fetchone()[0] == 'e2e-conn-ro'
    pg.assert_owner_untouched()
