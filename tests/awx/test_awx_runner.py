# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/examples/manage_users.yml of the installed artifact, run the way AWX / Automation Controller runs a job,
against the local emulator: the one test of that playbook.

AWX renders the env injectors of a job's credentials, then hands the playbook to ansible-runner with a private
data dir (project/, inventory/, env/extravars) and those variables in the environment; the job output is the
runner's events and stdout. These tests do the same with ansible_runner.run():

- the "Scalingo API" credential type is read from docs/examples/awx_credential_type.yml, checked as AWX checks a
  new credential type, and its injectors are rendered as AWX renders them (only the inputs that are set are
  defined, an undefined name renders as ''), so the tests break when the documented injectors drift from the
  environment variables the modules read (plugins/module_utils/_connection.py);
- the playbook is the installed artifact's (SCALINGO_TEST_INSTALLED: where ``make artifact`` installed the tarball),
  and Ansible sees no other copy of the collection: a file missing from the artifact fails here;
- the emulator's URLs are added to that environment (AWX would talk to Scalingo itself);
- the first job must succeed and manage the users (emulator state, PostgreSQL logins, the generated password stored
  in a private file), the second must change nothing, and no secret (API token, tokens the services issued,
  passwords) may appear in the job events, the stdout or the files of the artifacts dir.

`make artifact` runs them, after installing the tarball.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

COLLECTION_ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(COLLECTION_ROOT / 'tests' / 'emulator'), str(COLLECTION_ROOT / 'tests' / 'e2e')]

from e2e_support import Postgres, issued_secrets, running_emulator  # noqa: E402  pylint: disable=wrong-import-position

# The emulator serves requests from threads while ansible-runner forks the job under a pty.
pytestmark = pytest.mark.filterwarnings('ignore:This process .* is multi-threaded:DeprecationWarning')

CREDENTIAL_TYPE_PLAYBOOK = COLLECTION_ROOT / 'docs' / 'examples' / 'awx_credential_type.yml'
AWX_PAGE = COLLECTION_ROOT / 'docs' / 'awx.md'
# Where make artifact installed the tarball (the directory holding ansible_collections/), and its playbook.
INSTALLED = os.environ.get('SCALINGO_TEST_INSTALLED')
PLAYBOOK = Path(INSTALLED or '.') / 'ansible_collections' / 'scalingo' / 'cloud' / 'docs' / 'examples' / 'manage_users.yml'

APP = 'emu-demo-app'
READWRITE, READONLY, REMOVED = 'reporting', 'metabase', 'old-importer'  # the playbook's users, given as extra vars

# The options the credential type must feed, and the environment variables that may not come from the
# caller's environment (only the credential and the test set them).
INJECTED_OPTIONS = ('api_token', 'region', 'database_token', 'app', 'addon')
SECRET_INPUTS = ('api_token', 'database_token')
_FOREIGN_ENV = re.compile(r'^(SCALINGO_|DB_BEARER_TOKEN$|DB_API_URL$|ANSIBLE_|(HTTPS?|ALL|NO)_PROXY$|PYTHON(PATH|HOME)$)', re.I)
# Which keys AWX accepts in an input field, and its rule for env injector names.
_FIELD_KEYS = {'id', 'label', 'type', 'help_text', 'secret', 'multiline', 'choices', 'default', 'format', 'ask_at_runtime'}
_ENV_NAME = re.compile(r'^[a-zA-Z_][a-zA-Z0-9_]*$')


# --- the credential type, as docs/examples/awx_credential_type.yml declares it ---------------------------------

class _DocLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """A YAML loader that reads Ansible's !unsafe strings as plain strings."""


_DocLoader.add_constructor('!unsafe', lambda loader, node: loader.construct_scalar(node))


def credential_type():
    """The arguments of the awx.awx.credential_type task of the example playbook."""
    plays = yaml.load(CREDENTIAL_TYPE_PLAYBOOK.read_text(encoding='utf-8'), Loader=_DocLoader)  # nosec B506 - a SafeLoader
    tasks = [task for play in plays for task in play.get('tasks', []) if 'awx.awx.credential_type' in task]
    assert len(tasks) == 1, 'expected one awx.awx.credential_type task in %s' % CREDENTIAL_TYPE_PLAYBOOK
    return tasks[0]['awx.awx.credential_type']


def render_injectors(spec, inputs):
    """The environment AWX injects for a credential with these inputs.

    At job start AWX puts in the template namespace only the inputs that are set to a non-empty value, and renders
    each env injector in a Jinja2 sandbox where an undefined name renders as an empty string.
    """
    from jinja2.sandbox import ImmutableSandboxedEnvironment  # pylint: disable=import-outside-toplevel

    namespace = {key: value for key, value in inputs.items() if value not in ('', None)}
    sandbox = ImmutableSandboxedEnvironment()
    return {name: sandbox.from_string(template).render(**namespace) for name, template in spec['injectors']['env'].items()}


