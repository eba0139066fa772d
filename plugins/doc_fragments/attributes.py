# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


class ModuleDocFragment:
    # The action group every module belongs to.
    DOCUMENTATION = r'''
attributes:
  action_group:
    description: Use C(group/scalingo.cloud.scalingo) in C(module_defaults) to set the connection options once for all modules.
    support: full
    membership:
      - scalingo.cloud.scalingo
'''

    # A module that changes things and says what it would change.
    CHECK_AND_DIFF = r'''
attributes:
  check_mode:
    description: Can run in check mode and return the same changed status and diff as a real run, without changing anything.
    support: full
  diff_mode:
    description: Will return details on what has changed (or would change in check mode), with passwords as placeholders.
    support: full
'''

    # A module that only reads.
    INFO_MODULE = r'''
attributes:
  check_mode:
    description: This module only reads, so it runs the same in check mode.
    support: full
  diff_mode:
    description: This module changes nothing, so it has no diff.
    support: N/A
'''
