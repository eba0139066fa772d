# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scalingo.cloud.database_user_info as an ad hoc command, which integration targets (YAML playbooks) cannot run:
``ansible localhost -m scalingo.cloud.database_user_info -a ...`` against the emulator. The rest of the module is
tested by tests/integration/targets/database_user_info."""

from __future__ import annotations

from e2e_support import (
    DEMO_APP,
    INFO_MODULE,
    assert_same_outcome,
    new_password,
    user_task,
)

BY_ID = {'auth.exchange': 1, 'api.addon_token': 1, 'users.list': 1}
BY_TYPE = {'auth.exchange': 1, 'api.addons': 1, 'api.addon_token': 1, 'users.list': 1}


def test_ad_hoc(ansible, emu, demo_pg):
    """``ansible localhost -m scalingo.cloud.database_user_info -a ...``: the same answer with and without --check,
    with addon given as a type (one addons list more)."""
    password = new_password()
    ansible.playbook([user_task('create', {'app': DEMO_APP, 'addon': demo_pg.addon_id, 'name': 'e2e-adhoc',
                                           'read_only': True, 'password': password})])

    one = ansible.adhoc(INFO_MODULE, 'app=%s addon=postgresql name=e2e-adhoc' % DEMO_APP)
    checked = ansible.adhoc(INFO_MODULE, 'app=%s addon=postgresql name=e2e-adhoc' % DEMO_APP, check=True)
    unknown = ansible.adhoc(INFO_MODULE, 'app=%s addon=postgresql name=e2e-nobody' % DEMO_APP)
    everyone = ansible.adhoc(INFO_MODULE, 'addon=%s' % demo_pg.addon_id, env={'SCALINGO_APP': DEMO_APP})

    for run in (one, checked, unknown, everyone):
        assert len(run.records) == 1 and run.records[0]['status'] == 'ok', run
        assert 'localhost | SUCCESS' in run.stdout
        assert run.writes() == []
    assert_same_outcome(checked.records[0], one.records[0])
    user = {'name': 'e2e-adhoc', 'read_only': True, 'protected': False,
            'dbms_attributes': {'password_encryption': 'SCRAM-SHA-256'}}
    assert one.records[0]['result'] == {'changed': False, 'users': [user], 'waited_seconds': 0}
    assert unknown.records[0]['result'] == {'changed': False, 'users': [], 'waited_seconds': 0}
    assert everyone.records[0]['result']['users'] == emu.users(demo_pg.addon_id)
    assert one.counts() == checked.counts() == unknown.counts() == BY_TYPE
    assert everyone.counts() == BY_ID
    demo_pg.assert_login('e2e-adhoc', password)
