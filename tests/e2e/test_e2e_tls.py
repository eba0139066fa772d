# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real TLS handshake against a certificate no one trusts: the unit tests check that verification is asked for,
with the transport faked; only here does Python's TLS stack itself refuse (or, with validate_certs: false, accept)."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import ssl
import threading

import pytest

from e2e_support import info_task


class _Refusing(http.server.BaseHTTPRequestHandler):
    """Answers every request 401, and remembers its path."""

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
    """An HTTPS server on 127.0.0.1 with a self-signed certificate, made with cryptography (ansible-core needs it)."""
    # pylint: disable=import-outside-toplevel
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, '127.0.0.1')])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(hours=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), critical=False)
                   .sign(key, hashes.SHA256()))
    pem = tmp_path / 'server.pem'
    pem.write_bytes(certificate.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(pem))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Refusing)
    server.seen = []
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_tls_is_verified_by_default_and_a_warning_says_when_it_is_not(ansible, emu, untrusted_https):
    """Refused by default, before any HTTP request; with validate_certs: false the request goes through and the task
    warns, once. No warning when verifying."""
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
    assert emu.api_token('owner') not in run.output()
