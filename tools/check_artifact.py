# Copyright (c) Scalingo contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the content of the collection artifact built by ``ansible-galaxy collection build``.

Usage: python check_artifact.py TARBALL ROOT

Fails (exit 1, one line per problem) when the artifact
- holds a file that git does not know in the work tree ROOT (tracked, or untracked but not ignored): build or test
  leftovers, caches, virtualenvs, artifacts, editor files; or the development tooling (DEV_ONLY);
- lacks a file users need (REQUIRED), or a file that git knows under plugins/, meta/ or docs/.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile

DEV_ONLY = ('.ci/', '.git', '.github/', 'Makefile', 'tools/')
REQUIRED = ('MANIFEST.json', 'FILES.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'changelogs/changelog.yaml')
REQUIRED_TREES = ('plugins/', 'meta/', 'docs/')


def main(tarball: str, root: str) -> int:
    """Command line entry point."""
    with tarfile.open(tarball, 'r:gz') as archive:
        names = [member.name for member in archive.getmembers() if member.isfile()]
    files = {name[2:] if name.startswith('./') else name for name in names}
    known = set(subprocess.run(['git', '-C', root, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                               check=True, capture_output=True, text=True).stdout.split('\0'))
    problems = ['not a file of the work tree: %s' % name for name in sorted(files - known - set(REQUIRED))]
    problems += ['development tooling: %s' % name for name in sorted(files) if name.startswith(DEV_ONLY)]
    required = set(REQUIRED) | {name for name in known if name.startswith(REQUIRED_TREES)}
    problems += ['missing: %s' % name for name in sorted(required - files)]
    for problem in problems:
        print('check_artifact: %s' % problem, file=sys.stderr)
    if problems:
        print('check_artifact: %s FAILED (%d problem(s)); fix build_ignore in galaxy.yml or the source tree'
              % (tarball, len(problems)), file=sys.stderr)
        return 1
    print('check_artifact: %s: %d files, all of the work tree, no tooling; the %d required ones are there (%s, and every'
          ' file of %s)' % (tarball, len(files), len(required), ', '.join(REQUIRED), ', '.join(REQUIRED_TREES)))
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
