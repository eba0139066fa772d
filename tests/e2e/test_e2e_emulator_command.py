# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make emulator`, the real target, run from this copy of the collection as a user runs it in a terminal.

The target builds the demo's virtualenv and a collection copy in a build directory of its own (``BUILD=``, kept
beside this copy between runs: only the first run installs the virtualenv), then runs the emulator in the
foreground. The tests read what it prints once ready, check that the export lines are enough for another shell
(pasted into a bare bash, they run ansible-playbook with scalingo.cloud.database_user_info), that the printed
token and URLs answer over HTTP and the printed psql command logs in; then they stop it as a terminal or a service
manager would and check that PostgreSQL is stopped and its work dir removed. Without a real PostgreSQL it must
say so and fail, never fall back to users kept in memory.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import urllib.request

import pytest

from e2e_support import COLLECTION_ROOT, DEMO_APP, bin_dir, collections_path, psycopg

MAKE = shutil.which('make')
DEMO_ADDON = 'ad-6efce20b-e562-4ebb-b625-b9bb7127a788'  # the PostgreSQL addon of emu-demo-app (tests/emulator/seed.yml)
PROTECTED_USER = 'emu_demo_app_4417'
EXPORTED = ('SCALINGO_API_TOKEN', 'SCALINGO_AUTH_URL', 'SCALINGO_API_URL', 'SCALINGO_DB_API_URL', 'SCALINGO_REGION',
            'SCALINGO_APP', 'SCALINGO_ADDON', 'ANSIBLE_COLLECTIONS_PATH')
# Generous bounds, only so that nothing hangs: nothing here measures time.
BUILD_TIMEOUT = 1800
READY_TIMEOUT = 600
STOP_TIMEOUT = 120
LAST_LINE = re.compile(r'^Ctrl-C \(or kill (\d+)\) stops the emulator and PostgreSQL, and removes (\S+)\.$')
STOPPED = 'scalingo-emulator stopped: PostgreSQL stopped, %s removed'
INFO_PLAYBOOK = '''
- name: The users, with nothing but the exported variables
  hosts: localhost
  gather_facts: false
  tasks:
    - name: List them
      scalingo.cloud.database_user_info:
      register: listed

    - name: The protected user is there
      ansible.builtin.assert:
        that: "'%s' in (listed.users | map(attribute='name'))"
''' % PROTECTED_USER


