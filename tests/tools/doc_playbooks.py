"""List the playbooks of the documentation, for ansible-lint.

Usage: python doc_playbooks.py COLLECTION_DIR OUTPUT_DIR

Playbooks shown in Markdown files (README.md, docs/**/*.md) as ```yaml blocks that start with
"- name:" and have "hosts:" are written to OUTPUT_DIR; the YAML playbooks under docs/ are listed
as they are. Prints one path per line, relative to COLLECTION_DIR; fails when there is none.
"""

import pathlib
import re
import sys

_BLOCK = re.compile(r'^```ya?ml\n(.*?)^```', re.M | re.S)


def main(collection, output):
    collection, output = pathlib.Path(collection), pathlib.Path(output)
    output.mkdir(parents=True, exist_ok=True)
    for old in output.glob('*.yml'):
        old.unlink()
    found = []
    docs = collection / 'docs'
    markdown = [collection / 'README.md'] + sorted(docs.rglob('*.md'))
    for source in markdown:
        if not source.is_file():
            continue
        for number, block in enumerate(_BLOCK.findall(source.read_text(encoding='utf-8')), 1):
            if block.startswith('- name:') and re.search(r'^  hosts:', block, re.M):
                stem = source.relative_to(collection).as_posix().replace('/', '_').replace('.', '_')
                target = output / ('%s_%d.yml' % (stem, number))
                target.write_text('---\n' + block, encoding='utf-8')
                found.append(target)
    for playbook in sorted(docs.rglob('*.yml')):
        if re.search(r'^  hosts:', playbook.read_text(encoding='utf-8'), re.M):
            found.append(playbook)
    if not found:
        sys.exit('no playbook found in README.md or docs/')
    for path in found:
        print(path.relative_to(collection).as_posix())


if __name__ == '__main__':
    main(*sys.argv[1:])
