#!/usr/bin/env python3
"""Races across the helpers of several hosts of one fleet (T3, T4, U2, U5,
S3, L1, L1a, F1), through the real wire protocol: each host's unilogind on
its own socket, reading its own replica and writing to the one provider.

usage: races.py codes    [--users N] [--confirm N] [--totp N] [--recovery N]
                         [--reset N] [--window W] SOCKET...
       races.py lockout  --email E --tries N SOCKET...
       races.py accounts [--trials N] [--uids N] SOCKET...
       races.py outage   --secret-file F [--n N] [--parallel N] [--deadline S] SOCKET...
       races.py stream   --kill PID --acked FILE [--after N] [--parallel N] SOCKET...

Each SOCKET may be followed by --admin ASOCKET: where that host's admin
writes run (its verifier when the host is in role = host, which makes no
admin changes: tests/fleet/lib.sh's FLEET_VIA); without, the host itself.
The driver is root, so admin requests go over the same sockets.  Two
requests "at once" leave from two threads released together by a barrier;
the trials of different users run side by side (--workers threads), so a
thousand of them take seconds.  Each scenario prints one line of figures
("NAME: trials N exactly_one N both N none N other N"), which
tests/fleet/races.sh checks, and "#" lines; the exit status is 0 when the
run ran (whatever it found), 99 when the driver could not run (a setup
request refused, or no reply where one is needed).

codes: --confirm users are added (user add on one host) and invited to
one team account of the product (a verifier serves a host self-service
for its product's users only), and each confirmation code is raced by
SELF_VERIFY on two hosts (U2).  Each user
then gets an authenticator app (8 digits) confirmed with the previous
step.  --totp trials: LOGIN_BEGIN on two hosts, then the same code of a
step not used yet sent to both at once with LOGIN_CODE (T3); each user's
steps go up, so a helper's clock at either side of a step boundary
changes nothing (steps inside the window with one to spare on each
side).  Then one user's newer step on one host, and an older one, never
used, on another: refused.  --recovery trials: one recovery code sent to
two hosts at once (T4), ten per user.  --reset trials: `user reset`,
then SELF_RESET with its code on two hosts at once (U5).

lockout: N wrong passwords for one email at once on every host (N each):
prints how many were counted (answered with a code prompt: S1), how many
were told "locked out" (S3), other answers, and the counter's name in
ou=failures (its key hashed as the directory backend does) for the shell
to read the directory's count.

accounts: --trials pairs of `account add` with two names and one
unix_user on two hosts at once (L1: one winner, the other told it
exists), then --uids accounts added from all hosts at once, each with the
uid the fleet's counter gives (L1a): the uids are read back from every
host's `account show` and counted.

outage (F2): --n requests of each kind (a password login of plain@, a
wrong one, a code login of tfa@ whose seed is in --secret-file, a legacy
account's own password, LOOKUP, ACCOUNT_CHECK), --parallel at a time,
round the hosts, each with --deadline (the helper's `timeout`) as the
client's: how many were accepted, refused as unreachable or unknown,
had no reply in time, or got another answer.

stream (S7): users added from every host at once; after --after
acknowledgements the process --kill is sent SIGKILL (the provider); the
acknowledged emails go to --acked for the shell to find in the
directory."""
import argparse
import hashlib
import os
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

sys.dont_write_bytecode = True     # nothing written next to the sources
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import ulwire  # noqa: E402
from ulwire import OK, EAUTH, EEXIST, ERULE, ELOCKEDOUT, ENEEDCODE, WireError, totp  # noqa: E402

PRODUCT = "comms"
PASSWORD = "correct horse battery"
DIGITS = 8
PERIOD = 30


def die(msg):
    print("driver error: %s" % msg, flush=True)
    os._exit(99)


def log(msg):
    print("# %s" % msg, flush=True)


