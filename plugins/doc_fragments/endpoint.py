# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


class ModuleDocFragment:
    # The option every module takes to say how to connect to the database itself.
    DOCUMENTATION = r'''
options:
  connection:
    description:
      - Also return where the database listens, as C(connection), without any credential; and, with the modules
        that manage users, the URL that connects to it as each user whose password the module knows
        (C(connection_uri), C(connection_uris)). See the return values.
      - Read from the app's environment (the C(SCALINGO_<TYPE>_URL) variable of the database, whose user is the
        database's protected user). That takes one more request, and needs O(api_token) and O(app), not only a
        O(database_token). Nothing else of the environment is ever returned or shown.
      - When no such variable or several different ones are found, the task fails saying why, before any change.
    type: bool
    default: false
'''
