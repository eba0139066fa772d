# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Base of the scalingo.cloud modules: shared options and their checks (``_connection``), failure reporting.

Private to the scalingo.cloud collection: it may change without notice.
"""

import copy

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.validation import check_type_dict, check_type_list

from ansible_collections.scalingo.cloud.plugins.module_utils._api import ScalingoClient
from ansible_collections.scalingo.cloud.plugins.module_utils._connection import (
    CONNECTION_RULES,
    USER_ADDON_TYPES,
    check_connection_params,
    connection_argument_spec,
)
from ansible_collections.scalingo.cloud.plugins.module_utils._endpoint import SCHEMES, unsupported
from ansible_collections.scalingo.cloud.plugins.module_utils._advice import waited
from ansible_collections.scalingo.cloud.plugins.module_utils._http import REQUESTS_IMPORT_ERROR, WAIT_REASONS, ScalingoError
from ansible_collections.scalingo.cloud.plugins.module_utils._users import Refusal


class _Module(AnsibleModule):
    """An AnsibleModule that keeps the arguments as they were given (``given``), before Ansible settles an option given
    under several of its names: it keeps one value with a mere warning, and the other is silently dropped."""

    def _load_params(self):
        super(_Module, self)._load_params()
        self.given = copy.deepcopy(self.params)

    def _set_internal_properties(self):
        # Before Ansible's own checks, whose message for an entry that is no dict (users: [reporting]) names no option.
        super(_Module, self)._set_internal_properties()
        problem = entry_not_a_dict(self.argument_spec, self.params)
        if problem:
            self.fail_json(msg=problem[1], failure=dict(option=problem[0]))


def entry_not_a_dict(spec, given):
    """``(option, message)`` for the first entry of a list of suboptions that Ansible cannot read as a dict; None when
    none. The entry is not quoted: it may hold a password."""
    for option, details in spec.items():
        if details.get('elements') != 'dict' or given.get(option) is None:
            continue
        try:
            entries = check_type_list(given[option])
        except TypeError:
            continue  # Ansible's own message names the option
        for index, entry in enumerate(entries):
            try:
                check_type_dict(entry)
            except TypeError:
                kind = type(entry).__name__
                return '%s[%d]' % (option, index), '%s[%d] must be a dictionary of options (such as name: reporting), not %s %s' % (
                    option, index, 'an' if kind[0] in 'aeiou' else 'a', kind)
    return None


def disagreeing_names(spec, given, where=None):
    """``(option, message)`` for the first option of ``spec`` given under several of its names (its aliases) with
    different values, in ``given`` and in the lists of dicts of its suboptions (``users[2].name``); None when none."""
    for option, details in spec.items():
        names = [name for name in [option] + list(details.get('aliases') or []) if name in given]
        if len(set(repr(given[name]) for name in names)) > 1:
            shown = 'different values' if details.get('no_log') else ' and '.join(
                '%s=%r' % (name, given[name]) for name in names)
            place = '%s.%s' % (where, option) if where else option
            return place, '%s is given under %s names (%s): give it once, as %s' % (
                place, len(names), shown, option)
        if details.get('options') and isinstance(given.get(option), list):
            for index, item in enumerate(given[option]):
                problem = isinstance(item, dict) and disagreeing_names(details['options'], item, '%s[%d]' % (option, index))
                if problem:
                    return problem
    return None


class ScalingoModule:
    """Owns the AnsibleModule, the client and the result of one module run.

    Subclasses give their own ``argument_spec`` (and ``rules``: what else the spec says, such as ``required_if``), may
    override ``check_params`` and implement ``execute``; ``returned_secrets`` names the keys of the result that hold a
    password on purpose. Every module takes ``return_connection``: ``endpoint()`` serves it.
    """

    argument_spec = {}
    rules = {}
    returned_secrets = ()
    # Keys whose values the module builds itself, from names it checked: never redacted, so never garbled.
    owned = ('changed', 'created', 'removed', 'recreated', 'password_set', 'password_changed', 'waited_seconds')

    def __init__(self):
        spec = connection_argument_spec()
        spec.update(return_connection=dict(type='bool', default=False))
        spec.update(self.argument_spec)
        rules = dict(CONNECTION_RULES)
        for key, value in self.rules.items():
            rules[key] = rules.get(key, []) + value
        self.module = _Module(argument_spec=spec, supports_check_mode=True, **rules)
        if REQUESTS_IMPORT_ERROR:
            self.module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        self.params = self.module.params
        self.result = dict(changed=False)
        # Everything is checked before the first request: bad input changes nothing.
        problem = (disagreeing_names(spec, self.module.given) or check_connection_params(self.params)
                   or self._check_return_connection() or self.check_params())
        if problem:
            self.fail_option(*problem)
        if not self.params['validate_certs']:
            self.module.warn('validate_certs is false: the TLS certificates of Scalingo are not verified, '
                             'so the tokens sent could be read by whoever answers in their place.')
        self.client = ScalingoClient(self.params)
        for option, spec_entry in spec.items():
            if spec_entry.get('no_log') and self.params.get(option):
                self.client.add_secret(self.params[option])

    def endpoint(self, users):
        """With ``return_connection``, the endpoint of the database whose ``users`` were listed
        (``_endpoint.Endpoint``), its public part returned as ``connection``; None without. Read before any write: a
        failure here changes nothing."""
        if not self.params['return_connection']:
            return None
        endpoint = self.client.endpoint(users)
        self.result['connection'] = endpoint.public
        return endpoint

    def _check_return_connection(self):
        """An addon named by a type whose URI Scalingo does not document is refused before any request."""
        addon = self.params['addon']
        if self.params['return_connection'] and addon in USER_ADDON_TYPES and addon not in SCHEMES:
            return 'return_connection', unsupported(addon)
        return None

    @property
    def _kept(self):
        """The keys of the result that no redaction touches: the secrets returned on purpose, and what the module
        owns. What a server wrote (users, the address, the diff built from them, messages) is redacted."""
        return tuple(self.returned_secrets) + self.owned

    def check_params(self):
        """Module-specific input checks: ``(option, message)`` for the first problem, or None."""
        return None

    def report_failure(self, done):
        """Put in the result what a task that fails reports of what it did (``done``: ``_users`` summary)."""
        self.result['changed'] = done['changed']

    def fail_option(self, option, message):
        self.module.fail_json(msg=message, failure=dict(option=option))

    def fail(self, msg, failure):
        """Fail with what the result says was done before (``changed``, and what a module reports of its changes);
        nothing secret in any form gets out."""
        secrets = self.client.secrets
        done = secrets.value(self.result, keep=self._kept)
        done.pop('diff', None)
        transport = self.client.transport
        if transport.waited:
            msg += ' It gave up after waiting %d seconds in all (max_wait %d).' % (
                round(transport.waited), transport.max_wait)
        self.module.fail_json(msg=secrets.text(msg), failure=secrets.value(failure), **done)

    def _say_how_long_it_waited(self):
        """``waited_seconds`` in the result; and, when the task waited, a warning that says how long and why."""
        transport = self.client.transport
        self.result['waited_seconds'] = round(transport.waited, 1)
        if transport.waited:
            self.warn(waited(transport.waits, WAIT_REASONS))

    def warn(self, text):
        self.module.warn(self.client.secrets.text(text))

    def execute(self):
        raise NotImplementedError

    def run(self):
        try:
            self.execute()
        except ScalingoError as exc:
            self._say_how_long_it_waited()
            self.fail(exc.message, exc.to_failure())
        except Refusal as refusal:
            self._say_how_long_it_waited()
            self.fail(refusal.message, refusal.failure)
        self._say_how_long_it_waited()
        # A server may echo a secret anywhere in what it answers: only the keys meant for it keep one.
        self.module.exit_json(**self.client.secrets.value(self.result, keep=self._kept))