def connection_module():
    """The collection's _connection (the shared options of the modules, and their checks)."""
    return pytest.importorskip('ansible_collections.scalingo.cloud.plugins.module_utils._connection',
                               reason='run from the collection copy, PYTHONPATH holding ansible_collections')


def module_params(env):
    """The connection options a module gets from ``env`` alone, following env_fallback: first variable present wins."""
    params = {}
    for option, entry in connection_module().connection_argument_spec().items():
        value = next((env[name] for name in entry['fallback'][1] if name in env), None) if entry.get('fallback') else None
        params[option] = entry.get('default') if value is None else value
    return params


def test_credential_type_is_one_awx_accepts():
    """The checks AWX applies when the type is saved: field keys, env names, templates over defined fields only."""
    from jinja2 import StrictUndefined  # pylint: disable=import-outside-toplevel
    from jinja2.sandbox import ImmutableSandboxedEnvironment  # pylint: disable=import-outside-toplevel

    spec = credential_type()
    assert spec['kind'] == 'cloud'
    fields = spec['inputs']['fields']
    ids = [field['id'] for field in fields]
    assert sorted(ids) == sorted(INJECTED_OPTIONS)
    assert len(set(ids)) == len(ids)
    for field in fields:
        assert set(field) <= _FIELD_KEYS, field['id']
        assert field.get('type', 'string') == 'string' and field['label']
        assert isinstance(field.get('default', ''), str)
    assert sorted(field['id'] for field in fields if field.get('secret')) == sorted(SECRET_INPUTS)
    assert set(spec['inputs']['required']) == {'api_token', 'region'}
    assert set(spec['injectors']) == {'env'}
    strict = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for name, template in spec['injectors']['env'].items():
        assert _ENV_NAME.match(name) and not name.startswith('ANSIBLE_'), name
        strict.from_string(template).render({field_id: 'EXAMPLE' for field_id in ids})  # raises on an unknown name
    # Each injected variable is the one the modules read first for one of the injected options.
    first = {entry['fallback'][1][0]: option for option, entry in connection_module().connection_argument_spec().items()
             if entry.get('fallback')}
    fed = sorted(first.get(name, '%s, read first for no option' % name) for name in spec['injectors']['env'])
    assert fed == sorted(INJECTED_OPTIONS), fed


def test_awx_page_shows_the_same_credential_type():
    """The configurations docs/awx.md tells to paste in the UI are the ones the example playbook creates."""
    page = AWX_PAGE.read_text(encoding='utf-8')
    spec = credential_type()
    for heading, expected in (('**Input configuration**', spec['inputs']), ('**Injector configuration**', spec['injectors'])):
        found = re.search(re.escape(heading) + r'\s*```yaml\n(.*?)^```', page, re.M | re.S)
        assert found, '%s has no YAML block after %s' % (AWX_PAGE.name, heading)
        assert yaml.safe_load(found.group(1)) == expected, heading


@pytest.mark.parametrize('inputs, expected, problem', [
    pytest.param(
        {'api_token': 'tk-us-example', 'region': 'osc-secnum-fr1', 'database_token': '', 'app': '', 'addon': ''},
        {'region': 'osc-secnum-fr1', 'app': '', 'addon': ''},
        'addon', id='no-app-no-addon-in-the-credential'),
    pytest.param(
        {'api_token': 'tk-us-example', 'region': 'osc-fr1', 'database_token': 'db-token-example',
         'addon': 'ad-6efce20b-e562-4ebb-b625-b9bb7127a788'},
        {'database_token': 'db-token-example', 'app': ''},
        None, id='database-token-and-addon-id'),
    pytest.param(*[{'api_token': 'tk-us-example', 'region': 'osc-secnum-fr1', 'database_token': 'db-token-example',
                    'app': 'my-app', 'addon': 'ad-6efce20b-e562-4ebb-b625-b9bb7127a788'}] * 2,
                 None, id='each-input-feeds-its-own-option'),
])
def test_rendered_environment_means_what_the_docs_say(inputs, expected, problem):
    """Each input reaches the option it is for; empty optional inputs reach the modules as empty strings, which they
    take as not set."""
    env = render_injectors(credential_type(), inputs)
    params = module_params(env)
    for option, value in expected.items():
        assert params[option] == value, option
    if not inputs.get('database_token'):
        assert params['database_token'] == '' and not params['database_token']
    found = connection_module().check_connection_params(params)
    if problem is None:
        assert found is None
    else:
        # An empty SCALINGO_ADDON is "not set": the playbook has to give addon (module_defaults) itself.
        assert found is not None and found[0] == problem and 'is required' in found[1]


