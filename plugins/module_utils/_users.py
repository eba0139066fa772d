# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One task's changes to the users of a database: read them once, decide every entry, then write.

Private to the scalingo.cloud collection: it may change without notice.

database_user is the one-entry case of database_users: both hand their entries to ``change_users()``, the one path
from the users listed to the report, and only shape its result. The users are listed once, every entry is decided
and every guard checked before the first write (``_plan``), then each change costs one request (``_writer``, which
also recovers from answers that do not settle a write). What the task reports comes from one place, ``summary()``:
from the plans in check mode, from what was done otherwise, so that a check run returns what the real run would, and
a failed run what it really did.
"""

from ansible_collections.scalingo.cloud.plugins.module_utils._http import ScalingoError
from ansible_collections.scalingo.cloud.plugins.module_utils._plan import (
    CREATE,
    DELETE,
    NOTHING,
    RECREATE,
    Refusal,
    diff_view,
    plan_all,
)
from ansible_collections.scalingo.cloud.plugins.module_utils._writer import Writer, reworded

# How many names a failure message lists before it says how many more there are.
_NAMES_SHOWN = 10


def _names(names):
    shown = ', '.join(names[:_NAMES_SHOWN])
    return shown + (' and %d more' % (len(names) - _NAMES_SHOWN) if len(names) > _NAMES_SHOWN else '')


def change_users(module, entries, exclusive=False, where=None):
    """What ``entries`` ask of the users, done (in check mode: decided) for ``module`` (a ``ScalingoModule``): list,
    plan, the endpoint for ``return_connection``, write. Returns ``(UserChanges, endpoint or None)``: its
    ``summary()`` is what the task reports.

    Whatever fails raises, after ``module.report_failure(summary())`` has put what was really done in the result: a
    failure before the first write reports no change.
    """
    changes = UserChanges(module.client, module.warn, entries, exclusive, where, check_mode=module.module.check_mode)
    try:
        changes.plan()
        try:
            endpoint = module.endpoint(changes.listed)
        except ScalingoError:
            changes.cancel()
            raise
        changes.apply()
    except (ScalingoError, Refusal):
        module.report_failure(changes.summary())
        raise
    return changes, endpoint


class UserChanges:
    """The changes ``entries`` ask of the users, with ``client``; ``warn(text)`` reaches the user.

    ``exclusive``: also remove every unprotected user no entry names. ``where``: the option that holds the entries
    (``users``), to name an entry in messages; None for database_user's single entry. ``check_mode``: nothing is
    written, and the summary is what the real run would report.
    """

    def __init__(self, client, warn, entries, exclusive=False, where=None, check_mode=False):
        self.client = client
        self.entries = entries
        self.exclusive = exclusive
        self.where = where
        self.check_mode = check_mode
        self.writer = Writer(client, warn)
        self.listed = []
        self.plans = []
        self.written = {}  # {name: (user after or None, generated password or None)}

    def plan(self):
        """List the users once and decide every entry; a Refusal names the first entry that cannot be done."""
        self.listed = self.client.list_users()
        self.writer.listed = set(user['name'] for user in self.listed)
        self.plans = plan_all(self.entries, self.listed, self.exclusive, self.where)
        return self.plans

    def cancel(self):
        """Nothing will be written after all (a check before the first write failed): the task reports the users as
        listed, and no change."""
        self.plans = []

    def apply(self):
        """Make every change, in the order of the entries (removals of unlisted users last); stop at the first that
        fails, saying what was done and what was not. Nothing in check mode."""
        if self.check_mode:
            return
        for index, needed in enumerate(self.plans):
            if needed.action == NOTHING:
                continue
            try:
                done, user, password = self.writer.apply(needed)
            except (ScalingoError, Refusal) as exc:
                raise self._stopped(index, exc)
            self.plans[index] = done
            self.written[done.name] = (user, password)

    @property
    def changed(self):
        if self.check_mode:
            return any(needed.changed for needed in self.plans)
        return self.writer.changed

    def _stopped(self, index, exc):
        """The failure of change ``index``, with what was done before it and what was not, for a list of entries."""
        if self.where is None:
            return exc
        failed = self.plans[index]
        done = self.summary()
        made = ['%s %s' % (kind, _names(done[kind])) for kind in ('created', 'recreated', 'removed') if done[kind]]
        made += ['password set for %s' % _names(done['password_set'])] if done['password_set'] else []
        left = ['%s (%s)' % (later.name, later.action.replace('_', ' ')) for later in self.plans[index + 1:] if later.changed]
        message = "User '%s' (%s): %s Before it: %s. Not done: %s." % (
            failed.name, failed.action.replace('_', ' '), exc.message, '; '.join(made) or 'nothing was changed',
            _names(left) if left else 'nothing else')
        if isinstance(exc, Refusal):
            exc.message = message
            return exc
        return reworded(exc, message)

    def _done(self, needed):
        """Whether the change of ``needed`` is known to be made (in check mode: whether it would be)."""
        if self.check_mode:
            return needed.changed
        writer = self.writer
        if needed.action == CREATE:
            return needed.name in writer.created or needed.name in writer.created_as
        if needed.action == DELETE:
            return needed.name in writer.removed
        if needed.action == RECREATE:
            return needed.name in writer.created  # deleted first, by this task or by another run meanwhile
        return needed.name in writer.password_set

    def _named(self, needed):
        """The name of the user of ``needed`` as Scalingo made it (another one than asked, when it changed it)."""
        return self.writer.created_as.get(needed.name, dict(name=needed.name))['name']

    def _after(self, needed):
        """The user after the task, None when absent (in check mode: as it would be)."""
        if self.check_mode:
            return needed.after
        if needed.name in self.written:
            return self.written[needed.name][0]
        if needed.name in self.writer.created:  # created, then something failed: as planned
            return needed.after
        if needed.name in self.writer.removed:  # a recreation that could not create again
            return None
        return needed.before

    def _generated(self):
        """The passwords Scalingo generated in this run, by user name."""
        return dict((name, outcome[1]) for name, outcome in self.written.items() if outcome[1])

    def summary(self):
        """What the task reports: the users after it, the names by kind of change, the generated passwords, the diff.

        In check mode, what the real run would report (but for what only Scalingo knows of a user it has not created
        yet: its dbms_attributes).
        """
        done = [needed for needed in self.plans if needed.changed and self._done(needed)]
        kinds = dict((kind, [self._named(n) for n in done if n.action == action])
                     for kind, action in (('created', CREATE), ('removed', DELETE), ('recreated', RECREATE)))
        if not self.check_mode:
            # A recreation that deleted and could not create again removed the user.
            kinds['removed'] += [n.name for n in self.plans if n.action == RECREATE and n.name in self.writer.removed
                                 and n.name not in self.writer.created]
        after = dict((needed.name, self._after(needed)) for needed in self.plans)
        listed = set(user['name'] for user in self.listed)
        users = [after.get(user['name'], user) for user in self.listed]
        users += [after[n.name] for n in self.plans if n.name not in listed]
        users += list(self.writer.created_as.values())
        return dict(
            changed=self.changed,
            users=[user for user in users if user is not None],
            created=kinds['created'],
            removed=kinds['removed'],
            recreated=kinds['recreated'],
            password_set=[n.name for n in done if n.action not in (CREATE, DELETE, RECREATE)],
            password_changed=[self._named(n) for n in done if n.password_changed],
            passwords=self._generated(),
            diff=dict(before=dict((n.name, diff_view(n.name, n.before)) for n in done),
                      after=dict((n.name, n.diff()['after']) for n in done)),
        )
