# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What to do about a failure, in the words of the modules: their options, environment variables and tasks.

Private to the scalingo.cloud collection: it may change without notice.

The transport and the client state the facts (what was sent, what came back, what it means); the advice that
ends their messages comes from here, so that they know nothing of how the modules are used.
"""


from ansible_collections.scalingo.cloud.plugins.module_utils._connection import USER_ADDON_TYPES

# What each reason of waiting (``_http.Transport.wait``) is called in a summary.
_WAIT_CAUSES = {
    'rate_limit': "Scalingo's rate limit (HTTP 429)",
    'server_error': 'server errors (HTTP 502, 503, 504)',
    'unreachable': 'a host that could not be reached',
    'lost': 'connections lost',
    'deletion': 'a deletion still landing',
}


def _times(count):
    return {1: 'once', 2: 'twice'}.get(count, '%d times' % count)


def waited(waits, order):
    """What a task that waited says when it ends: how long, why, and what makes it wait less. ``waits``: reason ->
    (times, seconds), named in ``order``."""
    total = sum(seconds for dummy, seconds in waits.values())
    causes = ['%s, %s (%d s)' % (_WAIT_CAUSES[reason], _times(waits[reason][0]), round(waits[reason][1]))
              for reason in order if reason in waits]
    remedy = ''
    if 'rate_limit' in waits:
        remedy = (' Scalingo allows 60 requests a minute on its main API: to wait less, manage many users in one '
                  'scalingo.cloud.database_users task, reuse a database_token across tasks, or run fewer tasks at once '
                  '(throttle, forks).')
    elif 'server_error' in waits or 'unreachable' in waits or 'lost' in waits:
        remedy = " If it goes on, check the network and Scalingo's status page (https://scalingostatus.com)."
    return 'The task waited %d seconds in all, for %s.%s' % (round(total), '; '.join(causes), remedy)


def outcome_note(outcome):
    """What an uncertain outcome (``ScalingoError.outcome``) asks of the user, to end a failure's message."""
    if outcome == 'unknown':
        return (' The request may have been applied all the same: check the state before trying again'
                ' (a new run of the task does, as it reads the users first).')
    if outcome == 'pending':
        return ' Scalingo may still apply it later.'
    return ''


class Advice:
    """The advice for the failures of one client, whose ``connection`` (``_connection.Connection``) names the app,
    the addon and the DB API. ``fixed_database_token``: a database token was given, and no new one can be fetched
    (``_tokens.renewable``)."""

    def __init__(self, connection, fixed_database_token):
        self.connection = connection
        self.fixed_database_token = fixed_database_token

    outcome = staticmethod(outcome_note)

    # --- the transport ---------------------------------------------------------------

    @staticmethod
    def timed_out():
        return 'raise timeout or check the network.'

    @staticmethod
    def not_sendable():
        """A request the HTTP library refused to send: some value of the options cannot go into a request."""
        return 'check the connection options.'

    def unreachable(self, cause, url):
        """What to check when ``url`` could not be reached (``cause``: ``_http.exception_summary``'s)."""
        if cause == 'tls':
            return ('Check the certificate of that host; set validate_certs to false only against a test service.')
        return ("Check the URL in use, %s, the network or a proxy (HTTPS_PROXY), and Scalingo's status page "
                "(https://scalingostatus.com)." % self._source(url))

    def _source(self, url):
        """The service root of ``url`` and what set it: an option (or its environment variable), or the region."""
        conn = self.connection
        for root, option, variable in ((conn.db_api_root, 'db_api_url', 'SCALINGO_DB_API_URL'),
                                       (conn.api_root, 'api_url', 'SCALINGO_API_URL'),
                                       (conn.auth_root, 'auth_url', 'SCALINGO_AUTH_URL')):
            if url == root or url.startswith(root + '/'):
                if option in conn.urls_given:
                    return '%s, set by %s (or %s)' % (root, option, variable)
                if option == 'auth_url':
                    return "%s, Scalingo's authentication service" % root
                return "%s, from region '%s' (region or SCALINGO_REGION)" % (root, conn.region)
        return url

    @staticmethod
    def asked_to_wait(asked, left):
        """A rate limit whose Retry-After (``asked`` seconds) is longer than what max_wait has ``left``."""
        return ('That is more than the %d seconds of waiting that max_wait has left in this task: raise max_wait, or '
                'run the task again later.' % max(0, int(left)))

    def status(self, status, step, attempts):
        """What to do about an error status answered at ``step`` (``_http.Transport.request``) after ``attempts``."""
        conn = self.connection
        if status == 401:
            if step == 'exchange':
                return 'Check the API token (api_token or SCALINGO_API_TOKEN): it is wrong, revoked or expired.'
            if step in ('database', 'user') and self.fixed_database_token:
                return ('Check the database token (database_token or SCALINGO_DATABASE_TOKEN): it is wrong, '
                        'expired (they last one hour) or issued for another addon. With api_token and app as well, an '
                        'expired one is fetched again.')
            return 'The token was refused: check the API token (api_token or SCALINGO_API_TOKEN).'
        if status == 400 and step == 'database':
            # What Scalingo answers for an addon of a type without users (Redis, Elasticsearch, OpenSearch) given by id.
            return ("Addon '%s' has no database users, it seems: only %s addons do; check addon."
                    % (conn.addon, ', '.join(USER_ADDON_TYPES)))
        if status == 403:
            return ("The token's owner may not manage database users of this addon "
                    "(limited collaborators cannot): use a token of the app's owner or of a full collaborator.")
        if status == 404:
            if step == 'addons':
                return "App '%s' was not found: check app (its name or id) and that the token's owner can see it." % conn.app
            if step == 'addon_token':
                return "Addon '%s' was not found in app '%s': check addon and app." % (conn.addon, conn.app)
            if step == 'user':
                return 'The user was not found: it may have just been removed by someone else; run the task again.'
            if step == 'database':
                return "Database '%s' was not found at %s: check addon, region and db_api_url." % (conn.addon, conn.db_api_root)
            return 'Not found: check region and the service URLs.'
        if status == 422:
            return 'Scalingo refused the values sent: see failure.errors.'
        if status == 429:
            return ('Scalingo kept rate-limiting the requests after %d attempt%s: run fewer tasks at once '
                    '(forks, throttle) or reuse a database_token, and try again later.' % (attempts, 's' if attempts > 1 else ''))
        if status >= 500:
            return 'Scalingo had a server error: try again later; quote failure.request_id to Scalingo support if it persists.'
        return ''

    # --- the addon -------------------------------------------------------------------

    @staticmethod
    def no_addon():
        return 'check app and addon.'

    @staticmethod
    def several_addons():
        return 'set addon to the id of the one to manage.'
