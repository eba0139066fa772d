# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end tests of the modules when Scalingo misbehaves: real ansible-playbook runs against the emulator, whose
faults are armed as each task starts (callback_plugins/e2e_faults.py), with the outcome checked in the emulator's
state and log and in real PostgreSQL.

- Rate limits (429) are waited out within the budget (5 attempts, 60 s), on reads and writes, with and without
  Retry-After; once the budget is spent the task fails with a clear message.
- Server errors and lost connections are retried on reads (and deletions, which are idempotent); a creation, a
  password change or a reset whose outcome is unknown is never replayed blindly: the module reads the users and
  goes on from what is there. One user, one PostgreSQL role, passwords that log in.
- Slow answers fail after ``timeout`` seconds naming the host and the timeout; the task is bounded.
- A token that expires during a task is fetched again once, and the task goes on.
- Answers that are not JSON, cut short, nested too deep or of an unexpected shape fail clearly, never a traceback.

Waits are kept short (Retry-After 0 or 1, one or two backoff steps of 1 s and 2 s); no test asserts a duration but
generous upper bounds that prove a task does not wait for what it should not.
"""

from __future__ import annotations

import json

from e2e_support import (
    DEMO_APP,
    emulator_settings,
    fault,
    info_task,
    new_password,
    user_task,
    wait_for_requests,
)

GENERATED_LENGTH = 32


def target(demo_pg, **args):
    return dict(app=DEMO_APP, addon=demo_pg.addon_id, **args)


def statuses(run, task, route=None):
    """``[(route, status or 'dropped', applied)]`` of the requests of one task, in order."""
    return [(e['route'], e['status'] if e['status'] is not None else 'dropped', e['applied'])
            for e in run.requests(task) if route is None or e['route'] == route]


def assert_clear_failure(run, task, *words):
    """A failed task with a one-line message holding ``words``: no traceback, no module crash."""
    record = run.record(task)
    assert record['status'] == 'failed', record
    result = record['result']
    message = result['msg']
    assert '\n' not in message.strip() and 'Traceback' not in message, message
    # ansible-core 2.19+ adds exception='(traceback unavailable)' to every failure without a traceback.
    assert 'Traceback' not in str(result.get('exception', '')) and 'module_stderr' not in result, result
    for word in words:
        assert word in message, (word, message)
    return result


def assert_ok(run, task, changed=None):
    record = run.record(task)
    assert record['status'] == 'ok', record
    if changed is not None:
        assert record['result']['changed'] is changed, record
    return record['result']


def assert_no_traceback(run):
    for text in (run.stdout, run.stderr):
        assert 'Traceback' not in text and 'MODULE FAILURE' not in text, run


def user_names(emu, addon):
    return [u['name'] for u in emu.users(addon)]


# --- rate limits -------------------------------------------------------------------------------------------------

def test_rate_limits_are_waited_out_within_the_budget(ansible, emu, demo_pg):
    """429 on a read, a creation and a token request, with Retry-After 0 or 1 and without (backoff 1 s, 2 s): each
    task succeeds and the creation lands once. Twenty 429s in a row spend the attempts, and a Retry-After beyond the
    budget (max_wait, 120 s) fails at once: a clear message, no write."""
    name, password = 'e2e-rate-limited', new_password()
    tasks = [
        info_task('list after four refusals', target(demo_pg)),
        user_task('create through two Retry-After 1', target(demo_pg, name=name, password=password)),
        info_task('token through two refusals without Retry-After', target(demo_pg)),
        info_task('twenty refusals spend the attempts', target(demo_pg), ignore_errors=True),
        info_task('a Retry-After beyond the budget', target(demo_pg), ignore_errors=True),
    ]
    at_task = {
        'list after four refusals': [fault('users.list', status=429, retry_after=0, count=4)],
        'create through two Retry-After 1': [fault('users.create', status=429, retry_after=1, count=2)],
        'token through two refusals without Retry-After': [emulator_settings(rate_limit_body='text'),
                                                           fault('api.addon_token', status=429, count=2)],
        'twenty refusals spend the attempts': [fault('users.list', status=429, retry_after=0, count=20)],
        'a Retry-After beyond the budget': [fault('users.list', status=429, retry_after=300, count=1)],
    }
    run = ansible.playbook(tasks, at_task=at_task)
    assert_no_traceback(run)

    assert assert_ok(run, 'list after four refusals')['users'][0]['protected'] is True
    assert statuses(run, 'list after four refusals', 'users.list') == [('users.list', 429, False)] * 4 + [('users.list', 200, True)]

    assert assert_ok(run, 'create through two Retry-After 1', changed=True)['user']['name'] == name
    assert statuses(run, 'create through two Retry-After 1', 'users.create') == [
        ('users.create', 429, False), ('users.create', 429, False), ('users.create', 201, True)]

    assert_ok(run, 'token through two refusals without Retry-After')
    assert statuses(run, 'token through two refusals without Retry-After', 'api.addon_token') == [
        ('api.addon_token', 429, False), ('api.addon_token', 429, False), ('api.addon_token', 200, True)]

    failed = assert_clear_failure(run, 'twenty refusals spend the attempts', 'HTTP 429', 'after 20 attempts',
                                  'try again later')
    assert failed['failure']['status'] == 429
    assert statuses(run, 'twenty refusals spend the attempts', 'users.list') == [('users.list', 429, False)] * 20

    failed = assert_clear_failure(run, 'a Retry-After beyond the budget', 'HTTP 429', 'try again later')
    # Refused once and not sent again: a Retry-After beyond the budget is not waited for.
    assert statuses(run, 'a Retry-After beyond the budget', 'users.list') == [('users.list', 429, False)]

    assert len([w for w in run.writes() if w.startswith('POST')]) == 3  # the two refused creations and the real one
    assert user_names(emu, demo_pg.addon_id).count(name) == 1
    demo_pg.assert_login(name, password)


# --- server errors and lost connections --------------------------------------------------------------------------

def test_reads_and_deletions_are_retried(ansible, emu, demo_pg):
    """A 502 on the addons list, a connection closed without an answer and a TCP reset on the users list are sent
    again; a deletion whose answer was lost is not sent again once the users list shows it landed."""
    name, password = 'e2e-retried-delete', new_password()
    tasks = [
        info_task('502 then a closed connection', dict(app=DEMO_APP, addon='postgresql')),
        info_task('a reset connection', target(demo_pg)),
        user_task('create', target(demo_pg, name=name, password=password)),
        user_task('delete, answer lost', target(demo_pg, name=name, state='absent')),
    ]
    at_task = {
        '502 then a closed connection': [fault('api.addons', status=502, count=1), fault('users.list', action='drop', count=1)],
        'a reset connection': [fault('users.list', action='reset', count=1)],
        'delete, answer lost': [fault('users.delete', status=503, when='after', count=1)],
    }
    run = ansible.playbook(tasks, at_task=at_task)
    assert_no_traceback(run)

    assert assert_ok(run, '502 then a closed connection')['users'] == emu.users(demo_pg.addon_id)[:1]
    assert statuses(run, '502 then a closed connection') == [
        ('auth.exchange', 200, True), ('api.addons', 502, False), ('api.addons', 200, True), ('api.addon_token', 200, True),
        ('users.list', 'dropped', False), ('users.list', 200, True)]
    assert_ok(run, 'a reset connection')
    assert statuses(run, 'a reset connection', 'users.list') == [('users.list', 'dropped', False), ('users.list', 200, True)]

    assert_ok(run, 'delete, answer lost', changed=True)
    assert statuses(run, 'delete, answer lost', 'users.delete') == [('users.delete', 503, True)]
    assert statuses(run, 'delete, answer lost', 'users.list')[-1] == ('users.list', 200, True)
    assert name not in user_names(emu, demo_pg.addon_id)
    assert demo_pg.role(name) is None
    demo_pg.assert_owner_untouched()


def test_lost_writes_are_checked_not_replayed(ansible, emu, demo_pg):
    """Creations, a password change and a reset whose answer was lost (a 5xx after the write, a connection closed or
    reset) are never sent again blindly: the module lists the users and goes on from what is there. A creation that
    landed is not repeated, one that did not is made once; a generated password lost with its answer is reset, and the
    password returned logs in to PostgreSQL."""
    addon = demo_pg.addon_id
    refused, landed, generated, unsent = 'e2e-lost-refused', 'e2e-lost-landed', 'e2e-lost-generated', 'e2e-lost-unsent'
    first, second, third = new_password(), new_password(), new_password()
    tasks = [
        user_task('creation refused by a 503', target(demo_pg, name=refused, password=first)),
        user_task('creation landed, answer lost', target(demo_pg, name=landed, password=second)),
        user_task('generated, landed, answer lost', target(demo_pg, name=generated)),
        user_task('generated, connection reset before', target(demo_pg, name=unsent)),
        user_task('password change, answer lost', target(demo_pg, name=landed, password=third, update_password='always')),
        user_task('reset, answer lost', target(demo_pg, name=refused, state='reset_password')),
    ]
    at_task = {
        # A 503 from a gateway: an HTML page, and the creation did not run.
        'creation refused by a 503': [fault('users.create', status=503, count=1)],
        'creation landed, answer lost': [fault('users.create', action='drop', when='after', count=1)],
        'generated, landed, answer lost': [fault('users.create', status=502, when='after', count=1)],
        'generated, connection reset before': [fault('users.create', action='reset', count=1)],
        'password change, answer lost': [fault('users.update', action='drop', when='after', count=1)],
        'reset, answer lost': [fault('users.reset', status=504, when='after', count=1)],
    }
    run = ansible.playbook(tasks, at_task=at_task)
    assert_no_traceback(run)

    def writes_and_reads(task):
        return [s for s in statuses(run, task) if s[0].startswith('users.')]

    assert_ok(run, 'creation refused by a 503', changed=True)
    assert writes_and_reads('creation refused by a 503') == [
        ('users.list', 200, True), ('users.create', 503, False), ('users.list', 200, True), ('users.create', 201, True)]

    result = assert_ok(run, 'creation landed, answer lost', changed=True)
    assert result['user']['name'] == landed and 'password' not in result
    assert writes_and_reads('creation landed, answer lost') == [
        ('users.list', 200, True), ('users.create', 'dropped', True), ('users.list', 200, True)]

    result = assert_ok(run, 'generated, landed, answer lost', changed=True)
    assert writes_and_reads('generated, landed, answer lost') == [
        ('users.list', 200, True), ('users.create', 502, True), ('users.list', 200, True), ('users.reset', 200, True)]
    lost_and_reset = result['password']
    assert len(lost_and_reset) == GENERATED_LENGTH and result['password_changed'] is True

    result = assert_ok(run, 'generated, connection reset before', changed=True)
    assert writes_and_reads('generated, connection reset before') == [
        ('users.list', 200, True), ('users.create', 'dropped', False), ('users.list', 200, True), ('users.create', 201, True)]
    made_once = result['password']

    assert_ok(run, 'password change, answer lost', changed=True)
    assert writes_and_reads('password change, answer lost') == [
        ('users.list', 200, True), ('users.update', 'dropped', True), ('users.list', 200, True), ('users.update', 200, True)]

    result = assert_ok(run, 'reset, answer lost', changed=True)
    assert writes_and_reads('reset, answer lost') == [
        ('users.list', 200, True), ('users.reset', 504, True), ('users.list', 200, True), ('users.reset', 200, True)]
    reset_again = result['password']

    # Exactly one user of each name, in the emulator and in PostgreSQL, with the passwords the tasks returned.
    names = user_names(emu, addon)
    assert names == [demo_pg.info['owner'], refused, landed, generated, unsent]
    for name in (refused, landed, generated, unsent):
        assert demo_pg.role(name) == {'login': True}
    demo_pg.assert_login(generated, lost_and_reset)
    demo_pg.assert_writes(generated, lost_and_reset)
    demo_pg.assert_login(unsent, made_once)
    demo_pg.assert_login_fails(landed, second)
    demo_pg.assert_login(landed, third)
    demo_pg.assert_login_fails(refused, first)
    demo_pg.assert_login(refused, reset_again)
    demo_pg.assert_owner_untouched()


# --- slow answers ------------------------------------------------------------------------------------------------

def test_slow_and_late_answers(ansible, emu, demo_pg):
    """With timeout: 3, the timeout bounds each whole answer, and writes that land after the module gave up never
    leave it reporting a state it has not read:

    - a read that gets no answer fails naming the host and the timeout (a timed-out read is not sent again);
    - an answer trickled one byte at a time fails the same way: it would take seconds longer than the timeout;
    - a creation that lands late: the module reads, sends it once more, and the late one finds the name taken;
    - a recreation whose deletion lands late: the user is created again only once the deletion has landed, so the
      late deletion cannot remove the new user;
    - a reset that lands late fails, uncertain, with a warning: no password is returned that it would undo.
    """
    created, recreated = 'e2e-late-create', 'e2e-late-recreate'
    first, second, third = new_password(), new_password(), new_password()
    tasks = [
        info_task('slow read', target(demo_pg, timeout=3), ignore_errors=True),
        info_task('trickled read', target(demo_pg, timeout=3), ignore_errors=True),
        user_task('late creation', target(demo_pg, name=created, password=first, timeout=3)),
        user_task('create read-write', target(demo_pg, name=recreated, password=second)),
        user_task('recreate, late deletion',
                  target(demo_pg, name=recreated, password=third, read_only=True, recreate=True, timeout=3)),
        user_task('late reset', target(demo_pg, name=created, state='reset_password', timeout=3), ignore_errors=True),
    ]
    at_task = {
        'slow read': [fault('users.list', action='delay', delay=8, count=1)],
        # About 200 bytes, one every 0.1 s: some 20 s to read in full.
        'trickled read': [fault('users.list', action='delay', delay=0.01, trickle=0.1, count=1)],
        'late creation': [fault('users.create', action='delay', delay=6, count=1)],
        'recreate, late deletion': [fault('users.delete', action='delay', delay=6, count=1)],
        'late reset': [fault('users.reset', action='delay', delay=6, count=1)],
    }
    run = ansible.playbook(tasks, at_task=at_task, expect_rc=0)
    assert_no_traceback(run)
    host = '127.0.0.1'

    for task in ('slow read', 'trickled read'):
        failed = assert_clear_failure(run, task, 'GET http://%s:' % host, 'timed out after 3.0 seconds',
                                      'the host %s did not answer in time' % host, 'raise timeout')
        assert failed['failure']['uncertain'] is False

    assert_ok(run, 'late creation', changed=True)
    creations = wait_for_requests(emu, 'users.create', 3)  # the late one, the one sent again, and the recreation's
    assert sorted(e['operation_status'] for e in creations if created in (e['request_body'] or '')) == [201, 422]

    result = assert_ok(run, 'recreate, late deletion', changed=True)
    assert result['user']['read_only'] is True
    demo_pg.assert_login(recreated, third)
    demo_pg.assert_login_fails(recreated, second)

    failed = assert_clear_failure(run, 'late reset', 'timed out after 3.0 seconds', 'may still apply it later',
                                  'run the task again in a minute')
    assert failed['failure']['uncertain'] is True and failed['changed'] is False and 'password' not in failed
    assert any('may still apply it later' in warning for warning in failed.get('warnings', [])), failed
    wait_for_requests(emu, 'users.reset', 1)  # the late reset has landed
    demo_pg.assert_login_fails(created, first)

    names = user_names(emu, demo_pg.addon_id)
    assert names.count(created) == 1 and names.count(recreated) == 1
    assert demo_pg.role(created) == {'login': True}


# --- expired tokens ----------------------------------------------------------------------------------------------

def test_expired_tokens_are_fetched_again_once(ansible, emu, demo_pg):
    """Tokens that last 1.5 s and answers that take 2 s: the bearer expires before the addon token request, then the
    database token (and the bearer) before the users list; each is fetched again once and the task goes on. A
    token refused again right after being fetched again fails the task: no loop."""
    emu.set_settings(token_ttl=1.5, addon_token_ttl=1.5)
    name, password = 'e2e-expired-tokens', new_password()
    tasks = [
        user_task('bearer expires', target(demo_pg, name=name, password=password)),
        info_task('database token expires', target(demo_pg, name=name)),
        info_task('refused twice', target(demo_pg), ignore_errors=True),
    ]
    at_task = {
        'bearer expires': [fault('api.addon_token', action='delay', delay=2, count=1)],
        'database token expires': [fault('users.list', action='delay', delay=2, count=1)],
        'refused twice': [fault('users.list', status=401, body={'error': 'token expired'}, count=2)],
    }
    run = ansible.playbook(tasks, at_task=at_task)
    assert_no_traceback(run)

    assert_ok(run, 'bearer expires', changed=True)
    assert statuses(run, 'bearer expires') == [
        ('auth.exchange', 200, True), ('api.addon_token', 401, True), ('auth.exchange', 200, True),
        ('api.addon_token', 200, True), ('users.list', 200, True), ('users.create', 201, True)]

    assert [u['name'] for u in assert_ok(run, 'database token expires')['users']] == [name]
    assert statuses(run, 'database token expires') == [
        ('auth.exchange', 200, True), ('api.addon_token', 200, True), ('users.list', 401, True),
        ('api.addon_token', 401, True), ('auth.exchange', 200, True), ('api.addon_token', 200, True),
        ('users.list', 200, True)]
    responses = [json.loads(e['response_body']) for e in run.requests('database token expires') if e['status'] == 401]
    assert responses == [{'error': 'token expired'}] * 2

    failed = assert_clear_failure(run, 'refused twice', 'HTTP 401', 'token expired')
    assert failed['failure']['status'] == 401
    assert [s[0] for s in statuses(run, 'refused twice')] == [
        'auth.exchange', 'api.addon_token', 'users.list', 'api.addon_token', 'users.list']

    demo_pg.assert_login(name, password)


# --- answers that are not what they should be ---------------------------------------------------------------------

PROXY_PAGE = '<!DOCTYPE html><html><head><title>Proxy login</title></head><body><form>...</form></body></html>'

BODIES = [
    # (task, route, fault, words of the message)
    ('an HTML page instead of the users', 'users.list',
     dict(status=200, body=PROXY_PAGE, content_type='text/html; charset=utf-8'), ['not JSON', 'text/html']),
    ('truncated JSON', 'users.list',
     dict(status=200, body='{"database-users": [{"name": "emu_demo', content_type='application/json'), ['not JSON']),
    ('JSON nested too deep', 'users.list', dict(status=200, body='[' * 100000, content_type='application/json'), ['not JSON']),
    ('an empty answer', 'users.list', dict(status=200, body='', content_type='application/json'),
     ['unexpected shape', 'a JSON object']),
    ('an unexpected shape', 'users.list', dict(status=200, body={'users': []}), ['unexpected shape', '"database-users" list']),
    ('users of an unexpected shape', 'users.list', dict(status=200, body={'database-users': [{'login': 'x'}, 'y']}),
     ['unexpected shape', '"name"']),
    ('no token in the exchange', 'auth.exchange', dict(status=200, body={'jwt': 'x'}), ['unexpected shape', '"token"']),
    ('text instead of the addon token', 'api.addon_token', dict(status=200, body='OK', content_type='text/plain'), ['not JSON']),
    ('an HTML error page', 'users.list',
     dict(status=500, body=PROXY_PAGE, content_type='text/html'), ['HTTP 500', 'server error']),
    ('a creation answered with a list', 'users.create', dict(status=201, body=[]), ['unexpected shape', 'a user object']),
]


def test_answers_that_are_not_json_fail_clearly(ansible, emu, demo_pg):
    """Not JSON, cut short, nested too deep, empty, or JSON of an unexpected shape: each task fails with a one-line
    message naming the URL, never a traceback; the page's HTML is not quoted."""
    tasks, at_task = [], {}
    for task, route, spec, dummy in BODIES:
        module_task = user_task if route == 'users.create' else info_task
        args = target(demo_pg, name='e2e-odd-answer', password=new_password()) if route == 'users.create' else target(demo_pg)
        tasks.append(module_task(task, args, ignore_errors=True))
        at_task[task] = [fault(route, count=1, **spec)]
    run = ansible.playbook(tasks, at_task=at_task)
    assert_no_traceback(run)
    for task, route, spec, words in BODIES:
        failed = assert_clear_failure(run, task, 'http://127.0.0.1:', *words)
        assert '<' not in failed['msg'] and 'Proxy login' not in json.dumps(failed), failed
        assert failed['failure']['url'].startswith('http://127.0.0.1:'), failed
    assert 'e2e-odd-answer' not in user_names(emu, demo_pg.addon_id)
