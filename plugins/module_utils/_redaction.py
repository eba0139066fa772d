# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Keeps secrets out of everything the modules show.

Private to the scalingo.cloud collection: it may change without notice.

A secret is not only shown as itself: a server or a proxy may echo it the way it was sent (a ``Bearer``
header, the Basic value ``base64(":" + token)``), JSON-escaped, URL-encoded, or as Python would quote it.
Every such form is replaced, in text and in nested values alike; the keys of a result are never rewritten.
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
    """The secrets of one module run, and every form of each.

    Linear in the size of what is redacted, whatever the number of secrets: the forms are indexed by their first
    ``_MIN_LENGTH`` characters, and a text is read once, each of its windows of that length looked up.
    """

    def __init__(self):
        # The first _MIN_LENGTH characters of a form -> (the lengths of the forms that start so, longest first; those
        # forms). Many forms may share a beginning (tokens that are JWTs, passwords made on one pattern), few lengths.
        self._by_prefix = {}

    def add(self, secret):
        if isinstance(secret, str) and len(secret) >= _MIN_LENGTH:
            for form in _forms(secret):
                lengths, forms = self._by_prefix.setdefault(form[:_MIN_LENGTH], ([], set()))
                forms.add(form)
                if len(form) not in lengths:
                    lengths.append(len(form))
                    lengths.sort(reverse=True)

    def _spans(self, text):
        """The ``[start, end)`` spans of ``text`` that show a secret, merged where they overlap."""
        spans = []
        lookup = self._by_prefix.get
        for start in range(len(text) - _MIN_LENGTH + 1):
            found = lookup(text[start:start + _MIN_LENGTH])
            if not found:
                continue
            lengths, forms = found
            for length in lengths:
                if text[start:start + length] in forms:
                    end = start + length
                    if spans and start <= spans[-1][1]:
                        spans[-1][1] = max(spans[-1][1], end)
                    else:
                        spans.append([start, end])
                    break
        return spans

    def text(self, value):
        """``value`` as text without any secret; never through ``repr``."""
        if value is None:
            return ''
        if not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        if not self._by_prefix or len(value) < _MIN_LENGTH:
            return value
        parts, shown = [], 0
        for start, end in self._spans(value):
            parts += [value[shown:start], REDACTED]
            shown = end
        return ''.join(parts) + value[shown:] if parts else value

    def value(self, value, keep=()):
        """A copy of ``value`` (dicts, lists, text) without any secret in its values; the keys of dicts are never
        rewritten, and the values of the keys named in ``keep`` are left as they are (what the module owns)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return dict((k, v if k in keep else self.value(v)) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return [self.value(item) for item in value]
        return value
