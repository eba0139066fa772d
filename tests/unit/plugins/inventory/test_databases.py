# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The scalingo.cloud.databases inventory plugin, against the fake Scalingo: hosts, variables, groups, constructed
options, cache, failures, and what listing an account costs."""

import json

import pytest
import yaml

from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins import inventory as inventory_plugins
from ansible.plugins.loader import inventory_loader

from ansible_collections.scalingo.cloud.plugins.inventory import databases
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import (
    ADDON_ID,
    API_TOKEN,
    APP,
    APP_ID,
    BEARER,
    OTHER_API_TOKEN,
    PROTECTED_USER,
    REFUSED,
    Reply,
    addon,
)

SECNUM_API = 'https://api.osc-secnum-fr1.scalingo.com'


@pytest.fixture
def account(fake):
    """Two regions; in osc-fr1, my-app (a PostgreSQL and a Redis) and billing-eu (a MySQL running, a MongoDB being
    provisioned, an InfluxDB); in osc-secnum-fr1, billing-hds (a PostgreSQL)."""
    fake.regions['osc-secnum-fr1'] = SECNUM_API
    fake.app_info['billing-eu'] = dict(id='ap-billing-eu', region='osc-fr1')
    fake.apps['billing-eu'] = [addon('ad-mysql-1', 'mysql', 'billing_eu_1', 'mysql-business-1024'),
                               addon('ad-mongo-1', 'mongodb', 'billing-eu-2', 'mongo-starter-512', status='provisioning'),
                               addon('ad-influx-1', 'influxdb', 'billing_eu_3', 'influxdb-starter-512')]
    fake.app_info['billing-hds'] = dict(id='ap-billing-hds', region='osc-secnum-fr1')
    fake.apps['billing-hds'] = [addon('ad-pg-hds', 'postgresql', 'billing_hds_1', 'postgresql-business-2048')]
    return fake


def listed(tmp_path, monkeypatch, flush=False, environment=True, **config):
    """Parse a configuration file of the plugin (``flush``: as --flush-cache does); returns the inventory."""
    if environment:
        monkeypatch.setenv('SCALINGO_API_TOKEN', API_TOKEN)
    path = tmp_path / 'test.scalingo.yml'
    path.write_text(yaml.safe_dump(dict(config, plugin='scalingo.cloud.databases')))
    inventory = InventoryData()
    plugin = inventory_loader.get('scalingo.cloud.databases')
    assert plugin.verify_file(str(path))
    plugin.parse(inventory, DataLoader(), str(path), cache=not flush)
    try:
        plugin.update_cache_if_changed()  # as Ansible's inventory manager does after parsing
    except AttributeError:  # no cache configured, as the manager lets it be
        pass
    return inventory


def members(inventory, group):
    return sorted(host.name for host in inventory.groups[group].get_hosts())


def test_one_host_per_database_with_its_variables_and_groups(account, tmp_path, monkeypatch):
    inventory = listed(tmp_path, monkeypatch)
    assert sorted(inventory.hosts) == ['billing_eu_1', 'billing_eu_3', 'billing_hds_1', PROTECTED_USER]
    variables = inventory.get_host(PROTECTED_USER).vars
    assert dict((key, value) for key, value in variables.items() if not key.startswith('inventory_')) == dict(
        scalingo_app=APP, scalingo_app_id=APP_ID, scalingo_addon=ADDON_ID, scalingo_addon_type='postgresql',
        scalingo_region='osc-fr1', scalingo_plan='postgresql-starter-512', scalingo_status='running',
        scalingo_resource_id=PROTECTED_USER, ansible_connection='local',
        ansible_python_interpreter='{{ ansible_playbook_python }}')
    assert members(inventory, 'scalingo_postgresql') == ['billing_hds_1', PROTECTED_USER]
    assert members(inventory, 'scalingo_mysql') == ['billing_eu_1']
    assert members(inventory, 'scalingo_influxdb') == ['billing_eu_3']
    assert members(inventory, 'scalingo_region_osc_fr1') == ['billing_eu_1', 'billing_eu_3', PROTECTED_USER]
    assert members(inventory, 'scalingo_region_osc_secnum_fr1') == ['billing_hds_1']
    assert members(inventory, 'scalingo_app_my_app') == [PROTECTED_USER]
    assert members(inventory, 'scalingo_app_billing_eu') == ['billing_eu_1', 'billing_eu_3']
    assert 'scalingo_redis' not in inventory.groups and 'scalingo_mongodb' not in inventory.groups


def test_listing_costs_one_request_per_app_and_nothing_per_database(account, tmp_path, monkeypatch):
    for index in range(20):
        account.app_info['bulk-%02d' % index] = dict(id='ap-bulk-%02d' % index, region='osc-fr1')
        account.apps['bulk-%02d' % index] = [addon('ad-bulk-%02d-%d' % (index, n), 'postgresql', 'bulk_%02d_%d' % (index, n),
                                                   'postgresql-starter-512') for n in range(3)]
    inventory = listed(tmp_path, monkeypatch)
    assert len(inventory.hosts) == 4 + 60
    assert account.count('exchange') == 1 and account.count('regions') == 1 and account.count('apps') == 2
    assert account.count('addons') == 23 and account.count(service='db') == 0 and account.count('addon_token') == 0
    assert all(call.headers['Authorization'] == 'Bearer ' + BEARER for call in account.calls if call.route != 'exchange')


def test_filters_and_what_they_save(account, tmp_path, monkeypatch):
    inventory = listed(tmp_path, monkeypatch, regions=['osc-fr1'], apps=['billing-*'], addon_types=['mysql', 'mongodb'],
                       statuses=['running', 'provisioning'])
    assert sorted(inventory.hosts) == ['billing-eu-2', 'billing_eu_1']
    assert [call.url.rsplit('/', 2)[-2] for call in account.select('addons')] == ['ap-billing-eu']
    assert account.count('apps') == 1


def test_hostname_template_and_prefix(account, tmp_path, monkeypatch):
    inventory = listed(tmp_path, monkeypatch, hostvars_prefix='sc_', hostname='{{ sc_app }}-{{ sc_addon_type }}',
                       regions=['osc-secnum-fr1'])
    assert list(inventory.hosts) == ['billing-hds-postgresql']
    assert inventory.get_host('billing-hds-postgresql').vars['sc_resource_id'] == 'billing_hds_1'


def test_constructed_options_apply_over_the_variables(account, tmp_path, monkeypatch):
    inventory = listed(tmp_path, monkeypatch, compose={'ansible_python_interpreter': "'/usr/bin/python3'"},
                       groups={'business': "'business' in scalingo_plan"},
                       keyed_groups=[{'key': 'scalingo_plan', 'prefix': 'plan'}])
    assert inventory.get_host('billing_eu_1').vars['ansible_python_interpreter'] == '/usr/bin/python3'
    assert members(inventory, 'business') == ['billing_eu_1', 'billing_hds_1']
    assert members(inventory, 'plan_postgresql_starter_512') == [PROTECTED_USER]


def test_a_cached_run_sends_no_request_and_the_cache_holds_no_token(account, tmp_path, monkeypatch):
    cache = dict(cache=True, cache_plugin='ansible.builtin.jsonfile', cache_connection=str(tmp_path / 'cache'))
    first = listed(tmp_path, monkeypatch, **cache)
    sent = len(account.calls)
    second = listed(tmp_path, monkeypatch, **cache)
    assert len(account.calls) == sent and sorted(second.hosts) == sorted(first.hosts)
    stored = ''.join(path.read_text() for path in (tmp_path / 'cache').iterdir())
    assert 'billing_hds_1' in stored and API_TOKEN not in stored and BEARER not in stored
    listed(tmp_path, monkeypatch, flush=True, **cache)
    assert len(account.calls) > sent


def test_a_templated_token_from_extra_variables(account, tmp_path, monkeypatch):
    monkeypatch.delenv('SCALINGO_API_TOKEN', raising=False)
    path = tmp_path / 'vault.scalingo.yml'
    path.write_text(yaml.safe_dump(dict(plugin='scalingo.cloud.databases', api_token='{{ vault_token }}')))
    plugin = inventory_loader.get('scalingo.cloud.databases')
    # What --extra-vars gives an inventory plugin: a variable from a vault, say.
    monkeypatch.setattr(inventory_plugins, 'load_extra_vars', lambda loader: dict(vault_token=API_TOKEN))
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path))
    assert PROTECTED_USER in inventory.hosts


@pytest.mark.parametrize('config, words', [
    (dict(environment=False), 'api_token'),
    (dict(max_wait=5000), 'max_wait must be between 0 and 3600'),
    (dict(api_url='ftp://api.example.test'), 'api_url must use http or https'),
    (dict(regions=['osc-nowhere']), 'regions names osc-nowhere, which Scalingo does not list'),
])
def test_bad_configuration_is_refused_saying_what_to_fix(account, tmp_path, monkeypatch, config, words):
    with pytest.raises(AnsibleError) as failed:
        listed(tmp_path, monkeypatch, **config)
    assert words in str(failed.value) and API_TOKEN not in str(failed.value)


def test_a_refused_token_fails_naming_it_and_never_shows_it(account, tmp_path, monkeypatch):
    monkeypatch.setenv('SCALINGO_API_TOKEN', OTHER_API_TOKEN)
    with pytest.raises(AnsibleError) as failed:
        listed(tmp_path, monkeypatch, environment=False, strict=False)
    assert 'Check the API token (api_token or SCALINGO_API_TOKEN)' in str(failed.value)
    assert OTHER_API_TOKEN not in str(failed.value) and account.count('apps') == 0


def test_a_region_that_fails_fails_the_inventory_naming_it(account, tmp_path, monkeypatch):
    account.script('apps', Reply(200, json={'apps': []}), *[REFUSED] * 5)
    with pytest.raises(AnsibleError) as failed:
        listed(tmp_path, monkeypatch, max_wait=20)
    assert 'Region osc-secnum-fr1 could not be listed' in str(failed.value) and 'strict: false' in str(failed.value)


def test_with_strict_false_a_region_that_fails_is_named_and_the_others_listed(account, tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(databases.display, 'warning', warnings.append)
    account.script('apps', *[REFUSED] * 5)
    inventory = listed(tmp_path, monkeypatch, strict=False, max_wait=20)
    assert sorted(inventory.hosts) == ['billing_hds_1']
    assert any('region osc-fr1 is missing from the inventory' in warning for warning in warnings)


def test_a_rate_limit_is_waited_out_and_said_at_v_and_at_the_end(account, tmp_path, monkeypatch, clock):
    said, warnings = [], []
    monkeypatch.setattr(databases.display, 'v', said.append)
    monkeypatch.setattr(databases.display, 'warning', warnings.append)
    account.script('addons', Reply(429, text='Retry later'), Reply(429, text='Retry later'))
    inventory = listed(tmp_path, monkeypatch)
    assert len(inventory.hosts) == 4 and clock.sleeps == [1.0, 2.0]
    assert [line.split(', then')[0] for line in said] == [
        "scalingo.cloud.databases: waiting 1 s for Scalingo's rate limit (HTTP 429)",
        "scalingo.cloud.databases: waiting 2 s for Scalingo's rate limit (HTTP 429)"]
    assert warnings == ["scalingo.cloud.databases: The task waited 3 seconds in all, for Scalingo's rate limit (HTTP 429), "
                        "twice (3 s). Scalingo allows 60 requests a minute on its main API: to wait less, manage many "
                        "users in one scalingo.cloud.database_users task, reuse a database_token across tasks, or run "
                        "fewer tasks at once (throttle, forks)."]


def test_a_rate_limit_past_the_budget_says_how_long_it_waited(account, tmp_path, monkeypatch, clock):
    account.script('addons', *[Reply(429, text='Retry later')] * 30)
    with pytest.raises(AnsibleError) as failed:
        listed(tmp_path, monkeypatch, max_wait=10)
    assert 'HTTP 429' in str(failed.value) and clock.sleeps == [1.0, 2.0, 4.0]


def test_an_app_removed_while_listed_is_left_out_with_a_warning(account, tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(databases.display, 'warning', warnings.append)
    account.script('addons', Reply(404, json={'resource': 'app', 'error': 'not found'}))
    inventory = listed(tmp_path, monkeypatch, regions=['osc-fr1'])
    assert sorted(inventory.hosts) == ['billing_eu_1', 'billing_eu_3']
    assert warnings == ['scalingo.cloud.databases: app my-app was removed while it was listed']


@pytest.mark.parametrize('answer', [{'apps': {}}, {'apps': [{'name': 'x'}]}, [], {'apps': [{'id': 'ap-1', 'name': 1}]}])
def test_an_answer_of_another_shape_fails_naming_the_url(account, tmp_path, monkeypatch, answer):
    account.script('apps', Reply(200, json=answer))
    with pytest.raises(AnsibleError) as failed:
        listed(tmp_path, monkeypatch)
    assert 'GET https://api.osc-fr1.scalingo.com/v1/apps answered with an unexpected shape' in str(failed.value)


def test_with_api_url_the_one_region_of_that_api(account, tmp_path, monkeypatch):
    inventory = listed(tmp_path, monkeypatch, api_url=SECNUM_API + '/v1')
    assert list(inventory.hosts) == ['billing_hds_1']
    assert inventory.get_host('billing_hds_1').vars['scalingo_region'] == 'osc-secnum-fr1'
    named = listed(tmp_path, monkeypatch, api_url=SECNUM_API, regions=['my-name'])
    assert named.get_host('billing_hds_1').vars['scalingo_region'] == 'my-name'


def test_the_plugin_s_documentation_lists_every_variable_it_sets(account, tmp_path, monkeypatch):
    documented = yaml.safe_load(databases.DOCUMENTATION)['notes'][0]
    variables = listed(tmp_path, monkeypatch).get_host(PROTECTED_USER).vars
    for name in variables:
        if name.startswith('scalingo_') or name.startswith('ansible_'):
            assert 'C(%s)' % name in documented or name == 'ansible_connection', name
    assert json.dumps(variables)
