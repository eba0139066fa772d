# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""database_user's options and database_users' users[] suboptions cannot drift apart: one spec, the same
documentation, the same checks and messages."""

import re

import pytest
import yaml

from ansible_collections.scalingo.cloud.plugins.module_utils._plan import ENTRY_RULES, ENTRY_SPEC
from ansible_collections.scalingo.cloud.plugins.modules import database_user, database_users
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import PASSWORD
from ansible_collections.scalingo.cloud.tests.unit.plugins.unit_support import task

SINGLE = yaml.safe_load(database_user.DOCUMENTATION)['options']
LISTED = yaml.safe_load(database_users.DOCUMENTATION)['options']['users']['suboptions']


def _as_single(text):
    """A suboption's text as database_user would say it: O(users[].x) is O(x), RV(passwords) is RV(password)."""
    return text.replace('O(users[].', 'O(').replace('RV(passwords)', 'RV(password)')


def test_one_spec_for_both():
    assert database_user.DatabaseUser.argument_spec is ENTRY_SPEC
    users = database_users.DatabaseUsers.argument_spec['users']
    assert users['options'] is ENTRY_SPEC
    assert database_user.DatabaseUser.rules is ENTRY_RULES
    assert dict((key, users[key]) for key in ENTRY_RULES) == ENTRY_RULES


@pytest.mark.parametrize('option', sorted(ENTRY_SPEC))
def test_the_same_documentation_for_both(option):
    assert set(SINGLE[option]) == set(LISTED[option]), option
    for key in SINGLE[option]:
        if key == 'description':
            assert [_as_single(line) for line in LISTED[option][key]] == SINGLE[option][key], option
        else:
            assert LISTED[option][key] == SINGLE[option][key], (option, key)


def test_every_entry_option_is_documented_in_both_and_nothing_else():
    assert set(SINGLE) - {'return_connection'} >= set(ENTRY_SPEC) and set(LISTED) == set(ENTRY_SPEC)


def test_the_documentation_says_what_the_spec_says():
    for option, spec in ENTRY_SPEC.items():
        documented = SINGLE[option]
        assert documented['type'] == spec['type'], option
        assert documented.get('choices') == spec.get('choices'), option
        assert documented.get('default') == spec.get('default'), option
        assert documented.get('aliases') == spec.get('aliases'), option
        assert bool(documented.get('required')) == bool(spec.get('required')), option
    for option, value, requirements in ENTRY_RULES['required_if']:
        for required in requirements:
            assert re.search(r'Requires O\(%s\)' % required, ' '.join(SINGLE[option]['description'])), option


# One bad entry of each kind: database_user refuses it naming the option, database_users naming users[0].<option>, with
# the same words, and neither sends a request.
BAD_ENTRIES = [
    dict(name='short'),
    dict(name='x' * 33),
    dict(name='bad.name'),
    dict(name='shorty', password='short'),
    dict(name='shorty', password='quoted-"password"-that-is-long'),
    dict(name='shorty', state='reset_password', password=PASSWORD),
    dict(name='shorty', update_password='always'),
    dict(name='shorty', recreate=True),
    dict(name='shorty', state='gone'),
    dict(name='shorty', read_only='maybe'),
]


def _run_both(runner, entry):
    return runner.run(database_user, task(**entry)), runner.run(database_users, task(users=[entry]))


@pytest.mark.parametrize('entry', BAD_ENTRIES, ids=lambda entry: '-'.join('%s=%s' % item for item in sorted(entry.items()))[:60])
def test_the_same_checks_and_messages_for_both(fake, runner, entry):
    single, listed = _run_both(runner, entry)
    assert single.failed and listed.failed and fake.calls == []
    if 'failure' in single:  # the module's own checks
        option = single['failure']['option']
        assert listed['failure'] == dict(option='users[0].%s' % option)
        assert listed.msg == 'users[0]: %s' % single.msg
    else:  # Ansible's checks, from the one spec: the same words, located in users for the list
        assert 'failure' not in listed
        assert ' found in ' in listed.msg and 'users' in listed.msg
        assert re.sub(r" found in '?users'?\.?", '', listed.msg) == single.msg


def test_valid_entries_pass_both(fake, runner):
    entry = dict(name='shorty', read_only=True, recreate=True, password=PASSWORD, update_password='always')
    single, listed = _run_both(runner, entry)
    assert not single.failed and not listed.failed
