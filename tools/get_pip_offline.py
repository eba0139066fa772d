# Copyright (c) Scalingo contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test creates virtual environments without pip and runs a bootstrap script ("get-pip") in them as
``python <script> [pip options] pip==X.Y [--no-setuptools] [--no-wheel]``. It fetches that script from a host that
some build machines cannot reach, unless a copy is already in its cache (``~/.ansible/test/cache/get_pip_X_Y.py``):
the sanity gate (tools/gate.sh) puts this file there.

This script gives the same result with what the interpreter and the package index provide: pip from the
interpreter's own ``ensurepip`` (tools/find_python.sh only picks interpreters that have it), then ``pip install`` of
the requested packages. It only uses the standard library and runs on every Python version ansible-test supports.
"""

from __future__ import annotations

import subprocess
import sys

# get-pip options that ``pip install`` does not understand, with the package they exclude.
EXCLUDE_OPTIONS = {
    '--no-setuptools': 'setuptools',
    '--no-wheel': 'wheel',
}


def run(command):
    """Run a command, exiting with its status when it fails."""
    sys.stderr.write('get_pip_offline: running: %s\n' % ' '.join(command))
    sys.stderr.flush()
    status = subprocess.call(command)
    if status:
        sys.exit('get_pip_offline: command failed with exit status %d' % status)


def module_available(name):
    """Return True if the interpreter can import the given top level module."""
    code = 'import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(%r) else 1)' % name
    return subprocess.call([sys.executable, '-c', code]) == 0


def main(argv):
    """Bootstrap pip, then install the requested packages."""
    install_args = [arg for arg in argv if arg not in EXCLUDE_OPTIONS]
    excluded = set(EXCLUDE_OPTIONS[arg] for arg in argv if arg in EXCLUDE_OPTIONS)
    preexisting = {name: module_available(name) for name in excluded}
    run([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'])
    # Like get-pip, also install setuptools and wheel unless told not to.
    run([sys.executable, '-m', 'pip', 'install', '--upgrade'] + install_args
        + [name for name in ('setuptools', 'wheel') if name not in excluded])
    # Older ensurepip versions also install setuptools; drop what get-pip would not have installed.
    for name in sorted(excluded):
        if not preexisting[name] and module_available(name):
            run([sys.executable, '-m', 'pip', 'uninstall', '--yes', '--disable-pip-version-check', name])
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
