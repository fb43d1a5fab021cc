#!/usr/bin/env python3
"""The concurrent load of tests/crash.sh: one client thread per TOTP user.
In waves until the helper goes away: every thread takes a fresh ticket
(LOGIN_BEGIN), then one thread sends every user's LOGIN_CODE back to back
with the code of the current step, so that the helper's write lane holds
one LOGIN_CODE per user at once and commits them in batches (group commit)
when the test kills it.

    crashload.py SOCKET USERS JOURNAL STATS [WAVES]  (the password on stdin)

USERS has one line per user: `unix_user email secret digits`.  Each
LOGIN_CODE that was accepted is journaled as `totp USER EMAIL STEP CODE`
(the format of crash.sh's journal) only after its reply came; a refused
code (its step was used already) is a write too (its failure count and
audit record), which is what keeps the batches full.  For every wave that
was answered in full, STATS gets `batches writes` of the helper's STATUS
counters over the wave's LOGIN_CODEs.  With WAVES, it stops after that
many waves; without, when the helper can no longer be reached.  Exits 1
when a reply was not a login outcome, else 0.

Standard library only (and tests/ulwire.py)."""
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ulwire  # noqa: E402

ENEEDCODE = -21
OUTCOMES = {0, -20, -21, -22}       # success, EAUTH, ENEEDCODE, ELOCKEDOUT


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    try:
        s.connect(path)
    except OSError as e:
        s.close()
        raise ulwire.WireError(str(e)) from e
    return s


def send_all(pending):
    """Sends every ready frame of the wave on its connected socket, back to
    back from one thread: the codes reach the helper within a fraction of
    a commit, not one Python thread at a time."""
    try:
        for s, frame in pending:
            s.sendall(frame)
    except OSError as e:
        raise ulwire.WireError(str(e)) from e
    finally:
        pending.clear()


def reply_of(s):
    """Reads the reply to the frame sent on s, and closes s."""
    try:
        head = ulwire._recv_exact(s, 4)
        (n,) = struct.unpack(">I", head)
        if n < 4 or n + 4 > ulwire.FRAME_MAX:
            raise ulwire.WireError("reply length %d" % n)
        reply = ulwire.decode(head + ulwire._recv_exact(s, n))
    except OSError as e:
        raise ulwire.WireError(str(e)) from e
    finally:
        s.close()
    if reply.result is None:
        raise ulwire.WireError("not a reply")
    return reply


def counters(c):
    r = c.call("status")
    return r.get("batches") or 0, r.get("batched") or 0


def main():
    sock, users_file, journal, stats = sys.argv[1:5]
    limit = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    password = sys.stdin.readline().rstrip("\n")
    users = [line.split() for line in open(users_file) if line.strip()]
    c = ulwire.Client(sock)
    lock = threading.Lock()
    bad = []
    out = open(journal, "a", buffering=1)
    stat = open(stats, "a", buffering=1)
    before = [None]
    waves = [0]

    pending = []        # (socket, frame) of each thread, this wave

    def burst_starts():
        before[0] = counters(c)
        send_all(pending)

    def burst_ends():
        b, w = counters(c)
        stat.write("%d %d\n" % (b - before[0][0], w - before[0][1]))
        waves[0] += 1

    ready = threading.Barrier(len(users), action=burst_starts, timeout=60)
    done = threading.Barrier(len(users), action=burst_ends, timeout=60)

    def run(unix_user, email, secret, digits):
        while True:
            try:
                r = c.call("login_begin", product="comms", unix_user=unix_user,
                           email=email, password=password, service="crashload")
                if r.result != ENEEDCODE:
                    with lock:
                        bad.append("%s: login_begin: %d %s" % (email, r.result, r.message))
                    break
                # everything but the send before the barrier; the barrier's
                # last thread sends every thread's frame (burst_starts), so
                # that the codes reach the helper together
                step = int(time.time()) // 30
                code = ulwire.totp(secret, int(digits), step)
                s = connect(sock)
                frame = ulwire.encode("login_code", [
                    ("ticket", r.get("ticket")), ("code", code), ("service", "crashload")])
                with lock:
                    pending.append((s, frame))
                ready.wait()
                r = reply_of(s)
                if r.result not in OUTCOMES:
                    with lock:
                        bad.append("%s: login_code: %d %s" % (email, r.result, r.message))
                    break
                if r.result == 0:
                    with lock:
                        out.write("totp %s %s %d %s\n" % (unix_user, email, step, code))
                done.wait()
                if limit and waves[0] >= limit:
                    return      # every thread sees the same count here
            except (ulwire.WireError, threading.BrokenBarrierError):
                break       # the helper was killed: this round is over
        ready.abort()
        done.abort()

    threads = [threading.Thread(target=run, args=tuple(u)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for b in bad:
        print("crashload: " + b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
