# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Render the module reference of scalingo.cloud from the modules' own documentation.

Usage: python build_docs.py --collections-path BUILD --dest BUILD/docs [--skip-lint] [--no-html]

Run with the virtualenv's Python (antsibull-docs, ansible-core and docutils are pinned in tests/requirements):
`make docs`. BUILD holds ansible_collections/scalingo/cloud. Steps, each failing the run when it goes wrong:

1. ``antsibull-docs lint-collection-docs --plugin-docs`` (unless --skip-lint, when the caller ran it already): the
   DOCUMENTATION, EXAMPLES and RETURN of every module parse, follow the schema, and their markup (O(), RV(), M(),
   ...) points at options, values and modules that exist;
2. ``antsibull-docs collection --use-current --output-format simplified-rst``: one RST page per module plus an
   index, into DEST/rst. The pages are built from what ``ansible-doc`` reads, so they cannot disagree with it;
3. docutils turns each page into HTML, into DEST/html (an RST warning fails the run);
4. the pages are checked against ``ansible-doc --json``: every module of the collection has a page, and every
   option, alias and returned key (nested ones included) has its anchor in it. The collection documented must be
   the one under BUILD, not another installed copy.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

COLLECTION = 'scalingo.cloud'


def tool_env(collections_path):
    """The environment of the tools: the virtualenv's programs first, and only the collections under BUILD."""
    env = dict(os.environ)
    env['ANSIBLE_COLLECTIONS_PATH'] = str(collections_path)
    env['PATH'] = os.pathsep.join([str(Path(sys.executable).parent), env.get('PATH', '')])
    env.pop('ANSIBLE_CONFIG', None)
    env['ANSIBLE_NOCOLOR'] = '1'
    return env


def run(command, env, what):
    began = time.monotonic()
    proc = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit('%s failed (exit status %d): %s' % (what, proc.returncode, ' '.join(command)))
    print('  %s (%.1fs)' % (what, time.monotonic() - began), flush=True)
    return proc.stdout


def fresh_dir(path):
    """An empty directory only its owner may write to, as antsibull-docs requires for --dest-dir."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, mode=0o755)
    path.chmod(0o755)
    return path


def to_html(rst_dir, html_dir):
    """Each RST page to HTML with docutils; links between pages point at the HTML files."""
    from docutils.core import publish_string  # pylint: disable=import-outside-toplevel

    pages = []
    for source in sorted(rst_dir.glob('*.rst')):
        text = source.read_text(encoding='utf-8')
        text = re.sub(r'<([A-Za-z0-9_.-]+)\.rst>`_', r'<\1.html>`_', text)
        html = publish_string(
            source=text, source_path=str(source), writer='html5',
            settings_overrides={'halt_level': 2, 'report_level': 2, 'output_encoding': 'utf-8', 'embed_stylesheet': True,
                                'raw_enabled': True, 'file_insertion_enabled': False, '_disable_config': True})
        target = html_dir / (source.stem + '.html')
        target.write_bytes(html)
        pages.append(target)
    return pages


def doc_anchors(prefix, entries, parent=''):
    """The anchors antsibull-docs gives to options (``parameter-``) or returned keys (``return-``), nested ones too."""
    anchors = []
    for name, entry in (entries or {}).items():
        path = parent + name
        names = [name] + list(entry.get('aliases') or [])
        anchors.extend('%s-%s%s' % (prefix, parent, alias) for alias in names)
        anchors.extend(doc_anchors(prefix, entry.get('suboptions') or entry.get('contains'), path + '/'))
    return anchors


def check_against_ansible_doc(rst_dir, collection_dir, env):
    """Every module ansible-doc knows has a page, which has every option, alias and returned key."""
    listed = json.loads(run(['ansible-doc', '--json', '-t', 'module', '-l', COLLECTION], env, 'ansible-doc -l'))
    if not listed:
        sys.exit('ansible-doc lists no module in %s: is %s the collections path?' % (COLLECTION, env['ANSIBLE_COLLECTIONS_PATH']))
    docs = json.loads(run(['ansible-doc', '--json', '-t', 'module'] + sorted(listed), env, 'ansible-doc --json'))
    problems = []
    for fqcn in sorted(listed):
        entry = docs[fqcn]
        doc = entry['doc']
        filename = Path(doc.get('filename', '')).resolve()
        if collection_dir.resolve() not in filename.parents:
            problems.append('%s comes from %s, not from %s' % (fqcn, filename, collection_dir))
        page = rst_dir / ('%s_module.rst' % fqcn.rsplit('.', 1)[1])
        if not page.is_file():
            problems.append('%s has no page (%s)' % (fqcn, page.name))
            continue
        text = page.read_text(encoding='utf-8')
        if doc['short_description'] not in text:
            problems.append('%s: the page does not have its short description' % fqcn)
        expected = doc_anchors('parameter', doc.get('options')) + doc_anchors('return', entry.get('return'))
        problems.extend('%s: %s is missing from %s' % (fqcn, anchor, page.name) for anchor in expected
                        if 'id="%s"' % anchor not in text)
        print('  %s: %d options, aliases and returned keys checked in %s' % (fqcn, len(expected), page.name))
    if problems:
        sys.exit('The rendered reference disagrees with ansible-doc:\n  ' + '\n  '.join(problems))
    return sorted(listed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--collections-path', required=True, type=Path, help='the directory holding ansible_collections/')
    parser.add_argument('--dest', required=True, type=Path, help='output directory (rst/ and html/ are created in it)')
    parser.add_argument('--no-html', action='store_true', help='render the RST pages only')
    parser.add_argument('--skip-lint', action='store_true', help='do not run antsibull-docs lint-collection-docs first')
    args = parser.parse_args()

    began = time.monotonic()
    collections_path = args.collections_path.resolve()
    collection_dir = collections_path / 'ansible_collections' / 'scalingo' / 'cloud'
    if not (collection_dir / 'galaxy.yml').is_file():
        sys.exit('%s is not a copy of the collection: run `make collection` first' % collection_dir)
    env = tool_env(collections_path)
    dest = args.dest.resolve()
    rst_dir = fresh_dir(dest / 'rst')

    print('Module reference of %s from %s' % (COLLECTION, collection_dir), flush=True)
    if not args.skip_lint:
        run(['antsibull-docs', 'lint-collection-docs', '--plugin-docs', '--validate-collection-refs', 'all',
             '--output-format', 'simplified-rst', str(collection_dir)], env, 'antsibull-docs lint-collection-docs')
    run(['antsibull-docs', 'collection', '--use-current', '--squash-hierarchy', '--fail-on-error',
         '--output-format', 'simplified-rst', '--dest-dir', str(rst_dir), COLLECTION], env, 'antsibull-docs collection')
    modules = check_against_ansible_doc(rst_dir, collection_dir, env)
    written = sorted(rst_dir.glob('*.rst'))
    if not args.no_html:
        written += to_html(rst_dir, fresh_dir(dest / 'html'))
        print('  docutils: HTML pages', flush=True)
    print('%d modules documented in %.1fs:' % (len(modules), time.monotonic() - began))
    for path in written:
        print('  ' + str(path))


if __name__ == '__main__':
    main()