def make_environment(extra=None):
    """The caller's environment as a user's shell would have it: no virtualenv on PATH (make picks a Python as on a
    fresh machine), no variable of an outer make, of Ansible, of Scalingo or of a proxy."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('SCALINGO_', 'ANSIBLE_', 'MAKE', 'PYTEST_')) and key.lower() not in (
               'mflags', 'pythonpath', 'virtual_env', 'http_proxy', 'https_proxy', 'all_proxy', 'no_proxy')}
    env['PATH'] = os.pathsep.join(entry for entry in env.get('PATH', '').split(os.pathsep)
                                  if entry and os.path.abspath(entry) != bin_dir())
    env.update(extra or {})
    return env


@pytest.fixture(scope='module')
def build():
    """The build directory of `make emulator`, its virtualenv and collection copy made once (the lock: two pytest
    workers may get here at the same moment)."""
    if MAKE is None:
        pytest.skip('make is not installed')
    path = os.path.join(collections_path(), 'emulator-command')
    os.makedirs(path, exist_ok=True)
    with open(path + '.lock', 'w', encoding='utf-8') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run([MAKE, 'venv-demo', 'collection', 'BUILD=' + path], cwd=COLLECTION_ROOT,
                              env=make_environment(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=BUILD_TIMEOUT, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return path


class MakeEmulator:
    """`make emulator` in a session of its own (a terminal's foreground process group), its output read line by
    line."""

    def __init__(self, build_dir, env=None):
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [MAKE, 'emulator', 'BUILD=' + build_dir], cwd=COLLECTION_ROOT, env=make_environment(env),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        self.lines = []
        self._queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            self._queue.put(line.rstrip('\n'))
        self._queue.put(None)

    def output(self):
        return '\n'.join(self.lines)

    def wait_ready(self):
        """The emulator's pid and work dir, once it printed its last line; fails if it exits first."""
        while True:
            try:
                line = self._queue.get(timeout=READY_TIMEOUT)
            except queue.Empty:
                pytest.fail('make emulator printed nothing for %ds:\n%s' % (READY_TIMEOUT, self.output()))
            if line is None:
                pytest.fail('make emulator ended before it was ready:\n%s' % self.output())
            self.lines.append(line)
            found = LAST_LINE.match(line)
            if found:
                return int(found.group(1)), found.group(2)

    def wait(self):
        """The exit status of make, once every line is read."""
        try:
            status = self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail('make emulator did not stop:\n%s' % self.output())
        self._reader.join(STOP_TIMEOUT)
        while not self._queue.empty():
            line = self._queue.get()
            if line is not None:
                self.lines.append(line)
        return status

    def kill(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def exports(self):
        return [line for line in self.lines if line.startswith('export ')]

    def line_after(self, heading):
        return self.lines[self.lines.index(heading) + 1]


@pytest.fixture
def started(build):
    running = []

    def start(env=None):
        running.append(MakeEmulator(build, env))
        return running[-1]

    yield start
    for emulator in running:
        emulator.kill()


def pasted(exports, command, home):
    """Run ``command`` in a bare bash after the export lines, as in another terminal: returns the process."""
    script = '\n'.join(exports + [command])
    return subprocess.run(['bash', '-c', script], env={'PATH': make_environment()['PATH'], 'HOME': home, 'LANG': 'C.UTF-8'},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=STOP_TIMEOUT, check=False)


def exported_values(exports, home):
    done = pasted(exports, 'env -0', home)
    assert done.returncode == 0, done.stderr
    return dict(item.split('=', 1) for item in done.stdout.split('\0') if '=' in item)


def http_json(method, url, authorization):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, method=method, headers={'Authorization': authorization,
                                                                  'Accept': 'application/json'})
    with opener.open(request, timeout=30) as answer:
        return json.loads(answer.read())


def assert_users_over_http(values):
    """The printed token and URLs: token exchange, database token of the printed addon, its users."""
    basic = 'Basic ' + base64.b64encode((':' + values['SCALINGO_API_TOKEN']).encode()).decode()
    bearer = http_json('POST', values['SCALINGO_AUTH_URL'] + '/v1/tokens/exchange', basic)['token']
    addon_token = http_json('POST', '%s/v1/apps/%s/addons/%s/token' % (
        values['SCALINGO_API_URL'], values['SCALINGO_APP'], values['SCALINGO_ADDON']), 'Bearer ' + bearer)['addon']['token']
    users = http_json('GET', '%s/api/databases/%s/users' % (values['SCALINGO_DB_API_URL'], values['SCALINGO_ADDON']),
                      'Bearer ' + addon_token)['database-users']
    assert PROTECTED_USER in [user['name'] for user in users]


def postgres_ports(emulator):
    """The ports of every PostgreSQL server the output names."""
    return [int(port) for port in re.findall(r'(?:real PostgreSQL on 127\.0\.0\.1:|, port )(\d+)', emulator.output())]


def refused(port):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=5).close()
    except OSError:
        return True
    return False


def processes_using(path):
    """The processes whose command line names ``path`` (PostgreSQL servers run with ``-D <work dir>/...``)."""
    found = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as handle:
                if path.encode() in handle.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


def assert_stopped_cleanly(emulator, workdir, ports):
    assert STOPPED % workdir in emulator.lines, emulator.output()
    assert 'make: ***' not in emulator.output(), emulator.output()
    assert not os.path.exists(workdir)
    assert ports and all(refused(port) for port in ports), ports
    if os.path.isdir('/proc'):
        assert not processes_using(workdir)


