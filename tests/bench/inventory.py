# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``ansible-inventory --list`` with the inventory plugin scalingo.cloud.databases, against the local Scalingo emulator.

Accounts of 1, 50 and 300 apps (generated seeds, every region), each listed with the rate limit off, then (not with
--quick) at Scalingo's 60 requests a minute (the floor is the window: 300 apps take about five minutes), then from
the plugin's cache (no request); other hosts than the account holds fail it. ``inventory.py [--apps N ...]``.
"""

from __future__ import annotations

import json
import os
import sys

from _harness import emulator, main, print_table

USER_TYPES = ('postgresql', 'mysql', 'mongodb', 'influxdb')


def listing(h, emu, label, expected, cache_dir=None):
    """One ansible-inventory --list of every region, its hosts checked; its ``Measured``, with ``requests``."""
    config = {'plugin': 'scalingo.cloud.databases'}
    if cache_dir:
        config.update(cache=True, cache_plugin='ansible.builtin.jsonfile', cache_connection=cache_dir)
    # One file per configuration: the plugin's cache is keyed by the file's path.
    path = h.write('bench-%s.scalingo.yml' % ('cached' if cache_dir else 'plain'), config)
    output = os.path.join(h.work, 'listing-%d.json' % h.runs)
    # The token and the auth URL only: the other variables would confine the listing to one region.
    run = h.ansible(emu, 'inventory', ['-i', path, '--list', '--output', output], SCALINGO_REGION=None,
                    SCALINGO_API_URL=None, SCALINGO_DB_API_URL=None).check(label)
    with open(output) as handle:
        hosts = sorted(json.load(handle)['_meta']['hostvars'])
    run.check(label, ['listed %d hosts, the account holds %d' % (len(hosts), len(expected)) if hosts != expected else ''])
    run.requests = sum(data['count'] for data in emu.counters().values())
    return run


def measure(args, h):
    from scalingo_emulator.seeds import many_apps  # pylint: disable=import-outside-toplevel

    rows = []
    for count in args.apps:
        with emulator(many_apps(count)) as emu:
            expected = sorted(addon['database'] for app in emu.state()['apps'] for addon in app['addons']
                              if addon['type'] in USER_TYPES)
            cache = os.path.join(h.work, 'cache-%d' % count)
            free = listing(h, emu, '%d apps' % count, expected, cache_dir=cache)
            cached = listing(h, emu, '%d apps, cached' % count, expected, cache_dir=cache)
            row = [str(count), str(len(expected)), str(free.requests), '%.1f' % free.seconds,
                   '%.1f' % cached.seconds, str(cached.requests)]
            if not args.quick:
                emu.set_settings(api_rate_limit=60, api_rate_window=60, rate_limit_body='text')
                row.insert(4, '%.1f' % listing(h, emu, '%d apps, 60 a minute' % count, expected).seconds)
            rows.append(row)
    print('\nansible-inventory --list, every region of an account (wall seconds; requests to the emulator)')
    headers = ['apps', 'hosts', 'requests', 'no limit s'] + ([] if args.quick else ['60/min s']) + ['cached s', 'cached requests']
    print_table(headers, rows, right=set(range(len(headers))))


if __name__ == '__main__':
    sys.exit(main(measure, '--apps', [1, 50, 300], [1, 50], 'account sizes'))
