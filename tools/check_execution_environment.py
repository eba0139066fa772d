# Copyright (c) Scalingo contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution environment gate: what ansible-builder makes of the installed collection.

Usage: python check_execution_environment.py --ansible-bin VENV_BIN --source ROOT --tarball TARBALL --collections-path DIR
                                             --work BUILD/ee --context BUILD/ee-context

1. ``ansible-builder introspect`` on DIR (where the artifact was installed) must attribute every
   requirement of the source's meta/ee-requirements.txt to scalingo.cloud: this is what an image build
   runs to find the collection's Python dependencies, through meta/execution-environment.yml.
2. ``ansible-builder create`` (no container engine needed) turns an execution environment definition
   (version 3, written to --work) that installs the artifact into a build context in --context; the
   context must hold the Containerfile, the galaxy requirements, the artifact and builder's scripts.
   ansible-core and ansible-runner are pinned as in tests/requirements.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

import yaml

# Any image with a Python that ansible-core supports and dnf; it is not pulled by `create`.
BASE_IMAGE = 'quay.io/fedora/fedora:41'


class Failure(Exception):
    """A check failed."""


def pin(requirements_file, name):
    """Return the ``name==version`` line of a requirements file."""
    with open(requirements_file, encoding='utf-8') as handle:
        for line in handle:
            if re.match(r'^%s\s*==' % re.escape(name), line):
                return line.split('#', 1)[0].strip()
    raise Failure('%s has no pin for %s' % (requirements_file, name))


def requirement_lines(path):
    if not os.path.isfile(path):
        raise Failure('meta/execution-environment.yml names %s, which does not exist' % path)
    with open(path, encoding='utf-8') as handle:
        return [line.split('#', 1)[0].strip() for line in handle if line.split('#', 1)[0].strip()]


def run_builder(command):
    """Run ansible-builder, show what it printed, and fail when it fails."""
    print('check_execution_environment: %s' % ' '.join(command), flush=True)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        raise Failure('ansible-builder %s failed (exit status %d)' % (command[1], result.returncode))
    return result


def introspect(builder, collections_path, source):
    command = [builder, 'introspect', '--sanitize', collections_path]
    result = run_builder(command)
    with open(os.path.join(source, 'meta', 'execution-environment.yml'), encoding='utf-8') as handle:
        python_file = ((yaml.safe_load(handle) or {}).get('dependencies') or {}).get('python')
    if not python_file:
        raise Failure('meta/execution-environment.yml names no python requirements file')
    expected = requirement_lines(os.path.join(source, python_file))
    data = yaml.safe_load(''.join(line + '\n' for line in result.stdout.splitlines() if not line.startswith('#')))
    found = [entry for entry in (data or {}).get('python') or [] if entry.endswith('# from collection scalingo.cloud')]
    names = [entry.split('#', 1)[0].strip() for entry in found]
    missing = [requirement for requirement in expected if requirement not in names]
    if missing or not expected:
        raise Failure('ansible-builder introspect does not find %s for scalingo.cloud (it finds: %s)'
                      % (', '.join(missing) or 'any requirement', ', '.join(names) or 'nothing'))
    print('check_execution_environment: ansible-builder finds the Python requirements of scalingo.cloud: %s' % ', '.join(names))


def create(builder, source, tarball, work, context):
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(context, ignore_errors=True)
    os.makedirs(work)
    shutil.copy2(tarball, work)
    name = os.path.basename(tarball)
    requirements = os.path.join(source, 'tests', 'requirements')
    definition = {
        'version': 3,
        'images': {'base_image': {'name': BASE_IMAGE}},
        'dependencies': {
            'python_interpreter': {'package_system': 'python3', 'python_path': '/usr/bin/python3'},
            'ansible_core': {'package_pip': pin(os.path.join(requirements, 'ansible.txt'), 'ansible-core')},
            'ansible_runner': {'package_pip': pin(os.path.join(requirements, 'e2e.txt'), 'ansible-runner')},
            # The galaxy stage runs in /build, where _build/ of the context is copied.
            'galaxy': {'collections': [{'name': 'collections/%s' % name, 'type': 'file'}]},
        },
        'additional_build_files': [{'src': name, 'dest': 'collections'}],
    }
    definition_path = os.path.join(work, 'execution-environment.yml')
    with open(definition_path, 'w', encoding='utf-8') as handle:
        handle.write('# Written by tools/check_execution_environment.py for `make ee`.\n')
        yaml.safe_dump(definition, handle, sort_keys=False)
    command = [builder, 'create', '--file', definition_path, '--context', context, '--output-filename', 'Containerfile',
               '-v', '2']
    run_builder(command)
    expected = ['Containerfile', '_build/requirements.yml', '_build/collections/' + name,
                '_build/scripts/introspect.py', '_build/scripts/assemble']
    missing = [path for path in expected if not os.path.isfile(os.path.join(context, path))]
    if missing:
        raise Failure('the build context %s lacks %s' % (context, ', '.join(missing)))
    with open(os.path.join(context, 'Containerfile'), encoding='utf-8') as handle:
        containerfile = handle.read()
    if 'ansible-galaxy collection install' not in containerfile:
        raise Failure('the Containerfile does not install the collection')
    print('check_execution_environment: build context in %s (Containerfile, the artifact, galaxy requirements, builder scripts)'
          % context)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--ansible-bin', required=True)
    parser.add_argument('--source', required=True, help='the collection source (meta/ee-requirements.txt)')
    parser.add_argument('--tarball', required=True)
    parser.add_argument('--collections-path', required=True, help='where the artifact was installed')
    parser.add_argument('--work', required=True)
    parser.add_argument('--context', required=True)
    args = parser.parse_args()

    builder = os.path.join(args.ansible_bin, 'ansible-builder')
    introspect(builder, os.path.abspath(args.collections_path), os.path.abspath(args.source))
    create(builder, os.path.abspath(args.source), os.path.abspath(args.tarball), os.path.abspath(args.work),
           os.path.abspath(args.context))
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except Failure as failure:
        print('check_execution_environment: FAILED: %s' % failure, file=sys.stderr)
        sys.exit(1)
