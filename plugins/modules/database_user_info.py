#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: database_user_info
short_description: List the users of a Scalingo database
version_added: 1.0.0
description:
  - Lists the users of a Scalingo PostgreSQL, MySQL, MongoDB or InfluxDB addon, or one of them.
  - Never returns a password, as Scalingo does not give existing passwords back.
author:
  - scalingo.cloud contributors (@scalingo-community)
options:
  name:
    description:
      - Name of one user to return. RV(users) is then empty when that user does not exist.
      - All users are returned when omitted.
    type: str
    aliases: [user, username]
extends_documentation_fragment:
  - scalingo.cloud.connection
  - scalingo.cloud.endpoint
  - scalingo.cloud.attributes
  - scalingo.cloud.attributes.INFO_MODULE
seealso:
  - module: scalingo.cloud.database_user
'''

EXAMPLES = r'''
- name: List the users of the app's PostgreSQL database
  scalingo.cloud.database_user_info:
    app: my-app
    addon: postgresql
  register: pg_users

- name: Show their names
  ansible.builtin.debug:
    msg: "{{ pg_users.users | map(attribute='name') | list }}"

- name: Look for one user
  scalingo.cloud.database_user_info:
    app: my-app
    addon: postgresql
    name: metabase
  register: metabase

- name: Say whether it exists
  ansible.builtin.debug:
    msg: "metabase {{ 'exists' if metabase.users else 'does not exist' }}"

- name: Where the database listens
  scalingo.cloud.database_user_info:
    app: my-app
    addon: postgresql
    name: metabase
    return_connection: true
  register: pg

- name: Show the host and port, to open the firewall of a BI tool
  ansible.builtin.debug:
    msg: "{{ pg.connection.host }}:{{ pg.connection.port }}"
'''

RETURN = r'''
users:
  description:
    - The users of the database, in the order Scalingo lists them; only the one named O(name) when it is given.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Name of the user.
      type: str
      returned: success
      sample: metabase
    read_only:
      description: Whether the user may only read.
      type: bool
      returned: success
      sample: true
    protected:
      description: Whether Scalingo protects the user from removal and password changes.
      type: bool
      returned: success
      sample: false
    dbms_attributes:
      description: What the database engine says of the user; only PostgreSQL fills it.
      type: dict
      returned: success
      sample: {"password_encryption": "SCRAM-SHA-256"}
connection:
  description:
    - Where the database listens, without any credential, from Scalingo's Database API (see O(return_connection)).
  returned: when O(return_connection=true)
  type: dict
  contains:
    scheme:
      description: The scheme of the database's URI, V(postgres) or V(mysql).
      type: str
      returned: success
      sample: postgres
    host:
      description: The host name of the database.
      type: str
      returned: success
      sample: my-app-1234.postgresql.a.osc-fr1.scalingo-dbs.com
    port:
      description: The port of the database.
      type: int
      returned: success
      sample: 30000
    database:
      description: The name of the database, which is the name of its protected user.
      type: str
      returned: success
      sample: my_app_1234
    options:
      description:
        - The options of the URI's query string, as Scalingo's own URIs give them.
        - PostgreSQL, V(sslmode=require) when RV(connection.force_ssl) is true, else V(sslmode=prefer).
          MySQL, V(useSSL=true) and V(verifyServerCertificate=false).
      type: dict
      returned: success
      sample: {"sslmode": "prefer"}
    force_ssl:
      description:
        - Whether the database accepts TLS connections only (its C(force-ssl) feature is activated). A user's URI
          then asks for TLS.
      type: bool
      returned: success
      sample: false
    publicly_available:
      description:
        - Whether the database can be reached from the internet (its C(publicly-available) feature is activated).
        - When false, only apps and one-off containers inside Scalingo reach it, and a tool outside Scalingo needs
          the feature, or a tunnel (C(scalingo db-tunnel)).
      type: bool
      returned: success
      sample: false
waited_seconds:
  description:
    - Seconds the task spent waiting between attempts, out of O(max_wait) (a rate limit waited out, a read sent again
      after a server error, a deletion still landing). V(0) when it did not wait.
    - When it waited, the task also warns, saying how long, why, and what makes it wait less.
  returned: always
  type: float
  sample: 31.0
'''

from ansible_collections.scalingo.cloud.plugins.module_utils._module import ScalingoModule
from ansible_collections.scalingo.cloud.plugins.module_utils._plan import check_name


class DatabaseUserInfo(ScalingoModule):
    argument_spec = dict(
        name=dict(type='str', aliases=['user', 'username']),
    )

    def check_params(self):
        if self.params['name'] is not None:
            return check_name(self.params['name'])
        return None

    def execute(self):
        users = self.client.list_users()
        self.endpoint(users)
        name = self.params['name']
        if name is not None:
            users = [user for user in users if user['name'] == name]
        self.result['users'] = users


def main():
    DatabaseUserInfo().run()


if __name__ == '__main__':
    main()
