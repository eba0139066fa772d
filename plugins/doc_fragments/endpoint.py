# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


class ModuleDocFragment:
    # The option every module takes to say where the database listens.
    DOCUMENTATION = r'''
options:
  return_connection:
    description:
      - Also return where the database listens, as RV(connection) (host, port, database name, URI options, whether
        it accepts TLS connections only and whether it can be reached from the internet), without any credential.
      - With the modules that manage users, also return the URI of each user whose password Scalingo generated in
        this run (C(connection_uri) of M(scalingo.cloud.database_user), C(connection_uris) of
        M(scalingo.cloud.database_users)). A password given to the module is never returned, in any form. Build
        that user's URI in the playbook instead, from RV(connection) and the password URL-encoded (with C(/) encoded
        as C(%2F), which the C(urlencode) filter leaves as it is), as the EXAMPLES of M(scalingo.cloud.database_user)
        show.
      - Read from Scalingo's Database API with the database token the task holds anyway (C(GET /api/databases/<id>)),
        in one more request, so it works with a O(database_token) alone. The database is named after its protected user,
        from the users the task lists anyway; with none or several, the task fails before any change.
      - PostgreSQL and MySQL databases only. Scalingo documents no connection URI for MongoDB and InfluxDB databases,
        so the task fails for those, before any change.
    type: bool
    default: false
'''
