# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make emulator`, the real target, run from this copy of the collection as a user runs it in a terminal.

The target builds the demo's virtualenv and a collection copy in a build directory of its own (``BUILD=``, kept
beside this copy between runs: only the first run installs the virtualenv), then runs the emulator in the
foreground. The tests read what it prints once ready, check that the export lines are enough for another shell
(pasted into a bare bash, they run ansible-playbook with scalingo.cloud.database_user_info, through the printed
token and URLs) and that the printed psql command logs in; then they stop it as a terminal or a service
manager would and check that PostgreSQL is stopped and its work dir removed. Without a real PostgreSQL it must
say so and fail, never fall back to users kept in memory.
"""

from __future__ import annotations

import fcntl
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading

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

    def output(self):
        return '\n'.join(self.lines)

    def wait_ready(self):
        """The emulator's pid and work dir, once it printed its last line; fails if it exits first (or is killed,
        after READY_TIMEOUT)."""
        watchdog = threading.Timer(READY_TIMEOUT, self.kill)
        watchdog.start()
        try:
            for line in self.process.stdout:
                self.lines.append(line.rstrip('\n'))
                found = LAST_LINE.match(self.lines[-1])
                if found:
                    return int(found.group(1)), found.group(2)
        finally:
            watchdog.cancel()
        pytest.fail('make emulator ended before it was ready:\n%s' % self.output())

    def wait(self):
        """The exit status of make, once every line is read."""
        try:
            rest = self.process.communicate(timeout=STOP_TIMEOUT)[0]
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail('make emulator did not stop:\n%s' % self.output())
        self.lines.extend(rest.splitlines())
        return self.process.returncode

    def kill(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def exports(self):
        return [line for line in self.lines if line.startswith('export ')]


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


def assert_the_printed_lines_work(emulator, home):
    """The export lines are enough for another shell: a playbook of the user's runs with nothing else (no inventory:
    implicit localhost), through the printed token, URLs, app and addon; the printed psql command logs in, and so does
    its URI."""
    exports = emulator.exports()
    done = pasted(exports, 'env -0', home)
    assert done.returncode == 0, done.stderr
    values = dict(item.split('=', 1) for item in done.stdout.split('\0') if '=' in item)
    assert set(EXPORTED) <= set(values), exports
    assert (values['SCALINGO_APP'], values['SCALINGO_ADDON']) == (DEMO_APP, DEMO_ADDON)
    assert all(values[name].startswith('http://127.0.0.1:') for name in EXPORTED if name.endswith('_URL'))

    with open(os.path.join(home, 'users.yml'), 'w', encoding='utf-8') as handle:
        handle.write(INFO_PLAYBOOK)
    played = pasted(exports, 'cd %s && ansible-playbook users.yml' % shlex.quote(home), home)
    assert played.returncode == 0, played.stdout + played.stderr
    assert 'ok=2' in played.stdout and 'failed=0' in played.stdout, played.stdout

    heading = next(index for index, line in enumerate(emulator.lines) if line.startswith('Its password is shown'))
    command = emulator.lines[heading + 1]
    logged_in = pasted([], command.strip() + " -tAc 'SELECT current_user, count(*) FROM demo_items'", home)
    assert logged_in.returncode == 0, logged_in.stderr
    assert logged_in.stdout.strip() == '%s|3' % PROTECTED_USER
    with psycopg.connect(shlex.split(command)[-1], connect_timeout=10) as conn:
        assert conn.execute('SELECT current_user').fetchone()[0] == PROTECTED_USER


# How a terminal or a service manager stops it, and the exit statuses of make then. Ctrl-C: SIGINT to the whole
# foreground process group, make included; make ends by the same signal, or with status 0 when the emulator's clean
# exit reached it first (which of the two arrives first is up to the scheduler). `kill <pid of make>`: make passes
# SIGTERM on to the emulator.
STOPS = {
    'ctrl-c': (lambda emulator, pid: os.killpg(emulator.process.pid, signal.SIGINT), (0, -signal.SIGINT)),
    'sigterm to the emulator': (lambda emulator, pid: os.kill(pid, signal.SIGTERM), (0,)),
    'sigterm to make': (lambda emulator, pid: emulator.process.terminate(), (-signal.SIGTERM,)),
}


@pytest.mark.parametrize('stop', sorted(STOPS))
def test_the_printed_lines_work_and_a_stop_stops_everything(started, tmp_path, stop):
    emulator = started()
    pid, workdir = emulator.wait_ready()
    assert os.path.isdir(workdir)
    if stop == 'ctrl-c':
        assert_the_printed_lines_work(emulator, str(tmp_path))
    ports = postgres_ports(emulator)
    send, statuses = STOPS[stop]
    send(emulator, pid)
    assert emulator.wait() in statuses, emulator.output()
    assert STOPPED % workdir in emulator.lines, emulator.output()
    assert 'make: ***' not in emulator.output(), emulator.output()
    assert not os.path.exists(workdir)
    assert ports and all(refused(port) for port in ports), ports
    if os.path.isdir('/proc'):
        assert not processes_using(workdir)


@pytest.mark.parametrize('case', ['missing', 'initdb fails'])
def test_without_a_real_postgresql_it_says_so_and_fails(started, case):
    # Readable by PostgreSQL's own user, should the tests run as root; and the emulator's work dirs go there too.
    scratch = tempfile.mkdtemp(prefix='emulator-command-')
    try:
        os.chmod(scratch, 0o755)
        bin_path = os.path.join(scratch, 'bin')
        os.mkdir(bin_path)
        os.chmod(bin_path, 0o755)
        for name, script in (('postgres', 'echo "postgres (PostgreSQL) 18.0"'),
                             ('initdb', 'echo "initdb: broken on purpose" >&2; exit 1')) if case != 'missing' else ():
            # postgres --version answers as PostgreSQL does; initdb fails
            with open(os.path.join(bin_path, name), 'w', encoding='utf-8') as handle:
                handle.write('#!/bin/sh\n%s\n' % script)
            os.chmod(os.path.join(bin_path, name), 0o755)
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
