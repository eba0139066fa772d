# -*- coding: utf-8 -*-
"""The emulator's work dir (the PostgreSQL data, made even when PostgreSQL is off), and the removal of those that
killed runs left behind."""

from __future__ import annotations

import glob
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
                os.kill(int(handle.read().split()[0]), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except (OSError, ValueError, IndexError):
            continue  # no owner.pid, or an owner this user may not signal


def make_workdir():
    """A new work dir, owned by this process (owner.pid)."""
    workdir = tempfile.mkdtemp(prefix="scalingo-emu-", dir=base_tmpdir())
    os.chmod(workdir, 0o711)
    with open(os.path.join(workdir, "owner.pid"), "w") as handle:
        handle.write("%d\n" % os.getpid())
    return workdir