class Hosts:
    """The hosts' sockets, and where each host's admin writes run (--admin:
    its verifier, when the host is in role = host; else the host itself).
    admin=True sends a request there."""

    def __init__(self, sockets, admin=None):
        self.c = [ulwire.Client(s, timeout=60) for s in sockets]
        self.a = [ulwire.Client(s, timeout=60) for s in admin] if admin else self.c
        self.n = len(sockets)

    def said(self, h, mtype, admin=False, **kw):
        """(result, message) of one request (None: no reply)."""
        res, r = self.call(h, mtype, admin, **kw)
        return res, r.message if r is not None else "no reply"

    def call(self, h, mtype, admin=False, **kw):
        """The reply's result and the reply (None, None: no reply)."""
        c = self.a if admin else self.c
        try:
            r = c[h % len(c)].call(mtype, **kw)
        except WireError:
            return None, None
        return r.result, r

    def must(self, h, mtype, admin=False, **kw):
        res, r = self.call(h, mtype, admin, **kw)
        if res != OK:
            die("%s %s on %s %d: %s" % (mtype, kw.get("email", kw.get("account")),
                                        "the admin side of host" if admin else "host",
                                        h % self.n + 1, r))
        return r


def at_once(fns):
    """Runs fns together (a barrier releases them); their results."""
    bar = threading.Barrier(len(fns))
    out = [None] * len(fns)

    def run(i):
        try:
            bar.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass
        out[i] = fns[i]()
    ts = [threading.Thread(target=run, args=(i,)) for i in range(1, len(fns))]
    for t in ts:
        t.start()
    run(0)
    for t in ts:
        t.join()
    return out


class Tally:
    """Trials of "exactly one of the racers wins": each trial's results."""

    def __init__(self, name, loser=(EAUTH,)):
        self.name = name
        self.loser = loser
        self.c = Counter()
        self.lock = threading.Lock()
        self.odd = []

    def add(self, replies):
        """replies: (result, message) of each racer."""
        results = [r for r, _ in replies]
        wins = results.count(OK)
        bad = [r for r in results if r != OK and r not in self.loser]
        with self.lock:
            self.c["trials"] += 1
            self.c["exactly_one" if wins == 1 else "both" if wins > 1 else "none"] += 1
            if bad:
                self.c["other"] += 1
                if len(self.odd) < 5:
                    self.odd.append(replies)

    def line(self):
        for o in self.odd:
            log("%s: a trial answered %s" % (self.name, o))
        return "%s: trials %d exactly_one %d both %d none %d other %d" % (
            self.name, self.c["trials"], self.c["exactly_one"], self.c["both"],
            self.c["none"], self.c["other"])


_lap = [time.monotonic()]


def lap(what):
    now = time.monotonic()
    log("%s: %.1f s" % (what, now - _lap[0]))
    _lap[0] = now


