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
      - V(reset_password) has Scalingo generate a new password, returned as RV(password). It always reports a
        change, and fails when the user does not exist.
    type: str
    choices: [present, absent, reset_password]
    default: present
  read_only:
    description:
      - Whether the user may only read.
      - A new user is read-write when this is omitted. An existing user keeps its mode when this is omitted.
      - Scalingo cannot change the mode of an existing user. When it differs, the task fails and says how to
        proceed, unless O(recreate=true).
    type: bool
  recreate:
    description:
      - When the mode of an existing user differs from O(read_only), delete the user and create it again with the
        new mode.
      - B(This is destructive.) The user gets new credentials (O(password), or a generated one returned as
        RV(password)), its open sessions are cut, and what it owns in the database may be dropped with it.
      - Has no effect when the mode already matches. Requires O(read_only).
    type: bool
    default: false
  password:
    description:
      - Password of the user, 24 to 64 characters, without V(') or V(").
      - Used when the user is created, and on every run with O(update_password=always).
      - When omitted, Scalingo generates a password when it creates the user, returned once as RV(password).
      - Cannot be used with O(state=reset_password).
    type: str
  update_password:
    description:
      - V(on_create) sets O(password) only when the user is created, so the task stays idempotent.
      - V(always) sets O(password) on the existing user on every run. Scalingo cannot compare passwords,
        so such a task B(always reports a change). Requires O(password).
    type: str
    choices: [on_create, always]
    default: on_create
extends_documentation_fragment:
  - scalingo.cloud.connection
  - scalingo.cloud.attributes
  - scalingo.cloud.attributes.CHECK_AND_DIFF
notes:
  - Protected users (the one Scalingo creates with the database) can be neither removed, nor given a new
    password, nor recreated; asking so fails and changes nothing.
  - In check mode, a password that only Scalingo can generate is not returned.
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
  no_log: true  # the generated password is in the result

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

- name: Have Scalingo generate a new password
  scalingo.cloud.database_user:
    app: my-app
    addon: postgresql
    name: reporting
    state: reset_password
  register: reset
  no_log: true

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
'''

from ansible_collections.scalingo.cloud.plugins.module_utils._api import ScalingoError
from ansible_collections.scalingo.cloud.plugins.module_utils._module import ScalingoModule
from ansible_collections.scalingo.cloud.plugins.module_utils._validation import check_name, check_password

_PASSWORD_SET = '(hidden: set)'
_PASSWORD_CHANGES = '(hidden: will change)'


def _diff_view(name, user, password=_PASSWORD_SET):
    """The fixed fields a diff shows for a user; a password only ever as a placeholder."""
    if user is None:
        return dict(name=name, state='absent')
    view = dict(name=name, state='present', read_only=user['read_only'], protected=user['protected'],
                password=password)
    encryption = user['dbms_attributes'].get('password_encryption')
    if encryption:
        view['password_encryption'] = encryption
    return view


class DatabaseUser(ScalingoModule):
    argument_spec = dict(
        name=dict(type='str', required=True, aliases=['user', 'username']),
        state=dict(type='str', default='present', choices=['present', 'absent', 'reset_password']),
        read_only=dict(type='bool'),
        recreate=dict(type='bool', default=False),
        password=dict(type='str', no_log=True),
        update_password=dict(type='str', default='on_create', choices=['on_create', 'always'], no_log=False),
    )

    def check_params(self):
        p = self.params
        problem = check_name(p['name']) or (p['password'] is not None and check_password(p['password']))
        if problem:
            return problem
        if p['state'] == 'reset_password' and p['password'] is not None:
            return 'password', 'password cannot be used with state=reset_password: Scalingo generates the new password'
        if p['recreate'] and p['read_only'] is None:
            return 'recreate', 'recreate needs read_only: it recreates the user only when its mode differs from read_only'
        if p['update_password'] == 'always' and p['password'] is None and p['state'] == 'present':
            return 'update_password', 'update_password=always needs password: the password to set on every run'
        return None

    def execute(self):
        name = self.params['name']
        current = self.client.get_user(name)
        self.result.update(user=current or {}, password_changed=False)
        getattr(self, '_' + self.params['state'])(name, current)

    # One method per state: each decides, records the diff, then writes unless in check mode.

    def _present(self, name, current):
        read_only = self.params['read_only']
        password = self.params['password']
        if current is None:
            predicted = dict(name=name, read_only=bool(read_only), protected=False, dbms_attributes={})
            self._change(name, None, predicted, _PASSWORD_CHANGES, password_changed=True)
            if not self.module.check_mode:
                self._create(name, read_only, password)
        elif read_only is not None and read_only != current['read_only']:
            self._refuse_protected(current, 'recreated with read_only=%s' % read_only)
            if not self.params['recreate']:
                self.fail(
                    "User '%s' is %s and Scalingo cannot change that in place. To make it %s, set recreate: true: the user "
                    "is deleted and created again, with new credentials, its sessions cut and the objects it owns possibly "
                    "dropped. Or leave read_only out to keep it as it is." % (
                        name, _mode(current['read_only']), _mode(read_only)),
                    option='read_only', user=name)
            predicted = dict(name=name, read_only=read_only, protected=False, dbms_attributes={})
            self._change(name, current, predicted, _PASSWORD_CHANGES, password_changed=True)
            if not self.module.check_mode:
                self._delete(name)
                self._create(name, read_only, password)
        elif self.params['update_password'] == 'always':
            self._refuse_protected(current, 'given a new password')
            self._change(name, current, current, _PASSWORD_CHANGES, password_changed=True)
            if not self.module.check_mode:
                self.result['user'] = self._write_again_if_unsure(
                    name, lambda: self.client.change_password(name, password)) or current
        else:
            self._no_change(name, current)

    def _absent(self, name, current):
        if current is None:
            self._no_change(name, None)
            return
        self._refuse_protected(current, 'deleted')
        self._change(name, current, None, None, password_changed=False)
        self.result['user'] = {}
        if not self.module.check_mode:
            self._delete(name)

    def _reset_password(self, name, current):
        if current is None:
            self.fail("User '%s' does not exist, so its password cannot be reset: create it with state=present." % name,
                      option='name', user=name)
        self._refuse_protected(current, 'given a new password')
        self._change(name, current, current, _PASSWORD_CHANGES, password_changed=True)
        if not self.module.check_mode:
            # A reset whose answer was lost made a password nobody knows: the second one is returned.
            user, password = self._write_again_if_unsure(name, lambda: self.client.reset_password(name))
            self.result.update(user=user, password=password)

    def _create(self, name, read_only, password):
        try:
            user, generated = self.client.create_user(name, read_only, password)
        except ScalingoError as exc:
            if not (exc.uncertain or _name_taken(exc)):
                raise
            # Never replay a creation blindly: look at what is really there first.
            found = self.client.get_user(name)
            if found is None:
                if not exc.uncertain:
                    raise
                user, generated = self.client.create_user(name, read_only, password)
            elif _name_taken(exc) or found['protected']:
                # Another run created it meanwhile (or Scalingo's own protected user has that name, which no creation
                # makes): carry on as if it had been there from the start, so that its guards apply.
                self.result.update(changed=False, password_changed=False)
                self._present(name, found)
                return
            elif password is None:
                # It was created, but the password Scalingo generated was lost with the answer.
                user, generated = self.client.reset_password(name)
            else:
                user, generated = found, None
        self.result['user'] = user
        if generated:
            self.result['password'] = generated

    def _delete(self, name):
        self._write_again_if_unsure(name, lambda: self.client.delete_user(name), gone_is_done=True)

    def _write_again_if_unsure(self, name, write, gone_is_done=False):
        """Run ``write``; when its outcome is unknown, read the users and run it once more if the user is still there."""
        try:
            return write()
        except ScalingoError as exc:
            if not exc.uncertain:
                raise
            if self.client.get_user(name) is None:
                if gone_is_done:
                    return None
                raise
            return write()

    def _change(self, name, before, after, password_note, password_changed):
        self.result.update(changed=True, password_changed=password_changed)
        if after is not None:
            self.result['user'] = after
        self.result['diff'] = dict(before=_diff_view(name, before), after=_diff_view(name, after, password_note))

    def _no_change(self, name, current):
        view = _diff_view(name, current)
        self.result['diff'] = dict(before=view, after=dict(view))

    def _refuse_protected(self, user, action):
        if user['protected']:
            self.fail("User '%s' is protected by Scalingo and cannot be %s; nothing was changed." % (user['name'], action),
                      option='name', user=user['name'], protected=True)


def _name_taken(exc):
    """Whether Scalingo refused a creation because the name is already used."""
    if exc.status == 409:
        return True
    return exc.status == 422 and any('taken' in message or 'exist' in message for message in exc.errors.get('name', []))


def _mode(read_only):
    return 'read-only' if read_only else 'read-write'


def main():
    DatabaseUser().run()


if __name__ == '__main__':
    main()
