# Copyright (c) Scalingo contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test creates virtual environments without pip and runs a bootstrap
script ("get-pip") in them as ``python <script> [pip options] pip==X.Y
[--no-setuptools] [--no-wheel]``.  It fetches that script from a host that
some build machines cannot reach, unless a copy is already in its cache
(``~/.ansible/test/cache/get_pip_X_Y.py``); tools/prepare_ansible_test.py
puts this file there when the download fails.

This script gives the same result with what the interpreter and the package
index provide: pip from the interpreter's own ``ensurepip`` (or, when the
interpreter has none, the pip wheel fetched from the package index), then
``pip install`` of the requested packages.  It only uses the standard library
and runs on every Python version ansible-test supports.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

# get-pip options that ``pip install`` does not understand, with the package they exclude.
EXCLUDE_OPTIONS = {
    '--no-setuptools': 'setuptools',
    '--no-wheel': 'wheel',
}

# Simple repository API (PEP 691, JSON form) of the package index, used only without ensurepip.
INDEX_URL = os.environ.get('PIP_INDEX_URL', 'https://pypi.org/simple/')


def log(message):
    """Write a progress message to stderr."""
    sys.stderr.write('get_pip_offline: %s\n' % message)
    sys.stderr.flush()


def run(command):
    """Run a command, exiting with its status when it fails."""
    log('running: %s' % ' '.join(command))
    status = subprocess.call(command)

    if status:
        log('command failed with exit status %d' % status)
        sys.exit(status)


def module_available(name):
    """Return True if the interpreter can import the given top level module."""
    code = 'import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(%r) else 1)' % name
    return subprocess.call([sys.executable, '-c', code]) == 0


def split_arguments(argv):
    """Split the get-pip arguments into pip install arguments and excluded package names."""
    install_args = []
    excluded = set()

    for arg in argv:
        if arg in EXCLUDE_OPTIONS:
            excluded.add(EXCLUDE_OPTIONS[arg])
        else:
            install_args.append(arg)

    return install_args, excluded


def requested_pip_version(install_args):
    """Return the version in a ``pip==X`` argument, or None."""
    for arg in install_args:
        if arg.lower().startswith('pip=='):
            return arg.split('==', 1)[1]

    return None


def download_pip_wheel(version, directory):
    """Download the pip wheel for the given version (newest when None) from the package index."""
    url = INDEX_URL.rstrip('/') + '/pip/'
    log('ensurepip is unavailable, looking up the pip wheel in %s' % url)
    request = urllib.request.Request(url, headers={'Accept': 'application/vnd.pypi.simple.v1+json'})

    with urllib.request.urlopen(request, timeout=60) as response:  # nosec - package index URL
        files = json.load(response)['files']

    wheels = [item for item in files if item['filename'].endswith('-py3-none-any.whl') and not item.get('yanked')]

    if version:
        wheels = [item for item in wheels if item['filename'] == 'pip-%s-py3-none-any.whl' % version]

    if not wheels:
        raise RuntimeError('no pure Python wheel found for pip %s in %s' % (version or '(newest)', url))

    item = wheels[-1]
    path = os.path.join(directory, item['filename'])
    digest = hashlib.sha256()

    with urllib.request.urlopen(urllib.parse.urljoin(url, item['url']), timeout=120) as response:  # nosec
        with open(path, 'wb') as wheel:
            for chunk in iter(lambda: response.read(65536), b''):
                digest.update(chunk)
                wheel.write(chunk)

    expected = item.get('hashes', {}).get('sha256')

    if expected and digest.hexdigest() != expected:
        raise RuntimeError('sha256 mismatch for %s' % item['filename'])

    return path


def main(argv):
    """Bootstrap pip, then install the requested packages."""
    install_args, excluded = split_arguments(argv)
    preexisting = {name: module_available(name) for name in excluded}

    ensurepip = [sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip']
    log('running: %s' % ' '.join(ensurepip))

    # Some distributions ship a stub ensurepip that only prints an error.
    if module_available('ensurepip') and subprocess.call(ensurepip) == 0:
        pip_command = [sys.executable, '-m', 'pip']
        wheel_dir = None
    else:
        wheel_dir = tempfile.mkdtemp(prefix='get-pip-offline-')
        wheel = download_pip_wheel(requested_pip_version(install_args), wheel_dir)
        # A wheel is a zip archive that Python can run pip from directly.
        pip_command = [sys.executable, os.path.join(wheel, 'pip')]

    try:
        # Like get-pip, also install setuptools and wheel unless told not to.
        packages = [name for name in ('setuptools', 'wheel') if name not in excluded]
        run(pip_command + ['install', '--upgrade'] + install_args + packages)
    finally:
        if wheel_dir:
            shutil.rmtree(wheel_dir, ignore_errors=True)

    # Older ensurepip versions also install setuptools; drop what get-pip would not have installed.
    for name in sorted(excluded):
        if not preexisting[name] and module_available(name):
            run([sys.executable, '-m', 'pip', 'uninstall', '--yes', '--disable-pip-version-check', name])

    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
