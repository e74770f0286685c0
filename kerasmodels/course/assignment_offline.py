"""Python's sockets refuse every host but loopback: run in the kernel that grades a submission.

The outer block is the network namespace `assignment_grading.OfflineKernelManager`
starts the kernel in; this one also works where no namespace can be made, and it
tells the student why the download failed. It stops Python's `socket` module only:
a student set on getting out can use `_socket` or a subprocess, which the namespace
stops with `[Errno 101] Network is unreachable` (or, on systems without one, a
container run with `--network none`).

Run as a program, `python -m kerasmodels.course.assignment_offline COMMAND...`, it
brings the loopback interface up (a new network namespace starts with `lo` down,
where even 127.0.0.1 is unreachable) and then executes COMMAND in its place: the
kernel starts inside the namespace with 127.0.0.1 working, so a student's local
test server runs as it would on their laptop. `--probe` only reports whether
that worked (exit status 0: loopback up and reachable, 3: not).
"""

import ipaddress
import os
import socket
import sys

LOOPBACK_DOWN = 3  # exit status of --probe: a namespace, but loopback could not be brought up


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


def loopback_up(name="lo"):
    """Bring the network interface `name` up (SIOCSIFFLAGS); returns None, or why it could not."""
    try:
        import fcntl
        import struct

        siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            request = struct.pack("16sH22x", name.encode(), 0)  # struct ifreq: the name, then ifr_flags
            flags = struct.unpack("16sH22x", fcntl.ioctl(sock, siocgifflags, request))[1]
            if not flags & iff_up:
                fcntl.ioctl(sock, siocsifflags, struct.pack("16sH22x", name.encode(), flags | iff_up))
    except (ImportError, OSError) as error:
        return f"could not bring {name} up: {error}"
    return None


def _loopback_works():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass


def main(argv=None):
    """`--probe`, or bring loopback up and exec the command (a kernel) in this process's place."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--":
        argv = argv[1:]
    problem = loopback_up()
    if argv == ["--probe"]:
        if problem is None:
            try:
                _loopback_works()
            except OSError as error:
                problem = f"127.0.0.1 unreachable: {error}"
        if problem:
            print(problem, file=sys.stderr)
        return LOOPBACK_DOWN if problem else 0
    if not argv:
        print("usage: python -m kerasmodels.course.assignment_offline [--probe | COMMAND...]", file=sys.stderr)
        return 2
    if problem:  # the kernel still starts, without network at all: say why loopback is missing
        print(f"kerasmodels grading sandbox: {problem}; 127.0.0.1 is unreachable in this kernel", file=sys.stderr)
    os.execvp(argv[0], argv)


def _is_address(host):
    try:
        ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:
        return False
    return True


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
                _refuse("connection to" if _is_address(host) else "name lookup of", host)
            return original(host, *args, **kwargs)

        return refuse_remote

    socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto = _connect, _connect_ex, _sendto
    socket.getaddrinfo = lookup(socket.getaddrinfo)
    socket.gethostbyname = lookup(socket.gethostbyname)
    socket.gethostbyname_ex = lookup(socket.gethostbyname_ex)
    socket._kerasmodels_blocked = True


if __name__ == "__main__":
    sys.exit(main())
