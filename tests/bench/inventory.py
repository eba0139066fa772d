# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``ansible-inventory --list`` with the inventory plugin scalingo.cloud.databases, against the local Scalingo emulator
holding accounts of 1, 50 and 300 apps (generated seeds, every region).

Figures, never judged: the exit status is 1 only when a run fails or lists other hosts than the account holds, 2 when
the benchmark cannot run. Each size is listed with the emulator's rate limit off, then on at Scalingo's 60 requests a
minute (where the floor is the window, not the code: 300 apps take about five minutes), then once more from the
plugin's cache (no request at all).

Run it like bench.py, from the collection copy: ``python tests/bench/inventory.py [--apps N ...] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench import (  # noqa: E402  pylint: disable=wrong-import-position
    Bench,
    BenchError,
    Measured,
    collections_path,
    prepare_environment,
    print_table,
)

USER_TYPES = ('postgresql', 'mysql', 'mongodb', 'influxdb')


class Listing(Bench):
    """ansible-inventory runs over the emulator's account, every region."""

    def __init__(self, emu, workdir):  # pylint: disable=super-init-not-called
        # Not Bench's: that one sets up playbook runs over the default seed's app; only its environment is shared.
        self.emu = emu
        self.workdir = workdir
        self.bin = os.path.dirname(os.path.abspath(sys.executable))
        self.runs = 0

    def run(self, label, expected, cache_dir=None):
        """One ansible-inventory --list; returns its ``Measured`` after checking the hosts it listed."""
        self.runs += 1
        config = {'plugin': 'scalingo.cloud.databases'}
        if cache_dir:
            config.update(cache=True, cache_plugin='ansible.builtin.jsonfile', cache_connection=cache_dir)
        # One file per configuration: the plugin's cache is keyed by the file's path.
        path = os.path.join(self.workdir, 'bench-%s.scalingo.yml' % ('cached' if cache_dir else 'plain'))
        with open(path, 'w') as handle:
            json.dump(config, handle)
        env = self.base_environment()
        env.update({'ANSIBLE_COLLECTIONS_PATH': collections_path(),
                    'ANSIBLE_CONFIG': os.path.join(self.workdir, 'no-ansible.cfg'), 'ANSIBLE_NOCOLOR': '1',
                    'SCALINGO_API_TOKEN': self.emu.api_token(), 'SCALINGO_AUTH_URL': self.emu.urls['auth']})
        self.emu.reset_log()
        listing = os.path.join(self.workdir, 'listing-%d.json' % self.runs)
        run = Measured([os.path.join(self.bin, 'ansible-inventory'), '-i', path, '--list', '--output', listing], env,
                       self.workdir, os.path.join(self.workdir, 'run-%d.log' % self.runs))
        if run.rc != 0:
            raise BenchError('%s: exit %s\n%s' % (label, run.rc, run.tail()))
        with open(listing) as handle:
            hosts = sorted(json.load(handle)['_meta']['hostvars'])
        if hosts != expected:
            raise BenchError('%s: listed %d hosts, the account holds %d' % (label, len(hosts), len(expected)))
        run.requests = sum(data['count'] for data in self.emu.counters().values())
        return run


def measure(sizes, rate_limited):
    from scalingo_emulator import Emulator  # pylint: disable=import-outside-toplevel
    from scalingo_emulator.seeds import many_apps  # pylint: disable=import-outside-toplevel

    rows = []
    for count in sizes:
        workdir = tempfile.mkdtemp(prefix='scalingo-inventory-bench-')
        emu = Emulator(many_apps(count))
        try:
            emu.start()
            expected = sorted(addon['database'] for app in emu.state()['apps'] for addon in app['addons']
                              if addon['type'] in USER_TYPES)
            listing = Listing(emu, workdir)
            cache = os.path.join(workdir, 'cache')
            free = listing.run('%d apps' % count, expected, cache_dir=cache)
            cached = listing.run('%d apps, cached' % count, expected, cache_dir=cache)
            row = [str(count), str(len(expected)), str(free.requests), '%.1f' % free.seconds,
                   '%.1f' % cached.seconds, str(cached.requests)]
            if rate_limited:
                emu.set_settings(api_rate_limit=60, api_rate_window=60, rate_limit_body='text')
                limited = listing.run('%d apps, 60 a minute' % count, expected)
                row.insert(4, '%.1f' % limited.seconds)
            rows.append(row)
        finally:
            emu.stop()
            shutil.rmtree(workdir, ignore_errors=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--apps', type=int, nargs='+', default=None, help='account sizes (default 1 50 300)')
    parser.add_argument('--quick', action='store_true', help='1 and 50 apps, without the rate limit')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    sizes = args.apps or ([1, 50] if args.quick else [1, 50, 300])
    problem = prepare_environment()
    if problem:
        sys.stderr.write('inventory: %s\n' % problem)
        return 2
    began = time.perf_counter()
    try:
        rows = measure(sizes, rate_limited=not args.quick)
    except BenchError as exc:
        sys.stderr.write('inventory: FAILED: %s\n' % exc)
        return 1
    print('\nansible-inventory --list, every region of an account (wall seconds; requests to the emulator)')
    limited = [] if args.quick else ['60/min s']
    headers = ['apps', 'hosts', 'requests', 'no limit s'] + limited + ['cached s', 'cached requests']
    print_table(headers, rows, right=set(range(len(headers))))
    print('\ninventory: %.0f s in all' % (time.perf_counter() - began))
    return 0


if __name__ == '__main__':
    sys.exit(main())
