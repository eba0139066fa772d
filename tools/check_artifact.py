# Copyright (c) Scalingo contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the content of the collection artifact built by ``ansible-galaxy collection build``.

Usage: python check_artifact.py TARBALL SOURCE_DIR

Fails (exit 1, one line per problem) when the artifact
- holds the development tooling (tools/), or build or test leftovers: build/, tests/output/, caches
  (__pycache__, *.pyc, .pytest_cache, .hypothesis, ...), version control (.git), artifacts (*.tar.gz),
  virtualenvs (pyvenv.cfg, .venv/, venv*/), editor and retry files, importer or changelog caches;
- lacks a file users need: MANIFEST.json and FILES.json, README.md, LICENSE, CHANGELOG.md,
  changelogs/changelog.yaml, meta/runtime.yml, the execution environment files of meta/, and every
  file that SOURCE_DIR has under plugins/, meta/ and docs/ (SOURCE_DIR is the collection as git
  knows it: the copy in build/ansible_collections/scalingo/cloud);
- has a MANIFEST.json whose namespace, name or version differ from galaxy.yml.
"""

from __future__ import annotations

import fnmatch
import json
import os
import sys
import tarfile

import yaml

# Paths (relative to the collection root) that must never be in the artifact. A pattern ending
# in "/" matches a directory of that name at any depth, or at the root only when it starts with "/";
# other patterns match a file name at any depth, or a whole path when they contain "/".
JUNK_PATTERNS = (
    '/tools/', 'build/', 'tests/output/', '__pycache__/', '*.pyc', '*.pyo', '.git/', '.git', '.gitignore', '*.tar.gz',
    'pyvenv.cfg', '.venv/', 'venv/', 'venv-*/', '.tox/', '.nox/', '.pytest_cache/', '.hypothesis/', '.mypy_cache/',
    '.ruff_cache/', '.cache/', '.ansible/', '.coverage', '.coverage.*', 'htmlcov/', '*.retry', '*.swp', '*~',
    '.DS_Store', '.idea/', '.vscode/', 'importer_result.json', 'changelogs/.plugin-cache.yaml', '*.egg-info/',
)
# Files every artifact of this collection must have, whatever the source tree holds.
REQUIRED_FILES = (
    'MANIFEST.json', 'FILES.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'changelogs/changelog.yaml',
    'meta/runtime.yml', 'meta/execution-environment.yml', 'meta/ee-requirements.txt', 'docs/examples/manage_users.yml',
)
# Source directories whose every file must reach the artifact.
REQUIRED_TREES = ('plugins', 'meta', 'docs')


def junk_reasons(path: str) -> list[str]:
    """Return the junk patterns that the artifact member path matches."""
    parts = path.split('/')
    reasons = []
    for pattern in JUNK_PATTERNS:
        if pattern.endswith('/'):
            name = pattern.strip('/')
            if '/' in pattern[:-1]:
                if path == name or path.startswith(name + '/'):
                    reasons.append(pattern)
            elif any(fnmatch.fnmatchcase(part, name) for part in parts[:-1]) or fnmatch.fnmatchcase(parts[-1], name):
                # A directory member is listed without a trailing slash.
                reasons.append(pattern)
        elif '/' in pattern:
            if fnmatch.fnmatchcase(path, pattern):
                reasons.append(pattern)
        elif fnmatch.fnmatchcase(parts[-1], pattern):
            reasons.append(pattern)
    return reasons


def source_files(source: str) -> list[str]:
    """Return the files under the required trees of the source collection, relative to it."""
    found = []
    for tree in REQUIRED_TREES:
        for root, dir_names, file_names in os.walk(os.path.join(source, tree)):
            dir_names[:] = [name for name in dir_names if name != '__pycache__']
            for name in file_names:
                if name.endswith(('.pyc', '.pyo')):
                    continue
                found.append(os.path.relpath(os.path.join(root, name), source).replace(os.sep, '/'))
    return sorted(found)


def main(tarball: str, source: str) -> int:
    """Command line entry point."""
    problems = []
    with tarfile.open(tarball, 'r:gz') as archive:
        members = archive.getmembers()
        names = {member.name.lstrip('./').rstrip('/') for member in members}
        names.discard('')
        files = {member.name.lstrip('./') for member in members if member.isfile()}
        manifest = json.load(archive.extractfile('MANIFEST.json')) if 'MANIFEST.json' in files else None
    for name in sorted(names):
        for pattern in junk_reasons(name):
            problems.append('junk in the artifact: %s (matches %s)' % (name, pattern))
    required = list(REQUIRED_FILES) + [path for path in source_files(source) if path not in REQUIRED_FILES]
    for path in required:
        if path not in files:
            problems.append('missing from the artifact: %s' % path)
    with open(os.path.join(source, 'galaxy.yml'), encoding='utf-8') as galaxy_file:
        galaxy = yaml.safe_load(galaxy_file)
    if manifest is not None:
        info = manifest.get('collection_info', {})
        for key in ('namespace', 'name', 'version'):
            if info.get(key) != galaxy.get(key):
                problems.append('MANIFEST.json %s is %r, galaxy.yml says %r' % (key, info.get(key), galaxy.get(key)))
    if problems:
        for problem in problems:
            print('check_artifact: %s' % problem, file=sys.stderr)
        print('check_artifact: %s FAILED (%d problem(s)); fix build_ignore in galaxy.yml or the source tree'
              % (os.path.basename(tarball), len(problems)), file=sys.stderr)
        return 1
    print('check_artifact: %s: %d files, no junk; the %d required files are there (%s, and every file of %s)'
          % (os.path.basename(tarball), len(files), len(required), ', '.join(REQUIRED_FILES),
             ', '.join(tree + '/' for tree in REQUIRED_TREES)))
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
