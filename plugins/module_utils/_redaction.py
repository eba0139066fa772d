# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Keeps secrets out of everything the modules show.

Private to the scalingo.cloud collection: it may change without notice.

A secret is not only shown as itself: a server or a proxy may echo it the way it was sent (a ``Bearer``
header, the Basic value ``base64(":" + token)``), JSON-escaped, URL-encoded, or as Python would quote it.
Every such form is replaced, in text and in nested values alike.
"""

import base64
import json
import re

from urllib.parse import quote, quote_plus

REDACTED = '********'
# Shorter values are no credential of Scalingo's (tokens are long, passwords at least 24 characters), and
# replacing them would blank ordinary words.
_MIN_LENGTH = 8


def _percent_forms(secret, raw):
    """The common URL-encoded forms of ``secret``: Python's ``quote`` (with its default safe ``/`` or none),
    ``quote_plus``, JavaScript's ``encodeURIComponent`` (which leaves ``!*()'~`` as they are), every byte encoded, and
    each of them with lower-case hexadecimal digits."""
    forms = {
        quote(secret, safe=''), quote(secret), quote_plus(secret, safe=''), quote(secret, safe="!*()'~"),
        ''.join('%%%02X' % byte for byte in raw),
    }
    return forms | set(re.sub('%[0-9A-F]{2}', lambda escape: escape.group(0).lower(), form) for form in forms)


def _forms(secret):
    """Every form in which ``secret`` may come back."""
    raw = secret.encode('utf-8')
    forms = {
        secret,
        json.dumps(secret)[1:-1],           # JSON string escapes (a backslash becomes two)
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],                  # Python's quoting
    } | _percent_forms(secret, raw)
    for value in (raw, b':' + raw):          # the Basic value is base64(":" + token)
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(value).decode('ascii')
            forms.add(encoded)
            forms.add(encoded.rstrip('='))
    return [form for form in forms if len(form) >= _MIN_LENGTH]


class Secrets:
    """The secrets of one module run, and every form of each."""

    def __init__(self):
        self._forms = []

    def add(self, secret):
        if isinstance(secret, str) and len(secret) >= _MIN_LENGTH:
            self._forms = sorted(set(self._forms) | set(_forms(secret)), key=len, reverse=True)

    def text(self, value):
        """``value`` as text without any secret; never through ``repr``."""
        if value is None:
            return ''
        if not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        for form in self._forms:
            if form in value:
                value = value.replace(form, REDACTED)
        return value

    def value(self, value, keep=()):
        """A copy of ``value`` (dicts, lists, text) without any secret; the keys named in ``keep`` are left as they
        are (a password the module returns on purpose)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return dict((self.text(k) if isinstance(k, str) else k, v if k in keep else self.value(v))
                        for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return [self.value(item) for item in value]
        return value
