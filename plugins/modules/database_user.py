#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: database_user
short_description: Manage the users of a Scalingo database
version_added: 1.0.0
description:
  - Creates, removes and resets the password of a user of a Scalingo PostgreSQL, MySQL, MongoDB or InfluxDB addon,
    through Scalingo's database API.
  - Idempotent; runs the same in check mode; its diff never shows a password.
author:
  - scalingo.cloud contributors (@scalingo-community)
options:
  name:
    description:
      - Name of the database user.
      - 6 to 32 characters among letters, digits, V(_) and V(-). Scalingo may narrow the rule further
        (lower case, no leading or doubled hyphen, 16 characters on MySQL) and says so in the failure.
    type: str
    required: true
    aliases: [user, username]
  state:
    description:
      - V(present) creates the user when it does not exist.
      - V(absent) removes it.
      - V(reset_password) has Scalingo generate a new password, returned in RV(password). It always reports a
        change, and fails when the user does not exist.
    type: str
    choices: [present, absent, reset_password]
    default: present
  read_only:
    description:
      - Whether the user may only read.
      - A new user is read-write when this is omitted. An existing user keeps its mode when this is omitted.
      - Scalingo cannot change the mode of an existing user. When it differs, the task fails before any write and
        says how to proceed, unless O(recreate=true).
    type: bool
  recreate:
    description:
      - When the mode of an existing user differs from O(read_only), delete the user and create it again with the
        new mode.
      - B(This is destructive.) The user gets new credentials (O(password), or a generated one returned in
        RV(password)), its open sessions are cut, and what it owns in the database may be dropped with it.
      - Has no effect when the mode already matches. Requires O(read_only).
    type: bool
    default: false
  password:
    description:
      - Password of the user, 24 to 64 characters, without V(') or V(").
      - Used when the user is created, and on every run with O(update_password=always).
      - When omitted, Scalingo generates a password when it creates the user, returned once in RV(password).
      - A password given here is never returned by the module, in any form.
      - Cannot be used with O(state=reset_password).
    type: str
  update_password:
    description:
      - V(on_create) sets O(password) only when the user is created, so the task stays idempotent.
      - V(always) sets O(password) on the existing user on every run. Scalingo cannot compare passwords,
        so such a task B(always reports a change). Requires O(password) with O(state=present).
    type: str
    choices: [on_create, always]
    default: on_create
extends_documentation_fragment:
  - scalingo.cloud.connection
  - scalingo.cloud.endpoint
  - scalingo.cloud.attributes
  - scalingo.cloud.attributes.CHECK_AND_DIFF
notes:
  - Protected users (the one Scalingo creates with the database) can be neither removed, nor given a new
    password, nor recreated; asking so fails and changes nothing.
  - In check mode, a password that only Scalingo can generate is not returned, nor the RV(connection_uri) that would
    hold it.
  - RV(connection_uri) is only returned with a password Scalingo generated in this run. The module never returns a
    password given in O(password), in any form; build that user's URI in the playbook from RV(connection) (see
    O(return_connection)).
seealso:
  - module: scalingo.cloud.database_user_info
'''

EXAMPLES = r'''
- name: Create a read-write user whose password Scalingo generates
  scalingo.cloud.database_user:
    app: my-app
    addon: postgresql
    name: reporting
  register: reporting_user
  no_log: "{{ not ansible_check_mode }}"  # the generated password is in the result of a real run; --check --diff shows

- name: Create a read-only user with a password from the vault
  scalingo.cloud.database_user:
    app: my-app
    addon: postgresql
    name: metabase
    read_only: true
    password: "{{ vault_metabase_password }}"

- name: Set the password on every run (always reports a change)
  scalingo.cloud.database_user:
    app: my-app
    addon: postgresql
    name: metabase
    password: "{{ vault_metabase_password }}"
    update_password: always

- name: Make a user read-only, deleting and creating it again
  scalingo.cloud.database_user:
    app: my-app
    addon: postgresql
    name: reporting
    read_only: true
    recreate: true
  register: recreated
  no_log: "{{ not ansible_check_mode }}"  # without password, Scalingo generates a new one, in the result

- name: Have Scalingo generate a new password
  scalingo.cloud.database_user:
    app: my-app
    addon: postgresql
    name: reporting
    state: reset_password
  register: reset
  no_log: "{{ not ansible_check_mode }}"

