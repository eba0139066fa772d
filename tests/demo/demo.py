# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make demo`: docs/examples/manage_users.yml against a local Scalingo, told step by step to a user trying it.

Run by `make demo` from the collection copy in build/, with the virtualenv it builds. It starts tests/emulator (Scalingo's
services on 127.0.0.1, a real PostgreSQL), creates the user the playbook removes, runs the playbook with --diff, logs in
to PostgreSQL as each user, runs the playbook again (nothing changes), then stops everything. No password is printed;
they reach ansible-playbook in a 0600 extra-vars file. A failed step ends the demo with a message and exit status 1.
"""

import contextlib
import itertools
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tests' / 'emulator'))

import psycopg  # noqa: E402  pylint: disable=wrong-import-position
from scalingo_emulator import Emulator, EmulatorError  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOK = 'docs/examples/manage_users.yml'
APP, ADDON = 'emu-demo-app', 'postgresql'
READWRITE, READONLY, REMOVED = 'reporting', 'metabase', 'old-importer'  # the playbook's defaults, given again
STEPS = itertools.count(1)
BOLD = sys.stdout.isatty() and 'NO_COLOR' not in os.environ and os.environ.get('TERM') != 'dumb'


class Failed(Exception):
    """A step that did not work."""


def heading(title):
    text = '== %d. %s' % (next(STEPS), title)
    print('\n' + ('\x1b[1m%s\x1b[0m' % text if BOLD else text), flush=True)


def pg_error(exc):
    """PostgreSQL's message, on one line."""
    message = getattr(getattr(exc, 'diag', None), 'message_primary', None) or str(exc)
    fatal = re.search(r'FATAL:\s*(.*)', message, re.S)  # "connection to server ... failed: FATAL: ..."
    return ' '.join((fatal.group(1) if fatal else message).split())[:120]


def connect(pg, user, password):
    return psycopg.connect(host='127.0.0.1', port=pg['port'], dbname=pg['dbname'], user=user, password=password,
                           sslmode='disable', connect_timeout=5)


@contextlib.contextmanager
def session(pg, user, password):
    """A connection as user: what PostgreSQL refuses ends the demo, naming the user."""
    try:
        with connect(pg, user, password) as conn:
            yield conn
    except psycopg.Error as exc:
        raise Failed('PostgreSQL, as %s: %s' % (user, pg_error(exc))) from exc


def start(emu):
    heading('Start a local Scalingo')
    emu.start()
    if not emu.pg_enabled:
        raise Failed('PostgreSQL not found: `make demo` installs it in build/venv-*')
    addon_id = emu.addon_id(APP, ADDON)
    pg = emu.pg_info(addon_id)
    print('''  The modules talk to three Scalingo services. Here they are emulated on this machine, and nothing leaves it:
    auth          %s   API token -> bearer token
    API           %s   apps, addons, database tokens
    database API  %s   the users of a database
  App %s has a PostgreSQL addon (%s),
  backed by a real PostgreSQL %s on 127.0.0.1:%s, database %s (a table demo_items, 3 rows).
  The playbook reaches it exactly as it would reach Scalingo, through these environment variables:
    SCALINGO_API_TOKEN=tk-us-... (a fake token of tests/emulator/seed.yml)
    SCALINGO_APP=%s  SCALINGO_ADDON=%s  SCALINGO_REGION=%s
    SCALINGO_AUTH_URL, SCALINGO_API_URL, SCALINGO_DB_API_URL: the emulator (left unset against Scalingo)'''
          % (emu.urls['auth'], emu.urls['api'], emu.urls['db'], APP, addon_id, emu.state()['postgres'].get('version', '?'),
             pg['port'], pg['dbname'], APP, ADDON, emu.config['region']))
    return addon_id, pg


def create_old_user(emu, addon_id, pg, password):
    heading('Before the playbook: a user that should go')
    try:
        emu.create_user_over_http(APP, addon_id, REMOVED, password)
    except (OSError, ValueError, KeyError) as exc:
        raise Failed('the database API did not create %s: %s' % (REMOVED, exc)) from exc
    with session(pg, REMOVED, password) as conn:
        rows = conn.execute('SELECT count(*) FROM demo_items').fetchone()[0]
    print('  %s was created long ago through Scalingo\'s database API; the playbook lists it in removed_users.\n'
          '  It logs in to PostgreSQL and reads demo_items: %d rows.' % (REMOVED, rows))