def test_the_printed_lines_work_and_ctrl_c_stops_everything(started, tmp_path):
    emulator = started()
    dummy, workdir = emulator.wait_ready()
    assert os.path.isdir(workdir)
    exports = emulator.exports()
    home = str(tmp_path)
    values = exported_values(exports, home)
    assert set(EXPORTED) <= set(values), exports
    assert (values['SCALINGO_APP'], values['SCALINGO_ADDON']) == (DEMO_APP, DEMO_ADDON)
    assert all(values[name].startswith('http://127.0.0.1:') for name in EXPORTED if name.endswith('_URL'))
    assert_users_over_http(values)

    # A playbook of the user's, run from a shell that has only the pasted lines (no inventory: implicit localhost).
    (tmp_path / 'users.yml').write_text(INFO_PLAYBOOK)
    played = pasted(exports, 'cd %s && ansible-playbook users.yml' % shlex.quote(home), home)
    assert played.returncode == 0, played.stdout + played.stderr
    assert 'ok=2' in played.stdout and 'failed=0' in played.stdout, played.stdout

    # The printed psql command line, as printed, and the URI in it through a PostgreSQL driver.
    command = emulator.line_after(next(line for line in emulator.lines if line.startswith('Its password is shown')))
    logged_in = pasted([], command.strip() + " -tAc 'SELECT current_user, count(*) FROM demo_items'", home)
    assert logged_in.returncode == 0, logged_in.stderr
    assert logged_in.stdout.strip() == '%s|3' % PROTECTED_USER
    with psycopg.connect(shlex.split(command)[-1], connect_timeout=10) as conn:
        assert conn.execute('SELECT current_user').fetchone()[0] == PROTECTED_USER

    ports = postgres_ports(emulator)
    # Ctrl-C in a terminal: SIGINT to the whole foreground process group, make included. The emulator stops cleanly,
    # and make ends without an error message: by the same signal, or with status 0 when the emulator's clean exit
    # reached it first (which of the two arrives first is up to the scheduler).
    os.killpg(emulator.process.pid, signal.SIGINT)
    assert emulator.wait() in (0, -signal.SIGINT), emulator.output()
    assert_stopped_cleanly(emulator, workdir, ports)


def test_sigterm_to_the_emulator_alone_ends_make_with_status_0(started):
    emulator = started()
    pid, workdir = emulator.wait_ready()
    ports = postgres_ports(emulator)
    os.kill(pid, signal.SIGTERM)
    assert emulator.wait() == 0, emulator.output()
    assert_stopped_cleanly(emulator, workdir, ports)


def test_sigterm_to_make_stops_the_emulator(started):
    """`kill <pid of make>`: make passes SIGTERM on to the emulator, which stops cleanly."""
    emulator = started()
    dummy, workdir = emulator.wait_ready()
    ports = postgres_ports(emulator)
    emulator.process.terminate()
    assert emulator.wait() == -signal.SIGTERM, emulator.output()
    assert_stopped_cleanly(emulator, workdir, ports)


def fake_postgres(directory, initdb_status):
    """``postgres --version`` answers as PostgreSQL does; ``initdb`` fails."""
    for name, script in (('postgres', 'echo "postgres (PostgreSQL) 18.0"'),
                         ('initdb', 'echo "initdb: broken on purpose" >&2; exit %d' % initdb_status)):
        path = os.path.join(directory, name)
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write('#!/bin/sh\n%s\n' % script)
        os.chmod(path, 0o755)


@pytest.mark.parametrize('case', ['missing', 'initdb fails'])
def test_without_a_real_postgresql_it_says_so_and_fails(started, case):
    # Readable by PostgreSQL's own user, should the tests run as root; and the emulator's work dirs go there too.
    scratch = tempfile.mkdtemp(prefix='emulator-command-')
    try:
        os.chmod(scratch, 0o755)
        bin_path = os.path.join(scratch, 'bin')
        os.mkdir(bin_path)
        os.chmod(bin_path, 0o755)
        if case != 'missing':
            fake_postgres(bin_path, 1)
        work = os.path.join(scratch, 'work')
        os.mkdir(work)
        emulator = started({'SCALINGO_EMULATOR_PG_BIN': bin_path, 'SCALINGO_EMULATOR_TMPDIR': work})
        status = emulator.wait()
        output = emulator.output()
        assert status != 0, output
        assert 'scalingo-emulator: failed to start: PostgreSQL (embedded) is missing or cannot start: ' in output, output
        assert ('no postgres/initdb in %s' % bin_path if case == 'missing' else 'initdb: broken on purpose') in output
        assert 'a real PostgreSQL is needed' in output and 'emulator] Error 1' in output, output
        assert not emulator.exports() and 'scalingo-emulator ready' not in output, output
        assert os.listdir(work) == []
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
