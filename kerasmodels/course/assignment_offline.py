"""Python's sockets refuse every host but loopback: run in the kernel that grades a submission.

The outer block is the network namespace `assignment_grading.OfflineKernelManager`
starts the kernel in; this one also works where no namespace can be made, and it
tells the student why the download failed. It stops Python's `socket` module only:
a student set on getting out can use `_socket` or a subprocess, which the namespace
stops (or, on systems without one, a container run with `--network none`).
"""

import ipaddress
import socket


class NetworkBlocked(OSError):
    """Raised for any connection, datagram or name lookup that would leave this machine."""


def _is_local(host):
    host = "" if host is None else str(host)
    if host.lower() in ("localhost", ""):
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # a name would need a DNS lookup
    return address.is_loopback or address.is_unspecified


def _refuse(what, address):
    raise NetworkBlocked(f"no network while grading: {what} {address!r} refused (the data must be on this machine)")


def block_network():
    """Patch `socket` so that only loopback addresses and Unix sockets can be reached. Idempotent."""
    if getattr(socket, "_kerasmodels_blocked", False):
        return
    connect, connect_ex, sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto

    def checked(sock, address, what):
        if sock.family != getattr(socket, "AF_UNIX", None):
            host = address[0] if isinstance(address, tuple) and address else ""
            if not _is_local(host):
                _refuse(what, address)

    def _connect(self, address):
        checked(self, address, "connection to")
        return connect(self, address)

    def _connect_ex(self, address):
        checked(self, address, "connection to")
        return connect_ex(self, address)

    def _sendto(self, data, *args):
        checked(self, args[-1], "datagram to")
        return sendto(self, data, *args)

    def lookup(original):
        def refuse_remote(host, *args, **kwargs):
            if not _is_local(host):
                _refuse("name lookup of", host)
            return original(host, *args, **kwargs)

        return refuse_remote

    socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto = _connect, _connect_ex, _sendto
    socket.getaddrinfo = lookup(socket.getaddrinfo)
    socket.gethostbyname = lookup(socket.gethostbyname)
    socket.gethostbyname_ex = lookup(socket.gethostbyname_ex)
    socket._kerasmodels_blocked = True
