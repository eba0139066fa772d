# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the end-to-end tests: run ansible for real, read what the emulator saw, look into PostgreSQL.

- ``Ansible`` writes a playbook (JSON is YAML), runs ``ansible-playbook`` (or ``ansible`` ad hoc) from the
  virtualenv as a subprocess, with the connection settings of the emulator in its environment, and returns a
  ``Run``: exit code, output, every task result in full (recorded by callback_plugins/e2e_recorder.py) and the
  requests the emulator received, task by task.
  ``at_task`` arms emulator faults (``fault``) as a given task starts
  (callback_plugins/e2e_faults.py), so that one run can hold many fault scenarios; ``write_inventory`` and
  ``playbooks_together`` run many hosts, or several ansible-playbook processes at the same moment.
- ``Postgres`` logs in to the PostgreSQL server of an addon over TCP, as a given user with a given password.
- ``assert_same_outcome`` compares the check-mode result of a task with the real one.
- ``secret_forms`` and ``find_leaks`` look for secrets in text, in every form a leak may take.
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
from urllib.parse import quote, quote_plus

try:
    import psycopg
    from psycopg import errors as pg_errors
except ImportError:  # pragma: no cover - reported by missing_requirements()
    psycopg = None
    pg_errors = None

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
    cloud = COLLECTION_ROOT
    namespace = os.path.dirname(cloud)
    top = os.path.dirname(namespace)
    if (os.path.basename(cloud), os.path.basename(namespace), os.path.basename(top)) == ('cloud', 'scalingo', 'ansible_collections'):
        return os.path.dirname(top)
    return None


def bin_dir():
    return os.path.dirname(os.path.abspath(sys.executable))


def missing_requirements():
    """Why the end-to-end tests cannot run here, or None."""
    if psycopg is None:
        return 'psycopg is not installed (tests/requirements/e2e.txt): run the end-to-end tests with make e2e'
    if collections_path() is None:
        return ('the tests do not run from a copy laid out as ansible_collections/scalingo/cloud: '
                'run them with make e2e, which runs them from build/e2e/ansible_collections/scalingo/cloud')
    for program in ('ansible-playbook', 'ansible'):
        if not os.access(os.path.join(bin_dir(), program), os.X_OK):
            return '%s not found next to %s: run the end-to-end tests with make e2e' % (program, sys.executable)
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
def own_emulator(apps):
    """An emulator of a test module's own, holding ``apps`` (seed format) and a fresh random API token, so that every
    secret of its runs is unique."""
    import scalingo_emulator  # pylint: disable=import-outside-toplevel

    emulator = scalingo_emulator.Emulator({
        'api_tokens': [{'name': 'owner', 'token': 'tk-us-' + secrets.token_urlsafe(40), 'role': 'owner'}],
        'apps': apps,
    })
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


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


def fault(route='*', **spec):
    """A control call for ``Ansible.playbook(at_task=...)``: add this emulator fault (see tests/emulator/README.md)."""
    spec['route'] = route
    return ['/_emulator/faults', spec]


def user_task(name, args, **keywords):
    task = {'name': name, USER_MODULE: args}
    task.update(keywords)
    return task


def info_task(name, args, **keywords):
    task = {'name': name, INFO_MODULE: args}
    task.update(keywords)
    return task


def check_and_real(name, module, args, **keywords):
    """The same task twice: ``<name> (check)`` in check mode, then ``<name>`` for real."""
    check = {'name': name + ' (check)', module: args, 'check_mode': True}
    check.update(keywords)
    real = {'name': name, module: args}
    real.update(keywords)
    return [check, real]


def public_fields(user):
    """What check mode can predict of a user: not dbms_attributes, which only the database knows."""
    return {key: user.get(key) for key in ('name', 'read_only', 'protected')} if user else user


def assert_same_outcome(check, real):
    """The check-mode run of a task reports what the real run did: same status, changed, diff, password_changed,
    message and failure; the same user but for dbms_attributes; and never a password."""
    assert 'password' not in check['result'], 'check mode must not return a password: %r' % check['result']
    assert check['status'] == real['status'], (check, real)
    check_result = dict(check['result'])
    real_result = dict(real['result'])
    real_result.pop('password', None)
    assert public_fields(check_result.pop('user', None)) == public_fields(real_result.pop('user', None))
    assert check_result == real_result