def spread(total, parts):
    """total split into parts nearly equal counts."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


# ---- codes: U2, T3, T4, U5 ----

class User:
    def __init__(self, n):
        self.n = n
        self.email = "race%04d@example.com" % n
        self.account = "race%04d" % n
        self.secret = None
        self.recovery = []
        self.next_step = 0


def step_now():
    return int(time.time()) // PERIOD


def is_bad_step(u, s, w):
    """A step whose code another step near it shares: which one a helper
    took could not be told."""
    code = totp(u.secret, DIGITS, s)
    return any(totp(u.secret, DIGITS, o) == code
               for o in range(s - 2 * w - 2, s + 2 * w + 3) if o != s)


def claim_step(u, w):
    """u's next step not tried yet, inside the window with one to spare on
    either side (the driver's clock and a helper's may sit on either side
    of a boundary); None when u has none left now."""
    here = step_now()
    s = max(u.next_step, here - w + 1)
    while s <= here + w - 1 and is_bad_step(u, s, w):
        s += 1
    if s > here + w - 1:
        return None
    u.next_step = s + 1
    return s


def begin(H, h, u, password=PASSWORD):
    """LOGIN_BEGIN on host h: the ticket, or None (and why)."""
    res, r = H.call(h, "login_begin", product=PRODUCT, unix_user=u.account,
                    email=u.email, password=password, service="fleetrace")
    if res != ENEEDCODE:
        return None, res
    return r.get("ticket"), res


def code_race(H, pair, u, code, tally):
    """LOGIN_BEGIN on both hosts of pair, then code to both at once."""
    begun = at_once([lambda h=h: begin(H, h, u) for h in pair])
    tickets = [t for t, _ in begun]
    if None in tickets:
        tally.add([(res, "at LOGIN_BEGIN") for _, res in begun])
        return
    tally.add(at_once([lambda h=h, t=t: H.said(h, "login_code", ticket=t, code=code,
                                               service="fleetrace")
                       for h, t in zip(pair, tickets)]))


def run_codes(a, H):
    users = [User(n) for n in range(1, a.confirm + 1)]
    pool = ThreadPoolExecutor(max_workers=a.workers)
    H.must(0, "product_add", admin=True, product=PRODUCT)

    # U2: a confirmation code raced on two hosts
    confirm = Tally("confirm", loser=(EAUTH, ERULE))

    # each user invited to a team account before confirming: a verifier
    # serves a host self-service of the users of the host's product only
    # (owners or invited: issue 16), as a teammate joins through its host
    r = H.must(0, "user_add", admin=True, email="race-owner@example.com")
    H.must(0, "self_verify", admin=True, email="race-owner@example.com",
           code=r.get("confirmation_code"), new_password=PASSWORD)
    H.must(0, "account_add", admin=True, product=PRODUCT, account="raceteam",
           email="race-owner@example.com")

    def one_confirm(u):
        r = H.must(u.n, "user_add", admin=True, email=u.email)
        code = r.get("confirmation_code")
        if not code:
            die("no confirmation code for %s" % u.email)
        H.must(u.n, "account_invite", admin=True, product=PRODUCT, account="raceteam",
               email=u.email)
        pair = (u.n, u.n + 1)
        confirm.add(at_once([lambda h=h: H.said(h, "self_verify", email=u.email, code=code,
                                                new_password=PASSWORD)
                             for h in pair]))
    list(pool.map(one_confirm, users))
    print(confirm.line(), flush=True)
    lap("confirm")

    # every user with an account and an authenticator app
    def enroll(u):
        H.must(u.n, "account_add", admin=True, product=PRODUCT, account=u.account,
               email=u.email)
        r = H.must(u.n, "tfa_enroll", admin=True, email=u.email, digits=DIGITS)
        u.secret = r.get("secret")
        # the window's oldest step but one: the steps after it are the
        # trials' (T3: a step once, and never an older one after it)
        s = step_now() - a.window + 1
        r = H.must(u.n, "tfa_confirm", admin=True, email=u.email, code=totp(u.secret, DIGITS, s))
        u.recovery = r.all("recovery_codes")
        if len(u.recovery) != 10:
            die("%s: %d recovery codes" % (u.email, len(u.recovery)))
        u.next_step = s + 1
    list(pool.map(enroll, users))
    users = users[:a.users]
    log("%d users with a confirmed authenticator app" % len(users))
    lap("enroll")

    # T3: one step's code at two hosts at once
    t3 = Tally("totp")
    w = a.window

    def totp_trials(job):
        u, k = job
        for i in range(k):
            s = claim_step(u, w)
            if s is None:
                t3.add([(None, "no step left")])
                continue
            code_race(H, (u.n + i, u.n + i + 1), u, totp(u.secret, DIGITS, s), t3)
    list(pool.map(totp_trials, zip(users, spread(a.totp, len(users)))))
    print(t3.line(), flush=True)
    lap("totp")

    # T3: a newer step on one host, then an older one (never used) on another
    u = users[0]
    s = claim_step(u, w)
    if s is None or claim_step(u, w) is None:
        die("no two steps left for %s" % u.email)
    newer, older = s + 1, s
    out = []
    for h, step in ((0, newer), (1, older)):
        t, res = begin(H, h, u)
        out.append(res if t is None else
                   H.call(h, "login_code", ticket=t, code=totp(u.secret, DIGITS, step),
                          service="fleetrace")[0])
    print("newer step on host 1: %s" % ("accepted" if out[0] == OK else out[0]))
    print("older step on host 2: %s" % ("accepted" if out[1] == OK else
                                        "refused" if out[1] == EAUTH else out[1]), flush=True)

    # T4: one recovery code at two hosts at once
    t4 = Tally("recovery")

    def recovery_trials(job):
        u, k = job
        for i, code in enumerate(u.recovery[:k]):
            code_race(H, (u.n + i, u.n + i + 2), u, code, t4)
    per = spread(a.recovery, len(users))
    if max(per) > 10:
        die("--recovery %d: more than ten codes a user" % a.recovery)
    list(pool.map(recovery_trials, zip(users, per)))
    print(t4.line(), flush=True)
    lap("recovery")

    # U5: one reset code at two hosts at once
    u5 = Tally("reset")

    def reset_trial(u):
        r = H.must(u.n + 2, "user_reset", admin=True, email=u.email)
        code = r.get("reset_code")
        if not code:
            die("no reset code for %s" % u.email)
        pair = (u.n, u.n + 1)
        u5.add(at_once([lambda h=h: H.said(h, "self_reset", email=u.email, code=code,
                                           new_password="new %s %d" % (PASSWORD, h))
                        for h in pair]))
    list(pool.map(reset_trial, [users[i % len(users)] for i in range(a.reset)]))
    print(u5.line(), flush=True)
    lap("reset")


# ---- lockout: S3 ----

def failure_key(email):
    """The counter's key in ou=failures (helper/store/ldap/failures.c)."""
    return hashlib.blake2b(email.encode(), digest_size=32, key=b"unilogin S3").hexdigest()


