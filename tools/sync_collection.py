# Copyright (c) Scalingo contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lay out a copy of the collection under .../ansible_collections/<namespace>/<name>.

ansible-test only works from a directory that really is ``ansible_collections/<namespace>/<name>``, so the Makefile
keeps a copy of the work tree there: the files git knows (tracked, and untracked but not ignored); outside a git work
tree every file but build and cache directories. Unchanged files are left alone, changed ones copied again, and
files gone from the source deleted. Two runs at once take turns (a lock file beside ``ansible_collections/``).

The copy gets its own empty git repository: ansible-test looks for version control from the collection root
upwards, and would otherwise find the outer work tree, in which the copy is ignored, and see no file at all.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import subprocess
import sys

# What a directory walk skips when the source is no git work tree.
WALK_SKIPS_DIRS = frozenset(('.git', '.hypothesis', '.mypy_cache', '.pytest_cache', '.tox', '.venv', '__pycache__', 'build'))
WALK_SKIPS_SUFFIXES = ('.pyc', '.pyo', '.tar.gz')
# What belongs to the copy itself (its git repository, the output of the tools run in it), and is kept.
PRESERVED_PREFIXES = ('.git/', '.hypothesis/', '.pytest_cache/', 'tests/output/')


def source_files(source: str) -> tuple[list[str], str]:
    """The files to copy, relative to ``source``, and where the list comes from."""
    try:
        output = subprocess.run(['git', '-C', source, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                                check=True, capture_output=True).stdout
        # --cached also lists tracked files deleted from the work tree
        paths = [path for path in map(os.fsdecode, output.split(b'\0'))
                 if path and os.path.lexists(os.path.join(source, path))]
        origin = 'git'
    except (OSError, subprocess.CalledProcessError):
        paths, origin = [], 'directory walk'
        for root, dir_names, file_names in os.walk(source):
            rel_root = os.path.relpath(root, source)
            dir_names[:] = [] if rel_root == os.path.join('tests', 'output') else sorted(
                name for name in dir_names if name not in WALK_SKIPS_DIRS)
            paths += [os.path.normpath(os.path.join(rel_root, name)) for name in sorted(file_names)
                      if not name.endswith(WALK_SKIPS_SUFFIXES)]
    # never the build directory into itself, whatever git says
    return [path.replace(os.sep, '/') for path in paths if not path.replace(os.sep, '/').startswith('build/')], origin


def is_preserved(rel_path: str) -> bool:
    return rel_path.startswith(PRESERVED_PREFIXES) or '__pycache__' in rel_path.split('/')[:-1]


def same_file(src: str, dst: str) -> bool:
    """Whether dst looks identical to src: the same link, or the same size, mtime and mode."""
    try:
        src_stat, dst_stat = os.lstat(src), os.lstat(dst)
    except FileNotFoundError:
        return False
    if os.path.islink(src) or os.path.islink(dst):
        return os.path.islink(src) and os.path.islink(dst) and os.readlink(src) == os.readlink(dst)
    return all(getattr(src_stat, key) == getattr(dst_stat, key) for key in ('st_size', 'st_mtime_ns', 'st_mode'))


def copy_one(src: str, dst: str) -> None:
    """Copy one file or symlink, replacing whatever is at dst."""
    if os.path.isdir(dst) and not os.path.islink(dst):
        shutil.rmtree(dst)
    elif os.path.lexists(dst):
        os.unlink(dst)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.islink(src):
        os.symlink(os.readlink(src), dst)
    else:
        shutil.copy2(src, dst)


def sync(source: str, dest: str, paths: list[str]) -> tuple[int, int]:
    """Make dest mirror the given paths of source; return (copied, deleted) counts."""
    # a directory listed (a nested repository) is never expected in a collection: skipped
    wanted = set(path for path in paths if os.path.islink(os.path.join(source, path))
                 or not os.path.isdir(os.path.join(source, path)))
    copied = deleted = 0
    for rel_path in sorted(wanted):
        if not same_file(os.path.join(source, rel_path), os.path.join(dest, rel_path)):
            copy_one(os.path.join(source, rel_path), os.path.join(dest, rel_path))
            copied += 1
    for root, dir_names, file_names in os.walk(dest, topdown=False):
        rel_root = os.path.relpath(root, dest).replace(os.sep, '/')
        rel_root = '' if rel_root == '.' else rel_root + '/'
        for name in file_names + [d for d in dir_names if os.path.islink(os.path.join(root, d))]:
            if rel_root + name not in wanted and not is_preserved(rel_root + name):
                os.unlink(os.path.join(root, name))
                deleted += 1
        for name in dir_names:
            full = os.path.join(root, name)
            if not os.path.islink(full) and not os.listdir(full) and not is_preserved(rel_root + name + '/'):
                os.rmdir(full)
    return copied, deleted


def ensure_git(dest: str) -> None:
    """Give the copy its own git repository, whose exclude file keeps what the copy produces out of ansible-test's
    file list, whatever .gitignore says."""
    if not os.path.exists(os.path.join(dest, '.git')):
        try:
            subprocess.run(['git', 'init', '-q', dest], check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            print('sync_collection: warning: cannot create a git repository in %s: %s' % (dest, exc), file=sys.stderr)
            return
    if os.path.isdir(os.path.join(dest, '.git', 'info')):
        with open(os.path.join(dest, '.git', 'info', 'exclude'), 'w', encoding='utf-8') as exclude:
            exclude.write(''.join('/%s\n' % prefix for prefix in PRESERVED_PREFIXES if prefix != '.git/') + '__pycache__/\n')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('source', help='collection source tree (the work tree)')
    parser.add_argument('dest', help='target directory, ending in ansible_collections/<namespace>/<name>')
    args = parser.parse_args()
    source, dest = os.path.abspath(args.source), os.path.abspath(args.dest)
    parts = dest.split(os.sep)
    if len(parts) < 3 or parts[-3] != 'ansible_collections':
        parser.error('destination must end in ansible_collections/<namespace>/<name>: %s' % dest)
    if source == dest or source.startswith(dest + os.sep):
        parser.error('destination must not contain the source tree: %s' % dest)
    paths, origin = source_files(source)
    os.makedirs(dest, exist_ok=True)
    # make test runs gates side by side, and each brings the copy up to date first: one at a time, or one would
    # delete a file that the other is copying
    with open(os.path.join(os.sep.join(parts[:-3]), '.sync-%s-%s.lock' % (parts[-2], parts[-1])), 'w',
              encoding='utf-8') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        copied, deleted = sync(source, dest, paths)
        ensure_git(dest)
    print('collection copy %s: %d files (from %s), %d copied, %d deleted' % (dest, len(paths), origin, copied, deleted))
    return 0


if __name__ == '__main__':
    sys.exit(main())
