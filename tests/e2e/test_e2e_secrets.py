# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end tests of secrets: no API token, bearer token, database token or password in anything Ansible shows or
records, each token sent only to its own service, and TLS verified unless told otherwise (with a warning).

The whole flow runs against an emulator of its own, seeded with a fresh random API token, so that every secret of
the run is unique: ansible-playbook at -vvvv with --diff, check mode and real runs, failures whose bodies echo the
secrets back (JSON errors, plain text, an HTML page), a refused API token, a database token given as an option, a
run without TLS verification. Every byte of stdout and stderr and every result the callback received is scanned
for every secret. Passwords that Scalingo generated may appear in the documented ``password`` key of a result, and
nowhere else.
"""

from __future__ import annotations

import base64
import datetime
import http.server
import ipaddress
import json
import os
import re
import secrets
import ssl
import threading

import pytest

from e2e_support import (
    Ansible,
    Postgres,
    check_and_real,
    fault,
    info_task,
    new_password,
    own_emulator,
    user_task,
)

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


def tokens_issued(log):
    """Every bearer and database token the emulator handed out during the run."""
    issued = []
    for entry in log:
        if entry['status'] != 200 or not entry['response_body']:
            continue
        if entry['route'] == 'auth.exchange':
            issued.append(json.loads(entry['response_body'])['token'])
        elif entry['route'] == 'api.addon_token':
            issued.append(json.loads(entry['response_body'])['addon']['token'])
    return issued


def passwords_generated(log):
    """Every password the emulator generated during the run (creations and resets), whether or not its answer got
    through."""
    generated = []
    for entry in log:
        if entry['route'] in ('users.create', 'users.reset') and entry['operation_status'] in (200, 201):
            body = json.loads(entry['response_body']) if entry['response_body'].startswith('{') else {}
            if body.get('password'):
                generated.append(body['password'])
    return generated


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
    user, info = 'scalingo.cloud.database_user', 'scalingo.cloud.database_user_info'
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
    run = secret_ansible.playbook(tasks, at_task=at_task, extra_args=['-vvvv'])

    # The run did what it should: the secrets were really there to leak.
    results = {r['task']: r for r in run.records if not r['item']}
    assert {name for name, r in results.items() if r['status'] == 'failed'} == {
        'refusal echoing the secrets', 'text echoing the secrets', 'HTML page echoing the secrets', 'database token echoed',
        'fetched tokens echoed', 'a wrong API token', 'reset of an unknown user'}
    assert results['fetched tokens echoed']['result']['failure']['status'] == 403
    generating = ('create with a generated password', 'reset', 'recreate read-write, generated')
    returned = [results[task]['result']['password'] for task in generating]
    generated = passwords_generated(run.log)
    assert sorted(returned) == sorted(generated) and len(set(generated)) == 3
    issued = tokens_issued(run.log)
    assert len(issued) >= 20
    assert 'validate_certs is false' in run.output()

    every_secret = dict(known)
    every_secret.update(('issued token %d' % i, token) for i, token in enumerate(issued))
    every_secret.update(('generated password %d' % i, password) for i, password in enumerate(generated))

    # 1. stdout and stderr at -vvvv: a generated password only as the value of a "password" key.
    output = run.stdout + '\n' + run.stderr
    for password in generated:
        output = output.replace('"password": "%s"' % password, '"password": "(returned)"')
    found = sorted(label for label, secret in every_secret.items() if secret in output)
    assert not found, 'secrets in the output of ansible-playbook: %s' % found

    # 2. What the callback received, in full: a generated password only under the result's "password" key.
    recorded = []
    for record in run.records:
        result = dict(record['result'])
        if result.get('password') in generated:
            result.pop('password')
        recorded.append(json.dumps(dict(record, result=result), sort_keys=True))
    recorded = '\n'.join(recorded)
    found = sorted(label for label, secret in every_secret.items() if secret in recorded)
    assert not found, 'secrets in the results the callback received: %s' % found
    assert not re.search(r'tk-us-[A-Za-z0-9_-]{20,}', output + recorded)
    pg.assert_owner_untouched()

    # 3. Each token only to its own service; passwords only to the database API.
    for entry in run.log:
        expected = {'auth': ('api_token', 'unknown'), 'api': ('auth_token',), 'db': ('addon_token',)}[entry['service']]
        assert entry['token_kind'] in expected, entry
    assert services_sent_to(run.log, api_token) == {'auth'}
    assert services_sent_to(run.log, wrong_token) == {'auth'}
    bearers = tokens_issued([e for e in run.log if e['route'] == 'auth.exchange'])
    for token in issued:
        assert services_sent_to(run.log, token) == ({'api'} if token in bearers else {'db'}), token
    assert services_sent_to(run.log, database_token) == {'db'}
    assert services_sent_to(run.log, own_bearer) == {'api'}
    for label in ('p1', 'p2', 'p3', 'p4', 'p5'):
        assert services_sent_to(run.log, known[label]) == {'db'}, label


# --- TLS -----------------------------------------------------------------------------------------------------------

def _self_signed(directory):
    """A certificate for 127.0.0.1 that no one trusts, made with cryptography (a dependency of ansible-core)."""
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec  # pylint: disable=import-outside-toplevel
    from cryptography.x509.oid import NameOID  # pylint: disable=import-outside-toplevel

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(hours=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = os.path.join(directory, 'cert.pem'), os.path.join(directory, 'key.pem')
    with open(cert_path, 'wb') as handle:
        handle.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(key_path, 'wb') as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return cert_path, key_path


class _Refusing(http.server.BaseHTTPRequestHandler):
    """Answers every request 401, and remembers it."""

    def do_POST(self):  # pylint: disable=invalid-name
        self.server.seen.append(self.path)
        body = b'{"error": "invalid token"}'
        self.send_response(401)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass


@pytest.fixture
def untrusted_https(tmp_path):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate."""
    pytest.importorskip('cryptography')
    cert, key = _self_signed(str(tmp_path))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Refusing)
    server.seen = []
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_tls_is_verified_by_default_and_a_warning_says_when_it_is_not(ansible, emu, untrusted_https):
    """Against a server whose certificate no one trusts: refused by default, before any HTTP request; with
    validate_certs: false the request goes through and the task warns. No warning by default."""
    url = 'https://127.0.0.1:%d' % untrusted_https.server_address[1]
    target = {'app': 'emu-demo-app', 'addon': 'postgresql'}
    run = ansible.playbook([
        info_task('verified by default', dict(target, auth_url=url), ignore_errors=True),
        info_task('not verified', dict(target, auth_url=url, validate_certs=False), ignore_errors=True),
        info_task('the emulator, verified by default', dict(target)),
    ])
    failed = run.result('verified by default')
    assert failed['msg'].startswith('Could not reach 127.0.0.1 (POST %s/v1/tokens/exchange)' % url), failed['msg']
    assert 'TLS certificate verification failed' in failed['msg'] and 'set validate_certs to false only' in failed['msg']
    assert untrusted_https.seen == ['/v1/tokens/exchange'], 'only the unverified run may have sent a request'

    refused = run.result('not verified')
    assert 'HTTP 401' in refused['msg'] and 'Check the API token' in refused['msg']
    warnings = [line for line in run.output().splitlines() if 'validate_certs is false' in line]
    assert len(warnings) == 1 and '[WARNING]' in warnings[0], run.output()
    assert run.record('the emulator, verified by default')['status'] == 'ok'
    assert emu.api_token('owner') not in run.output()
