# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run ansible-test integration against the local Scalingo emulator.

    run_integration.py --source ROOT --copy DIR --ansible-bin VENV_BIN --python X.Y [ANSIBLE-TEST ARGS]

0. copies the collection at ROOT into DIR/ansible_collections/scalingo/cloud (tools/sync_collection.py): a copy of
   its own, so that other gates can run meanwhile, and so can this one on another ansible-core;
1. starts the emulator of the copy (tests/emulator) with its default seed, in this process: run it with a Python
   that has the emulator's requirements (the main virtualenv's);
2. writes tests/integration/integration_config.yml in the copy from its state: the connection the targets use, where
   PostgreSQL listens for their login checks, and the emulator's control API (what targets tagged ``emulator`` need);
3. runs ``ansible-test integration --local --python X.Y`` from the copy with VENV_BIN first on PATH, once the SSH key
   pair every ansible-test integration run wants is there (made here, one run at a time: the lines' runs start side
   by side, and two ansible-test making it at once fail on a fresh machine, ssh-keygen asking to overwrite);
4. stops the emulator, and exits with ansible-test's status.

ansible-test passes no environment variable to the targets: integration_config.yml is how they learn where to go
(as community.hashi_vault does). Against a real Scalingo account, write that file by hand instead: see
tests/integration/README.md.
"""

import argparse
import fcntl
import json
import os
import re
import subprocess
import sys

APP = 'emu-demo-app'
TWIN_APP = 'emu-twin-pg'


def addon(state, app, addon_type):
    """The first addon of type ``addon_type`` of ``app`` in the emulator's state."""
    for found in state['apps']:
        if found['name'] == app:
            for candidate in found['addons']:
                if candidate['type'] == addon_type:
                    return candidate
    raise KeyError('the emulator seed has no %s addon in app %s' % (addon_type, app))


def integration_config(state):
    """The variables of the targets, against the emulator."""
    pg_addon = addon(state, APP, 'postgresql')
    postgres = state['addons'][pg_addon['id']]['postgres']
    urls = state['urls']
    return {
        'scalingo_api_token': state['env']['SCALINGO_API_TOKEN'],
        'scalingo_app': APP,
        'scalingo_addon': pg_addon['id'],
        'scalingo_region': state['region'],
        'scalingo_auth_url': urls['auth'],
        'scalingo_api_url': urls['api'],
        'scalingo_db_api_url': urls['db'],
        'scalingo_user_prefix': 'it-',
        'scalingo_postgres': {'host': postgres['host'], 'port': postgres['port'], 'dbname': postgres['dbname'],
                              'sslmode': 'disable'},
        # Only against the emulator: its control API, and the other apps and addons of its seed.
        'scalingo_emulator_url': urls['control'],
        'scalingo_emulator': {
            'twin_app': TWIN_APP,
            'mysql_addon': addon(state, APP, 'mysql')['id'],
        },
    }


def ensure_ssh_key_pair():
    """~/.ansible/test/id_rsa and id_rsa.pub, made as ansible-test makes them (core_ci.generate_key_pair)."""
    base = os.path.expanduser('~/.ansible/test')
    os.makedirs(base, exist_ok=True)
    key = os.path.join(base, 'id_rsa')
    with open(os.path.join(base, '.id_rsa.lock'), 'w', encoding='utf-8') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isfile(key) and os.path.isfile(key + '.pub'):
            return
        for path in (key, key + '.pub'):
            if os.path.exists(path):
                os.remove(path)
        subprocess.run(['ssh-keygen', '-m', 'PEM', '-q', '-t', 'rsa', '-N', '', '-f', key], check=True,
                       stdin=subprocess.DEVNULL, capture_output=True)
        with open(key, encoding='utf-8') as handle:
            contents = handle.read()
        # as ansible-test does: paramiko does not read newer ssh-keygen's PEM header
        with open(key, 'w', encoding='utf-8') as handle:
            handle.write(re.sub(r'(BEGIN|END) PRIVATE KEY', r'\1 RSA PRIVATE KEY', contents))


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument('--source', required=True, help='the collection to test (its git work tree)')
    parser.add_argument('--copy', required=True, help='where to lay out ansible_collections/scalingo/cloud')
    parser.add_argument('--ansible-bin', required=True)
    parser.add_argument('--python', required=True)
    args, ansible_test_args = parser.parse_known_args(argv)
    collection = os.path.join(os.path.abspath(args.copy), 'ansible_collections', 'scalingo', 'cloud')
    subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'sync_collection.py'),
                    args.source, collection], check=True)
    config = os.path.join(collection, 'tests', 'integration', 'integration_config.yml')
    ensure_ssh_key_pair()
    sys.path.insert(0, os.path.join(collection, 'tests', 'emulator'))
    import scalingo_emulator  # pylint: disable=import-outside-toplevel
    with scalingo_emulator.Emulator() as emulator:
        try:
            with open(config, 'w', encoding='utf-8') as handle:
                # JSON is YAML.
                json.dump(integration_config(emulator.state()), handle, indent=2)
            env = dict(os.environ, PATH=os.path.abspath(args.ansible_bin) + os.pathsep + os.environ.get('PATH', ''))
            command = [os.path.join(args.ansible_bin, 'ansible-test'), 'integration', '--local', '--python',
                       args.python, '--color', 'no'] + ansible_test_args
            print('==> %s' % ' '.join(command), flush=True)
            status = subprocess.run(command, cwd=collection, env=env, check=False).returncode
        finally:
            os.remove(config)
    return status


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
