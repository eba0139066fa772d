# -*- coding: utf-8 -*-
"""The emulator's files: its work dir (PostgreSQL data), the stale work dirs of killed runs, and the state file."""

from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile


def base_tmpdir():
    """Where the work dir goes: $SCALINGO_EMULATOR_TMPDIR, else /dev/shm when it is a roomy
    tmpfs (PostgreSQL data dirs start several times faster there), else the system temp dir."""
    wanted = os.environ.get("SCALINGO_EMULATOR_TMPDIR")
    if wanted:
        return wanted
    shm = "/dev/shm"
    try:
        stat = os.statvfs(shm)
        if os.access(shm, os.W_OK | os.X_OK) and stat.f_bavail * stat.f_frsize >= 1024 ** 3:
            return shm
    except OSError:
        pass
    return tempfile.gettempdir()


def cleanup_stale_workdirs():
    """Remove the work dirs whose owner (owner.pid) is dead: a SIGKILLed emulator leaves its own behind."""
    pattern = os.path.join(base_tmpdir(), "scalingo-emu-*")
    for path in glob.glob(pattern):
        try:
            with open(os.path.join(path, "owner.pid")) as handle:
                pid = int(handle.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        try:
            os.kill(pid, 0)
            continue  # still alive
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        shutil.rmtree(path, ignore_errors=True)


def make_workdir():
    """A new work dir, owned by this process (owner.pid)."""
    workdir = tempfile.mkdtemp(prefix="scalingo-emu-", dir=base_tmpdir())
    os.chmod(workdir, 0o711)
    with open(os.path.join(workdir, "owner.pid"), "w") as handle:
        handle.write("%d\n" % os.getpid())
    return workdir


def write_json_atomic(path, data):
    """Write a JSON file through a temporary file and a rename: whoever sees the file sees all of it."""
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".emulator-", suffix=".json.tmp", dir=directory)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
