# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run a module's ``main()`` in-process and capture what it returns.

``exit_json`` and ``fail_json`` are replaced so they raise with the result instead of printing it
and exiting: the result is the module's own, not yet masked by Ansible, so a secret the module
lets through is seen. Warnings are captured where AnsibleModule records them.
"""

from ansible.module_utils import basic

from ansible.module_utils.testing import patch_module_args


class ModuleDone(Exception):
    """What exit_json or fail_json was called with."""

    def __init__(self, result, failed):
        super(ModuleDone, self).__init__(result)
        self.result = result
        self.failed = failed


class Outcome:
    """What one module run returned."""

    def __init__(self, result, failed, warnings):
        self.result = result
        self.failed = failed
        self.warnings = warnings

    def __getitem__(self, key):
        return self.result[key]

    def __contains__(self, key):
        return key in self.result

    def get(self, key, default=None):
        return self.result.get(key, default)

    @property
    def msg(self):
        return self.result.get('msg')

    def __repr__(self):
        return 'Outcome(failed=%s, %r)' % (self.failed, self.result)


class ModuleRunner:
    """Calls a module's ``main()`` with arguments; install with ``install(monkeypatch)``."""

    def __init__(self):
        self.warnings = []

    def install(self, monkeypatch):
        def exit_json(module, **kwargs):
            raise ModuleDone(kwargs, False)

        def fail_json(module, msg, **kwargs):
            raise ModuleDone(dict(kwargs, failed=True, msg=msg), True)

        def warn(*args, **kwargs):
            self.warnings.append(kwargs.get('warning', args[0] if args else None))

        monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
        monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)
        # AnsibleModule.warn and the argument checks both go through basic.warn.
        monkeypatch.setattr(basic, 'warn', warn)
        # Keep the runs out of syslog / journald.
        monkeypatch.setattr(basic.AnsibleModule, 'log', lambda module, *args, **kwargs: None)

    def run(self, module, args, check=False, diff=True):
        """Run ``module.main()``; return an Outcome whether it exited or failed."""
        args = dict(args)
        args['_ansible_check_mode'] = check
        args['_ansible_diff'] = diff
        self.warnings = []
        with patch_module_args(args):
            try:
                module.main()
            except ModuleDone as done:
                return Outcome(done.result, done.failed, list(self.warnings))
        raise AssertionError('%s.main() returned without calling exit_json or fail_json' % module.__name__)

    def ok(self, module, args, **kwargs):
        outcome = self.run(module, args, **kwargs)
        assert not outcome.failed, 'module failed: %r' % (outcome.result,)
        return outcome

    def fail(self, module, args, **kwargs):
        outcome = self.run(module, args, **kwargs)
        assert outcome.failed, 'module did not fail: %r' % (outcome.result,)
        return outcome


def assert_one_line(msg):
    """A message of one line, never a traceback."""
    assert isinstance(msg, str) and msg.strip(), msg
    assert '\n' not in msg.strip() and '\r' not in msg and 'Traceback' not in msg, msg
