# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every playbook the documentation shows runs, at -v with --diff, without printing a secret.

The playbooks of README.md and docs/ (```yaml blocks and docs/**/*.yml) and the modules' EXAMPLES, as
tools/extract_doc_playbooks.py extracts them for ansible-lint, run one after the other with ansible-playbook against
an emulator of their own: it holds the app they name (my-app, with the addon id the guide shows) and a fresh random API
token. The variables they expect from a vault get fresh unique secrets. Nothing a user copies from the docs may show
the API token, a fetched token, a given password or a generated one: a loop item, a debug task or a registered
result printed whole would. The user guide's playbook of many users (``exclusive: true``) is first run with
--check --diff, as the guide says, against stale users: the diff names them, and nothing is removed yet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from e2e_support import COLLECTION_ROOT, Ansible, find_leaks, issued_secrets, new_password, own_emulator

DOC_APP = 'my-app'
DOC_ADDON_ID = 'ad-3c1c5d8e-8e2a-4a6e-9c55-2f1b8f0d4e11'  # the id the guide and the EXAMPLES show
# Documented playbooks that need what is not here, by a module they use, and why they are not run.
NOT_RUN = {
    'awx.awx.': 'it creates a credential type in an AWX server with awx.awx; tests/awx checks the definition it holds',
    'community.hashi_vault.': 'it writes to a HashiCorp Vault server with community.hashi_vault, neither of which is '
                              'here; ansible-lint checks it, with those modules mocked',
}


@pytest.fixture(scope='module')
def doc_emu(emu):  # pylint: disable=unused-argument
    """An emulator holding the documentation's app, with a fresh random API token."""
    with own_emulator([{'name': DOC_APP, 'addons': [{'type': 'postgresql', 'id': DOC_ADDON_ID}, {'type': 'mysql'}]}]) as emulator:
        yield emulator


def doc_playbooks(workdir, home):
    """The playbooks of the documentation, as ansible-lint sees them: ``[(label, path, text)]``, copied into ``workdir``.

    Ansible expands ``~`` from the user's entry in the password database, never from $HOME: in the copies, ``~/``
    is the test's own home, so that the files the playbooks store land there.
    """
    listed = subprocess.run([sys.executable, os.path.join(COLLECTION_ROOT, 'tools', 'extract_doc_playbooks.py'),
                             COLLECTION_ROOT, os.path.join(workdir, 'extracted')],
                            capture_output=True, text=True, check=True).stdout.split()
    os.makedirs(os.path.join(workdir, 'playbooks'))
    found = []
    for path in listed:
        path = path if os.path.isabs(path) else os.path.join(COLLECTION_ROOT, path)
        with open(path, encoding='utf-8') as handle:
            text = handle.read()
        if 'hosts:' in text:
            copy = os.path.join(workdir, 'playbooks', os.path.basename(path))
            with open(copy, 'w', encoding='utf-8') as handle:
                handle.write(text.replace('~/', home + '/'))
            found.append((os.path.basename(path), copy, text))
    return found


def vault_variables(emu):
    """What the playbooks expect from a vault or from -e: every secret fresh and unique."""
    return {
        'vault_scalingo_api_token': emu.api_token('owner'),
        'vault_metabase_password': new_password(),
        'vault_reporting_password': new_password(),
        'metabase_password': new_password(),
        'readonly_password': new_password(),
        'readonly_passwords': {'bi-reader': new_password(), 'etl-reader': new_password()},
        'users_of_db': [{'name': 'metabase', 'read_only': True, 'password': new_password()}, {'name': 'reporting'},
                        {'name': 'old-importer', 'state': 'absent'}],
    }


def secrets_of(variables, log):
    """The secrets to look for: the vault values, and every token or password the emulator handed out."""
    found = issued_secrets(log)

    def leaves(label, value):
        if isinstance(value, dict):
            for key, item in value.items():
                leaves('%s.%s' % (label, key), item)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                leaves('%s[%d]' % (label, index), item)
        elif 'password' in label or 'token' in label:
            found[label] = value

    leaves('vars', variables)
    return found


def test_every_documented_playbook_runs_without_showing_a_secret(doc_emu, tmp_path):
    ansible = Ansible(doc_emu, str(tmp_path))
    home = tmp_path / 'home'
    home.mkdir()
    variables = vault_variables(doc_emu)
    extra_file = tmp_path / 'vault.json'
    extra_file.write_text(json.dumps(dict(variables, scalingo_auth_url=doc_emu.urls['auth'],
                                          scalingo_api_url=doc_emu.urls['api'])))
    env = ansible.environment({'HOME': str(home), 'SCALINGO_APP': DOC_APP, 'SCALINGO_ADDON': 'postgresql'})
    playbooks = doc_playbooks(str(tmp_path), str(home))
    skipped = {label: [marker for marker in NOT_RUN if marker in text] for label, path, text in playbooks}
    assert set(NOT_RUN) <= set(sum(skipped.values(), [])), 'NOT_RUN names a module no documented playbook uses'
    for label, markers in sorted(skipped.items()):
        if markers:
            print('not run: %s, as %s' % (label, NOT_RUN[markers[0]]))
    playbooks = [playbook for playbook in playbooks if not skipped[playbook[0]]]
    assert len(playbooks) >= 8, playbooks
    # A play over the inventory plugin's groups (hosts: scalingo_postgresql) gets the plugin's inventory too.
    databases = tmp_path / 'docs.scalingo.yml'
    databases.write_text('plugin: scalingo.cloud.databases\n')

    def run(label, path, text, *options):
        inventories = ['-i', ansible.inventory] + (['-i', str(databases)] if 'hosts: scalingo_' in text else [])
        argv = [os.path.join(ansible.bin, 'ansible-playbook')] + inventories + [path, '--diff', '-e', '@' + str(extra_file)]
        process = subprocess.run(argv + list(options), env=env, cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                                 capture_output=True, text=True, timeout=600, check=False)
        output = process.stdout + process.stderr
        assert process.returncode == 0, '%s failed:\n%s' % (label, output)
        assert 'no hosts matched' not in output, '%s reached no host:\n%s' % (label, output)
        leaks = find_leaks(output, dict(secrets_of(variables, doc_emu.requests()), api_token=doc_emu.api_token('owner')))
        assert not leaks, '%s shows %s:\n%s' % (label, leaks, output)
        return output

    exclusive = [label for label, path, text in playbooks if 'users: "{{ users_of_db }}"' in text and 'exclusive: true' in text]
    assert len(exclusive) == 1, exclusive
    for label, path, text in playbooks:
        doc_emu.reset(users=True)
        if label not in exclusive:
            run(label, path, text, '-v')
            continue
        stale = ['stale-importer', 'stale-analyst']
        for name in stale:
            doc_emu.create_user_over_http(DOC_APP, DOC_ADDON_ID, name, new_password())
        # no_log only on the real run: the check run's diff names who would be created and removed.
        checked = run(label, path, text, '--check')
        for name in stale + ['reporting', 'metabase']:
            assert name in checked, (name, checked)
        assert 'the output has been hidden' not in checked.split('Make the users match')[1].split('TASK')[0]
        assert sorted(user['name'] for user in doc_emu.users(DOC_ADDON_ID) if not user['protected']) == sorted(stale)
        real = run(label, path, text, '-v')
        assert 'the output has been hidden' in real.split('Make the users match')[1].split('TASK')[0]
        assert [user['name'] for user in doc_emu.users(DOC_ADDON_ID) if not user['protected']] == ['metabase', 'reporting']
