# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the end-to-end tests: run ansible for real, read what the emulator saw, look into PostgreSQL.

- ``Ansible`` writes a playbook (JSON is YAML), runs ``ansible-playbook`` from the virtualenv as a subprocess, with
  the connection settings of the emulator in its environment, and returns a ``Run``: exit code, output, every task
  result in full (recorded by callback_plugins/e2e_recorder.py) and the requests the emulator received;
  ``write_inventory`` and ``playbooks_together`` run many hosts, or several ansible-playbook processes at the same
  moment.
- ``Postgres`` logs in to the PostgreSQL server of an addon over TCP, as a given user with a given password.
- ``secret_forms`` and ``find_leaks`` look for secrets in text, in every form a leak may take; ``issued_secrets``
  lists those the emulator handed out.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import time
from urllib.parse import quote, quote_plus

try:
    import psycopg
except ImportError:  # pragma: no cover - reported by missing_requirements()
    psycopg = None

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION_ROOT = os.path.dirname(os.path.dirname(HERE))
CALLBACK_DIR = os.path.join(HERE, 'callback_plugins')

DEMO_APP = 'emu-demo-app'
USER_MODULE = 'scalingo.cloud.database_user'
USERS_MODULE = 'scalingo.cloud.database_users'
INFO_MODULE = 'scalingo.cloud.database_user_info'


# Variables of the caller's environment that must not reach the modules: the tests give their own.
_FOREIGN_ENVIRONMENT_PREFIXES = ('SCALINGO_', 'ANSIBLE_', 'DB_')
_FOREIGN_ENVIRONMENT = ('PYTHONPATH', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'http_proxy',
                        'https_proxy', 'all_proxy', 'no_proxy', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE')


def collections_path():
    """The directory holding ansible_collections/scalingo/cloud when the tests run from such a copy, else None."""
    parts = COLLECTION_ROOT.split(os.sep)
    return os.sep.join(parts[:-3]) if parts[-3:] == ['ansible_collections', 'scalingo', 'cloud'] else None


def bin_dir():
    return os.path.dirname(os.path.abspath(sys.executable))


def missing_requirements():
    """Why the end-to-end tests cannot run here, or None."""
    if psycopg is None:
        return 'psycopg is not installed (tests/requirements/e2e.txt): run the end-to-end tests with make e2e'
    if collections_path() is None:
        return ('the tests do not run from a copy laid out as ansible_collections/scalingo/cloud: '
                'run them with make e2e, which runs them from build/e2e/ansible_collections/scalingo/cloud')
    if not os.access(os.path.join(bin_dir(), 'ansible-playbook'), os.X_OK):
        return 'ansible-playbook not found next to %s: run the end-to-end tests with make e2e' % sys.executable
    return None


def ansible_environment(workdir, variables):
    """The environment of a run of the virtualenv's programs: the caller's less its foreign variables, the virtualenv
    first on PATH, this collection, settings that keep the machine's own ansible.cfg and netrc out and the temporary
    files in ``workdir``, then ``variables`` (None leaves one out). tests/bench runs with it too."""
    env = {k: v for k, v in os.environ.items()
           if k not in _FOREIGN_ENVIRONMENT and not k.startswith(_FOREIGN_ENVIRONMENT_PREFIXES)}
    env.update({
        'PATH': bin_dir() + os.pathsep + os.environ.get('PATH', ''),
        'ANSIBLE_COLLECTIONS_PATH': collections_path(),
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_RETRY_FILES_ENABLED': '0',
        'ANSIBLE_LOCAL_TEMP': os.path.join(workdir, 'ansible-tmp'),
        'ANSIBLE_CONFIG': os.path.join(workdir, 'no-ansible.cfg'),
        'NETRC': os.path.join(workdir, 'no-netrc'),
    }, **variables)
    return {name: value for name, value in env.items() if value is not None}


@contextlib.contextmanager
def running_emulator(seed=None, **options):
    """The emulator started with ``seed`` (a path or a dict, as tests/emulator/README.md says; None: seed.yml) and
    ``options``, stopped at the end; ``start_seconds``, what its start took (tests/bench prints it)."""
    import scalingo_emulator  # pylint: disable=import-outside-toplevel

    began = time.perf_counter()
    emulator = scalingo_emulator.Emulator(seed, **options)
    try:
        emulator.start()
        emulator.start_seconds = time.perf_counter() - began
        yield emulator
    finally:
        emulator.stop()


def own_emulator(apps):
    """An emulator of a test module's own, holding ``apps`` (seed format) and a fresh random API token, so that every
    secret of its runs is unique."""
    return running_emulator({'api_tokens': [{'name': 'owner', 'token': 'tk-us-' + secrets.token_urlsafe(40), 'role': 'owner'}],
                             'apps': apps})


def new_password():
    """A long unique password Scalingo accepts: 48 characters among letters, digits, '-' and '_'."""
    return 'E2e_' + secrets.token_urlsafe(33)


def secret_forms(secret):
    """Every form in which ``secret`` may leak: as is, JSON- and Python-escaped, URL-encoded (in part as quote() and
    encodeURIComponent leave it, or byte by byte; hexadecimal in either case), and in base64 (standard and URL-safe,
    padded or not, alone or after ':' as in a Basic header). Written apart from the modules' own list
    (plugins/module_utils/_redaction.py), so that the tests check it rather than repeat it."""
    raw = secret.encode('utf-8')
    forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], repr(secret)[1:-1],
             quote(secret, safe=''), quote(secret), quote_plus(secret, safe=''), quote(secret, safe="!*()'~"),
             ''.join('%%%02X' % byte for byte in raw), ''.join('%%%02x' % byte for byte in raw)}
    forms |= set(re.sub('%[0-9A-F]{2}', lambda escape: escape.group(0).lower(), form) for form in forms)
    for raw in (secret.encode('utf-8'), b':' + secret.encode('utf-8')):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(raw).decode('ascii')
            forms.update((encoded, encoded.rstrip('=')))
    return sorted(form for form in forms if len(form) >= 8)