class Run:
    """One ansible run: ``rc``, ``stdout``, ``stderr``, ``records`` (task results) and ``log`` (emulator requests)."""

    def __init__(self, argv, process, records, log, playbook=None):
        self.argv = argv
        self.rc = process.returncode
        self.stdout = process.stdout
        self.stderr = process.stderr
        self.records = records
        self.log = log
        self.playbook = playbook

    def __repr__(self):
        return 'Run(rc=%s)\n--- stdout\n%s\n--- stderr\n%s' % (self.rc, self.stdout, self.stderr)

    def record(self, task):
        """The result record of a task (not of its loop items): task, host, status, result, started, ended."""
        found = [r for r in self.records if r['task'] == task and not r['item']]
        assert len(found) == 1, 'expected one result for task %r, got %d\n%r' % (task, len(found), self)
        return found[0]

    def result(self, task):
        return self.record(task)['result']

    def items(self, task):
        return [r for r in self.records if r['task'] == task and r['item']]

    def requests(self, task=None):
        """The emulator's log entries of the run, or of one task (all its loop items), matched by the time each
        request started: tasks run one after the other, and a task starts after the result of the previous one."""
        if task is None:
            return list(self.log)
        record = task if isinstance(task, dict) else self.record(task)
        assert not record['item'], 'loop items have no window of their own: use the task'
        return [e for e in self.log if record['started'] <= e['time'] <= record['ended']]

    def routes(self, task=None):
        """The route names of the requests, in order."""
        return [e['route'] for e in self.requests(task)]

    def counts(self, task=None):
        """``{route: number of requests}`` for the run, or for one task."""
        counts = {}
        for entry in self.requests(task):
            counts[entry['route']] = counts.get(entry['route'], 0) + 1
        return counts

    def writes(self, task=None):
        """``"METHOD path"`` of the requests that may change something on the database API, for the run or one
        task."""
        return ['%s %s' % (e['method'], e['path']) for e in self.requests(task)
                if e['service'] == 'db' and e['method'] in ('POST', 'PUT', 'PATCH', 'DELETE')]

    def output(self):
        return self.stdout + self.stderr


