#!/usr/bin/python3
"""Floods the helper's socket with hostile and idle connections.

usage: flood.py SOCKET TOTAL PROCS HOLD

TOTAL connections in all, from PROCS processes at once (started together).
Each process cycles through the kinds:
  garbage    a right header, then random bytes where the fields should be
  truncated  part of a frame, then end of input
  oversized  a length prefix above 64 KiB, then some bytes
  version    a well-formed frame of another protocol version
  idle       connects and never sends (slowloris); each process holds up to
             HOLD of them open at once, and at the end waits (up to 7 s after
             its last connect) for the helper to close them
Prints "started" once every process is about to begin, then one line per
kind and outcome: "KIND OUTCOME COUNT", then "total N".
Outcomes: closed (the helper closed without an answer), reply (it
answered, then closed), noconnect (connect failed: backlog full),
timeout (no answer and no close within 10 s: a hung helper),
idle-closed (an idle connection the helper closed), idle-evicted (an idle
connection still open when the process dropped it to stay under HOLD),
idle-open (an idle connection still open 7 s after the last was made).
Standard library only."""
import multiprocessing
import os
import random
import socket
import struct
import sys
import time
from collections import Counter

UL_PROTO_VERSION = 1
REQ_STATUS = 1
FRAME_MAX = 64 * 1024
KINDS = ["garbage", "truncated", "oversized", "version", "idle"]


def field(tag, value):
    return struct.pack(">HH", tag, len(value)) + value


def frame(version, mtype, body=b""):
    payload = struct.pack(">HH", version, mtype) + body
    return struct.pack(">I", len(payload)) + payload


def payload(kind, rng):
    if kind == "garbage":
        return frame(UL_PROTO_VERSION, REQ_STATUS, os.urandom(rng.randint(8, 400))), False
    if kind == "truncated":
        full = frame(UL_PROTO_VERSION, REQ_STATUS,
                     field(10, b"comms\0") * rng.randint(1, 40))
        return full[:rng.randint(1, len(full) - 1)], True
    if kind == "oversized":
        size = rng.randint(FRAME_MAX + 1, 1 << 31)
        return struct.pack(">I", size) + os.urandom(rng.randint(0, 4096)), False
    if kind == "version":
        return frame(rng.randint(UL_PROTO_VERSION + 1, 0xFFFF), REQ_STATUS), False
    raise ValueError(kind)


def until_closed(s):
    """'reply' if anything came back before the close, else 'closed'."""
    got = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        return "timeout"
    return "reply" if got else "closed"


def closed_by_peer(s):
    try:
        return s.recv(1, socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return True


def worker(path, count, hold, seed, start, out):
    rng = random.Random(seed)
    res = Counter()
    idle = []           # (socket, connect time)
    last_idle = time.monotonic()
    start.wait()
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            s.connect(path)
        except (socket.timeout, OSError):
            res[(kind, "noconnect")] += 1
            s.close()
            continue
        if kind == "idle":
            if len(idle) >= hold:
                old, _ = idle.pop(0)
                res[("idle", "idle-closed" if closed_by_peer(old) else "idle-evicted")] += 1
                old.close()
            idle.append((s, time.monotonic()))
            last_idle = time.monotonic()
            continue
        data, shut = payload(kind, rng)
        try:
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            res[(kind, "closed")] += 1
            s.close()
            continue
        except socket.timeout:
            res[(kind, "timeout")] += 1
            s.close()
            continue
        res[(kind, until_closed(s))] += 1
        s.close()
    # the slow clients: the helper must close each within its 5 s deadline
    deadline = last_idle + 7
    while idle and time.monotonic() < deadline:
        still = []
        for s, t in idle:
            if closed_by_peer(s):
                res[("idle", "idle-closed")] += 1
                s.close()
            else:
                still.append((s, t))
        idle = still
        time.sleep(0.1)
    for s, _ in idle:
        res[("idle", "idle-open")] += 1
        s.close()
    out.put(dict(res))


def main():
    path = sys.argv[1]
    total, procs, hold = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    start = multiprocessing.Event()
    out = multiprocessing.Queue()
    ps = []
    for p in range(procs):
        count = total // procs + (1 if p < total % procs else 0)
        ps.append(multiprocessing.Process(
            target=worker, args=(path, count, hold, p * 7919 + os.getpid(), start, out)))
    for p in ps:
        p.start()
    print("started", flush=True)
    start.set()
    res = Counter()
    for _ in ps:
        res.update(out.get())
    for p in ps:
        p.join()
    for (kind, outcome), n in sorted(res.items()):
        print(kind, outcome, n)
    print("total", sum(res.values()), flush=True)


if __name__ == "__main__":
    main()
