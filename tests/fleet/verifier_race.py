"""tests/fleet/verifier_race.py: races through hosts in role = host, for
tests/fleet/verifier_race.sh (issue 16).  Each host relays to its own
verifier first (h1 -> v1, h2 -> v2, h3 -> v1), so a race between two hosts
is a race between two verifiers on the one directory.

  verifier_race.py recovery V1SOCK H1SOCK H2SOCK EMAIL ACCOUNT PASSWORD SETS
      SETS recovery sets (tfa recovery-codes on v1) of ten codes; each code
      sent at once through h1 and h2 (each with its own ticket): prints
      "trials N accepted_once A twice B never C"
  verifier_race.py totp H1SOCK H2SOCK EMAIL ACCOUNT PASSWORD SECRET OFFSET...
      for each OFFSET (seconds from now, increasing), that step's code sent
      at once through h1 and h2: prints "steps N one A both B none C", then
      the oldest step again: "older refused yes|no"
  verifier_race.py lockout H1 H2 H3 EMAIL ACCOUNT N
      N wrong passwords at once spread over the three hosts: prints the
      count of each answer ("-21 5", "-22 55")
Standard library only (and liboath through ulwire)."""
import sys
import threading
import time
from collections import Counter

import ulwire


def begin(sock, email, account, password):
    r = ulwire.Client(sock).call("login_begin", product="comms", unix_user=account,
                                 email=email, password=password, service="ultest")
    if r.result != -21:
        sys.exit("login_begin through %s: %d %s" % (sock, r.result, r.message))
    return r.get("ticket")


def at_once(calls):
    """Runs each (sock, type, fields) at the same moment; their results."""
    go = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def one(i, sock, mtype, fields):
        go.wait()
        try:
            out[i] = ulwire.Client(sock).call(mtype, **fields).result
        except ulwire.WireError:
            out[i] = "no answer"
    ts = [threading.Thread(target=one, args=(i,) + c) for i, c in enumerate(calls)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def recovery(v1, h1, h2, email, account, password, sets):
    counts = Counter()
    for _ in range(int(sets)):
        r = ulwire.Client(v1).call("tfa_recovery_codes", email=email)
        codes = r.all("recovery_codes")
        if r.result != 0 or len(codes) != 10:
            sys.exit("tfa recovery-codes: %d %s" % (r.result, r.message))
        for code in codes:
            t1 = begin(h1, email, account, password)
            t2 = begin(h2, email, account, password)
            res = at_once([(h1, "login_code", {"ticket": t1, "code": code}),
                           (h2, "login_code", {"ticket": t2, "code": code})])
            counts[res.count(0)] += 1
    print("trials %d accepted_once %d twice %d never %d"
          % (sum(counts.values()), counts[1], counts[2], counts[0]))


def totp(h1, h2, email, account, password, secret, *offsets):
    counts = Counter()
    steps = []
    for off in offsets:
        step = int(time.time() + int(off)) // 30
        steps.append(step)
        code = ulwire.totp(secret, 6, step)
        t1 = begin(h1, email, account, password)
        t2 = begin(h2, email, account, password)
        res = at_once([(h1, "login_code", {"ticket": t1, "code": code}),
                       (h2, "login_code", {"ticket": t2, "code": code})])
        counts[res.count(0)] += 1
    print("steps %d one %d both %d none %d" % (len(offsets), counts[1], counts[2], counts[0]))
    t = begin(h1, email, account, password)
    r = ulwire.Client(h1).call("login_code", ticket=t, code=ulwire.totp(secret, 6, steps[0]))
    print("older refused %s" % ("yes" if r.result != 0 else "no"))


def lockout(h1, h2, h3, email, account, n):
    hosts = [h1, h2, h3]
    res = at_once([(hosts[i % 3], "login_begin",
                    {"product": "comms", "unix_user": account, "email": email,
                     "password": "wrong %d" % i, "service": "ultest"})
                   for i in range(int(n))])
    for k, v in sorted(Counter(str(r) for r in res).items()):
        print(k, v)


if __name__ == "__main__":
    {"recovery": recovery, "totp": totp, "lockout": lockout}[sys.argv[1]](*sys.argv[2:])
