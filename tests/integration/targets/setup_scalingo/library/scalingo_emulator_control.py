#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Test-only module of the integration targets: one call to the emulator's control API (tests/emulator/README.md).

In this order: read the log of the requests answered so far (returned as ``log``, and ``counts`` by route), clear the
faults left, reset the log, change settings, change an addon's features, arm new faults, fill the main API's
rate-limit window. One task instead of a handful of ``ansible.builtin.uri`` calls.
"""

DOCUMENTATION = r'''
module: scalingo_emulator_control
short_description: Drive the Scalingo emulator's control API (integration tests only)
description: Reads the emulator's log of requests, clears and arms faults, changes settings and features, in one task.
options:
  url: {type: str, required: true, description: The emulator's control URL.}
  read_log: {type: bool, default: false, description: Return the requests answered since the log was last reset.}
  faults: {type: list, elements: dict, default: [], description: Faults to arm, in place of any left.}
  settings: {type: dict, default: {}, description: Settings to change.}
  features:
    description:
      - Change the features that C(GET /api/databases/{id}) reports for an addon (C(POST /_emulator/features));
        C(POST /_emulator/reset) restores the seed's.
      - The emulator refuses publicly-available (C(ACTIVATED) or C(PENDING_TO_ACTIVATE)) while force-ssl is not
        C(ACTIVATED), and the task fails.
      - Returns the addon's features then, as C(features).
    type: dict
    suboptions:
      addon_id: {type: str, required: true, description: The addon.}
      features:
        type: dict
        required: true
        description: 'Feature name -> C(ACTIVATED), C(PENDING_TO_ACTIVATE), C(PENDING_TO_REMOVE), or null to remove it.'
  fill_rate_window:
    description: Send this many requests to the main API (listing the app's addons), to fill its rate-limit window.
    type: dict
    suboptions:
      count: {type: int, required: true, description: How many.}
      auth_url: {type: str, required: true, description: The auth service.}
      api_url: {type: str, required: true, description: The main API.}
      api_token: {type: str, required: true, no_log: true, description: An API token.}
      app: {type: str, required: true, description: The app.}
author: [scalingo.cloud contributors (@scalingo-community)]
'''

import base64
import json

from urllib.error import HTTPError
from urllib.request import Request, urlopen

from ansible.module_utils.basic import AnsibleModule


def call(url, method='GET', body=None, authorization=None):
    data = None if body is None else json.dumps(body).encode('utf-8')
    headers = {'Content-Type': 'application/json'}
    if authorization:
        headers['Authorization'] = authorization
    request = Request(url, data=data, method=method, headers=headers)
    with urlopen(request, timeout=30) as response:  # nosec - the emulator, on loopback
        return json.loads(response.read().decode('utf-8') or 'null')


def fill_rate_window(count, auth_url, api_url, api_token, app):
    basic = 'Basic ' + base64.b64encode((':' + api_token).encode('utf-8')).decode('ascii')
    bearer = 'Bearer ' + call(auth_url.rstrip('/') + '/v1/tokens/exchange', 'POST', {}, basic)['token']
    refused = 0
    for dummy in range(count):
        try:
            call('%s/v1/apps/%s/addons' % (api_url.rstrip('/'), app), authorization=bearer)
        except HTTPError as exc:
            if exc.code != 429:
                raise
            refused += 1
    return refused


def main():
    module = AnsibleModule(argument_spec=dict(
        url=dict(type='str', required=True), read_log=dict(type='bool', default=False),
        faults=dict(type='list', elements='dict', default=[]), settings=dict(type='dict', default={}),
        features=dict(type='dict', options=dict(
            addon_id=dict(type='str', required=True), features=dict(type='dict', required=True))),
        fill_rate_window=dict(type='dict', options=dict(
            count=dict(type='int', required=True), auth_url=dict(type='str', required=True),
            api_url=dict(type='str', required=True), api_token=dict(type='str', required=True, no_log=True),
            app=dict(type='str', required=True))),
    ), supports_check_mode=False)
    base = module.params['url'].rstrip('/') + '/_emulator'
    result = dict(changed=False)
    if module.params['read_log']:
        result['log'] = call(base + '/log')['requests']
        result['counts'] = {}
        for entry in result['log']:
            result['counts'][entry['route']] = result['counts'].get(entry['route'], 0) + 1
    call(base + '/faults', 'DELETE')
    call(base + '/reset-log', 'POST', {})
    if module.params['settings']:
        call(base + '/settings', 'POST', module.params['settings'])
    if module.params['features']:
        try:
            result['features'] = call(base + '/features', 'POST', module.params['features'])['features']
        except HTTPError as exc:
            module.fail_json(msg='The emulator refused the features: %s' % exc.read().decode('utf-8', 'replace'), **result)
    if module.params['faults']:
        call(base + '/faults', 'POST', {'faults': module.params['faults']})
    if module.params['fill_rate_window']:
        result['refused'] = fill_rate_window(**module.params['fill_rate_window'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
