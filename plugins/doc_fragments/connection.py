# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


class ModuleDocFragment:
    # Options shared by every module: how to reach Scalingo and which addon to manage.
    DOCUMENTATION = r'''
options:
  api_token:
    description:
      - Scalingo API token (C(tk-us-...)), created in the dashboard or with C(scalingo tokens-create).
      - Exchanged for a one-hour bearer token, then for a database token of O(addon). Each token is fetched
        at most once per task.
      - Required unless O(database_token) is given.
      - If not set, the value of the E(SCALINGO_API_TOKEN) environment variable is used.
    type: str
  database_token:
    description:
      - A database token of the addon, used as is instead of O(api_token).
      - It saves two requests per task, but it is valid for one hour only and for one addon only; with it,
        O(addon) must be the addon id and O(app) is not needed.
      - Takes precedence over O(api_token) when both are set. With O(api_token) and O(app) as well, a database token
        that Scalingo refuses (it expired) is replaced by a new one, fetched with the API token, once per task.
      - If not set, the value of the E(SCALINGO_DATABASE_TOKEN) environment variable is used.
    type: str
  app:
    description:
      - Name or id of the Scalingo app that holds the addon.
      - Required with O(api_token).
      - If not set, the value of the E(SCALINGO_APP) environment variable is used.
    type: str
  addon:
    description:
      - The database addon, by id (C(ad-...)) or by type (V(postgresql), V(mysql), V(mongodb) or V(influxdb)).
      - A type is resolved from the app's addons and fails when the app has none, or several, of that type.
      - Redis, Elasticsearch and OpenSearch addons have no database users.
      - If not set, the value of the E(SCALINGO_ADDON) environment variable is used.
    type: str
    required: true
  region:
    description:
      - Scalingo region of the app, such as V(osc-fr1) or V(osc-secnum-fr1).
      - Sets the default O(api_url) (C(https://api.<region>.scalingo.com)) and O(db_api_url)
        (C(https://db-api.<region>.scalingo.com)).
      - If not set, the value of the E(SCALINGO_REGION) environment variable is used, then V(osc-fr1).
    type: str
    default: osc-fr1
  auth_url:
    description:
      - Root URL of Scalingo's authentication service, by default C(https://auth.scalingo.com).
      - A bare host is read as C(https://<host>); a trailing C(/v1) is accepted.
      - If not set, the value of the E(SCALINGO_AUTH_URL) environment variable is used.
    type: str
  api_url:
    description:
      - Root URL of the regional Scalingo API, by default derived from O(region).
      - A bare host is read as C(https://<host>); a trailing C(/v1) is accepted.
      - If not set, the value of the E(SCALINGO_API_URL) environment variable is used.
    type: str
  db_api_url:
    description:
      - Root URL of the Scalingo database API, by default derived from O(region).
      - A bare host is read as C(https://<host>); a trailing C(/api) is accepted.
      - If not set, the value of the E(SCALINGO_DB_API_URL) environment variable is used,
        then E(SCALINGO_DB_URL) (the Scalingo CLI's name).
    type: str
  timeout:
    description:
      - Seconds each request may take in all, from connecting to the last byte of its answer, however slowly the
        answer comes.
      - Retries are bounded too (see O(max_wait)), so a task always ends.
    type: float
    default: 30
  max_wait:
    description:
      - Seconds a task may spend waiting in all between attempts, whatever the number of its requests; between 0
        and 3600.
      - It covers rate limits (HTTP 429, waited out as C(Retry-After) says, or 1, 2, 4 ... 32 seconds apart without
        it), retries of reads after a server error, and a deletion that may still land.
      - The default covers Scalingo's rate limit of 60 requests a minute on its main API twice over, so that a loop
        of many tasks goes on, slower, instead of failing. V(0) never waits.
    type: float
    default: 120
  validate_certs:
    description:
      - Whether to verify the TLS certificates of Scalingo's services.
      - Set to V(false) only against a test service; the task then warns.
    type: bool
    default: true
requirements:
  - requests
notes:
  - Rate limits (HTTP 429) are waited out on every request, within O(max_wait), honouring C(Retry-After), and a request
    whose connection could not be made is sent again. Lost connections and HTTP 502, 503 and 504 are retried on reads and token requests. A write whose
    answer was lost is never sent again blindly, as the users are read again first. A write that may still be applied
    after the task gave up waiting is reported as such, with a warning.
  - Tokens and passwords never appear in messages, diffs, warnings or returned values, in any form a server may echo
    them, but for the passwords that Scalingo generated in the task, returned once so that they can be stored
    (C(password) of M(scalingo.cloud.database_user), C(passwords) of M(scalingo.cloud.database_users), and the
    connection URIs that hold them). Register such a result with C(no_log). A password given to a module is never
    returned.
  - Never pass a token or a password in the arguments of an ad-hoc command (C(-a)), as ansible-core 2.19 and later print
    them when the command fails. Use the environment variables, or a playbook and a vault.
'''

    # The same options, as a plugin reads them (from its configuration file, else the environment): the inventory
    # plugin scalingo.cloud.databases lists a whole account with the API token alone.
    PLUGIN = r'''
options:
  api_token:
    description:
      - Scalingo API token (C(tk-us-...)), created in the dashboard or with C(scalingo tokens-create).
      - Exchanged for a one-hour bearer token, fetched once per run; no database token is ever asked for.
      - May be a template, for example C("{{ vault_scalingo_api_token }}") with the variable from a vault given as an
        extra variable.
    type: str
    required: true
    env:
      - name: SCALINGO_API_TOKEN
  auth_url:
    description:
      - Root URL of Scalingo's authentication service, by default C(https://auth.scalingo.com).
      - A bare host is read as C(https://<host>); a trailing C(/v1) is accepted.
    type: str
    env:
      - name: SCALINGO_AUTH_URL
  api_url:
    description:
      - Root URL of one regional Scalingo API. When set, only that region is listed, named after the region of
        Scalingo's list whose API it is, else after its host (a test service).
      - A bare host is read as C(https://<host>); a trailing C(/v1) is accepted.
    type: str
    env:
      - name: SCALINGO_API_URL
  timeout:
    description:
      - Seconds each request may take in all, from connecting to the last byte of its answer, however slowly the
        answer comes.
      - Retries are bounded too (see O(max_wait)), so a run always ends.
    type: float
    default: 30
  validate_certs:
    description:
      - Whether to verify the TLS certificates of Scalingo's services.
      - Set to V(false) only against a test service.
    type: bool
    default: true
requirements:
  - requests
'''