# --- the job -------------------------------------------------------------------------------------------------------

class Job:
    """One ansible_runner.run() of the example playbook, and what it left behind."""

    def __init__(self, runner):
        self.status, self.rc, self.events = runner.status, runner.rc, list(runner.events)
        stats = runner.stats or {}
        self.changed = sum(stats.get('changed', {}).values())
        self.failed = sum(stats.get(key, {}).get('localhost', 0) for key in ('failures', 'dark'))
        with runner.stdout as handle:
            self.stdout = handle.read()
        artifact_dir = Path(runner.config.artifact_dir)
        self.command = json.loads((artifact_dir / 'command').read_text(encoding='utf-8'))
        self.artifacts = {str(path.relative_to(artifact_dir)): path.read_text(encoding='utf-8', errors='replace')
                          for path in sorted(artifact_dir.rglob('*')) if path.is_file()}


@pytest.fixture(scope='module')
def awx_job():
    """Start the emulator, run the playbook as two AWX jobs; yield what the tests check, then clean everything."""
    ansible_runner = pytest.importorskip('ansible_runner')
    if not INSTALLED:
        pytest.skip('SCALINGO_TEST_INSTALLED is not set: make artifact runs these tests on the installed tarball')
    if not os.access(Path(sys.executable).with_name('ansible-playbook'), os.X_OK):
        pytest.skip('ansible-playbook is not next to %s' % sys.executable)
    with running_emulator() as emu, tempfile.TemporaryDirectory(prefix='scalingo-awx-') as tmp, pytest.MonkeyPatch.context() as patch:
        # ansible-runner passes its own environment on: keep only what the credential and the test inject.
        for name in list(os.environ):
            if _FOREIGN_ENV.match(name):
                patch.delenv(name)
        private = Path(tmp)
        (private / 'ansible.cfg').write_text('# empty: the defaults, and what the environment says\n', encoding='utf-8')
        addon_id = emu.addon_id(APP, 'postgresql')
        removed_password = 'Rm_' + secrets.token_urlsafe(30)
        emu.create_user_over_http(APP, addon_id, REMOVED, removed_password)

        # The credential, as an AWX user fills it in: an API token, app and addon; region and database token
        # left empty (the injectors then give osc-fr1 and an empty SCALINGO_DATABASE_TOKEN).
        inputs = {'api_token': emu.api_token('owner'), 'region': '', 'database_token': '', 'app': APP,
                  'addon': 'postgresql'}
        injected = render_injectors(credential_type(), inputs)
        envvars = dict(
            injected, SCALINGO_AUTH_URL=emu.urls['auth'], SCALINGO_API_URL=emu.urls['api'],
            SCALINGO_DB_API_URL=emu.urls['db'], ANSIBLE_COLLECTIONS_PATH=INSTALLED,
            ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='False', ANSIBLE_CONFIG=str(private / 'ansible.cfg'),
            ANSIBLE_HOME=str(private / 'ansible-home'), ANSIBLE_LOCAL_TEMP=str(private / 'tmp' / 'local'),
            ANSIBLE_REMOTE_TEMP=str(private / 'tmp' / 'remote'), NO_PROXY='127.0.0.1,localhost',
            PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get('PATH', '')]))
        readonly_password = 'Ro_' + secrets.token_urlsafe(30)
        password_dir = private / 'passwords'
        # Job template extra vars (a survey with a password question, in AWX): env/extravars, never the command line.
        extravars = {'readonly_password': readonly_password, 'password_dir': str(password_dir),
                     'readwrite_user': READWRITE, 'readonly_user': READONLY, 'removed_users': [REMOVED]}
        inventory = 'localhost ansible_connection=local ansible_python_interpreter=%s\n' % json.dumps(sys.executable)

        # A new private data dir for each job, as AWX makes: ansible-runner writes envvars and extravars into env/
        # only when they are not there yet, and otherwise puts the extra vars on the command line.
        jobs = []
        for ident in ('job-1', 'job-2'):
            (private / ident / 'project').mkdir(mode=0o700, parents=True)
            shutil.copy(PLAYBOOK, private / ident / 'project' / PLAYBOOK.name)
            jobs.append(Job(ansible_runner.run(
                private_data_dir=str(private / ident), ident=ident, playbook=PLAYBOOK.name, inventory=inventory,
                envvars=envvars, extravars=extravars, cmdline='--diff', verbosity=3, quiet=True, timeout=300)))
        listed = subprocess.run([str(Path(sys.executable).with_name('ansible-galaxy')), 'collection', 'list',
                                 'scalingo.cloud', '--format', 'json'], env=dict(os.environ, **envvars),
                                cwd=str(private), check=False, capture_output=True, text=True)

        stored = password_dir / ('%s.password' % READWRITE)
        generated = stored.read_text(encoding='utf-8').strip() if stored.is_file() else None
        pg = emu.pg_info(addon_id)
        known = {inputs['api_token'], readonly_password, removed_password, generated, (pg or {}).get('owner_password')}
        yield {
            'emu': emu, 'addon_id': addon_id, 'jobs': jobs, 'listed': listed, 'stored': stored,
            'injected': injected, 'inputs': inputs, 'pg': pg,
            'readonly_password': readonly_password, 'removed_password': removed_password, 'generated': generated,
            # with every token and password the emulated services handed out
            'secrets': sorted(s for s in known | set(issued_secrets(emu.requests()).values()) if s and len(s) >= 8),
        }


