# Copyright (c) Scalingo contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make sure ansible-test can bootstrap pip in the virtual environments it creates.

ansible-test (sanity tests with requirements, among others) creates virtual
environments without pip and bootstraps pip in them with a "get-pip" script
that it downloads once into ``~/.ansible/test/cache/get_pip_<version>.py``.
When that download is impossible (closed network), every such test fails.

Run with the Python interpreter of the environment where ansible-core is
installed, this script finds the pip version(s) ansible-test asks for, and for
each one whose bootstrap script is not cached yet it tries the real download
(short timeout).  Only when the download fails is tools/get_pip_offline.py
installed at the cache path instead; it bootstraps pip with ensurepip and the
package index.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import sys
import urllib.request

URL_TEMPLATE = 'https://ci-files.testing.ansible.com/ansible-test/get-pip-%s.py'
CACHE_TEMPLATE = '~/.ansible/test/cache/get_pip_%s.py'
# The first line of the offline bootstrap in the cache. Any file that starts like it (MARKER_PREFIX; older copies
# named another path) is ours, and replaced when it differs from the current one.
MARKER_PREFIX = '# scalingo.cloud offline pip bootstrap'
OFFLINE_MARKER = MARKER_PREFIX + ' (tools/get_pip_offline.py)'
PIP_VERSION_PATTERN = re.compile(r'''\bpip\s*=\s*['"]([0-9][0-9a-z.]*)['"]''')
HERE = os.path.dirname(os.path.abspath(__file__))


def ansible_test_root() -> str:
    """Return the directory of the installed ansible_test package."""
    spec = importlib.util.find_spec('ansible_test')

    if spec is None or not spec.submodule_search_locations:
        raise SystemExit('prepare_ansible_test: ansible_test is not importable by %s' % sys.executable)

    return list(spec.submodule_search_locations)[0]


def wanted_pip_versions(root: str) -> list[str]:
    """Return the pip versions that ansible-test bootstraps, read from its sources."""
    path = os.path.join(root, '_internal', 'python_requirements.py')

    with open(path, encoding='utf-8') as source:
        versions = sorted(set(PIP_VERSION_PATTERN.findall(source.read())))

    if not versions:
        raise SystemExit('prepare_ansible_test: no pip version found in %s' % path)

    return versions


def download(url: str, path: str, timeout: float) -> None:
    """Download url to path atomically; raise on any failure."""
    temp_path = path + '.download'

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(temp_path, 'wb') as target:  # nosec - fixed https URL
            shutil.copyfileobj(response, target)

        if os.path.getsize(temp_path) < 1024:
            raise ValueError('downloaded file is too small to be a pip bootstrap script')

        os.replace(temp_path, path)
    finally:
        if os.path.exists(temp_path):
            os.unlink(temp_path)


def offline_content() -> str:
    """Return the offline bootstrap script as it is installed in the cache."""
    with open(os.path.join(HERE, 'get_pip_offline.py'), encoding='utf-8') as source:
        # The first line marks the file so that it can be recognised later.
        return OFFLINE_MARKER + '\n' + source.read()


def install_offline(path: str) -> None:
    """Install the offline bootstrap script at path."""
    temp_path = path + '.offline'

    with open(temp_path, 'w', encoding='utf-8') as target:
        target.write(offline_content())

    os.replace(temp_path, path)


def read_cached(path: str) -> str:
    """Return the content of the cached bootstrap script."""
    with open(path, encoding='utf-8', errors='replace') as cached:
        return cached.read()


def prepare(version: str, timeout: float, offline: bool, refresh: bool) -> None:
    """Make sure a bootstrap script for the given pip version is cached."""
    path = os.path.expanduser(CACHE_TEMPLATE % version.replace('.', '_'))
    os.makedirs(os.path.dirname(path), exist_ok=True)

    if os.path.exists(path):
        cached = read_cached(path)

        if not cached.startswith(MARKER_PREFIX):
            print('pip %s bootstrap: cached (downloaded script): %s' % (version, path))
            return

        if not refresh:
            if cached != offline_content():
                install_offline(path)
                print('pip %s bootstrap: updated the cached offline bootstrap: %s' % (version, path))
            else:
                print('pip %s bootstrap: cached (offline bootstrap): %s' % (version, path))

            return

    if not offline:
        url = URL_TEMPLATE % version

        try:
            download(url, path, timeout)
        except Exception as ex:  # pylint: disable=broad-exception-caught
            print('pip %s bootstrap: download of %s failed (%s)' % (version, url, ex))
        else:
            print('pip %s bootstrap: downloaded %s to %s' % (version, url, path))
            return

    install_offline(path)
    print('pip %s bootstrap: installed the offline bootstrap at %s' % (version, path))


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--timeout', type=float, default=10.0, help='download timeout in seconds (default: 10)')
    parser.add_argument('--offline', action='store_true', help='do not try the download, install the offline bootstrap')
    parser.add_argument('--refresh', action='store_true', help='retry the download where the offline bootstrap is cached')
    args = parser.parse_args()

    for version in wanted_pip_versions(ansible_test_root()):
        prepare(version, args.timeout, args.offline, args.refresh)

    return 0


if __name__ == '__main__':
    sys.exit(main())