def run_lockout(a, H):
    u = User(0)
    u.email, u.account = a.email, a.account
    # (set up where host 1's admin writes run: each write there waits for
    # that host's replica, so the next one reads what the last one wrote;
    # another host's replica may not have it yet)
    if H.call(0, "user_show", admin=True, email=u.email)[0] != OK:
        r = H.must(0, "user_add", admin=True, email=u.email)
        H.must(0, "self_verify", admin=True, email=u.email,
               code=r.get("confirmation_code"), new_password=PASSWORD)
        res, _ = H.call(0, "product_add", admin=True, product=PRODUCT)
        if res not in (OK, EEXIST):
            die("product add: %s" % res)
        H.must(0, "account_add", admin=True, product=PRODUCT, account=u.account,
               email=u.email)
    tries = [h for h in range(H.n) for _ in range(a.tries)]
    results = at_once([lambda h=h: begin(H, h, u, "wrong " + PASSWORD)[1] for h in tries])
    c = Counter(results)
    other = sum(n for r, n in c.items() if r not in (ENEEDCODE, ELOCKEDOUT))
    if other:
        log("other answers: %s" % dict(c))
    print("tries %d counted %d locked_out %d other %d" % (
        len(results), c[ENEEDCODE], c[ELOCKEDOUT], other))
    print("counter uniFailKey=%s" % failure_key(u.email), flush=True)


# ---- accounts: L1, L1a ----

def run_accounts(a, H):
    pool = ThreadPoolExecutor(max_workers=a.workers)
    legacy = dict(email="legacy@example.com", legacy_password=PASSWORD)
    res, _ = H.call(0, "product_add", admin=True, product=PRODUCT)
    if res not in (OK, EEXIST):
        die("product add: %s" % res)

    # L1: one unix_user, two names, two hosts
    l1 = Tally("unix_user", loser=(EEXIST,))
    won = {}

    def unix_trial(n):
        pair = (n, n + 1)
        unix = "same%04d" % n
        out = at_once([lambda h=h, k=k: H.said(h, "account_add", admin=True, product=PRODUCT,
                                               account="%s-%d" % (unix, k), unix_user=unix,
                                               **legacy)
                       for k, h in enumerate(pair)])
        l1.add(out)
        won[unix] = ["%s-%d" % (unix, k) for k, (r, _) in enumerate(out) if r == OK]
    list(pool.map(unix_trial, range(a.trials)))
    print(l1.line(), flush=True)
    lap("unix_user")

    # L1a: uids from every host at once
    got = []
    lock = threading.Lock()

    def uid_batch(job):
        h, names = job
        for name in names:
            res, r = H.call(h, "account_add", admin=True, product=PRODUCT, account=name,
                            **legacy)
            with lock:
                got.append((name, res, r.get("uid") if res == OK else None))
    names = ["uid%05d" % i for i in range(a.uids)]
    jobs = [(i % H.n, names[i::a.workers]) for i in range(a.workers)]
    list(pool.map(uid_batch, jobs))
    ok = [(n, uid) for n, res, uid in got if res == OK]
    uids = Counter(uid for _, uid in ok)
    print("uids: allocations %d acknowledged %d duplicates %d" % (
        len(got), len(ok), sum(k - 1 for k in uids.values() if k > 1)), flush=True)

    lap("uids")

    # every host's replica holds every write acknowledged so far once it
    # shows one written after them all (a replica applies the provider's
    # changes in order): the writes were acknowledged on the writer's
    # own replica (or a verifier's provider), not on the others'
    sync = "sync-accounts@example.com"
    H.must(0, "user_add", admin=True, email=sync)
    for h in range(H.n):
        for _ in range(400):
            if H.call(h, "user_show", email=sync)[0] == OK:
                break
            time.sleep(0.025)
        else:
            die("host %d never showed %s" % (h + 1, sync))

    # what every host shows (read from its replica): the winner of each
    # unix_user, the loser absent, each acknowledged uid as acknowledged
    def show(job):
        h, name = job
        res, r = H.call(h, "account_show", product=PRODUCT, account=name)
        return h, name, res, (r.get("unix_user"), r.get("uid")) if res == OK else None
    acked = dict(ok)
    jobs = [(h, name) for h in range(H.n)
            for name in [n for w in won.values() for n in w] + list(acked) +
            ["%s-%d" % (unix, k) for unix, w in won.items() for k in (0, 1)
             if "%s-%d" % (unix, k) not in w]]
    seen = [Counter() for _ in range(H.n)]
    for h, name, res, got in pool.map(show, jobs):
        if name in acked:
            seen[h]["uid as acked" if res == OK and got[1] == acked[name] else "uid wrong"] += 1
        elif any(name in w for w in won.values()):
            seen[h]["winner" if res == OK and got[0] == name.rsplit("-", 1)[0]
                    else "winner wrong"] += 1
        else:
            seen[h]["loser absent" if res == ulwire.ENOTFOUND else "loser there"] += 1
    for h in range(H.n):
        c = seen[h]
        print("host %d shows: unix_user_winners %d losers_absent %d uids_as_acked %d wrong %d" % (
            h + 1, c["winner"], c["loser absent"], c["uid as acked"],
            c["uid wrong"] + c["winner wrong"] + c["loser there"]), flush=True)
    lap("shown")