class Ansible:
    """Runs ansible-playbook / ansible from the virtualenv against the emulator."""

    def __init__(self, emu, workdir):
        self.emu = emu
        self.workdir = workdir
        self.bin = bin_dir()
        self.inventory = os.path.join(workdir, 'inventory.ini')
        with open(self.inventory, 'w') as handle:
            # An explicit interpreter: discovery could pick a Python without requests.
            handle.write('localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
        self.runs = 0

    def environment(self, extra=None, unset=()):
        variables = dict(self.emu.env(), ANSIBLE_CALLBACK_PLUGINS=CALLBACK_DIR, ANSIBLE_CALLBACKS_ENABLED='e2e_recorder',
                         ANSIBLE_LOAD_CALLBACK_PLUGINS='1')  # the last one for ad hoc runs
        variables.update(extra or {})
        variables.update(dict.fromkeys(unset))
        return ansible_environment(self.workdir, variables)

    def playbook(self, tasks, env=None, unset=(), play=None, diff=True, check=False, expect_rc=0, extra_args=(),
                 at_task=None, inventory=None):
        """Run one play on localhost with these tasks; fails the test unless the exit code is ``expect_rc``.

        ``at_task``: ``{task name: [fault(...), emulator_settings(...), ...]}``, armed as that task starts
        (callback_plugins/e2e_faults.py). ``inventory``: another inventory file (see ``write_inventory``); the play
        then runs on ``play['hosts']``.
        """
        argv, env = self._playbook_argv(tasks, env, play, diff, check, extra_args, at_task, inventory)
        return self._run(argv, env, unset, expect_rc, playbook=argv[3])

    def _playbook_argv(self, tasks, env, play, diff, check, extra_args, at_task, inventory):
        self.runs += 1
        spec = {'name': 'e2e', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}
        spec.update(play or {})
        path = os.path.join(self.workdir, 'playbook-%d.yml' % self.runs)
        with open(path, 'w') as handle:
            json.dump([spec], handle, indent=2)  # JSON is YAML
        argv = [os.path.join(self.bin, 'ansible-playbook'), '-i', inventory or self.inventory, path]
        if diff:
            argv.append('--diff')
        if check:
            argv.append('--check')
        argv.extend(extra_args)
        if at_task:
            unknown = set(at_task) - _task_names(tasks)
            assert not unknown, 'at_task names no task of the play: %s' % sorted(unknown)
            plan = os.path.join(self.workdir, 'faults-%d.json' % self.runs)
            with open(plan, 'w') as handle:
                json.dump({'control': self.emu.urls['control'], 'tasks': at_task}, handle)
            env = dict(env or {}, E2E_FAULTS_FILE=plan, ANSIBLE_CALLBACKS_ENABLED='e2e_recorder,e2e_faults')
        return argv, env

    def write_inventory(self, hosts, name='inventory-hosts.ini'):
        """An inventory of local hosts: ``{host: {var: value}}``; every host runs the modules with this Python."""
        path = os.path.join(self.workdir, name)
        with open(path, 'w') as handle:
            for host, variables in hosts.items():
                pairs = dict({'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}, **variables)
                handle.write('%s %s\n' % (host, ' '.join('%s=%s' % pair for pair in sorted(pairs.items()))))
        return path

    def playbooks_together(self, plays, expect_rc=0):
        """Start one ansible-playbook per ``dict(tasks=..., **playbook keywords)`` at the same moment, wait for all
        of them; every Run gets the emulator's log of all of them."""
        self.emu.reset_log()
        started = []
        for spec in plays:
            spec = dict(spec)
            tasks = spec.pop('tasks')
            argv, env = self._playbook_argv(tasks, spec.pop('env', None), spec.pop('play', None), spec.pop('diff', True),
                                            spec.pop('check', False), spec.pop('extra_args', ()), spec.pop('at_task', None),
                                            spec.pop('inventory', None))
            assert not spec, 'unknown keywords: %s' % sorted(spec)
            results = os.path.join(self.workdir, 'results-%d.jsonl' % self.runs)
            environment = self.environment(env)
            environment['E2E_RESULTS_FILE'] = results
            process = subprocess.Popen(argv, env=environment, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            started.append((argv, process, results))
        finished = []
        for argv, process, results in started:
            stdout, stderr = process.communicate(timeout=600)
            finished.append((argv, subprocess.CompletedProcess(argv, process.returncode, stdout, stderr), results))
        log = self.emu.requests()
        runs = [Run(argv, done, _read_records(results), log, argv[3]) for argv, done, results in finished]
        for run in runs:
            assert run.rc == expect_rc, 'expected exit code %s\n%r' % (expect_rc, run)
        return runs

    def adhoc(self, module, module_args, env=None, unset=(), diff=False, check=False, expect_rc=0):
        """``ansible localhost -m module -a module_args``."""
        self.runs += 1
        argv = [os.path.join(self.bin, 'ansible'), '-i', self.inventory, 'localhost', '-m', module, '-a', module_args]
        if diff:
            argv.append('--diff')
        if check:
            argv.append('--check')
        return self._run(argv, env, unset, expect_rc)

    def _run(self, argv, env, unset, expect_rc, playbook=None):
        results = os.path.join(self.workdir, 'results-%d.jsonl' % self.runs)
        environment = self.environment(env, unset)
        environment['E2E_RESULTS_FILE'] = results
        self.emu.reset_log()
        process = subprocess.run(argv, env=environment, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                 capture_output=True, text=True, timeout=600, check=False)
        # The emulator logs a request once it has answered: the log is complete when the run ends.
        run = Run(argv, process, _read_records(results), self.emu.requests(), playbook)
        assert run.rc == expect_rc, 'expected exit code %s\n%r' % (expect_rc, run)
        return run


def _read_records(path):
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _task_names(tasks):
    return {task['name'] for task in tasks if isinstance(task, dict) and 'name' in task}


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

    def assert_reads(self, user, password):
        with self.connect(user, password) as conn:
            rows = conn.execute("SELECT name FROM demo_items WHERE name IN ('alpha', 'beta', 'gamma') ORDER BY name").fetchall()
        assert [row[0] for row in rows] == ['alpha', 'beta', 'gamma']

    def assert_writes(self, user, password):
        """INSERT, UPDATE and DELETE a row of demo_items, and create and drop a table."""
        marker = 'e2e-' + secrets.token_hex(6)
        with self.connect(user, password) as conn:
            row_id = conn.execute('INSERT INTO demo_items (name) VALUES (%s) RETURNING id', (marker,)).fetchone()[0]
            conn.execute('UPDATE demo_items SET name = %s WHERE id = %s', (marker + '-b', row_id))
            assert conn.execute('SELECT name FROM demo_items WHERE id = %s', (row_id,)).fetchone()[0] == marker + '-b'
            conn.execute('DELETE FROM demo_items WHERE id = %s', (row_id,))
            table = 'e2e_scratch_' + secrets.token_hex(4)
            conn.execute('CREATE TABLE %s (id int)' % table)
            conn.execute('DROP TABLE %s' % table)

    def assert_cannot_write(self, user, password):
        """Reading works, every write is refused for lack of privilege."""
        import pytest  # pylint: disable=import-outside-toplevel

        self.assert_reads(user, password)
        with self.connect(user, password) as conn:
            for statement in ("INSERT INTO demo_items (name) VALUES ('e2e-refused')",
                              "UPDATE demo_items SET name = 'e2e-refused'",
                              'DELETE FROM demo_items',
                              'CREATE TABLE e2e_refused (id int)'):
                with pytest.raises(pg_errors.InsufficientPrivilege):
                    conn.execute(statement)
        self.assert_reads(self.info['owner'], self.info['owner_password'])

    def role(self, name):
        """``{"login": bool}`` of a role, or None when it does not exist (read as the owner)."""
        with self.connect(self.info['owner'], self.info['owner_password']) as conn:
            row = conn.execute('SELECT rolcanlogin FROM pg_roles WHERE rolname = %s', (name,)).fetchone()
        return None if row is None else {'login': row[0]}

    def assert_owner_untouched(self):
        """The protected user still logs in with the password the database was created with, and writes."""
        self.assert_login(self.info['owner'], self.info['owner_password'])
        self.assert_writes(self.info['owner'], self.info['owner_password'])
