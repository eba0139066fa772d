#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: database_users
short_description: Make the users of a Scalingo database match a declared list
version_added: 1.0.0
description:
  - Creates, removes, recreates and resets the passwords of many users of a Scalingo PostgreSQL, MySQL, MongoDB or
    InfluxDB addon in one task, each entry meaning what the same options mean to M(scalingo.cloud.database_user).
  - With O(exclusive=true), also removes every user that is not listed, except the protected user.
  - Plans, then writes. The task lists the users once and decides every entry, with every check
    M(scalingo.cloud.database_user) makes, before its first write. When any entry cannot be done, it fails naming
    that entry and changes nothing. Then each change costs one request.
  - One refusal only Scalingo can make. Its sources give two rules for names (lower case and hyphens, or letters and
    underscores; 16 characters at most on MySQL), so the local check accepts either, and Scalingo may refuse a name
    (HTTP 422) after earlier entries were written. The task then fails saying what was done before and what was not.
  - Idempotent; runs the same in check mode; its diff never shows a password.
author:
  - scalingo.cloud contributors (@scalingo-community)
options:
  users:
    description:
      - The users to manage, each with the options of M(scalingo.cloud.database_user), and the same meaning.
      - A user may be listed once only.
      - With O(exclusive=true), an empty list removes every user but the protected one.
    type: list
    elements: dict
    required: true
    suboptions:
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
          - V(reset_password) has Scalingo generate a new password, returned in RV(passwords). It always reports a
            change, and fails when the user does not exist.
        type: str
        choices: [present, absent, reset_password]
        default: present
      read_only:
        description:
          - Whether the user may only read.
          - A new user is read-write when this is omitted. An existing user keeps its mode when this is omitted.
          - Scalingo cannot change the mode of an existing user. When it differs, the task fails before any write and
            says how to proceed, unless O(users[].recreate=true).
        type: bool
      recreate:
        description:
          - When the mode of an existing user differs from O(users[].read_only), delete the user and create it again with the
            new mode.
          - B(This is destructive.) The user gets new credentials (O(users[].password), or a generated one returned in
            RV(passwords)), its open sessions are cut, and what it owns in the database may be dropped with it.
          - Has no effect when the mode already matches. Requires O(users[].read_only).
        type: bool
        default: false
      password:
        description:
          - Password of the user, 24 to 64 characters, without V(') or V(").
          - Used when the user is created, and on every run with O(users[].update_password=always).
          - When omitted, Scalingo generates a password when it creates the user, returned once in RV(passwords).
          - A password given here is never returned by the module, in any form.
          - Cannot be used with O(users[].state=reset_password).
        type: str
      update_password:
        description:
          - V(on_create) sets O(users[].password) only when the user is created, so the task stays idempotent.
          - V(always) sets O(users[].password) on the existing user on every run. Scalingo cannot compare passwords,
            so such a task B(always reports a change). Requires O(users[].password) with O(users[].state=present).
        type: str
        choices: [on_create, always]
        default: on_create
  exclusive:
    description:
      - Also remove every user that O(users) does not list. The protected user is never touched.
      - Look first with C(--check --diff), whose diff names every user that would be removed.
    type: bool
    default: false
extends_documentation_fragment:
  - scalingo.cloud.connection
  - scalingo.cloud.endpoint
  - scalingo.cloud.attributes
  - scalingo.cloud.attributes.CHECK_AND_DIFF
notes:
  - A change that fails stops the task. It then fails saying what was done before and what was not, and RV(created),
    RV(removed), RV(recreated), RV(password_changed) and RV(passwords) say what was really done.
  - In check mode, no password is returned, and a user that would be created has empty C(dbms_attributes).
seealso:
  - module: scalingo.cloud.database_user
  - module: scalingo.cloud.database_user_info
'''

EXAMPLES = r'''
- name: The users of the database, in one task
  scalingo.cloud.database_users:
    app: my-app
    addon: postgresql
    users:
      - name: metabase
        read_only: true
        password: "{{ vault_metabase_password }}"
      - name: reporting
      - name: old-importer
        state: absent
  register: db_users
  # Scalingo generates the password of reporting: it is in the result of a real run, once. A check run holds no
  # password, so --check --diff shows what would change.
  no_log: "{{ not ansible_check_mode }}"

- name: Keep the generated passwords, with those kept before, in one file readable by its owner only
  ansible.builtin.copy:
    content: "{{ kept | combine(db_users.passwords) | to_nice_yaml }}"
    dest: "{{ passwords_file }}"
    mode: "0600"
  vars:
    passwords_file: "{{ lookup('ansible.builtin.env', 'HOME') }}/my-app-postgresql-passwords.yml"
    kept: "{{ lookup('ansible.builtin.file', passwords_file, errors='ignore') | default('{}', true) | from_yaml }}"
  when: db_users.passwords | length > 0
  no_log: true

- name: Only the declared users, and no other (look first with --check --diff, whose diff names who would go)
  scalingo.cloud.database_users:
    app: my-app
    addon: postgresql
    exclusive: true
    users:
      - name: metabase
        read_only: true
        password: "{{ vault_metabase_password }}"
  no_log: "{{ not ansible_check_mode }}"

- name: The users of the workers, with the URI each one connects with
  scalingo.cloud.database_users:
    app: my-app
    addon: postgresql
    return_connection: true
    users:
      - name: worker-a
      - name: worker-b
  register: workers
  no_log: "{{ not ansible_check_mode }}"  # the generated passwords, and the URIs that hold them, are in the result

- name: Keep the URIs of the users created in this run, with those kept before, in one file readable by its owner only
  ansible.builtin.copy:
    content: "{{ kept | combine(workers.connection_uris) | to_nice_yaml }}"
    dest: "{{ uris_file }}"
    mode: "0600"
  vars:
    uris_file: "{{ lookup('ansible.builtin.env', 'HOME') }}/my-app-worker-uris.yml"
    kept: "{{ lookup('ansible.builtin.file', uris_file, errors='ignore') | default('{}', true) | from_yaml }}"
  when: workers.connection_uris | length > 0
  no_log: true
'''

RETURN = r'''
users:
  description:
    - Every user of the database after the task, as Scalingo describes them; never with a password.
    - In check mode, the users as they would be.
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
created:
  description: The users created (or that would be, in check mode), in the order of O(users).
  returned: always
  type: list
  elements: str
  sample: [reporting]
removed:
  description: The users removed, listed with O(users[].state=absent) or, with O(exclusive), not listed.
  returned: always
  type: list
  elements: str
  sample: [old-importer]
recreated:
  description: The users deleted and created again to change their mode (O(users[].recreate)).
  returned: always
  type: list
  elements: str
  sample: []
password_changed:
  description:
    - The users whose password the task set or replaced, creations and recreations included.
  returned: always
  type: list
  elements: str
  sample: [reporting]
passwords:
  description:
    - The passwords Scalingo generated, by user name, for the users created or recreated without a password and the
      passwords reset. Empty in check mode.
    - Store them at once (for example in a vault), and register the result with C(no_log).
  returned: always
  type: dict
  sample: {"reporting": "K_gaef6ripo7Ao4Uaxai6Kiey"}
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
        - Whether the database accepts TLS connections only (its C(force-ssl) feature is activated). The URIs then
          ask for TLS.
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
connection_uris:
  description:
    - The database's URI with the name and password (percent-encoded) of each user whose password Scalingo generated
      in this run, as RV(passwords) gives them. Never with a password given in O(users[].password), and empty in
      check mode.
    - Secrets like the passwords. Register the result with C(no_log), and store them in a vault or in files readable
      by their owner only.
  returned: when O(return_connection=true)
  type: dict
  sample: {"reporting": "postgres://reporting:K_gaef6ripo7Ao4Uaxai6Kiey@my-app-1234.postgresql.a.osc-fr1.scalingo-dbs.com:30000/my_app_1234?sslmode=prefer"}
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
from ansible_collections.scalingo.cloud.plugins.module_utils._plan import ENTRY_RULES, ENTRY_SPEC, check_entries
from ansible_collections.scalingo.cloud.plugins.module_utils._users import change_users

_RESULT_KEYS = ('changed', 'users', 'created', 'removed', 'recreated', 'password_changed', 'passwords')


class DatabaseUsers(ScalingoModule):
    argument_spec = dict(
        users=dict(type='list', elements='dict', required=True, options=ENTRY_SPEC, **ENTRY_RULES),
        exclusive=dict(type='bool', default=False),
    )
    returned_secrets = ('passwords', 'connection_uris')

    def check_params(self):
        return check_entries(self.params['users'])

    def report_failure(self, done):
        # What was really done, even when a change failed half way.
        self.result.update((key, done[key]) for key in _RESULT_KEYS)

    def execute(self):
        changes, endpoint = change_users(self, self.params['users'], self.params['exclusive'], where='users')
        done = changes.summary()
        self.result.update((key, done[key]) for key in _RESULT_KEYS)
        self.result['diff'] = done['diff']
        if endpoint is not None:
            self.result['connection_uris'] = endpoint.uris(done['passwords'])


def main():
    DatabaseUsers().run()


if __name__ == '__main__':
    main()