def find_leaks(text, named_secrets):
    """The labels of ``named_secrets`` (``{label: secret}``) found in ``text`` in any of their ``secret_forms``."""
    return sorted(label for label, secret in named_secrets.items() if any(form in text for form in secret_forms(secret)))


def user_task(name, args, **keywords):
    return dict({'name': name, USER_MODULE: args}, **keywords)


def info_task(name, args, **keywords):
    return dict({'name': name, INFO_MODULE: args}, **keywords)


def check_and_real(name, module, args, **keywords):
    """The same task twice: ``<name> (check)`` in check mode, then ``<name>`` for real."""
    return [dict({'name': name + ' (check)', module: args, 'check_mode': True}, **keywords),
            dict({'name': name, module: args}, **keywords)]


def issued_secrets(log):
    """``{label: secret}`` of every token and password the emulator handed out in ``log`` (answers 200 or 201): labels
    ``bearer <seq>``, ``database token <seq>`` and ``generated password <seq>``."""
    found = {}
    for entry in log:
        if entry['status'] not in (200, 201) or not (entry['response_body'] or '').startswith('{'):
            continue
        body = json.loads(entry['response_body'])
        for label, value in (('bearer', body.get('token')), ('database token', (body.get('addon') or {}).get('token')),
                             ('generated password', body.get('password'))):
            if isinstance(value, str) and value:
                found['%s %d' % (label, entry['seq'])] = value
    return found


class Run:
    """One ansible-playbook run: ``rc``, ``stdout``, ``stderr``, ``records`` (task results, in full) and ``log`` (the
    emulator's requests)."""

    def __init__(self, process, stdout, stderr, records, log):
        self.rc = process.returncode
        self.stdout = stdout
        self.stderr = stderr
        self.records = records
        self.log = log

    def __repr__(self):
        return 'Run(rc=%s)\n--- stdout\n%s\n--- stderr\n%s' % (self.rc, self.stdout, self.stderr)

    def result(self, task):
        """The result of a task (not of its loop items), as the callback received it."""
        found = [r for r in self.records if r['task'] == task and not r['item']]
        assert len(found) == 1, 'expected one result for task %r, got %d\n%r' % (task, len(found), self)
        return found[0]['result']

    def output(self):
        return self.stdout + self.stderr


