# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A secret comes back in the form it was sent, or escaped on the way: every form is redacted, at any depth."""

import base64
import json
import re

from urllib.parse import quote, quote_plus

from hypothesis import given, settings, strategies as st

from ansible_collections.scalingo.cloud.plugins.module_utils._redaction import REDACTED, Secrets
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import examples

# Any character a password may hold (Scalingo refuses only quotes), backslashes and non-ASCII included.
SECRET = st.text(st.characters(blacklist_categories=['Cs'], blacklist_characters='\'"'), min_size=24, max_size=64)


def _echoes(secret):
    """Every way a server, a proxy or Python may show ``secret``."""
    basic = base64.b64encode((':' + secret).encode('utf-8')).decode('ascii')
    return [
        secret,
        'Bearer ' + secret,
        'Basic ' + basic,
        basic.rstrip('='),
        base64.b64encode(secret.encode('utf-8')).decode('ascii'),
        base64.urlsafe_b64encode((':' + secret).encode('utf-8')).decode('ascii'),
        json.dumps(secret),
        json.dumps({'password': secret}),
        json.dumps(secret, ensure_ascii=False),
        repr(secret),
        repr([secret]),
        quote(secret, safe=''),
        quote_plus(secret),
    ]


@settings(max_examples=examples(200), deadline=None)
@given(secret=SECRET, before=st.text(max_size=10), after=st.text(max_size=10))
def test_every_form_of_a_secret_is_redacted_in_text(secret, before, after):
    secrets = Secrets()
    secrets.add(secret)
    for echo in _echoes(secret):
        shown = secrets.text(before + echo + after)
        assert secret not in shown and echo not in shown, (echo, shown)
        assert REDACTED in shown


@settings(max_examples=examples(100), deadline=None)
@given(secret=SECRET)
def test_a_secret_is_redacted_at_any_depth_and_values_that_are_not_text_never_show_it(secret):
    secrets = Secrets()
    secrets.add(secret)
    nested = {'errors': {'field': [{'deeper': ['x %s y' % secret, 3, None, True]}]}, 'list': [[secret]]}
    cleaned = secrets.value(nested)
    for form in (secret, json.dumps(secret)[1:-1], repr(secret)[1:-1]):
        assert form not in json.dumps(cleaned, ensure_ascii=False) and form not in repr(cleaned)
    assert secret not in secrets.text(nested) and json.dumps(secret)[1:-1] not in secrets.text(nested)


def test_keys_kept_on_purpose_keep_their_value_and_nothing_else_does():
    secrets = Secrets()
    secrets.add('gen-pw-unit-Ha3Kd8Lq1Wz6Xc0Vb5Nm9Rt2Yp4')
    result = {'password': 'gen-pw-unit-Ha3Kd8Lq1Wz6Xc0Vb5Nm9Rt2Yp4',
              'user': {'password': 'gen-pw-unit-Ha3Kd8Lq1Wz6Xc0Vb5Nm9Rt2Yp4'}}
    assert secrets.value(result, keep=('password',)) == {'password': 'gen-pw-unit-Ha3Kd8Lq1Wz6Xc0Vb5Nm9Rt2Yp4',
                                                         'user': {'password': REDACTED}}


def test_keys_are_never_rewritten_and_owned_values_never_garbled():
    """A secret that is also part of a name garbles neither a key nor a value the module owns (the transport
    redacts the field names of a server's errors when it reads them)."""
    secrets = Secrets()
    secrets.add('production')
    result = {'passwords': {'production_ro': 'x' * 24}, 'created': ['production_ro'], 'msg': 'said production_ro'}
    assert secrets.value(result, keep=('passwords', 'created')) == dict(result, msg='said ********_ro')


def test_short_values_are_not_secrets_and_ordinary_text_is_left_alone():
    secrets = Secrets()
    secrets.add('abc')
    secrets.add(None)
    secrets.add('')
    assert secrets.text('abc and the rest') == 'abc and the rest'
    assert secrets.text(None) == '' and secrets.text(42) == '42'


class _CountingIndex(dict):
    """The index of forms, counting how often it is looked up."""
    lookups = 0

    def get(self, key, default=None):
        _CountingIndex.lookups += 1
        return super(_CountingIndex, self).get(key, default)


def _lookups_to_redact(count, text):
    secrets = Secrets()
    for index in range(count):
        secrets.add('pw-bulk-%05d-Ha3Kd8Lq1Wz6Xc0Vb5Nm9Rt2Yp4' % index)
    secrets._by_prefix = _CountingIndex(secrets._by_prefix)  # pylint: disable=protected-access
    _CountingIndex.lookups = 0
    shown = secrets.text(text)
    return _CountingIndex.lookups, shown


def test_redaction_reads_a_text_once_whatever_the_number_of_secrets():
    text = ' '.join('user-%04d said pw-bulk-%05d-Ha3Kd8Lq1Wz6Xc0Vb5Nm9Rt2Yp4' % (i, i) for i in range(50))
    few, shown_few = _lookups_to_redact(100, text)
    many, shown_many = _lookups_to_redact(5000, text)
    assert few == many <= len(text)
    assert shown_few == shown_many and 'pw-bulk' not in shown_many and shown_many.count(REDACTED) == 50


@given(secret=SECRET)
@settings(max_examples=examples(100), deadline=None)
def test_every_common_url_encoding_of_a_password_with_odd_characters_is_redacted(secret):
    secret = '/!*() %' + secret[7:]
    secrets = Secrets()
    secrets.add(secret)
    raw = secret.encode('utf-8')
    for form in (quote(secret), quote(secret, safe=''), quote(secret, safe="!*()'~"), quote_plus(secret),
                 ''.join('%%%02X' % byte for byte in raw), ''.join('%%%02x' % byte for byte in raw),
                 re.sub('%[0-9A-F]{2}', lambda escape: escape.group(0).lower(), quote(secret, safe="!*()'~"))):
        shown = secrets.text('seen %s here' % form)
        assert form not in shown and shown.count(REDACTED) == 1, (form, shown)