# ---- outage: F2 ----

OUTAGE_KINDS = ("login_password", "login_wrong", "login_code", "login_legacy", "lookup",
                "account_check")


def run_outage(a, H):
    """--n requests of each kind, --parallel at a time, round the hosts,
    each with the helper's own `timeout` as the client's deadline (a reply
    is the helper answering in time): their results."""
    Hs = Hosts([c.path for c in H.c], [c.path for c in H.a])
    for c in Hs.c + Hs.a:
        c.timeout = a.deadline
    plain, tfa = User(0), User(0)
    plain.email, plain.account = "plain@example.com", "plain"
    tfa.email, tfa.account = "tfa@example.com", "tfa"
    tfa.secret = a.secret
    # (shown by host 1 from its replica: the provider may be out now)
    if "login_legacy" in a.kinds and Hs.call(0, "account_show", product=PRODUCT,
                                             account="oldie")[0] != OK:
        Hs.must(0, "account_add", admin=True, product=PRODUCT, account="oldie",
                email="oldie@example.com", legacy_password=PASSWORD)

    def one(job):
        kind, i = job
        h = i
        if kind == "login_password":
            return kind, begin(Hs, h, plain)[1]
        if kind == "login_wrong":
            return kind, begin(Hs, h, plain, "wrong " + PASSWORD)[1]
        if kind == "login_code":
            t, res = begin(Hs, h, tfa)
            if t is None:
                return kind, ("begin", res)
            return kind, Hs.call(h, "login_code", ticket=t, service="fleetrace",
                                 code=totp(tfa.secret, DIGITS, step_now()))[0]
        if kind == "login_legacy":
            return kind, Hs.call(h, "login_legacy", product=PRODUCT, unix_user="oldie",
                                 password=PASSWORD, service="fleetrace")[0]
        if kind == "lookup":
            return kind, Hs.call(h, "lookup", product=PRODUCT, unix_user=plain.account)[0]
        return kind, Hs.call(h, "account_check", product=PRODUCT, unix_user=plain.account,
                             email=plain.email)[0]
    jobs = [(k, i) for i in range(a.n) for k in a.kinds.split(",")]
    seen = {k: Counter() for k in a.kinds.split(",")}
    with ThreadPoolExecutor(max_workers=a.parallel) as pool:
        for kind, res in pool.map(one, jobs):
            seen[kind][res] += 1
    names = {OK: "ok", ulwire.EUNREACHABLE: "unreachable", ulwire.EUNKNOWN: "unknown",
             None: "noreply"}
    for kind, c in seen.items():
        print("%s: requests %d " % (kind, sum(c.values())) +
              " ".join("%s %d" % (names[r], c[r]) for r in (OK, ulwire.EUNREACHABLE,
                                                           ulwire.EUNKNOWN, None)) +
              " other %d" % sum(n for r, n in c.items() if r not in names), flush=True)
        odd = {r: n for r, n in c.items() if r not in names}
        if odd:
            log("%s: other answers %s" % (kind, odd))