def run_playbook(emu, tmp):
    env = {key: value for key, value in os.environ.items() if not key.startswith('SCALINGO_') and key != 'no_proxy'}
    env.update(emu.env(), SCALINGO_APP=APP, SCALINGO_ADDON=ADDON, ANSIBLE_STDOUT_CALLBACK='ansible.builtin.default',
               NO_PROXY=','.join(filter(None, ['127.0.0.1', 'localhost', os.environ.get('NO_PROXY')])),
               ANSIBLE_NOCOWS='1', ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0',
               ANSIBLE_LOCAL_TEMP=str(tmp / 'ansible-local'), ANSIBLE_REMOTE_TEMP=str(tmp / 'ansible-remote'))
    print('  $ ansible-playbook %s --diff -e @demo-vars.json' % PLAYBOOK, flush=True)
    command = [str(Path(sys.executable).with_name('ansible-playbook')), PLAYBOOK, '--diff', '-e', '@%s' % (tmp / 'demo-vars.json')]
    status = subprocess.run(command, cwd=str(ROOT), env=env, stdin=subprocess.DEVNULL, check=False).returncode
    if status != 0:
        raise Failed('the playbook failed (exit status %d)' % status)


def show_logins(pg, tmp, readonly_password, removed_password):
    heading('Log in to PostgreSQL as each user')
    stored = tmp / 'passwords' / ('%s.password' % READWRITE)
    try:
        password, mode = stored.read_text(encoding='utf-8').strip(), stored.stat().st_mode & 0o777
    except OSError as exc:
        raise Failed('the playbook stored no password for %s: %s' % (READWRITE, exc.strerror)) from exc
    with session(pg, READWRITE, password) as conn:
        row = conn.execute("INSERT INTO demo_items (name) VALUES ('added by reporting') RETURNING id").fetchone()[0]
        rows = conn.execute('SELECT count(*) FROM demo_items').fetchone()[0]
    print('  %s (read-write) logs in with the password the playbook stored in passwords/%s (mode %04o):\n'
          '    INSERT: row %d added; SELECT: %d rows' % (READWRITE, stored.name, mode, row, rows))
    with session(pg, READONLY, readonly_password) as conn:
        rows = conn.execute('SELECT count(*) FROM demo_items').fetchone()[0]
        try:
            conn.execute("INSERT INTO demo_items (name) VALUES ('added by metabase')")
            raise Failed('%s is read-only, yet its INSERT went through' % READONLY)
        except psycopg.errors.InsufficientPrivilege as exc:
            conn.rollback()
            print('  %s (read-only) logs in with the password of demo-vars.json:\n'
                  '    SELECT: %d rows, reporting\'s included; INSERT refused: %s' % (READONLY, rows, pg_error(exc)))
    try:
        connect(pg, REMOVED, removed_password).close()
    except psycopg.OperationalError as exc:
        print('  %s can no longer log in: %s' % (REMOVED, pg_error(exc)))
    else:
        raise Failed('%s still logs in after the playbook removed it' % REMOVED)


def main():
    began = time.monotonic()
    print('scalingo.cloud demo: %s against a local Scalingo, with a real PostgreSQL' % PLAYBOOK)
    emu = Emulator()  # tests/emulator/seed.yml
    tmp = Path(tempfile.mkdtemp(prefix='scalingo-demo-'))  # 0700: extra-vars, stored password, Ansible's temp
    readonly_password, removed_password = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    failure = None
    try:
        fd = os.open(str(tmp / 'demo-vars.json'), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            json.dump({'readonly_password': readonly_password, 'password_dir': str(tmp / 'passwords'),
                       'readwrite_user': READWRITE, 'readonly_user': READONLY, 'removed_users': [REMOVED]}, handle)
        addon_id, pg = start(emu)
        create_old_user(emu, addon_id, pg, removed_password)
        heading('Run the playbook')
        print('  It creates %s (read-write; Scalingo generates its password, stored in a 0600 file) and %s\n'
              '  (read-only; its password comes from demo-vars.json, a 0600 file standing in for a vault), and\n'
              '  removes %s. --diff shows each change, never a password. The task that receives the generated\n'
              '  password shows nothing at all: it has no_log: true.' % (READWRITE, READONLY, REMOVED))
        run_playbook(emu, tmp)
        show_logins(pg, tmp, readonly_password, removed_password)
        heading('Run the playbook again')
        print('  Everything is already as declared: every task is ok or skipped, and the recap counts changed=0.')
        run_playbook(emu, tmp)
    except (Failed, EmulatorError, KeyboardInterrupt) as exc:
        failure = str(exc) or 'interrupted'
    finally:
        emu.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    heading('Stop')
    print('  The emulator and PostgreSQL are stopped; their files and ours (passwords, extra-vars) are removed.')
    if failure:
        print('\nThe demo failed: %s.' % failure, file=sys.stderr)
        return 1
    print('''
Done in %.0fs. The same playbook against your Scalingo app, unchanged:
  export SCALINGO_API_TOKEN=tk-us-...   # from your Scalingo account, never in the playbook
  export SCALINGO_APP=my-app SCALINGO_ADDON=postgresql
  ansible-playbook %s --diff -e @vault.yml --ask-vault-pass   # vault.yml: readonly_password
Every option: ansible-doc scalingo.cloud.database_user''' % (time.monotonic() - began, PLAYBOOK))
    return 0


if __name__ == '__main__':
    sys.exit(main())
