#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Raw D-Bus peers for test-bus-limits.sh: connections that say nothing, that authenticate and
idle, that send what no well-behaved client sends. Only the standard library: the messages are
marshalled by hand (little endian, D-Bus 1).

  bus-peer.py silent SOCKET [--auth] [--timeout T]
        connect (and authenticate, without a message): print the seconds until supd closes it,
        or "open" after T
  bus-peer.py hold SOCKET N [--hello] [--uid U] [--ready FILE] [--hold T]
        open N connections (authenticated, with Hello, when --hello) one after the other, write to
        FILE how many supd closed meanwhile, then hold the rest for T seconds or until SIGTERM
  bus-peer.py call SOCKET (--name NAME | --name-size N) [--timeout T]
        GetUnit(NAME) on an authenticated connection, then ListUnits on the same one: print a JSON
        object (seconds, reply type, error name, message length and start, whether ListUnits
        worked after it)
  bus-peer.py exec SOCKET UNIT N [--timeout T]
        Exec(UNIT, N arguments, no environment, no tty, /dev/null as stdin, stdout and stderr):
        print the error name and message, or "pid PID"
  bus-peer.py refused SOCKET [--uid U] [--timeout T]
        connect and authenticate as uid U: print "closed SECONDS" when supd closes the connection,
        "open" when it answers Hello
"""

import argparse
import json
import os
import select
import signal
import socket
import struct
import sys
import time

METHOD_CALL, METHOD_RETURN, ERROR, SIGNAL = 1, 2, 3, 4


def pad(b, n):
    return b + b"\0" * ((-len(b)) % n)


def marshal_call(serial, path, interface, member, signature="", body=b"", n_fds=0):
    fields = b""

    def field(code, sig, value):
        nonlocal fields
        fields = pad(fields, 8)
        v = value.encode()
        if sig == "g":
            data = bytes([len(v)]) + v + b"\0"
        else:
            data = struct.pack("<I", len(v)) + v + b"\0"
        fields += bytes([code, 1]) + sig.encode() + b"\0" + data

    field(1, "o", path)
    if interface:
        field(2, "s", interface)
    field(3, "s", member)
    if signature:
        field(8, "g", signature)
    if n_fds:
        fields = pad(fields, 8)
        fields += bytes([9, 1]) + b"u\0" + struct.pack("<I", n_fds)
    header = struct.pack("<BBBBII", ord("l"), METHOD_CALL, 0, 1, len(body), serial) + struct.pack("<I", len(fields))
    return pad(header + fields, 8) + body


def string_body(s):
    b = s if isinstance(s, bytes) else s.encode()
    return struct.pack("<I", len(b)) + b + b"\0"


class Closed(Exception):
    pass


def recv_exact(sock, n, deadline):
    buf = b""
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            raise TimeoutError
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise Closed
        buf += chunk
    return buf


def read_message(sock, deadline):
    """Returns (type, reply_serial, error_name, first string of the body)."""
    head = recv_exact(sock, 16, deadline)
    body_len, _serial, fields_len = struct.unpack("<III", head[4:16])
    rest = recv_exact(sock, ((fields_len + 7) & ~7) + body_len, deadline)
    fields = rest[:fields_len]
    body = rest[((fields_len + 7) & ~7):]
    i, error_name, reply_serial = 0, None, None
    while i < len(fields):
        i = (i + 7) & ~7
        code = fields[i]
        siglen = fields[i + 1]
        sig = fields[i + 2:i + 2 + siglen].decode()
        i += 3 + siglen
        if sig in ("s", "o"):
            i = (i + 3) & ~3
            (n,) = struct.unpack("<I", fields[i:i + 4])
            value = fields[i + 4:i + 4 + n].decode()
            i += 5 + n
        elif sig == "g":
            n = fields[i]
            value = fields[i + 1:i + 1 + n].decode()
            i += 2 + n
        elif sig == "u":
            i = (i + 3) & ~3
            (value,) = struct.unpack("<I", fields[i:i + 4])
            i += 4
        else:
            raise ValueError("unexpected header field type " + sig)
        if code == 4:
            error_name = value
        elif code == 5:
            reply_serial = value
    text = None
    if head[1] == ERROR and len(body) >= 4:
        (n,) = struct.unpack("<I", body[:4])
        text = body[4:4 + n].decode(errors="replace")
    return head[1], reply_serial, error_name, text


def connect(path, uid=None):
    """As @uid when given: the effective uid is what supd sees (SO_PEERCRED), and ours comes back
    after, so that files can still be written."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if uid is None:
        s.connect(path)
        return s
    saved = os.geteuid()
    os.seteuid(uid)
    try:
        s.connect(path)
    finally:
        os.seteuid(saved)
    return s


def read_line(sock, deadline):
    line = b""
    while not line.endswith(b"\r\n"):
        line += recv_exact(sock, 1, deadline)
    return line


def authenticate(sock, deadline, fds=False):
    uid = str(os.geteuid()).encode().hex()
    sock.sendall(b"\0AUTH EXTERNAL " + uid.encode() + b"\r\n" + (b"NEGOTIATE_UNIX_FD\r\n" if fds else b"")
                 + b"BEGIN\r\n")
    line = read_line(sock, deadline)
    if not line.startswith(b"OK "):
        raise RuntimeError("authentication refused: %r" % line)
    if fds and read_line(sock, deadline) != b"AGREE_UNIX_FD\r\n":
        raise RuntimeError("no fd passing")


