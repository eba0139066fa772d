# -*- coding: utf-8 -*-
"""The emulator's HTTP servers: the auth service and the control port, and for each region a regional API and a
Database API of its own, each on its own port (the default region's keep the names ``api`` and ``db``). Each reads a
request, hands it to the emulator, and writes (or drops) the answer."""

from __future__ import annotations

import io
import socket
import struct
import sys
import threading
import time
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default backlog of 5 makes bursts of connections wait 1 s for a SYN retry

    def __init__(self, address, emulator, service, region=None):
        self.emulator = emulator
        self.service = service
        self.region = region  # the region whose regional API or Database API this is; None for auth and control
        ThreadingHTTPServer.__init__(self, address, Handler)

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], OSError):  # a client gone, or a timeout, is no error of the emulator's
            ThreadingHTTPServer.handle_error(self, request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "scalingo-emulator/1.0"
    # Headers and body go out in two writes: without TCP_NODELAY, a kept-alive connection waits ~40 ms for the ACK.
    disable_nagle_algorithm = True

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):  # pylint: disable=arguments-differ
        if self.server.emulator.verbose:
            where = self.server.service + ("@" + self.server.region if self.server.region else "")
            sys.stderr.write("[%s] %s - %s\n" % (where, self.address_string(), fmt % args))

    def _handle(self):
        try:
            # the collection, the tests and the tools send a Content-Length; none sends a chunked body
            length = self.headers.get("Content-Length")
            body = self.rfile.read(int(length)) if length else b""
        except (ValueError, OSError):
            self.close_connection = True
            return
        reply = self.server.emulator.handle_request(self.server.service, self.command, self.path, self.headers, body,
                                                    "%s:%s" % self.client_address[:2], region=self.server.region)
        if reply.drop:
            self.close_connection = True
            try:
                if reply.drop == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    # drop our references so that close() really closes (and sends the RST)
                    self.rfile.close()
                    self.wfile.close()
                    self.wfile = io.BytesIO()
                    self.connection.close()
                else:
                    self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        try:
            self.send_response(reply.status)
            for key, value in reply.headers:
                self.send_header(key, value)
            has_body = reply.status not in (204, 304) and not (100 <= reply.status < 200)
            if has_body:
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if has_body and self.command != "HEAD":
                if reply.trickle:
                    for index in range(len(reply.body)):
                        self.wfile.write(reply.body[index:index + 1])
                        self.wfile.flush()
                        time.sleep(reply.trickle)
                else:
                    self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _handle


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

    def ports(self, region, shared=True):
        """``{service: port}``: ``region``'s regional API and Database API, with auth and control when ``shared``
        (else KeyError for a region the emulator does not serve)."""
        ports = OrderedDict((service, server.server_address[1]) for (service, served), server in self._servers.items()
                            if served == region or (shared and served is None))
        if not ports and not shared:
            raise KeyError(region)
        return ports

    def url(self, port):
        return "http://%s:%d" % (self.host, port)
