#!/usr/bin/python3
"""The attacks of the "Hardening 2" issue, through the helper's real
socket (tests/attack_*.sh).  Built on tests/ulwire.py.

usage:
  attack_wire.py call SOCKET TYPE [--escapes] < fields
      One request, fields one `name=value` a line (as ulwire.py); with
      --escapes each value is read with Python's backslash escapes, so
      that a test can send a newline, a tab or an ESC inside a field.
      Prints the reply as ulwire.py does (control characters escaped).
  attack_wire.py repeat SOCKET N TYPE < fields
      N requests one after another; prints "result=R count" lines.
  attack_wire.py burst SOCKET N TYPE < fields
      N requests at once (N threads, released together); prints
      "result=R count" lines.
  attack_wire.py hold SOCKET TARGET BUSY OUT STOP PRODUCT UNIX_USER
      Holds as many connections as the helper lets this uid hold (up to
      TARGET), for up to 60 s or until the file STOP exists: BUSY of them
      send LOGIN_BEGIN after LOGIN_BEGIN (an unknown email each time, so
      that every one runs the KDF and nothing is locked out), the rest
      are idle (connected, silent; reopened when the helper closes them
      at its deadline).  A connection counts as held once it has stayed
      open 0.3 s.  Writes "held N" to OUT whenever the count changes,
      and at the end "max_held N", "refused N" (closed by the helper
      before 0.3 s without an answer), and "reply R N" per result.

Standard library only."""
import os
import selectors
import socket
import struct
import sys
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ulwire  # noqa: E402


def read_fields(escapes=False):
    fields = []
    for line in sys.stdin.read().splitlines():
        if not line.strip():
            continue
        name, _, value = line.partition("=")
        if name not in ulwire.TAGS:
            raise SystemExit("attack_wire.py: unknown field %s" % name)
        kind = ulwire.TAGS[name][1]
        if escapes:
            value = value.encode("latin-1").decode("unicode_escape")
        fields.append((name, int(value) if kind in (ulwire.INT, ulwire.BOOL) else value))
    return fields


def shown(value):
    """A value as one line: control characters written as escapes."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if not isinstance(value, str):
        return str(value)
    return "".join(ch if ch >= " " and ch != "\x7f" else "\\x%02x" % ord(ch)
                   for ch in value)


def cmd_call(path, mtype, escapes):
    try:
        r = ulwire.Client(path).call(mtype, read_fields(escapes))
    except ulwire.WireError as e:
        sys.stderr.write("attack_wire.py: %s\n" % e)
        return 3
    print("result=%d" % r.result)
    for name, value in r.fields:
        if name == "result":
            continue
        print("record" if name == "record" else "%s=%s" % (name, shown(value)))
    return 0


def one(client, mtype, fields):
    try:
        return str(client.call(mtype, fields).result)
    except ulwire.WireError:
        return "noreply"


def cmd_repeat(path, n, mtype):
    fields, client, res = read_fields(), ulwire.Client(path), Counter()
    for _ in range(n):
        res[one(client, mtype, fields)] += 1
    for result, count in sorted(res.items()):
        print("result=%s %d" % (result, count))
    return 0


def cmd_burst(path, n, mtype):
    fields, client, res = read_fields(), ulwire.Client(path), Counter()
    lock, gate = threading.Lock(), threading.Event()

    def run():
        gate.wait()
        r = one(client, mtype, fields)
        with lock:
            res[r] += 1

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    for result, count in sorted(res.items()):
        print("result=%s %d" % (result, count))
    return 0


# ---- hold: the connection table attack (row 2) ----

AGE = 0.3


class Conn:
    def __init__(self, path, busy):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(2)
        self.s.connect(path)
        self.s.setblocking(False)
        self.born = time.monotonic()
        self.busy = busy
        self.buf = b""
        self.answered = False


def cmd_hold(path, target, busy, out, stop, product, unix_user):
    sel = selectors.DefaultSelector()
    conns, res = set(), Counter()
    max_held = held_shown = refused = 0
    serial = 0
    deadline = time.monotonic() + 60
    f = open(out, "w", buffering=1)

    def request():
        nonlocal serial
        serial += 1
        return ulwire.encode("login_begin", [
            ("product", product), ("unix_user", unix_user),
            ("email", "hold%d.%d@example.net" % (os.getpid(), serial)),
            ("password", "not the password")])

    def drop(c):
        nonlocal refused
        if time.monotonic() - c.born < AGE and not c.answered:
            refused += 1
        sel.unregister(c.s)
        c.s.close()
        conns.discard(c)

    def readable(c):
        try:
            chunk = c.s.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            drop(c)
            return
        c.buf += chunk
        while len(c.buf) >= 4:
            (n,) = struct.unpack(">I", c.buf[:4])
            if len(c.buf) < 4 + n:
                break
            frame, c.buf = c.buf[:4 + n], c.buf[4 + n:]
            c.answered = True
            try:
                res[str(ulwire.decode(frame).result)] += 1
            except ulwire.WireError:
                res["undecodable"] += 1
            if c.busy:
                try:
                    c.s.sendall(request())
                except OSError:
                    drop(c)
                    return

    def refill():
        nbusy = sum(1 for c in conns if c.busy)
        while len(conns) < target:
            try:
                c = Conn(path, nbusy < busy)
            except OSError:
                res["noconnect"] += 1
                return
            conns.add(c)
            sel.register(c.s, selectors.EVENT_READ, c)
            if c.busy:
                nbusy += 1
                try:
                    c.s.sendall(request())
                except OSError:
                    drop(c)

    next_refill = 0.0
    while time.monotonic() < deadline and not os.path.exists(stop):
        # refill every 20 ms: as many as the helper lets stay, busy first
        if time.monotonic() >= next_refill:
            next_refill = time.monotonic() + 0.02
            refill()
        for key, _ in sel.select(timeout=0.02):
            if key.data in conns:
                readable(key.data)
        now = time.monotonic()
        held = sum(1 for c in conns if now - c.born >= AGE)
        max_held = max(max_held, held)
        if held != held_shown:
            f.write("held %d\n" % held)
            held_shown = held
    f.write("max_held %d\n" % max_held)
    f.write("refused %d\n" % refused)
    for result, count in sorted(res.items()):
        f.write("reply %s %d\n" % (result, count))
    f.write("end\n")
    f.close()
    for c in list(conns):
        c.s.close()
    return 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "call":
        return cmd_call(argv[2], argv[3], "--escapes" in argv[4:])
    if len(argv) == 5 and argv[1] in ("repeat", "burst"):
        run = cmd_repeat if argv[1] == "repeat" else cmd_burst
        return run(argv[2], int(argv[3]), argv[4])
    if len(argv) == 9 and argv[1] == "hold":
        return cmd_hold(argv[2], int(argv[3]), int(argv[4]), argv[5], argv[6],
                        argv[7], argv[8])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
