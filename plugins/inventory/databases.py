# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
name: databases
short_description: Every database of a Scalingo account, as inventory hosts
version_added: 1.0.0
description:
  - One inventory host per database addon of the apps of a Scalingo account, in every region, so that a play reaches
    every PostgreSQL, MySQL, MongoDB and InfluxDB database, including the one added last week.
  - Reads a configuration file whose name ends with C(scalingo.yml) or C(scalingo.yaml).
  - Lists with the API token alone. One request lists the regions, one per region lists its apps, one per app lists
    its addons. No database token is asked for and the Database API is never called, so listing costs nothing per
    database.
  - Each host runs the modules on the controller (C(ansible_connection=local), with the Python of ansible-playbook),
    and its variables name the app and the addon, for C(module_defaults) of the C(group/scalingo.cloud.scalingo)
    action group.
author:
  - scalingo.cloud contributors (@scalingo-community)
extends_documentation_fragment:
  - constructed
  - inventory_cache
  - scalingo.cloud.connection.plugin
options:
  plugin:
    description: Marks the file as a configuration of this plugin.
    type: str
    required: true
    choices: [scalingo.cloud.databases]
  regions:
    description:
      - The regions to list, such as V(osc-fr1) and V(osc-secnum-fr1).
      - By default every region Scalingo lists (C(GET /v1/regions) of the authentication service, which gives each
        region's API).
      - With O(api_url), the one region of that API.
    type: list
    elements: str
    default: []
  apps:
    description:
      - Only the apps with these names, or whose names match these shell patterns (C(billing-*)).
      - By default every app the token's owner can see. An app left out costs no request.
    type: list
    elements: str
    default: []
  addon_types:
    description: The types of addon that become hosts, the types whose users the modules manage.
    type: list
    elements: str
    choices: [postgresql, mysql, mongodb, influxdb]
    default: [postgresql, mysql, mongodb, influxdb]
  statuses:
    description: The statuses of addon that become hosts; Scalingo's are such as V(running), V(provisioning), V(suspended).
    type: list
    elements: str
    default: [running]
  hostname:
    description:
      - A template for the name of each host, over its variables (with O(hostvars_prefix)).
      - By default the addon's C(resource_id), which is unique in an account.
    type: str
  hostvars_prefix:
    description: The prefix of the host variables that come from Scalingo.
    type: str
    default: scalingo_
  max_wait:
    description:
      - Seconds the listing may spend waiting in all between attempts; between 0 and 3600.
      - Scalingo allows 60 requests a minute on its main API and answers HTTP 429 beyond, without saying how long to
        wait. An account of 300 apps takes 300 requests, so about five minutes of Scalingo's windows; the default
        covers it, twice over. With C(-v), each wait says so, and why.
    type: float
    default: 600
notes:
  - "Host variables, with O(hostvars_prefix): C(scalingo_app) (the app's name), C(scalingo_app_id),
    C(scalingo_addon) (the addon's id), C(scalingo_addon_type), C(scalingo_region), C(scalingo_plan),
    C(scalingo_status), C(scalingo_resource_id). Also C(ansible_connection=local) and C(ansible_python_interpreter)
    set to the Python of ansible-playbook; O(compose) overrides both."
  - "Groups: C(scalingo_<type>) (C(scalingo_postgresql)...), C(scalingo_region_<region>) (C(scalingo_region_osc_fr1)),
    C(scalingo_app_<app>), each name with any character but letters, digits and C(_) replaced by C(_); then what
    O(groups) and O(keyed_groups) add."
  - A region that cannot be listed fails the whole inventory, naming it, rather than give a partial one. With
    O(strict) set to V(false) in the file, the plugin warns instead, naming the region that is missing, and lists the
    others. A token Scalingo refuses always fails.
  - With O(cache), a run within O(cache_timeout) sends no request. The cache holds the hosts, never a token.
seealso:
  - module: scalingo.cloud.database_users
'''

EXAMPLES = r'''
# databases.scalingo.yml. With nothing but "plugin: scalingo.cloud.databases", every database of every app in every
# region, SCALINGO_API_TOKEN from the environment. Here: the PostgreSQL databases of the billing apps of one region,
# with the API token from a vault given as an extra variable, cached for an hour, and grouped by plan too.
plugin: scalingo.cloud.databases
api_token: "{{ vault_scalingo_api_token }}"
regions: [osc-secnum-fr1]
apps: ["billing-*"]
addon_types: [postgresql]
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/scalingo-inventory
cache_timeout: 3600
keyed_groups:
  - key: scalingo_plan
    prefix: plan
'''

import fnmatch
import re

from urllib.parse import urlsplit

from ansible.errors import AnsibleError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display
from ansible.utils.vars import combine_vars

from ansible_collections.scalingo.cloud.plugins.module_utils._advice import waited
from ansible_collections.scalingo.cloud.plugins.module_utils._connection import check_service_params
from ansible_collections.scalingo.cloud.plugins.module_utils._http import (
    REQUESTS_IMPORT_ERROR,
    WAIT_REASONS,
    ScalingoError,
)
from ansible_collections.scalingo.cloud.plugins.module_utils._tokens import BEARER

from ansible.template import trust_as_template

display = Display()
# The Python of ansible-playbook, on the controller, whatever the path: a template, resolved when a task runs.
_CONTROLLER_PYTHON = '{{ ansible_playbook_python }}'

# Why a wait, as -v says it while it waits.
_WAITING_FOR = {'rate_limit': "Scalingo's rate limit (HTTP 429)", 'server_error': 'a server error',
                'unreachable': 'a host that could not be reached', 'lost': 'a connection lost'}


def group_name(*parts):
    """A group name Ansible takes as it is: letters, digits and ``_`` only."""
    return re.sub(r'[^A-Za-z0-9_]', '_', '_'.join(parts))


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = 'scalingo.cloud.databases'

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(('scalingo.yml', 'scalingo.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        config = self._read_config_data(path)
        cache_key = self.get_cache_key(path)
        databases = None
        if self.get_option('cache') and cache:
            databases = self._cache.get(cache_key)
        if databases is None:
            databases = self._list(tolerate=config.get('strict') is False)
            if self.get_option('cache'):
                self._cache[cache_key] = databases
        for database in databases:
            self._add(database)

    # --- listing --------------------------------------------------------------------------

    def _params(self):
        params = dict((option, self.get_option(option)) for option in (
            'auth_url', 'api_url', 'timeout', 'max_wait', 'validate_certs'))
        # The token may be a template of a variable given with --extra-vars (from a vault).
        self.templar.available_variables = self._vars
        params['api_token'] = self.templar.template(self.get_option('api_token'))
        if not params['api_token']:
            raise AnsibleError('api_token is empty: a Scalingo API token (tk-us-...) is required; or set SCALINGO_API_TOKEN')
        problem = check_service_params(params)
        if problem:
            raise AnsibleError(problem[1])
        return params

    def _list(self, tolerate):
        """Every database to make a host of: ``[{"app", "app_id", "addon", "addon_type", "region", "plan", "status",
        "resource_id"}]``."""
        if REQUESTS_IMPORT_ERROR:
            raise AnsibleError('scalingo.cloud.databases needs the requests Python library on the controller')
        from ansible_collections.scalingo.cloud.plugins.module_utils._account import Account

        account = Account(self._params())
        account.transport.announce = self._announce
        try:
            account.tokens.token(BEARER)  # a token Scalingo refuses fails here, whatever the regions
            regions = self._regions(account)
        except ScalingoError as exc:
            raise AnsibleError(exc.message)
        databases = []
        for name, api in regions:
            try:
                databases += self._databases_of(account, name, api)
            except ScalingoError as exc:
                if not tolerate:
                    raise AnsibleError("Region %s could not be listed, so the inventory would miss its databases: %s "
                                       "With strict: false, the plugin lists the other regions and warns."
                                       % (name, exc.message))
                display.warning('scalingo.cloud.databases: region %s is missing from the inventory: %s'
                                % (name, exc.message))
        if account.transport.waited:
            display.warning('scalingo.cloud.databases: %s' % waited(account.transport.waits, WAIT_REASONS))
        return databases

    def _regions(self, account):
        """``[(name, API root)]`` of the regions to list."""
        wanted = self.get_option('regions')
        api_url = self.get_option('api_url')
        if api_url:
            root = account.connection.api_root
            if len(wanted) == 1:
                return [(wanted[0], root)]
            named = [region['name'] for region in account.regions() if region['api'] == root]
            return [(named[0] if named else urlsplit(root).netloc, root)]
        regions = account.regions()
        unknown = sorted(set(wanted) - set(region['name'] for region in regions))
        if unknown:
            raise AnsibleError('regions names %s, which Scalingo does not list (it lists %s)' % (
                ', '.join(unknown), ', '.join(region['name'] for region in regions)))
        return [(region['name'], region['api']) for region in regions if not wanted or region['name'] in wanted]

    def _databases_of(self, account, region, api):
        patterns = self.get_option('apps')
        types, statuses = self.get_option('addon_types'), self.get_option('statuses')
        found = []
        for app in account.apps(api):
            if patterns and not any(fnmatch.fnmatchcase(app['name'], pattern) for pattern in patterns):
                continue
            try:
                addons = account.addons(api, app['id'])
            except ScalingoError as exc:
                if exc.status != 404:
                    raise
                display.warning('scalingo.cloud.databases: app %s was removed while it was listed' % app['name'])
                continue
            found += [dict(app=app['name'], app_id=app['id'], addon=addon['id'], addon_type=addon['type'],
                           region=region, plan=addon['plan'], status=addon['status'], resource_id=addon['resource_id'])
                      for addon in addons if addon['type'] in types and addon['status'] in statuses]
        return found

    @staticmethod
    def _announce(seconds, reason, method, url):
        display.v('scalingo.cloud.databases: waiting %d s for %s, then %s %s again'
                  % (round(seconds), _WAITING_FOR.get(reason, reason), method, url))

    # --- hosts ----------------------------------------------------------------------------

    def _add(self, database):
        prefix = self.get_option('hostvars_prefix')
        hostvars = dict((prefix + key, value) for key, value in database.items())
        strict = self.get_option('strict')
        template = self.get_option('hostname')
        try:
            if template:
                self.templar.available_variables = combine_vars(self._vars, hostvars)
                host = self.templar.template(template)
            else:
                host = database['resource_id']
        except Exception as exc:  # pylint: disable=broad-except
            if strict:
                raise AnsibleError('hostname could not be made for %s: %s' % (database['resource_id'], exc))
            display.warning('scalingo.cloud.databases: no host for %s: hostname failed (%s)' % (database['resource_id'], exc))
            return
        host = self.inventory.add_host(str(host))
        for group in (group_name('scalingo', database['addon_type']), group_name('scalingo_region', database['region']),
                      group_name('scalingo_app', database['app'])):
            self.inventory.add_group(group)
            self.inventory.add_child(group, host)
        for key, value in hostvars.items():
            self.inventory.set_variable(host, key, value)
        self.inventory.set_variable(host, 'ansible_connection', 'local')
        self.inventory.set_variable(host, 'ansible_python_interpreter', trust_as_template(_CONTROLLER_PYTHON))
        variables = dict(hostvars, ansible_connection='local')
        self._set_composite_vars(self.get_option('compose'), variables, host, strict=strict)
        self._add_host_to_composed_groups(self.get_option('groups'), variables, host, strict=strict)
        self._add_host_to_keyed_groups(self.get_option('keyed_groups'), variables, host, strict=strict)
