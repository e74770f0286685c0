"""Loaded by every Python subprocess the tests start (PYTHONPATH): no network but loopback.

The test suite must prove that nothing downloads at run time. Kernels that execute notebooks
talk to nbclient over loopback, so 127.0.0.1/::1 and Unix sockets stay allowed.
"""

import socket

_ALLOWED_HOSTS = {"127.0.0.1", "::1", "localhost", "0.0.0.0", ""}
_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex
_original_getaddrinfo = socket.getaddrinfo


class NetworkBlocked(OSError):
    pass


def _host(address):
    if isinstance(address, tuple) and address:
        return str(address[0])
    return ""  # AF_UNIX paths


def _check(sock, address):
    if sock.family == getattr(socket, "AF_UNIX", None):
        return
    host = _host(address)
    if host not in _ALLOWED_HOSTS and not host.startswith("127."):
        raise NetworkBlocked(f"network access blocked during tests: connect to {address!r}")


def _connect(self, address):
    _check(self, address)
    return _original_connect(self, address)


def _connect_ex(self, address):
    _check(self, address)
    return _original_connect_ex(self, address)


def _getaddrinfo(host, *args, **kwargs):
    if host not in (None, "") and str(host) not in _ALLOWED_HOSTS and not str(host).startswith("127."):
        raise NetworkBlocked(f"network access blocked during tests: name lookup of {host!r}")
    return _original_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _connect
socket.socket.connect_ex = _connect_ex
socket.getaddrinfo = _getaddrinfo
