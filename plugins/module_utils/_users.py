# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a task asks of a database user, and how it is done whatever Scalingo answers.

Private to the scalingo.cloud collection: it may change without notice.

``plan()`` decides, from the user as listed, what one entry needs; nothing is sent. ``Writer`` carries a plan
out. A write whose answer does not settle what happened is never sent again blindly: the users are read
first, and the write goes on from what is there. ``Writer.changed`` says whether a write is known to have
been applied, so that a task that fails half way still reports what it did.
"""

from ansible_collections.scalingo.cloud.plugins.module_utils._http import ScalingoError
from ansible_collections.scalingo.cloud.plugins.module_utils._validation import check_name, check_password

PASSWORD_SET = '(hidden: set)'
PASSWORD_CHANGES = '(hidden: will change)'

# What an entry may need.
NOTHING, CREATE, DELETE, RECREATE, SET_PASSWORD, RESET = 'nothing', 'create', 'delete', 'recreate', 'set_password', 'reset'
_PASSWORD_ACTIONS = (CREATE, RECREATE, SET_PASSWORD, RESET)

# The options of one entry, as database_user takes them.
ENTRY_SPEC = dict(
    name=dict(type='str', required=True, aliases=['user', 'username']),
    state=dict(type='str', default='present', choices=['present', 'absent', 'reset_password']),
    read_only=dict(type='bool'),
    recreate=dict(type='bool', default=False),
    password=dict(type='str', no_log=True),
    update_password=dict(type='str', default='on_create', choices=['on_create', 'always'], no_log=False),
)


class Refusal(Exception):
    """What the module will not do; nothing was sent for it. ``failure`` names the option at fault."""

    def __init__(self, message, option, **details):
        super(Refusal, self).__init__(message)
        self.message = message
        self.failure = dict(details, option=option)


def check_entry(entry):
    """Input checks of one entry, before any request: ``(option, message)`` or None."""
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


def _name_taken(exc):
    """Whether Scalingo refused a creation because the name is already used."""
    if exc.status == 409:
        return True
    return exc.status == 422 and any('taken' in message or 'exist' in message for message in exc.errors.get('name', []))


def _reworded(exc, message):
    """``exc`` with another message, its other fields kept."""
    return ScalingoError(message, status=exc.status, api_message=exc.api_message, errors=exc.errors,
                         request_id=exc.request_id, method=exc.method, url=exc.url, outcome=exc.outcome)


class _TakenMeanwhile(Exception):
    """Someone else created the user between our read and our creation."""

    def __init__(self, user):
        super(_TakenMeanwhile, self).__init__(user['name'])
        self.user = user


class Writer:
    """Carries plans out with ``client``; ``warn(text)`` tells the user what may still happen.

    What is known to have been done is recorded as it becomes known, by user name: ``created``, ``removed``,
    ``password_set`` (a password set or reset on an existing user), so that a task that fails half way still
    reports what it did.
    """

    def __init__(self, client, warn):
        self.client = client
        self.warn = warn
        self.created = []
        self.removed = []
        self.password_set = []

    @property
    def changed(self):
        return bool(self.created or self.removed or self.password_set)

    def _done(self, facts, name):
        if name not in facts:
            facts.append(name)

    def apply(self, plan_):
        """Carry ``plan_`` out; returns ``(plan, user after or None, generated password or None)``.

        The plan returned is another one when the user turned out to exist already (created by someone else
        meanwhile): it is decided again from the user found, as a new run would.
        """
        try:
            return (plan_,) + self._apply(plan_)
        except _TakenMeanwhile as taken:
            self.warn("User '%s' was created by someone else while this task ran: it was left as that run made it, "
                      "and its password is not one this task set." % plan_.name)
            again = plan(plan_.entry, taken.user)
            return (again,) + self._apply(again)

    def _apply(self, plan_):
        """``(user after or None, generated password or None)``."""
        name, entry = plan_.name, plan_.entry
        if plan_.action == CREATE:
            return self._create(name, entry['read_only'], entry['password'], ours=False)
        if plan_.action == DELETE:
            self._delete(name)
            return None, None
        if plan_.action == SET_PASSWORD:
            return self._set_password(name, entry['password']) or plan_.before, None
        if plan_.action == RESET:
            return self._reset(name)
        if plan_.action == RECREATE:
            self._delete(name)
            try:
                return self._create(name, entry['read_only'], entry['password'], ours=True)
            except ScalingoError as exc:
                if name in self.created:
                    raise  # created again: what failed is about its password, and says so
                raise _reworded(exc, "User '%s' was deleted to be recreated %s, but it was not created again: %s "
                                     "Run the task again: it creates the user." % (name, mode(entry['read_only']), exc.message))
        return plan_.before, None

    # --- reading after a write ------------------------------------------------------------

    def _look(self, name, exc):
        """The user as listed after ``exc`` (None when absent); a failure to read says both."""
        try:
            return self.client.get_user(name)
        except ScalingoError as read_error:
            raise _reworded(exc, '%s Reading the users afterwards failed too: %s' % (exc.message, read_error.message))

    def _gone_eventually(self, name):
        """Whether the user stops being listed within the task's budget of waiting."""
        attempt = 0
        while True:
            attempt += 1
            if self.client.get_user(name) is None:
                return True
            wait = float(min(2 ** (attempt - 1), 16))
            if not self.client.transport.may_wait(wait):
                return False
            self.client.transport.wait(wait)

    # --- one write each, and what to do when its answer does not settle it ----------------

    def _create(self, name, read_only, password, ours, again=False):
        """Create the user; ``ours``: any user found with that name afterwards is this task's (a recreation, or a
        creation sent again). Returns ``(user, generated password or None)``."""
        try:
            user, generated = self.client.create_user(name, read_only, password)
        except ScalingoError as exc:
            if exc.outcome == 'not_sent':
                raise
            found = self._look(name, exc)
            if found is None:
                if exc.outcome in ('unknown', 'pending') and not again:
                    # The first creation is over, or could only fail as "taken" should it still land: send it once more.
                    return self._create(name, read_only, password, ours=True, again=True)
                raise
            if (_name_taken(exc) and not (ours or exc.resent)) or found['protected']:
                # Taken at the first attempt: not by this task. And no creation makes a protected user.
                raise _TakenMeanwhile(found)
            # The creation went through; its answer was lost (or refused afterwards).
            user, generated = found, None
        self._done(self.created, name)
        if password is not None or generated:
            return user, generated
        # Scalingo generated a password that the answer did not carry: reset it, for the task to return one that works.
        try:
            return self._reset(name, after_creation=True)
        except ScalingoError as exc:
            raise _reworded(exc, "User '%s' was created, but the password Scalingo generated was not returned, and "
                                 "resetting it failed: %s Run the task with state=reset_password." % (name, exc.message))

    def _delete(self, name, again=False):
        try:
            self.client.delete_user(name)
        except ScalingoError as exc:
            if exc.outcome == 'not_sent':
                raise
            if exc.outcome == 'pending':
                # Never sent again: a deletion landing after a new creation would remove the new user.
                if self._gone_eventually(name):
                    self._done(self.removed, name)
                    return
                self.warn("The deletion of user '%s' timed out and the user is still listed: Scalingo may still "
                          "delete it later." % name)
                raise
            if self._look(name, exc) is None:
                self._done(self.removed, name)  # it is gone: this deletion or another removed it
                return
            if exc.outcome == 'unknown' and not again:
                return self._delete(name, again=True)
            if exc.status == 404:
                raise _reworded(exc, "Scalingo answered HTTP 404 to DELETE %s but still lists user '%s': nothing was "
                                     "removed. Run the task again; if it persists, quote failure.request_id to Scalingo "
                                     "support." % (exc.url, name))
            raise
        self._done(self.removed, name)

    def _set_password(self, name, password, again=False):
        try:
            user = self.client.change_password(name, password)
        except ScalingoError as exc:
            if exc.outcome == 'applied':
                self._done(self.password_set, name)
                return self._look(name, exc)
            if exc.outcome in ('unknown', 'pending') and not again and self._look(name, exc) is not None:
                # The same password again: should the first request still land, it sets the same one.
                return self._set_password(name, password, again=True)
            raise
        self._done(self.password_set, name)
        return user

    def _reset(self, name, again=False, after_creation=False):
        try:
            user, password = self.client.reset_password(name)
        except ScalingoError as exc:
            if exc.outcome == 'pending':
                # A second reset could be undone by the first one landing late: no password would work.
                self.warn("The password reset of user '%s' timed out: Scalingo may still apply it later, and any "
                          "password of it is unknown." % name)
                raise _reworded(exc, '%s The password is unknown, and one returned now could stop working when that '
                                     'reset lands: run the task again in a minute.' % exc.message)
            if exc.outcome == 'applied' and not after_creation:
                self._done(self.password_set, name)
            if exc.outcome in ('unknown', 'applied') and not again and self._look(name, exc) is not None:
                # The first reset is over, and its password was lost with the answer: one more gives one that works.
                return self._reset(name, again=True, after_creation=after_creation)
            raise
        if not after_creation:
            self._done(self.password_set, name)
        return user, password