def call(sock, serial, member, signature="", body=b"", interface="org.sup.Manager1", path="/org/sup/Manager1",
         deadline=None):
    sock.sendall(marshal_call(serial, path, interface, member, signature, body))
    while True:
        t, reply_serial, error_name, text = read_message(sock, deadline)
        if t in (METHOD_RETURN, ERROR) and reply_serial == serial:
            return t, error_name, text


def hello(sock, deadline):
    t, error_name, _ = call(sock, 1, "Hello", interface="org.freedesktop.DBus", path="/org/freedesktop/DBus",
                            deadline=deadline)
    if t != METHOD_RETURN:
        raise RuntimeError("Hello failed: %s" % error_name)


def is_closed(sock):
    r, _, _ = select.select([sock], [], [], 0)
    if not r:
        return False
    try:
        return sock.recv(4096, socket.MSG_PEEK) == b""
    except ConnectionError:
        return True


def cmd_silent(a):
    start = time.monotonic()
    deadline = start + a.timeout
    s = connect(a.socket)
    try:
        if a.auth:
            authenticate(s, deadline)
        while True:
            recv_exact(s, 1, deadline)
    except (Closed, ConnectionError):
        print("%.2f" % (time.monotonic() - start))
    except TimeoutError:
        print("open")


def cmd_hold(a):
    conns = []
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    for i in range(a.n):
        s = connect(a.socket, a.uid)
        conns.append(s)
        if a.hello:
            deadline = time.monotonic() + 10
            try:
                authenticate(s, deadline)
                hello(s, deadline)
            except (Closed, ConnectionError):
                pass
    closed = sum(1 for s in conns if is_closed(s))
    if a.ready:
        with open(a.ready + ".tmp", "w") as f:
            f.write("%d\n" % closed)
        os.rename(a.ready + ".tmp", a.ready)
    end = time.monotonic() + a.hold
    while not stop and time.monotonic() < end:
        time.sleep(0.05)
    for s in conns:
        s.close()


def cmd_call(a):
    name = a.name if a.name is not None else "a" * a.name_size
    deadline = time.monotonic() + a.timeout
    out = {}
    s = connect(a.socket)
    try:
        authenticate(s, deadline)
        hello(s, deadline)
        start = time.monotonic()
        t, error_name, text = call(s, 2, "GetUnit", "s", string_body(name), deadline=deadline)
        out["seconds"] = round(time.monotonic() - start, 3)
        out["type"] = {METHOD_RETURN: "return", ERROR: "error"}.get(t, str(t))
        out["error"] = error_name or ""
        out["message_length"] = len(text or "")
        out["message"] = (text or "")[:200]
        t, error_name, _ = call(s, 3, "ListUnits", deadline=deadline)
        out["after"] = "ok" if t == METHOD_RETURN else "error " + str(error_name)
    except TimeoutError:
        out["failure"] = "timeout"
    except (Closed, ConnectionError) as e:
        out["failure"] = "closed: " + str(e)
    print(json.dumps(out))


def cmd_exec(a):
    deadline = time.monotonic() + a.timeout
    s = connect(a.socket)
    authenticate(s, deadline, fds=True)
    hello(s, deadline)

    def align(b, n):
        return pad(b, n)

    body = string_body(a.unit)
    items = b""
    for _ in range(a.n):
        items = align(items, 4) + string_body("x")
    body = align(body, 4) + struct.pack("<I", len(items)) + items
    body = align(body, 4) + struct.pack("<I", 0)  # no environment
    body = align(body, 4) + struct.pack("<IIII", 0, 0, 1, 2)  # tty false, fds 0 1 2
    null = os.open("/dev/null", os.O_RDWR)
    msg = marshal_call(2, "/org/sup/Manager1", "org.sup.Manager1", "Exec", "sasasbhhh", body, n_fds=3)
    s.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("<3i", null, null, null))])
    os.close(null)
    while True:
        t, reply_serial, error_name, text = read_message(s, deadline)
        if reply_serial == 2:
            break
    print("%s %s" % (error_name, text) if t == ERROR else "returned")


def cmd_refused(a):
    start = time.monotonic()
    deadline = start + a.timeout
    try:
        s = connect(a.socket, a.uid)
        authenticate(s, deadline)
        hello(s, deadline)
        print("open")
    except (Closed, ConnectionError):
        print("closed %.2f" % (time.monotonic() - start))
    except TimeoutError:
        print("timeout")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("silent")
    s.add_argument("socket")
    s.add_argument("--auth", action="store_true")
    s.add_argument("--timeout", type=float, default=10)
    s = sub.add_parser("hold")
    s.add_argument("socket")
    s.add_argument("n", type=int)
    s.add_argument("--hello", action="store_true")
    s.add_argument("--uid", type=int)
    s.add_argument("--ready")
    s.add_argument("--hold", type=float, default=60)
    s = sub.add_parser("call")
    s.add_argument("socket")
    s.add_argument("--name")
    s.add_argument("--name-size", type=int, default=0)
    s.add_argument("--timeout", type=float, default=10)
    s = sub.add_parser("exec")
    s.add_argument("socket")
    s.add_argument("unit")
    s.add_argument("n", type=int)
    s.add_argument("--timeout", type=float, default=10)
    s = sub.add_parser("refused")
    s.add_argument("socket")
    s.add_argument("--uid", type=int)
    s.add_argument("--timeout", type=float, default=10)
    a = p.parse_args()
    {"silent": cmd_silent, "hold": cmd_hold, "call": cmd_call, "exec": cmd_exec,
     "refused": cmd_refused}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
