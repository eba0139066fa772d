# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Carrying a plan out, whatever Scalingo answers.

Private to the scalingo.cloud collection: it may change without notice.

A write whose answer does not settle what happened is never sent again blindly: the users are read first, and
the write goes on from what is there. What is known to have been done is recorded as soon as it is known, so that
a task that fails half way still reports what it did.
"""

from ansible_collections.scalingo.cloud.plugins.module_utils._http import DELETION, ScalingoError
from ansible_collections.scalingo.cloud.plugins.module_utils._plan import (
    CREATE,
    DELETE,
    RECREATE,
    RESET,
    SET_PASSWORD,
    mode,
    plan,
)


def _name_taken(exc):
    """Whether Scalingo refused a creation because the name is already used."""
    if exc.status == 409:
        return True
    return exc.status == 422 and any('taken' in message or 'exist' in message for message in exc.errors.get('name', []))


def reworded(exc, message, outcome=None):
    """``exc`` with another message, its other fields kept (``message`` already holds what its outcome adds), and
    another ``outcome`` when given."""
    again = ScalingoError(message, status=exc.status, api_message=exc.api_message, errors=exc.errors,
                          request_id=exc.request_id, method=exc.method, url=exc.url)
    again.outcome, again.earlier_uncertain = outcome or exc.outcome, exc.earlier_uncertain
    return again


def _resend_failed(exc, first, consequence):
    """The failure of a write sent again because the ``first`` one's answer was lost: that one may have landed, so the
    task's outcome is uncertain, whatever refused the second (a 422, a 403, a rate limit past the budget)."""
    return reworded(exc, '%s may have been applied, but its answer was lost, and sending it again failed: %s %s' % (
        first, exc.message, consequence), outcome='unknown')


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
        # Ordered sets (dicts of None): a task of thousands of users asks them thousands of times.
        self.created = {}
        self.removed = {}
        self.password_set = {}
        self.listed = set()  # the names listed before the first write (UserChanges.plan)
        self.created_as = {}  # asked name -> the user Scalingo created under another name

    @property
    def changed(self):
        return bool(self.created or self.removed or self.password_set)

    @staticmethod
    def _done(facts, name):
        facts[name] = None

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
            return self._create(name, entry['read_only'], entry['password'])
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
                return self._create(name, entry['read_only'], entry['password'])
            except ScalingoError as exc:
                if name in self.created:
                    raise  # created again: what failed is about its password, and says so
                raise reworded(exc, "User '%s' was deleted to be recreated %s, but it was not created again: %s "
                                    "Run the task again: it creates the user." % (name, mode(entry['read_only']), exc.message))
        return plan_.before, None

    # --- reading after a write ------------------------------------------------------------

    def _look(self, name, exc):
        """The user as listed after ``exc`` (None when absent); a failure to read says both."""
        try:
            return self.client.get_user(name)
        except ScalingoError as read_error:
            raise reworded(exc, '%s Reading the users afterwards failed too: %s' % (exc.message, read_error.message))

    def _gone_eventually(self, name):
        """Whether the user stops being listed within the task's budget of waiting."""
        attempt = 0
        while True:
            attempt += 1
            if self.client.get_user(name) is None:
                return True
            wait = self.client.transport.backoff(attempt)
            if not self.client.transport.may_wait(wait):
                return False
            self.client.transport.wait(wait, DELETION)

    # --- one write each, and what to do when its answer does not settle it ----------------

    def _create(self, name, read_only, password, again=False):
        """Create the user; ``again``: the first creation's outcome was unknown, so a user found with that name
        afterwards is this task's. Returns ``(user, generated password or None)``."""
        try:
            user, generated = self.client.create_user(name, read_only, password)
        except ScalingoError as exc:
            if exc.outcome == 'not_sent':
                raise
            found = self._look(name, exc)
            if found is None:
                if exc.outcome in ('unknown', 'pending') and not again:
                    # The first creation is over, or could only fail as "taken" should it still land: send it once more.
                    return self._create(name, read_only, password, again=True)
                if exc.outcome == 'applied':
                    raise self._created_as_another(name, exc)
                raise
            if (_name_taken(exc) and not (again or exc.earlier_uncertain)) or found['protected']:
                # Taken while no attempt of this task's may have landed (a refused one, 429 or 401, was not applied):
                # another run made it. And no creation makes a protected user.
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
            raise reworded(exc, "User '%s' was created, but the password Scalingo generated was not returned, and "
                                "resetting it failed: %s Run the task with state=reset_password." % (name, exc.message))

    def _created_as_another(self, name, exc):
        """The failure of a creation that Scalingo says it made, but whose answer names another user than ``name``,
        and whose users read again do not show ``name``: the user that is new in them is recorded as created (under
        the name Scalingo used), and the message says so."""
        try:
            users = self.client.list_users()
        except ScalingoError as read_error:
            return reworded(exc, '%s Reading the users afterwards failed too: %s' % (exc.message, read_error.message),
                            outcome='unknown')
        new = [user for user in users if user['name'] not in self.listed and user['name'] not in self.created]
        if len(new) != 1:
            return reworded(exc, "%s Scalingo does not list user '%s' afterwards, and what it created cannot be told "
                                 "(%d new users): check the users with scalingo.cloud.database_user_info."
                            % (exc.message, name, len(new)), outcome='unknown')
        self.created_as[name] = new[0]
        self._done(self.created, new[0]['name'])
        return reworded(exc, "Scalingo created the user, but as '%s', not '%s' as asked: it changes some names (its "
                             "rule for names is lower case). The user '%s' now exists; name it so in the task, which "
                             "then finds it." % (new[0]['name'], name, new[0]['name']))

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
                if exc.outcome == 'refused' and not exc.earlier_uncertain:
                    # Refused, so not this task's deletion, and no attempt of it may have landed: another run's.
                    self.warn("User '%s' was removed by someone else while this task ran." % name)
                    return
                self._done(self.removed, name)  # it is gone, and this task's deletion may have done it
                return
            if exc.outcome == 'unknown' and not again:
                return self._delete(name, again=True)
            if exc.status == 404:
                raise reworded(exc, "Scalingo answered HTTP 404 to DELETE %s but still lists user '%s': nothing was "
                                    "removed. Run the task again; if it persists, quote failure.request_id to Scalingo "
                                    "support." % (exc.url, name))
            raise
        self._done(self.removed, name)

    def _set_password(self, name, password, again=False):
        try:
            user = self.client.change_password(name, password)
        except ScalingoError as exc:
            if again:
                raise _resend_failed(exc, "Setting the password of user '%s'" % name,
                                     'The password may be the one given, or still the old one: run the task again.')
            if exc.outcome == 'applied':
                self._done(self.password_set, name)
                return self._look(name, exc)
            if exc.outcome in ('unknown', 'pending') and self._look(name, exc) is not None:
                # The same password again: should the first request still land, it sets the same one.
                return self._set_password(name, password, again=True)
            raise
        self._done(self.password_set, name)
        return user

    def _reset(self, name, again=False, after_creation=False):
        try:
            user, password = self.client.reset_password(name)
        except ScalingoError as exc:
            if again:
                raise _resend_failed(exc, "The password reset of user '%s'" % name,
                                     'Its password may now be one nobody knows: run the task with state=reset_password.')
            if exc.outcome == 'pending':
                # A second reset could be undone by the first one landing late: no password would work.
                self.warn("The password reset of user '%s' timed out: Scalingo may still apply it later, and any "
                          "password of it is unknown." % name)
                raise reworded(exc, '%s The password is unknown, and one returned now could stop working when that '
                                    'reset lands: run the task again in a minute.' % exc.message)
            if exc.outcome == 'applied' and not after_creation:
                self._done(self.password_set, name)
            if exc.outcome in ('unknown', 'applied') and self._look(name, exc) is not None:
                # The first reset is over, and its password was lost with the answer: one more gives one that works.
                return self._reset(name, again=True, after_creation=after_creation)
            raise
        if not after_creation:
            self._done(self.password_set, name)
        return user, password
