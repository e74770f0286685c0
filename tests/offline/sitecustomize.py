"""Loaded by every Python subprocess the tests start (PYTHONPATH): no network but loopback.

The test suite must prove that nothing downloads at run time. Kernels that execute notebooks
talk to nbclient over loopback, so loopback addresses and Unix sockets stay allowed.

This is the fallback block, in Python: it cannot stop `_socket.socket` used directly, a Python
started with -I/-E/-S (which skips this file) or a non-Python program. The real block is the
kernel's: `.ci/offline` runs the suite in a network namespace with loopback only
(`tests/test_robustness.py::test_kernel_blocks_the_network_for_every_process` checks it).
"""

import ipaddress
import socket

_LOCAL_NAMES = {"localhost", ""}
_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex
_original_sendto = socket.socket.sendto
_original_sendmsg = socket.socket.sendmsg
_original_getaddrinfo = socket.getaddrinfo
_original_gethostbyname = socket.gethostbyname
_original_gethostbyname_ex = socket.gethostbyname_ex


class NetworkBlocked(OSError):
    pass


def _is_local(host):
    """Loopback or the wildcard address, as a literal; every other name or address is refused."""
    host = "" if host is None else str(host)
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # a name such as '127.example.com' would need a DNS lookup
    return address.is_loopback or address.is_unspecified


def _host(address):
    if isinstance(address, tuple) and address:
        return address[0]
    return ""  # AF_UNIX paths


def _check(sock, address, what="connect to"):
    if sock.family == getattr(socket, "AF_UNIX", None):
        return
    if not _is_local(_host(address)):
        raise NetworkBlocked(f"network access blocked during tests: {what} {address!r}")


def _connect(self, address):
    _check(self, address)
    return _original_connect(self, address)


def _connect_ex(self, address):
    _check(self, address)
    return _original_connect_ex(self, address)


def _sendto(self, data, *args):
    _check(self, args[-1], "send to")
    return _original_sendto(self, data, *args)


def _sendmsg(self, buffers, ancdata=(), flags=0, address=None):
    if address is not None:
        _check(self, address, "send to")
        return _original_sendmsg(self, buffers, ancdata, flags, address)
    return _original_sendmsg(self, buffers, ancdata, flags)


def _lookup(original):
    def lookup(host, *args, **kwargs):
        if not _is_local(host):
            raise NetworkBlocked(f"network access blocked during tests: name lookup of {host!r}")
        return original(host, *args, **kwargs)

    return lookup


socket.socket.connect = _connect
socket.socket.connect_ex = _connect_ex
socket.socket.sendto = _sendto
socket.socket.sendmsg = _sendmsg
socket.getaddrinfo = _lookup(_original_getaddrinfo)
socket.gethostbyname = _lookup(_original_gethostbyname)
socket.gethostbyname_ex = _lookup(_original_gethostbyname_ex)