# ---- stream: S7 ----

def run_stream(a, H):
    """Users added from every host at once (--parallel threads a host);
    after --after acknowledgements slapd --kill is killed (SIGKILL); each
    thread goes on until the helper refused it three times.  Prints the
    acknowledged emails into --acked, one a line, and the figures."""
    lock = threading.Lock()
    acked, unknown, refused = [], [], Counter()
    killed = threading.Event()

    def writer(job):
        h, k = job
        fails = 0
        for i in range(100000):
            if fails >= 3:
                return
            email = "s7-%d-%d-%d@example.com" % (h + 1, k, i)
            res, r = H.call(h, "user_add", admin=True, email=email)
            with lock:
                if res == OK:
                    acked.append(email)
                    if len(acked) == a.after and not killed.is_set():
                        os.kill(a.kill, 9)
                        killed.set()
                        log("slapd %d killed after %d acknowledged" % (a.kill, len(acked)))
                elif res in (ulwire.EUNKNOWN, None):
                    unknown.append(email)
                else:
                    refused[res] += 1
                if res != OK and killed.is_set():
                    fails += 1
                if res != OK and not killed.is_set():
                    log("refused before the kill: %s %s" % (email, r.message if r else res))
    with ThreadPoolExecutor(max_workers=H.n * a.parallel) as pool:
        list(pool.map(writer, [(h, k) for h in range(H.n) for k in range(a.parallel)]))
    with open(a.acked, "w") as f:
        for e in acked:
            f.write(e + "\n")
    print("stream: acknowledged %d unknown %d refused %s killed %s" % (
        len(acked), len(unknown), dict(refused), "yes" if killed.is_set() else "no"),
        flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["codes", "lockout", "accounts", "outage", "stream"])
    p.add_argument("sockets", nargs="+")
    p.add_argument("--admin", action="append",
                   help="where a host's admin writes run (once a host, in order)")
    p.add_argument("--workers", type=int, default=16)
    p.add_argument("--users", type=int, default=100)
    p.add_argument("--confirm", type=int, default=100)
    p.add_argument("--totp", type=int, default=1000)
    p.add_argument("--recovery", type=int, default=1000)
    p.add_argument("--reset", type=int, default=100)
    p.add_argument("--window", type=int, default=10)
    p.add_argument("--email", default="lockout@example.com")
    p.add_argument("--account", default="lockout")
    p.add_argument("--tries", type=int, default=50)
    p.add_argument("--trials", type=int, default=100)
    p.add_argument("--uids", type=int, default=1000)
    p.add_argument("--n", type=int, default=20)
    p.add_argument("--parallel", type=int, default=4)
    p.add_argument("--deadline", type=float, default=3.0)
    p.add_argument("--kinds", default=",".join(OUTAGE_KINDS))
    p.add_argument("--secret-file")
    p.add_argument("--kill", type=int)
    p.add_argument("--after", type=int, default=100)
    p.add_argument("--acked")
    a = p.parse_intermixed_args()   # SOCKET --admin SOCKET ... in turn
    if a.admin and len(a.admin) != len(a.sockets):
        die("--admin: one a host")
    H = Hosts(a.sockets, a.admin)
    start = time.monotonic()
    if a.what == "codes":
        if a.users > a.confirm:
            die("--users must not exceed --confirm")
        run_codes(a, H)
    elif a.what == "lockout":
        run_lockout(a, H)
    elif a.what == "outage":
        with open(a.secret_file) as f:
            a.secret = f.read().strip()
        run_outage(a, H)
    elif a.what == "stream":
        run_stream(a, H)
    else:
        run_accounts(a, H)
    log("%s took %.1f s" % (a.what, time.monotonic() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
