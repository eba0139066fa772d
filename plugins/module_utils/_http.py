# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP transport of the scalingo.cloud modules: time bounds, safe retries, and what a failure means.

Private to the scalingo.cloud collection: it may change without notice.

Time bounds. Each request has ``timeout`` seconds in all, from connecting to the last byte of the answer,
however slowly a server trickles it. The waits between attempts share one budget, ``max_wait``, for as long as
the ``Transport`` lives (its owner makes one per run), so several rate-limited steps cannot each wait the whole
budget.

What a failure means, as ``ScalingoError.outcome``:

- ``not_sent``: the connection could not be made; nothing reached the server, so any request is sent again.
- ``refused``: the server answered with an error status: the request was not applied.
- ``unknown``: the request was sent, then the connection was lost or a server error came back: the write
  is over, applied or not. Read the state to know.
- ``pending``: no answer within ``timeout``: the server may still apply the write at any later time.
- ``applied``: the server said the write succeeded, but its answer cannot be used.

Messages state these facts; what to do about them is the caller's ``advice`` (see ``Transport``).
"""

import email.utils
import json
import threading
import time
import traceback

from urllib.parse import urlsplit

REQUESTS_IMPORT_ERROR = None
try:
    import requests
except ImportError:  # pragma: no cover - exercised through missing_required_lib
    requests = None
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

MAX_ATTEMPTS = 5
# A rate limit is waited out for as long as the budget of waiting allows: Scalingo counts requests over a minute
# and says nothing of when the next one is allowed. This only stops a server that asks to retry at once, for ever.
MAX_RATE_LIMITED_ATTEMPTS = 20
# No answer of Scalingo's is near this size: a bigger one is not Scalingo's, and is not read into memory.
MAX_ANSWER_BYTES = 16 * 1024 * 1024
_RETRYABLE_STATUSES = (502, 503, 504)
# Why a task waited (Transport.wait), in the order a summary names them.
RATE_LIMIT, SERVER_ERROR, UNREACHABLE, LOST, DELETION = 'rate_limit', 'server_error', 'unreachable', 'lost', 'deletion'
WAIT_REASONS = (RATE_LIMIT, SERVER_ERROR, UNREACHABLE, LOST, DELETION)


class ScalingoError(Exception):
    """Any failure talking to Scalingo. ``str()`` is a message that says what to do next; no secret in any field
    (the client redacts before raising)."""

    def __init__(self, message, status=None, api_message=None, errors=None, request_id=None,
                 method=None, url=None, outcome=None):
        super(ScalingoError, self).__init__(message)
        self.message = message
        self.status = status
        self.api_message = api_message
        self.errors = errors or {}
        self.request_id = request_id
        self.method = method
        self.url = url
        self.outcome = outcome
        # Whether an earlier attempt of this request may have been applied (its outcome was unknown): a "name taken"
        # may then be its own earlier attempt. A refused attempt (429, 401, any 4xx) was not applied, and does not count.
        self.earlier_uncertain = False

    @property
    def uncertain(self):
        """Whether a write may have been applied although no answer says so."""
        return self.outcome in ('unknown', 'pending')

    def to_failure(self):
        """The machine-readable ``failure`` dict modules return."""
        return dict(status=self.status, message=self.api_message, errors=self.errors, request_id=self.request_id,
                    method=self.method, url=self.url, uncertain=self.uncertain)


class _Authorization(requests.auth.AuthBase if requests else object):
    """Sets the Authorization header, so that no ~/.netrc entry can replace the token."""

    def __init__(self, value):
        self.value = value

    def __call__(self, request):
        request.headers['Authorization'] = self.value
        return request


class _TimedOut(Exception):
    pass


class _TooLarge(Exception):
    pass


class _Again(Exception):
    """Make the attempt again after ``seconds``, for ``reason`` (see ``Transport.wait``); ``uncertain``: the one that
    failed may have been applied."""

    def __init__(self, seconds, reason, uncertain):
        super(_Again, self).__init__(seconds)
        self.seconds = seconds
        self.reason = reason
        self.uncertain = uncertain


class Answer:
    """A complete answer: status, headers and the whole body (bytes)."""

    def __init__(self, status, headers, content):
        self.status = status
        self.headers = headers
        self.content = content

    @property
    def text(self):
        return self.content.decode('utf-8', 'replace')


def parse_retry_after(value):
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = email.utils.parsedate_tz(value)
    if when is None:
        return None
    try:
        return max(0.0, email.utils.mktime_tz(when) - time.time())
    except (OverflowError, ValueError):
        return None


def _seconds(seconds):
    return '%d second%s' % (round(seconds), '' if round(seconds) == 1 else 's')


def failure_kind(exc):
    """What a transport failure means: ``timeout`` (no answer in time: a write may still land), ``not_sent`` (no
    byte reached a server, the connection could not be made), ``tls`` (no byte sent either, and waiting will not
    help), ``dropped`` (the connection was lost once the request was sent) or ``other`` (the HTTP library refused
    the request)."""
    if isinstance(exc, _TimedOut):
        return 'timeout'
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return 'tls'
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return 'not_sent'
    if isinstance(exc, requests.exceptions.Timeout) or 'Read timed out' in text:
        return 'timeout'
    if isinstance(exc, requests.exceptions.ConnectionError):
        # urllib3 wraps a connection that could not be made in MaxRetryError(reason=NewConnectionError or
        # NameResolutionError); a connection lost after sending is a ProtocolError instead.
        if any(marker in text for marker in (
                'NewConnectionError', 'NameResolutionError', 'Failed to establish a new connection', 'Connection refused',
                'Name or service not known', 'nodename nor servname', 'Temporary failure in name resolution')):
            return 'not_sent'
        return 'dropped'
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return 'dropped'
    return 'other'


def exception_summary(exc):
    """``(cause, reason)``: a short reason for a transport failure, without the URL's query or a traceback, and
    what it names for the advice: ``refused``, ``unresolved``, ``tls``, ``connect_timeout``, ``closed`` or None."""
    text = str(exc)
    if 'Connection refused' in text:
        return 'refused', 'connection refused'
    if 'Name or service not known' in text or 'nodename nor servname' in text or 'NameResolutionError' in text \
            or 'Temporary failure in name resolution' in text:
        return 'unresolved', 'the host name does not resolve'
    if 'CERTIFICATE_VERIFY_FAILED' in text or isinstance(exc, requests.exceptions.SSLError):
        return 'tls', 'TLS certificate verification failed'
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return 'connect_timeout', 'the connection could not be made in time'
    if 'RemoteDisconnected' in text or 'Connection aborted' in text or 'reset by peer' in text:
        return 'closed', 'the connection was closed without an answer'
    return None, exc.__class__.__name__


class Transport:
    """One HTTP session for a run; every request bounded in time, retried only when that is safe.

    ``secrets`` redacts what errors show. ``advice`` words what to do next, at the end of a message:
    ``status(status, step, attempts)`` about an error status, ``timed_out()``, ``not_sendable()`` (the HTTP library
    refused the request), ``unreachable(cause, url)`` (what to check, given ``exception_summary``'s cause) and
    ``outcome(outcome)`` (what an uncertain outcome asks, or '').
    """

    # Patched by tests so retries do not really wait.
    _sleep = staticmethod(time.sleep)
    _clock = staticmethod(time.monotonic)

    def __init__(self, timeout, verify, user_agent, secrets, advice, max_wait):
        self.timeout = timeout
        self.max_wait = max_wait
        self.secrets = secrets
        self.advice = advice
        self.waited = 0.0
        self.waits = {}  # reason -> (times, seconds)
        # Called as announce(seconds, reason, method, url) before each wait, where something can be shown meanwhile
        # (an inventory plugin; a module's output only comes at its end).
        self.announce = None
        self.session = requests.Session()
        self.session.verify = verify
        self.session.headers.update({
            'Accept': 'application/json',
            'Content-Type': 'application/json',
            'User-Agent': user_agent,
        })

    # --- one exchange, bounded in time ------------------------------------------------------

    def _exchange(self, method, url, auth, body):
        """Send one request and read the whole answer within ``timeout`` seconds in all.

        requests bounds each socket operation, not the whole: a server that trickles its answer would hold the
        caller for ever. The exchange runs in a worker thread that the caller stops waiting for at the deadline.
        """
        box = {}
        gave_up = threading.Event()

        def work():
            try:
                # requests' own limits only end this thread once the caller has stopped waiting for it.
                response = self.session.request(method, url, json=body, auth=_Authorization(auth),
                                                timeout=self.timeout, stream=True)
                chunks, size = [], 0
                for chunk in response.iter_content(65536):
                    size += len(chunk)
                    if size > MAX_ANSWER_BYTES:
                        raise _TooLarge()
                    if gave_up.is_set():
                        return
                    chunks.append(chunk)
                box['answer'] = Answer(response.status_code, response.headers, b''.join(chunks))
            except BaseException as exc:  # pylint: disable=broad-except
                box['error'] = exc

        worker = threading.Thread(target=work, name='scalingo-request')
        worker.daemon = True
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            gave_up.set()
            raise _TimedOut()
        if 'error' in box:
            raise box['error']
        return box['answer']

    # --- retries ----------------------------------------------------------------------------

    @staticmethod
    def backoff(attempt):
        """1, 2, 4 ... 32 seconds: seven attempts span Scalingo's one-minute window of rate limiting."""
        return float(min(2 ** (attempt - 1), 32))

    def may_wait(self, seconds):
        """Whether the budget of waiting has ``seconds`` left."""
        return self.waited + seconds <= self.max_wait

    def wait(self, seconds, reason):
        """Wait ``seconds`` out of the budget, for ``reason``: ``RATE_LIMIT``, ``SERVER_ERROR``, ``UNREACHABLE``,
        ``LOST`` (a connection lost on a read) or ``DELETION`` (a deletion still landing); ``waits`` keeps how many
        times and how long for each."""
        self.waited += seconds
        count, total = self.waits.get(reason, (0, 0.0))
        self.waits[reason] = (count + 1, total + seconds)
        self._sleep(seconds)

    def _may_retry(self, attempt, wait, rate_limited=False):
        return attempt < (MAX_RATE_LIMITED_ATTEMPTS if rate_limited else MAX_ATTEMPTS) and self.may_wait(wait)

    def request(self, method, url, step, auth, body=None, replayable=False):
        """Send with safe retries; return ``(status, json or None)``.

        ``replayable``: the request may be sent again whatever happened to it (a read, or a token request, which
        creates nothing a user could see). 429 is retried on any request (it was refused, not applied), and so is a
        request that never reached the server. Connection losses and 502/503/504 are retried on replayable requests
        only: a write whose outcome is unknown is left to the caller, which reads the state first.
        """
        host = urlsplit(url).hostname
        uncertain = False  # whether an attempt before this one may have been applied
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(method, url, step, auth, body, replayable, attempt, host)
            except _Again as again:
                uncertain = uncertain or again.uncertain
                if self.announce:
                    self.announce(again.seconds, again.reason, method, url)
                self.wait(again.seconds, again.reason)
            except ScalingoError as exc:
                exc.earlier_uncertain = uncertain
                raise

    def _failure(self, message, outcome=None, **facts):
        """The error to raise, its message ended by what its ``outcome`` asks of the user."""
        return ScalingoError(message + self.advice.outcome(outcome), outcome=outcome, **facts)

    def _attempt(self, method, url, step, auth, body, replayable, attempt, host):
        """One attempt: its answer, or ``_Again`` when it is to be made again after a wait."""
        try:
            answer = self._exchange(method, url, auth, body)
        except (_TimedOut, requests.exceptions.RequestException, ValueError) as exc:
            kind = failure_kind(exc)
            if kind == 'timeout':
                raise self._failure(
                    '%s %s timed out after %s seconds: the host %s did not answer in time; %s' % (
                        method, url, self.timeout, host, self.advice.timed_out()),
                    method=method, url=url, outcome=None if replayable else 'pending')
            if kind == 'other':
                # A value the HTTP stack refuses before sending (it may quote it: never show its text).
                raise self._failure('Could not send %s %s: the HTTP library refused it (%s); %s' % (
                    method, url, exc.__class__.__name__, self.advice.not_sendable()),
                    method=method, url=url, outcome='not_sent')
            # A connection that could not be made, or one lost before the answer, may heal by waiting; only
            # what did not reach the server, or what is replayable, is sent again.
            retry = kind == 'not_sent' or (kind == 'dropped' and replayable)
            wait = self.backoff(attempt)
            if retry and self._may_retry(attempt, wait):
                raise _Again(wait, UNREACHABLE if kind == 'not_sent' else LOST, uncertain=kind != 'not_sent')
            cause, reason = exception_summary(exc)
            raise self._failure(
                'Could not reach %s (%s %s): %s.%s %s' % (
                    host, method, url, self.secrets.text(reason), ' Gave up after %d attempts.' % attempt if retry else '',
                    self.advice.unreachable(cause, url)),
                method=method, url=url, outcome='unknown' if kind == 'dropped' and not replayable else 'not_sent')
        except _TooLarge:
            raise self._failure('%s %s answered with more than %d MiB: is %s the right Scalingo URL?' % (
                method, url, MAX_ANSWER_BYTES // (1024 * 1024), host),
                method=method, url=url, outcome=None if replayable else 'unknown')

        status = answer.status
        if status == 429 or (status in _RETRYABLE_STATUSES and replayable):
            asked = parse_retry_after(answer.headers.get('Retry-After')) if status == 429 else None
            wait = self.backoff(attempt) if asked is None else asked
            if self._may_retry(attempt, wait, rate_limited=status == 429):
                # A 429 was refused, not applied; a server error may have been (only replayable requests get here).
                raise _Again(wait, RATE_LIMIT if status == 429 else SERVER_ERROR, uncertain=status != 429)
            if asked is not None and not self.may_wait(asked):
                raise self._failure('Scalingo answered HTTP 429 to %s %s and asked to wait %s. %s' % (
                    method, url, _seconds(asked), self.advice.asked_to_wait(asked, self.max_wait - self.waited)),
                    status=status, request_id=self._request_id(answer), method=method, url=url,
                    outcome=None if replayable else 'refused')
        if 200 <= status < 300:
            return status, self._json(answer, method, url, replayable)
        raise self._error(answer, method, url, step, attempt, replayable)

    # --- answers ----------------------------------------------------------------------------

    def _json(self, answer, method, url, replayable):
        """The body of a successful answer; None when empty (204)."""
        if not answer.content.strip():
            return None
        try:
            return json.loads(answer.text)
        except (ValueError, RecursionError):  # RecursionError: JSON nested too deep to parse
            content_type = answer.headers.get('Content-Type')
            raise self._failure(
                '%s %s answered HTTP %s with a body that is not JSON (%s): is %s the right Scalingo URL?' % (
                    method, url, answer.status,
                    self.secrets.text(content_type) if isinstance(content_type, str) else 'no content type',
                    urlsplit(url).hostname),
                status=answer.status, request_id=self._request_id(answer), method=method, url=url,
                outcome=None if replayable else 'applied')

    def _request_id(self, answer):
        value = answer.headers.get('X-Request-Id')
        return self.secrets.text(value)[:200] if isinstance(value, str) and value else None

    def _field_errors(self, errors):
        """``{field: [message, ...]}`` from whatever ``errors`` holds, at any depth, as redacted text."""
        if not isinstance(errors, dict):
            return {}
        clean = {}
        for field, messages in errors.items():
            if not isinstance(messages, list):
                messages = [messages]
            clean[self.secrets.text(field)] = [self.secrets.text(message) for message in messages]
        return clean

    def _error(self, answer, method, url, step, attempts, replayable):
        status = answer.status
        api_message, errors = None, {}
        try:
            data = json.loads(answer.text)
        except (ValueError, RecursionError):
            data = None
            text = answer.text.strip()
            # A short plain-text answer ("Retry later") is a message; an HTML page is not.
            if text and len(text) <= 200 and '<' not in text:
                api_message = self.secrets.text(text)
        if isinstance(data, dict):
            for key in ('error', 'message'):
                if isinstance(data.get(key), str):
                    api_message = self.secrets.text(data[key])
                    break
            errors = self._field_errors(data.get('errors'))
        details = api_message or ''
        if errors:
            details = '; '.join('%s %s' % (field, ', '.join(msgs)) for field, msgs in sorted(errors.items()))
        message = 'Scalingo answered HTTP %s to %s %s%s. %s' % (
            status, method, url, ' (%s)' % details if details else '', self.advice.status(status, step, attempts))
        outcome = None if replayable else ('unknown' if status >= 500 else 'refused')
        return self._failure(message.strip(), status=status, api_message=api_message, errors=errors,
                             request_id=self._request_id(answer), method=method, url=url, outcome=outcome)
