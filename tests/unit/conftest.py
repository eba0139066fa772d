# -*- coding: utf-8 -*-
# Copyright (c) scalingo.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures of the unit tests: no test reaches the network, waits, or reads the caller's environment."""

import os
import sys

import pytest
import requests

from hypothesis import settings

from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

# ansible-test installs Ansible's collection loader, which loading a plugin by name needs (the inventory plugin's tests
# do); under plain pytest (make pytest), install it here, over the collections path this copy lies in.
if not any(isinstance(finder, _AnsibleCollectionFinder) for finder in sys.meta_path):
    _AnsibleCollectionFinder(paths=[os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', '..'))])._install()

from ansible_collections.scalingo.cloud.plugins.module_utils._http import Transport
from ansible_collections.scalingo.cloud.tests.unit.plugins.fake_scalingo import FakeClock, FakeScalingo
from ansible_collections.scalingo.cloud.tests.unit.plugins.module_runner import ModuleRunner

# The property tests draw the same examples on every run (derived from each test): what they reach of plugins/, and
# so the figure of make coverage, is the same from one run to the next; and no example database is written.
settings.register_profile('units', derandomize=True, database=None)
settings.load_profile('units')

# Every variable the modules or requests read: tests set the ones they need.
_ENVIRONMENT = (
    'SCALINGO_API_TOKEN', 'SCALINGO_DATABASE_TOKEN', 'DB_BEARER_TOKEN', 'SCALINGO_APP', 'SCALINGO_ADDON',
    'SCALINGO_REGION', 'SCALINGO_AUTH_URL', 'SCALINGO_API_URL', 'SCALINGO_DB_API_URL', 'SCALINGO_DB_URL',
    'DB_API_URL', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY',
    'http_proxy', 'https_proxy', 'all_proxy', 'no_proxy',
)


@pytest.fixture(autouse=True)
def fake(monkeypatch, tmp_path):
    """The fake Scalingo, answering every request any requests.Session sends during the test."""
    for name in _ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    # requests reads ~/.netrc: point it at a file that does not exist.
    monkeypatch.setenv('NETRC', str(tmp_path / 'no-netrc'))
    service = FakeScalingo()
    monkeypatch.setattr(requests.Session, 'get_adapter', lambda session, url: service)
    return service


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """Retries sleep on a fake clock: nothing waits, and the waits are recorded in ``clock.sleeps``."""
    fake_clock = FakeClock()
    monkeypatch.setattr(Transport, '_sleep', staticmethod(fake_clock.sleep))
    monkeypatch.setattr(Transport, '_clock', staticmethod(fake_clock.clock))
    return fake_clock


@pytest.fixture
def runner(monkeypatch):
    """Runs a module's main() in-process: ``runner.ok(module, args)``, ``runner.fail(...)``, ``runner.run(...)``."""
    module_runner = ModuleRunner()
    module_runner.install(monkeypatch)
    return module_runner
