# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a task asks of the users of a database: the one place that decides what each entry needs.

Private to the scalingo.cloud collection: it may change without notice.

An entry is what database_user takes (and each item of database_users' ``users``): a name, a state, a mode,
a password. ``check_entries()`` checks them before any request; ``plan_all()`` decides, from the users as
listed once, what every entry needs, and refuses before anything is written when any entry cannot be done.
"""

import re

PASSWORD_SET = '(hidden: set)'
PASSWORD_CHANGES = '(hidden: will change)'

# What an entry may need.
NOTHING, CREATE, DELETE, RECREATE, SET_PASSWORD, RESET = 'nothing', 'create', 'delete', 'recreate', 'set_password', 'reset'
_PASSWORD_ACTIONS = (CREATE, RECREATE, SET_PASSWORD, RESET)

# The options of one entry, as database_user takes them and as each item of database_users' users.
ENTRY_SPEC = dict(
    name=dict(type='str', required=True, aliases=['user', 'username']),
    state=dict(type='str', default='present', choices=['present', 'absent', 'reset_password']),
    read_only=dict(type='bool'),
    recreate=dict(type='bool', default=False),
    password=dict(type='str', no_log=True),
    update_password=dict(type='str', default='on_create', choices=['on_create', 'always'], no_log=False),
)
# What the argument spec says of an entry beside ENTRY_SPEC (check_entry() says the rest, and says more).
ENTRY_RULES = dict(required_if=[('recreate', True, ('read_only',))])


class Refusal(Exception):
    """What the module will not do; nothing was sent for it. ``failure`` names the option at fault."""

    def __init__(self, message, option, **details):
        super(Refusal, self).__init__(message)
        self.message = message
        self.failure = dict(details, option=option)


# The union of Scalingo's documented rules; the API applies its own narrower one and says so (422).
_NAME_RE = re.compile(r'^[A-Za-z0-9_-]{6,32}$')


def check_name(name):
    if not _NAME_RE.fullmatch(name or ''):
        return 'name', ("name %r must be 6 to 32 characters among letters, digits, '_' and '-'" % name)
    return None


def check_password(password):
    if not 24 <= len(password) <= 64:
        return 'password', 'password must be 24 to 64 characters long, got %d' % len(password)
    if "'" in password or '"' in password:
        return 'password', 'password must not contain quotes (\' or ")'
    if '\x00' in password:
        return 'password', 'password must not contain a NUL character: PostgreSQL cannot store it'
    try:
        password.encode('utf-8')
    except UnicodeError:
        return 'password', 'password must be Unicode text: it holds a lone surrogate code point, which no database stores'
    return None


def check_entry(entry):
    """Input checks of one entry, before any request: ``(option, message)`` or None."""
    if not isinstance(entry.get('name'), str):
        return 'name', 'name is required: the name of the database user'

    problem = check_name(entry['name']) or (entry['password'] is not None and check_password(entry['password']))
    if problem:
        return problem
    if entry['state'] == 'reset_password' and entry['password'] is not None:
        return 'password', 'password cannot be used with state=reset_password: Scalingo generates the new password'
    if entry['recreate'] and entry['read_only'] is None:
        return 'recreate', 'recreate needs read_only: it recreates the user only when its mode differs from read_only'
    if entry['update_password'] == 'always' and entry['password'] is None and entry['state'] == 'present':
        return 'update_password', 'update_password=always needs password: the password to set on every run'
    return None


def mode(read_only):
    return 'read-only' if read_only else 'read-write'


def diff_view(name, user, password=PASSWORD_SET):
    """The fixed fields a diff shows for a user; a password only ever as a placeholder."""
    if user is None:
        return dict(name=name, state='absent')
    view = dict(name=name, state='present', read_only=user['read_only'], protected=user['protected'],
                password=password)
    encryption = user['dbms_attributes'].get('password_encryption')
    if encryption:
        view['password_encryption'] = encryption
    return view


class Plan:
    """What one entry needs (``action``), the user before, and the user as it will be (None: absent)."""

    def __init__(self, entry, action, before, after):
        self.entry = entry
        self.name = entry['name']
        self.action = action
        self.before = before
        self.after = after

    @property
    def changed(self):
        return self.action != NOTHING

    @property
    def password_changed(self):
        return self.action in _PASSWORD_ACTIONS

    def diff(self):
        after = diff_view(self.name, self.after, PASSWORD_CHANGES if self.password_changed else PASSWORD_SET)
        return dict(before=diff_view(self.name, self.before), after=after)


def _refuse_protected(user, action):
    if user['protected']:
        raise Refusal("User '%s' is protected by Scalingo and cannot be %s; nothing was changed." % (user['name'], action),
                      'name', user=user['name'], protected=True)


def _new_user(name, read_only):
    return dict(name=name, read_only=bool(read_only), protected=False, dbms_attributes={})


def plan(entry, current):
    """Decide what ``entry`` needs, given the user as listed (``current``, None when absent)."""
    name, state, read_only = entry['name'], entry['state'], entry['read_only']
    if state == 'absent':
        if current is None:
            return Plan(entry, NOTHING, None, None)
        _refuse_protected(current, 'deleted')
        return Plan(entry, DELETE, current, None)
    if state == 'reset_password':
        if current is None:
            raise Refusal("User '%s' does not exist, so its password cannot be reset: create it with state=present." % name,
                          'name', user=name)
        _refuse_protected(current, 'given a new password')
        return Plan(entry, RESET, current, current)
    if current is None:
        return Plan(entry, CREATE, None, _new_user(name, read_only))
    if read_only is not None and read_only != current['read_only']:
        _refuse_protected(current, 'recreated with read_only=%s' % read_only)
        if not entry['recreate']:
            raise Refusal(
                "User '%s' is %s and Scalingo cannot change that in place. To make it %s, set recreate: true: the user "
                "is deleted and created again, with new credentials, its sessions cut and the objects it owns possibly "
                "dropped. Or leave read_only out to keep it as it is." % (name, mode(current['read_only']), mode(read_only)),
                'read_only', user=name)
        return Plan(entry, RECREATE, current, _new_user(name, read_only))
    if entry['update_password'] == 'always':
        _refuse_protected(current, 'given a new password')
        return Plan(entry, SET_PASSWORD, current, current)
    return Plan(entry, NOTHING, current, current)


def _located(where, option, message):
    """``(option, message)`` of an entry of a list, named by its place: users[2].password."""
    return '%s.%s' % (where, option), '%s: %s' % (where, message)


def check_entries(entries, where='users'):
    """Input checks of a list of entries, before any request: ``(option, message)`` for the first problem or None.

    A user may be listed once only: two entries for one name would make the result depend on their order.
    """
    seen = {}
    for index, entry in enumerate(entries):
        place = '%s[%d]' % (where, index)
        problem = check_entry(entry)
        if problem:
            return _located(place, *problem)
        if entry['name'] in seen:
            return _located(place, 'name', "user '%s' is listed twice (also %s[%d]): list each user once" % (
                entry['name'], where, seen[entry['name']]))
        seen[entry['name']] = index
    return None


def _removal(name):
    """The entry of an unlisted user that an exclusive task removes."""
    return dict(name=name, state='absent', read_only=None, recreate=False, password=None, update_password='on_create')


def plan_all(entries, listed, exclusive=False, where=None):
    """Plans for every entry, given the users as listed; with ``exclusive``, one more removal for every listed user
    that no entry names, protected users excepted (they are never touched).

    Every entry is decided before any write: a Refusal names the first that cannot be done (``where``: the option
    holding the entries, to name it as ``users[2]``; None for a single entry, which is named by its options).
    """
    current = dict((user['name'], user) for user in listed)
    plans = []
    for index, entry in enumerate(entries):
        try:
            plans.append(plan(entry, current.get(entry['name'])))
        except Refusal as refusal:
            if where is None:
                raise
            place = '%s[%d]' % (where, index)
            option, message = _located(place, refusal.failure.pop('option'), refusal.message)
            refusal.message = message
            refusal.failure['option'] = option
            raise refusal
    if exclusive:
        named = set(entry['name'] for entry in entries)
        plans.extend(plan(_removal(user['name']), user) for user in listed
                     if user['name'] not in named and not user['protected'])
    return plans
