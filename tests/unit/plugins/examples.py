# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How many examples a property test draws: all of them on the newest ansible-core line make test runs, a third on the
older ones, which run the same collection code under another ansible-core (the Makefile's CORES)."""

from ansible.module_utils.ansible_release import __version__

NEWEST_CORE = (2, 21)


def examples(count):
    line = tuple(int(part) for part in __version__.split('.')[:2])
    return count if line >= NEWEST_CORE else max(20, count // 3)