class Ansible:
    """Runs ansible-playbook from the virtualenv against the emulator."""

    def __init__(self, emu, workdir):
        self.emu = emu
        self.workdir = workdir
        self.bin = bin_dir()
        self.runs = 0
        self.inventory = self.write_inventory({'localhost': {}}, 'inventory.ini')

    def environment(self, extra=None):
        variables = dict(self.emu.env(), ANSIBLE_CALLBACK_PLUGINS=CALLBACK_DIR, ANSIBLE_CALLBACKS_ENABLED='e2e_recorder')
        variables.update(extra or {})
        return ansible_environment(self.workdir, variables)

    def write_inventory(self, hosts, name='inventory-hosts.ini'):
        """An inventory of local hosts: ``{host: {var: value}}``; every host runs the modules with this Python (an
        explicit interpreter: discovery could pick a Python without requests)."""
        path = os.path.join(self.workdir, name)
        with open(path, 'w') as handle:
            for host, variables in hosts.items():
                pairs = dict({'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}, **variables)
                handle.write('%s %s\n' % (host, ' '.join('%s=%s' % pair for pair in sorted(pairs.items()))))
        return path

    def playbook(self, tasks, **options):
        """One play of ``tasks`` on localhost, run with --diff; fails the test unless it exits 0.

        ``play``: keywords of the play (``hosts`` with ``inventory``, another inventory file: see
        ``write_inventory``); ``extra_args``: more arguments of ansible-playbook.
        """
        return self.playbooks_together([dict(options, tasks=tasks)])[0]

    def playbooks_together(self, plays):
        """Start one ansible-playbook per ``dict(tasks=..., **playbook options)`` at the same moment, wait for all of
        them; every Run gets the emulator's log of all of them."""
        self.emu.reset_log()
        started = [self._start(**spec) for spec in plays]
        ended = [(process,) + process.communicate(timeout=600) + (results,) for process, results in started]
        # The emulator logs a request once it has answered: the log is complete when the runs end.
        log = self.emu.requests()
        runs = [Run(process, stdout, stderr, _read_records(results), log) for process, stdout, stderr, results in ended]
        for run in runs:
            assert run.rc == 0, 'expected exit code 0\n%r' % run
        return runs

    def _start(self, tasks, play=None, inventory=None, extra_args=()):
        self.runs += 1
        path = os.path.join(self.workdir, 'playbook-%d.yml' % self.runs)
        with open(path, 'w') as handle:
            json.dump([dict({'name': 'e2e', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}, **(play or {}))],
                      handle, indent=2)  # JSON is YAML
        env = self.environment()
        env['E2E_RESULTS_FILE'] = results = os.path.join(self.workdir, 'results-%d.jsonl' % self.runs)
        argv = [os.path.join(self.bin, 'ansible-playbook'), '-i', inventory or self.inventory, path, '--diff']
        process = subprocess.Popen(argv + list(extra_args), env=env, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return process, results


def _read_records(path):
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


class Postgres:
    """The PostgreSQL server of one addon, reached over TCP as a client of the database would."""

    def __init__(self, emu, addon_id):
        self.addon_id = addon_id
        self.info = emu.pg_info(addon_id)
        assert self.info, 'addon %s has no PostgreSQL server' % addon_id

    def connect(self, user, password):
        return psycopg.connect(host=self.info['host'], port=self.info['port'], dbname=self.info['dbname'],
                               user=user, password=password, sslmode='disable', connect_timeout=5, autocommit=True)

    def assert_login(self, user, password):
        with self.connect(user, password) as conn:
            assert conn.execute('SELECT current_user').fetchone()[0] == user

    def assert_login_fails(self, user, password):
        # pytest imported here only: tests/bench imports this module, and pytest's memory would weigh on the RSS
        # it measures of the processes it starts.
        import pytest  # pylint: disable=import-outside-toplevel

        with pytest.raises(psycopg.OperationalError) as failure:
            self.connect(user, password).close()
        assert 'password authentication failed for user "%s"' % user in str(failure.value)

    def role(self, name):
        """``{"login": bool}`` of a role, or None when it does not exist (read as the owner)."""
        with self.connect(self.info['owner'], self.info['owner_password']) as conn:
            row = conn.execute('SELECT rolcanlogin FROM pg_roles WHERE rolname = %s', (name,)).fetchone()
        return None if row is None else {'login': row[0]}

    def assert_owner_untouched(self):
        """The protected user still logs in with the password the database was created with, and writes."""
        with self.connect(self.info['owner'], self.info['owner_password']) as conn:
            row_id = conn.execute("INSERT INTO demo_items (name) VALUES ('e2e-owner') RETURNING id").fetchone()[0]
            conn.execute('DELETE FROM demo_items WHERE id = %s', (row_id,))
            table = 'e2e_scratch_' + secrets.token_hex(4)
            conn.execute('CREATE TABLE %s (id int)' % table)
            conn.execute('DROP TABLE %s' % table)
