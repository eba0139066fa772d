# Copyright (c) Scalingo contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lay out a copy of the collection under .../ansible_collections/<namespace>/<name>.

ansible-test only works from a directory that really is
``ansible_collections/<namespace>/<name>``, so the Makefile keeps a copy of the
work tree there.  The copy holds the files git knows about (tracked plus
untracked-but-not-ignored, as ``git ls-files -co --exclude-standard`` reports
them); outside a git work tree every file is taken except well-known build
and cache directories.  Unchanged files are left alone, changed ones are
copied again, and files that no longer exist in the source are deleted.

Two runs at once take turns (a lock file beside ``ansible_collections/``).

The copy gets its own (empty) git repository: ansible-test looks for version
control from the collection root upwards and would otherwise find the outer
work tree, in which the copy is ignored, and see no files at all.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import subprocess
import sys

# Directories never copied when the source is not a git work tree.
FALLBACK_EXCLUDED_DIRS = frozenset((
    '.git',
    '.hypothesis',
    '.mypy_cache',
    '.pytest_cache',
    '.tox',
    '.venv',
    '__pycache__',
    'build',
))

FALLBACK_EXCLUDED_SUFFIXES = ('.pyc', '.pyo', '.tar.gz')

# Paths (relative to the copy) that belong to the copy itself and are kept.
PRESERVED_PREFIXES = (
    '.git/',
    '.hypothesis/',
    '.pytest_cache/',
    'tests/output/',
)

PRESERVED_DIR_NAMES = frozenset(('__pycache__',))


def git_file_list(source: str) -> list[str] | None:
    """Return the files git reports for the work tree, or None when git cannot tell."""
    # ls-files run from a sub directory of a larger work tree lists that directory only,
    # with paths relative to it, which is what is wanted.
    try:
        output = subprocess.run(
            ['git', '-C', source, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
            check=True, capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None

    paths = []

    for raw in output.split(b'\0'):
        if not raw:
            continue

        path = os.fsdecode(raw)

        # Tracked files deleted from the work tree are still listed by --cached.
        if os.path.lexists(os.path.join(source, path)):
            paths.append(path)

    return paths


def walk_file_list(source: str) -> list[str]:
    """Return every file below source, except build and cache directories."""
    paths = []

    for root, dir_names, file_names in os.walk(source):
        dir_names[:] = sorted(name for name in dir_names if name not in FALLBACK_EXCLUDED_DIRS)
        rel_root = os.path.relpath(root, source)

        if rel_root == os.path.join('tests', 'output'):
            dir_names[:] = []
            continue

        for name in sorted(file_names):
            if name.endswith(FALLBACK_EXCLUDED_SUFFIXES):
                continue

            paths.append(os.path.normpath(os.path.join(rel_root, name)))

    return paths


def is_preserved(rel_path: str) -> bool:
    """Return True if the path in the copy belongs to the copy and must be kept."""
    if rel_path.startswith(PRESERVED_PREFIXES):
        return True

    return any(part in PRESERVED_DIR_NAMES for part in rel_path.split('/')[:-1])


def same_file(src: str, dst: str) -> bool:
    """Return True if dst looks identical to src (same kind, size, mtime and mode)."""
    try:
        src_stat = os.lstat(src)
        dst_stat = os.lstat(dst)
    except FileNotFoundError:
        return False

    if os.path.islink(src) or os.path.islink(dst):
        return os.path.islink(src) and os.path.islink(dst) and os.readlink(src) == os.readlink(dst)

    return (
        src_stat.st_size == dst_stat.st_size
        and src_stat.st_mtime_ns == dst_stat.st_mtime_ns
        and src_stat.st_mode == dst_stat.st_mode
    )


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
    wanted = set()
    copied = 0
    deleted = 0

    for rel_path in paths:
        src = os.path.join(source, rel_path)

        if os.path.isdir(src) and not os.path.islink(src):
            # A nested repository or similar; never expected in a collection.
            continue

        rel_path = rel_path.replace(os.sep, '/')
        wanted.add(rel_path)
        dst = os.path.join(dest, rel_path)

        if not same_file(src, dst):
            copy_one(src, dst)
            copied += 1

    for root, dir_names, file_names in os.walk(dest, topdown=False):
        rel_root = os.path.relpath(root, dest).replace(os.sep, '/')
        rel_root = '' if rel_root == '.' else rel_root + '/'

        for name in file_names + [d for d in dir_names if os.path.islink(os.path.join(root, d))]:
            rel_path = rel_root + name

            if rel_path not in wanted and not is_preserved(rel_path):
                os.unlink(os.path.join(root, name))
                deleted += 1

        for name in dir_names:
            full = os.path.join(root, name)

            if not os.path.islink(full) and not os.listdir(full) and not is_preserved(rel_root + name + '/'):
                os.rmdir(full)

    return copied, deleted


def ensure_git(dest: str) -> None:
    """Give the copy its own git repository so ansible-test does not see the outer work tree."""
    if not os.path.exists(os.path.join(dest, '.git')):
        try:
            subprocess.run(['git', 'init', '-q', dest], check=True)
        except (OSError, subprocess.CalledProcessError) as ex:
            print('sync_collection: warning: cannot create a git repository in %s: %s' % (dest, ex), file=sys.stderr)
            return

    # Keep what the copy itself produces out of ansible-test's file list, whatever .gitignore says.
    exclude_path = os.path.join(dest, '.git', 'info', 'exclude')
    content = ''.join('/%s\n' % prefix for prefix in PRESERVED_PREFIXES if prefix != '.git/') + '__pycache__/\n'

    if os.path.isdir(os.path.dirname(exclude_path)):
        with open(exclude_path, 'w', encoding='utf-8') as exclude:
            exclude.write(content)


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('source', help='collection source tree (the work tree)')
    parser.add_argument('dest', help='target directory, ending in ansible_collections/<namespace>/<name>')
    parser.add_argument('--no-git', action='store_true', help='do not create a git repository in the copy')
    args = parser.parse_args()

    source = os.path.abspath(args.source)
    dest = os.path.abspath(args.dest)

    parts = dest.split(os.sep)

    if len(parts) < 3 or parts[-3] != 'ansible_collections':
        parser.error('destination must end in ansible_collections/<namespace>/<name>: %s' % dest)

    if source == dest or source.startswith(dest + os.sep):
        parser.error('destination must not contain the source tree: %s' % dest)

    paths = git_file_list(source)
    origin = 'git'

    if paths is None:
        paths = walk_file_list(source)
        origin = 'directory walk'

    # Never copy the build directory into itself, whatever git says.
    paths = [path for path in paths if not path.replace(os.sep, '/').startswith('build/')]

    os.makedirs(dest, exist_ok=True)
    # `make test` runs gates side by side, and each brings the copy up to date first: one at a time, or one would
    # delete a file that the other is copying.
    with open(os.path.join(os.sep.join(parts[:-3]), '.sync-%s-%s.lock' % (parts[-2], parts[-1])), 'w',
              encoding='utf-8') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        copied, deleted = sync(source, dest, paths)

        if not args.no_git:
            ensure_git(dest)

    print('collection copy %s: %d files (from %s), %d copied, %d deleted' % (dest, len(paths), origin, copied, deleted))

    return 0


if __name__ == '__main__':
    sys.exit(main())
