# -*- coding: utf-8 -*-
"""The emulator's HTTP servers: the auth service and the control port, and for each region a regional API and a
Database API of its own, each on its own port. The default region's keep the names ``api`` and ``db``."""

from __future__ import annotations

import threading
from collections import OrderedDict

from .server import Server

REGIONAL_SERVICES = ("api", "db")


class Endpoints(object):
    """The servers, keyed by ``(service, region)``; region is None for auth and control."""

    def __init__(self, host):
        self.host = host
        self._servers = OrderedDict()
        self._threads = []

    def start(self, emulator, regions, default_region, requested_ports):
        """Bind every server (the fixed ports of ``requested_ports`` go to auth, control and the default region's),
        then serve each from a thread of its own."""
        keys = [("auth", None)] + [(service, region) for region in regions for service in REGIONAL_SERVICES]
        for service, region in keys + [("control", None)]:
            port = requested_ports.get(service) if region in (None, default_region) else 0
            self._servers[(service, region)] = Server((self.host, int(port or 0)), emulator, service, region)
        for (service, region), server in self._servers.items():
            name = "scalingo-emu-%s%s" % (service, "-" + region if region else "")
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name=name,
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self):
        servers, self._servers = self._servers, OrderedDict()
        for server in servers.values():
            try:
                server.shutdown()
            except Exception:  # pylint: disable=broad-except
                pass
            server.server_close()
        for thread in self._threads:
            thread.join(5)
        self._threads = []

    def ports(self, default_region):
        """``{"auth", "api", "db", "control"}``: the default region's regional API and Database API."""
        return OrderedDict((service, server.server_address[1]) for (service, region), server in self._servers.items()
                           if region in (None, default_region))

    def region_ports(self, region):
        """``{"api", "db"}`` of a region; KeyError for a region the emulator does not serve."""
        ports = OrderedDict((service, server.server_address[1]) for (service, served), server in self._servers.items()
                            if served == region)
        if not ports:
            raise KeyError(region)
        return ports

    def url(self, port):
        return "http://%s:%d" % (self.host, port)
