#!/usr/bin/python3
"""A 127.0.0.1 TCP port nothing is bound to now, for a server a test
starts (slapd, sshd, a verifier), picked below the kernel's range of
ephemeral ports.  A port the kernel hands out for bind(0) lies in that
range, so before the server binds it another test's outgoing connection
may get it as its local port; slapd then exits at once and, at -d 0, says
nothing (a CI run: "slapd s1 did not start:" with an empty log).

  FREEPORT_TAKEN=FILE python3 tests/freeport.py
                                   prints one port, none of those FILE
                                   lists (the test's picks so far: its
                                   servers are not up yet), and adds it
  import freeport; freeport.pick(avoid)
"""
import os
import random
import socket

LOW = 10000


def ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def pick(avoid=()):
    high = max(ephemeral_low(), LOW + 1000)
    for _ in range(1000):
        port = random.randrange(LOW, high)
        if port in avoid:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        return port
    raise SystemExit("freeport: no free port in %d-%d" % (LOW, high - 1))


if __name__ == "__main__":
    taken = os.environ.get("FREEPORT_TAKEN")
    avoid = set()
    if taken and os.path.exists(taken):
        with open(taken) as f:
            avoid = {int(w) for w in f.read().split()}
    port = pick(avoid)
    if taken:
        with open(taken, "a") as f:
            f.write("%d\n" % port)
    print(port)
