#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Test-only module of the integration targets: what a database user can do in PostgreSQL.

It logs in as ``user`` with ``password`` (or with the connection URI ``uri``, as returned by the modules) and,
when asked, tries to create a table (``write``: read-write users can, read-only users cannot). It never fails for a
refused login or statement: it reports them, for the target to assert on. Requires psycopg on the host that runs it.
"""

DOCUMENTATION = r'''
module: postgres_check
short_description: What a database user can do in PostgreSQL (integration tests only)
description: Logs in as a user and reports whether it could log in and write (create a table).
options:
  uri: {type: str, description: A connection URI to log in with as it is; instead of the next five options.}
  host: {type: str, description: Host of the PostgreSQL server.}
  port: {type: int, description: Its port.}
  dbname: {type: str, description: The database.}
  sslmode: {type: str, default: prefer, description: libpq's sslmode.}
  password: {type: str, description: Its password.}
  user: {type: str, required: true, description: The user to log in as (with O(uri), the user it must name).}
  write: {type: bool, default: false, description: Try to create (and drop) a table.}
author: [scalingo.cloud contributors (@scalingo-community)]
'''

import uuid

from urllib.parse import unquote

from ansible.module_utils.basic import AnsibleModule

try:
    import psycopg
except ImportError:  # pragma: no cover - reported by the module
    psycopg = None


def main():
    module = AnsibleModule(argument_spec=dict(
        uri=dict(type='str', no_log=True), host=dict(type='str'), port=dict(type='int'),
        dbname=dict(type='str'), sslmode=dict(type='str', default='prefer'),
        user=dict(type='str', required=True), password=dict(type='str', no_log=True),
        write=dict(type='bool', default=False),
    ), required_one_of=[('uri', 'password')], mutually_exclusive=[('uri', 'password')],
        required_by=dict(password=('host', 'port', 'dbname')), supports_check_mode=True)
    if psycopg is None:
        module.fail_json(msg='postgres_check needs psycopg (pip install "psycopg[binary]")')
    p = module.params
    result = dict(changed=False, login=False, write=None)
    try:
        if p['uri']:
            conn = psycopg.connect(p['uri'], connect_timeout=10, autocommit=True)
        else:
            conn = psycopg.connect(host=p['host'], port=p['port'], dbname=p['dbname'], user=p['user'],
                                   password=p['password'], sslmode=p['sslmode'], connect_timeout=10, autocommit=True)
    except psycopg.OperationalError as exc:
        # The server's words only: never the connection string.
        message = str(exc)
        for secret in (p['uri'], p['password'], unquote(p['uri'] or '').rpartition('@')[0]):
            if secret:
                message = message.replace(secret, '********')
        result['login_error'] = message.splitlines()[-1].strip()
        module.exit_json(**result)
    with conn:
        result['login'] = conn.execute('SELECT current_user').fetchone()[0] == p['user']
        if p['write']:
            table = 'it_check_' + uuid.uuid4().hex[:12]
            try:
                conn.execute('CREATE TABLE public.%s (id int)' % table)
                conn.execute('INSERT INTO public.%s VALUES (1)' % table)
                conn.execute('DROP TABLE public.%s' % table)
                result['write'] = True
            except psycopg.errors.InsufficientPrivilege:
                result['write'] = False
    module.exit_json(**result)


if __name__ == '__main__':
    main()
