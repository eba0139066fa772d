"""List the playbooks of the documentation, for ansible-lint.

Usage: python extract_doc_playbooks.py [--extracted-only] COLLECTION_DIR OUTPUT_DIR

Written to OUTPUT_DIR:
- the playbooks shown in Markdown files (README.md, docs/**/*.md) as ```yaml blocks that start
  with "- name:" and have "hosts:";
- the EXAMPLES of each module (plugins/modules/*.py), as the tasks of a playbook: ansible-lint
  only checks the YAML formatting of EXAMPLES in place, not the tasks (FQCN, names, ...).
The YAML playbooks under docs/ are listed as they are (not with --extracted-only). Prints one
path per line: relative to COLLECTION_DIR when inside it, absolute otherwise. Fails when there is
none (prints nothing with --extracted-only).
"""

import ast
import pathlib
import re
import sys

_BLOCK = re.compile(r'^```ya?ml\n(.*?)^```', re.M | re.S)


def module_examples(path):
    """The EXAMPLES string of a module, or None."""
    tree = ast.parse(path.read_text(encoding='utf-8'), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(target, 'id', None) == 'EXAMPLES' for target in node.targets):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return node.value.value
    return None


def examples_playbook(name, examples):
    """A playbook whose tasks are the module's EXAMPLES."""
    body = ''.join(('    ' + line if line.strip() else '') + '\n' for line in examples.strip('\n').splitlines())
    return ('---\n- name: EXAMPLES of %s\n  hosts: localhost\n  gather_facts: false\n  tasks:\n' % name) + body


def shown(path, collection):
    """The path relative to the collection when it is inside, else absolute."""
    try:
        return path.resolve().relative_to(collection.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def main(args):
    extracted_only = '--extracted-only' in args
    args = [arg for arg in args if arg != '--extracted-only']
    if len(args) != 2:
        sys.exit(__doc__)
    collection, output = pathlib.Path(args[0]), pathlib.Path(args[1])
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
    for module in sorted((collection / 'plugins' / 'modules').glob('*.py')):
        examples = module_examples(module)
        if examples and examples.strip():
            target = output / ('EXAMPLES_%s.yml' % module.stem)
            target.write_text(examples_playbook(module.stem, examples), encoding='utf-8')
            found.append(target)
    if not extracted_only:
        for playbook in sorted(docs.rglob('*.yml')):
            if re.search(r'^  hosts:', playbook.read_text(encoding='utf-8'), re.M):
                found.append(playbook)
    if not found and not extracted_only:
        sys.exit('no playbook found in README.md or docs/')
    for path in found:
        print(shown(path, collection))


if __name__ == '__main__':
    main(sys.argv[1:])
