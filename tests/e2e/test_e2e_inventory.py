# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The inventory plugin scalingo.cloud.databases as users run it: ansible-inventory against the emulator, every
region, its rate limit on. The listing completes, says at -v that it waits and why, warns once it is done, and shows
no token."""

from __future__ import annotations

import json
import os
import subprocess

from e2e_support import Ansible

# Listing every region of the emulator, as against Scalingo: no API URL, so the plugin asks for the regions.
EVERY_REGION = ('SCALINGO_API_URL', 'SCALINGO_DB_API_URL', 'SCALINGO_REGION')


def inventory(ansible, tmp_path, *options, **config):
    path = tmp_path / 'e2e.scalingo.yml'
    path.write_text(json.dumps(dict(config, plugin='scalingo.cloud.databases')))
    argv = [os.path.join(ansible.bin, 'ansible-inventory'), '-i', str(path), '--list', '--output',
            str(tmp_path / 'listed.json')] + list(options)
    return subprocess.run(argv, env=ansible.environment(unset=EVERY_REGION), cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600, check=False)


def test_every_region_is_listed_under_the_rate_limit_and_waits_are_said(emu, tmp_path):
    ansible = Ansible(emu, str(tmp_path))
    emu.set_settings(api_rate_limit=2, api_rate_window=3, rate_limit_body='text')
    listed = inventory(ansible, tmp_path, '-v')
    output = listed.stdout + listed.stderr
    assert listed.returncode == 0, output
    hosts = json.loads((tmp_path / 'listed.json').read_text())['_meta']['hostvars']
    expected = sorted(addon['database'] for app in emu.state()['apps'] for addon in app['addons']
                      if addon['type'] in ('postgresql', 'mysql', 'mongodb', 'influxdb') and addon['status'] == 'running')
    assert any(addon['region'] == 'osc-secnum-fr1' for app in emu.state()['apps'] for addon in app['addons'])
    assert sorted(hosts) == expected
    assert "waiting" in output and "for Scalingo's rate limit (HTTP 429)" in output
    assert 'The task waited' in output
    assert emu.api_token('owner') not in output + (tmp_path / 'listed.json').read_text()
    routes = [entry['route'] for entry in emu.requests()]
    assert routes.count('auth.exchange') == 1 and routes.count('auth.regions') == 1
    assert not any(route.startswith('db.') or route.startswith('users.') or route == 'api.addon_token' for route in routes)


def test_a_refused_token_fails_the_inventory_with_a_clear_message(emu, tmp_path):
    ansible = Ansible(emu, str(tmp_path))
    listed = inventory(ansible, tmp_path, api_token='tk-us-e2e-never-valid-Qw3Er5Ty7Ui9Op1As3Df5')
    output = listed.stdout + listed.stderr
    assert 'Check the API token (api_token or SCALINGO_API_TOKEN)' in output
    assert 'Traceback' not in output and 'tk-us-e2e-never-valid' not in output