- name: Create a user for a BI tool, with a password Scalingo generates, and its connection URI
  scalingo.cloud.database_user:
    app: my-app
    addon: postgresql
    name: metabase
    read_only: true
    return_connection: true
  register: metabase_user
  no_log: "{{ not ansible_check_mode }}"  # the password and the URI that holds it are in the result

- name: Write the URI for the BI tool, in a file readable by its owner only
  ansible.builtin.copy:
    content: "{{ metabase_user.connection_uri }}"
    dest: ~/metabase-database.url
    mode: "0400"
  when: metabase_user.connection_uri is defined  # only when Scalingo generated the password in this run
  no_log: true

- name: A read-only user with a password from the vault, and where its database listens
  scalingo.cloud.database_user:
    app: my-app
    addon: postgresql
    name: metabase
    read_only: true
    password: "{{ vault_metabase_password }}"
    return_connection: true
  register: metabase_user  # no password in the result: the module never returns a password it was given

- name: Build its URI in the playbook, and write it where only its owner can read it
  ansible.builtin.copy:
    content: "{{ db.scheme }}://metabase:{{ password }}@{{ db.host }}:{{ db.port }}/{{ db.database }}?{{ db.options | urlencode }}"
    dest: ~/metabase-database.url
    mode: "0400"
  vars:
    db: "{{ metabase_user.connection }}"
    password: "{{ vault_metabase_password | urlencode | replace('/', '%2F') }}"  # urlencode leaves / as it is
  no_log: true  # the content holds the password

- name: Remove a user
  scalingo.cloud.database_user:
    app: my-app
    addon: ad-3c1c5d8e-8e2a-4a6e-9c55-2f1b8f0d4e11
    name: old-user
    state: absent
'''

RETURN = r'''
user:
  description:
    - The user after the task, as Scalingo describes it; never with a password.
    - Empty after removal. In check mode, the user as it would be.
  returned: always
  type: dict
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
password:
  description:
    - The password Scalingo generated, when it created the user without O(password), recreated it without
      O(password), or reset its password. Not returned otherwise, nor in check mode.
    - Store it at once (for example in a vault), and register the result with C(no_log).
  returned: when Scalingo generated a password
  type: str
  sample: K_gaef6ripo7Ao4Uaxai6Kiey
password_changed:
  description: Whether the user's password was set or replaced (or would be, in check mode).
  returned: always
  type: bool
  sample: true
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
        - Whether the database accepts TLS connections only (its C(force-ssl) feature is activated). The URI then
          asks for TLS.
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
connection_uri:
  description:
    - The database's URI with this user's name and the password Scalingo generated for it in this run
      (percent-encoded), ready for a tool or a driver (C(psycopg) and C(libpq) take it as it is).
    - Returned when Scalingo generated the password in this run, with RV(password). Never with a password given in
      O(password), nor in check mode.
    - A secret like the password. Register the result with C(no_log), and store it in a vault or a file readable
      by its owner only.
  returned: when O(return_connection=true) and Scalingo generated the password
  type: str
  sample: postgres://metabase:K_gaef6ripo7Ao4Uaxai6Kiey@my-app-1234.postgresql.a.osc-fr1.scalingo-dbs.com:30000/my_app_1234?sslmode=prefer
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
from ansible_collections.scalingo.cloud.plugins.module_utils._plan import ENTRY_RULES, ENTRY_SPEC, check_entry
from ansible_collections.scalingo.cloud.plugins.module_utils._users import change_users


class DatabaseUser(ScalingoModule):
    """The one-entry case of database_users."""

    argument_spec = ENTRY_SPEC
    rules = ENTRY_RULES
    returned_secrets = ('password', 'connection_uri')

    def check_params(self):
        return check_entry(self.params)

    def execute(self):
        name = self.params['name']
        changes, endpoint = change_users(self, [self.params])
        done = changes.summary()
        self.result.update(
            changed=done['changed'],
            password_changed=name in done['password_changed'],
            diff=changes.plans[0].diff(),
            user=([user for user in done['users'] if user['name'] == name] or [{}])[0],
        )
        if name in done['passwords']:
            self.result['password'] = done['passwords'][name]
        if endpoint is not None and name in done['passwords']:
            self.result['connection_uri'] = endpoint.uri(name, done['passwords'][name])


def main():
    DatabaseUser().run()


if __name__ == '__main__':
    main()