def test_injected_environment(awx_job):
    assert awx_job['injected'] == {'SCALINGO_API_TOKEN': awx_job['inputs']['api_token'], 'SCALINGO_REGION': 'osc-fr1',
                                   'SCALINGO_DATABASE_TOKEN': '', 'SCALINGO_APP': APP, 'SCALINGO_ADDON': 'postgresql'}
    # What ansible-runner really started ansible-playbook with.
    env = awx_job['jobs'][0].command['env']
    for name, value in awx_job['injected'].items():
        assert env.get(name) == value, name


def test_the_first_job_changes_the_users_and_the_second_nothing(awx_job):
    first, second = awx_job['jobs']
    assert (first.status, first.rc, first.failed) == ('successful', 0, 0), first.stdout[-3000:]
    assert first.changed >= 3  # reporting and metabase created, old-importer removed
    assert (second.status, second.rc, second.failed, second.changed) == ('successful', 0, 0, 0), second.stdout[-3000:]


def test_ansible_sees_the_installed_artifact_only(awx_job):
    listed = awx_job['listed']
    assert listed.returncode == 0, listed.stderr
    found = [path for path, data in json.loads(listed.stdout).items() if 'scalingo.cloud' in data]
    assert found == [os.path.join(INSTALLED, 'ansible_collections')]


def test_users_are_managed_and_log_in_to_postgresql(awx_job):
    users = {user['name']: user for user in awx_job['emu'].users(awx_job['addon_id'])}
    assert REMOVED not in users
    assert (users[READWRITE]['read_only'], users[READONLY]['read_only']) == (False, True)
    assert awx_job['generated'], 'the generated password of %s was not stored' % READWRITE
    assert stat.S_IMODE(awx_job['stored'].stat().st_mode) == 0o600
    if not awx_job['pg']:
        pytest.skip('the emulator runs without PostgreSQL here')
    pytest.importorskip('psycopg')
    pg = Postgres(awx_job['emu'], awx_job['addon_id'])
    for user, password in ((READWRITE, awx_job['generated']), (READONLY, awx_job['readonly_password'])):
        with pg.connect(user, password) as conn:
            assert conn.execute('SELECT count(*) FROM demo_items').fetchone()[0] >= 3
    pg.assert_login_fails(REMOVED, awx_job['removed_password'])


def test_no_secret_in_events_stdout_or_artifacts(awx_job):
    known = awx_job['secrets']
    # The API token, the bearer and addon tokens, and the generated, vault and removed user's passwords at least.
    assert len(known) >= 6
    leaks = []
    for number, job in enumerate(awx_job['jobs'], 1):
        places = {'stdout': job.stdout}
        places.update(('event %s (%s)' % (event.get('counter'), event.get('event')), json.dumps(event))
                      for event in job.events)
        for name, text in job.artifacts.items():
            if name == 'command':
                # ansible-runner's record of how it started ansible-playbook: the command line and cwd are checked;
                # its copy of the environment holds the injected API token by design, as AWX's own private data dir
                # does (AWX keeps a redacted copy, job_env).
                command = json.loads(text)
                text = json.dumps([command['command'], command['cwd']])
            places['artifact ' + name] = text
        for place, text in places.items():
            leaks.extend('job %d, %s: secret %s...' % (number, place, secret[:6]) for secret in known if secret in text)
    assert not leaks, leaks
    # The job ran, and its output is there: the check is not vacuous.
    assert any(event.get('event') == 'runner_on_ok' for event in awx_job['jobs'][0].events)
    assert 'job_events' in ''.join(awx_job['jobs'][0].artifacts)


def test_empty_database_token_costs_no_refused_request(awx_job):
    refused = [(entry['method'], entry['path']) for entry in awx_job['emu'].requests(service='db') if entry['status'] == 401]
    assert not refused
