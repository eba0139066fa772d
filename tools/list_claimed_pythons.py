# Copyright (c) Scalingo contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print the Python versions the modules claim to support with the ansible-core that runs this script.

Usage: python list_claimed_pythons.py COLLECTION_DIR

The claim is the intersection of two things:
- ``modules.python_requires`` in COLLECTION_DIR/tests/config.yml (for example ``>=3.9``);
- the Python versions the installed ansible-test supports for modules (its remote-only and controller lists).

Prints the versions on one line, oldest first, separated by spaces. Run it with the Python of the
virtualenv whose ansible-core is tested, so that the list follows that ansible-core.
"""

from __future__ import annotations

import os
import sys

import yaml
from packaging.specifiers import SpecifierSet

from ansible_test._util.target.common import constants


def main(collection: str) -> int:
    """Command line entry point."""
    config_path = os.path.join(collection, 'tests', 'config.yml')

    with open(config_path, encoding='utf-8') as config_file:
        config = yaml.safe_load(config_file) or {}

    requires = (config.get('modules') or {}).get('python_requires')

    if not requires or requires == 'default':
        sys.exit('list_claimed_pythons: %s has no modules.python_requires' % config_path)

    specifier = SpecifierSet(requires)
    supported = list(constants.REMOTE_ONLY_PYTHON_VERSIONS) + list(constants.CONTROLLER_PYTHON_VERSIONS)
    claimed = [version for version in supported if specifier.contains(version + '.0')]

    if not claimed:
        sys.exit('list_claimed_pythons: no Python version supported by this ansible-test satisfies %r' % requires)

    print(' '.join(sorted(claimed, key=lambda version: tuple(int(part) for part in version.split('.')))))

    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
