#!/usr/bin/env python3
"""Concurrent clients against one helper, then invariants (T3, T4, U5, U7,
S3, S7, S8): no acknowledged change may be lost to a concurrent one, and
no single-use code or TOTP step may be used twice.

usage: race.py SOCKET OUTBOX [--seconds N] [--max-ops N] [--workers N]
               [--lockout-attempts N] [--lockout-seconds N] [--window N]
               [--tfa-users N] [--plain-users N] [--checkpoint N] [--seed N]

The helper runs with a delivery_command that appends "KIND ADDRESS", the
message and "--" to OUTBOX (one write each), with tfa_required = no and
the totp_window, lockout_attempts and lockout_seconds given here.  The
driver is root, so admin requests go over the same socket.

Setup: product "comms"; --tfa-users users with an active 8-digit TOTP
method (confirmed with the previous step) and their ten recovery codes;
--plain-users users without two-factor (a right password alone logs them
in).  Each has an account of comms.

Run: --workers threads, each repeating a random operation until
--seconds or --max-ops: TOTP logins (some raced by several clients on the
same user and step), replays of accepted steps, recovery-code logins (some
raced), replays of used or voided recovery codes, wrong codes, wrong
passwords (some raced), password-only logins, admin `user passwd`,
`user lock` / `user unlock`, `user reset` followed by several SELF_RESETs
racing its code, replays of used reset codes, `tfa recovery-codes`,
"contention": an admin change of a user raced with LOGIN_CODEs of that
user, then the accepted code sent again, and pairs of admin changes of
one user raced with each other, then its lock read back and a code of a
set just voided tried.  Two more threads spam
SELF_RESET_SEND.  Admin changes of one user's field (lock, password,
recovery set) run one at a time, so that their acknowledgement order is
their audit order.

Every --checkpoint seconds the workers pause (each finishes the operation
it is in; the spammers go on) and the failure counts, lockouts and locks
are read and checked against the audit log and the acknowledgements; at
the end once more, and then the final logins of (d).

The checks (tests/racecheck.py) print one line each: "RESULT pass|fail
TEXT" (tests/race.sh turns them into lib.sh's pass/fail); other lines
start with "#".  Exits 0 when the run and the checks ran (whatever they
found), 99 when the driver itself could not run (setup refused, no reply
from the helper to a request it cannot do without)."""
import argparse
import os
import random
import sys
import threading
import time
from collections import Counter, defaultdict

sys.dont_write_bytecode = True     # nothing written next to the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ulwire  # noqa: E402
from ulwire import OK, ENEEDCODE, WireError, totp  # noqa: E402
from racecheck import (DIGITS, RECOVERY_HELD, Checkpoints, Checks,  # noqa: E402
                       check, log, step_now)

PRODUCT = "comms"
PASSWORD = "correct horse battery"


def die(msg):
    print("driver error: %s" % msg, flush=True)
    os._exit(99)


def new_password(rng):
    return "pw-%016x" % rng.getrandbits(64)


class Outbox:
    """What the delivery command wrote: each message once, in order."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.pending = b""
        self.lock = threading.Lock()
        self.last = {}              # (kind, address) -> last code
        self.count = Counter()      # kind -> messages

    def poll(self):
        with self.lock:
            try:
                with open(self.path, "rb") as f:
                    f.seek(self.offset)
                    data = f.read()
            except FileNotFoundError:
                return
            self.offset += len(data)
            self.pending += data
            # whole messages only: each ends with a line "--"
            while True:
                end = self.pending.find(b"\n--\n")
                if end < 0:
                    break
                msg = self.pending[:end].decode().split("\n")
                self.pending = self.pending[end + 4:]
                kind, _, address = msg[0].partition(" ")
                self.count[kind] += 1
                if len(msg) > 1:
                    self.last[(kind, address)] = msg[1].strip()

    def code(self, kind, address):
        self.poll()
        with self.lock:
            return self.last.get((kind, address))


class RecoverySet:
    def __init__(self, codes, acked):
        self.codes = codes
        self.acked = acked                  # monotonic time of its ack
        self.voided = None                  # monotonic time of the next set's ack
        self.handed = set()                 # indexes given to a login already


class User:
    def __init__(self, n, tfa):
        self.email = "%s%02d@example.com" % ("t" if tfa else "p", n)
        self.account = "%s%02d" % ("rt" if tfa else "rp", n)
        self.tfa = tfa
        self.secret = None
        # the password: the last acknowledged one, or the few it may be
        # (two resets acknowledged for one code; a request with no reply)
        self.passwords = [PASSWORD]
        self.unreplied = False
        self.locked = False                 # the last acknowledged
        self.locked_known = True
        self.next_step = 0                  # the next TOTP step to claim
        self.max_tried = 0                  # the highest step ever sent
        self.bad_steps = set()              # steps whose code another step shares
        self.sets = []                      # recovery sets, oldest first
        self.field_locks = {f: threading.Lock() for f in ("locked", "password", "recovery")}
        self.reset_codes_used = []

    @property
    def password(self):
        return self.passwords[-1]


class Run:
    def __init__(self, args):
        self.args = args
        self.c = ulwire.Client(args.socket, timeout=60)
        self.outbox = Outbox(args.outbox)
        self.lock = threading.Lock()
        self.users = []
        self.stats = Counter()
        self.ops = 0
        self.stop = threading.Event()
        self.cv = threading.Condition()
        self.paused = False
        self.active = 0
        # what was accepted
        self.steps = defaultdict(list)          # (email, step) -> [how]
        self.recovery = defaultdict(list)       # (email, code) -> [(sent, set index)]
        self.resets = Counter()                 # (email, code) -> accepted
        self.late_recovery = []                 # voided-set codes accepted after the void
        self.acked = defaultdict(list)          # email -> audit events acknowledged
        self.unknown = []                       # requests with no reply
        self.lock_off = []                      # locks lost, seen right away
        # the audit log read so far: whole pages, and where they end
        self.audit_pages = []
        self.audit_after = None

    # ---- plumbing ----

    def call(self, mtype, **kw):
        try:
            return self.c.call(mtype, **kw)
        except WireError as e:
            with self.lock:
                self.unknown.append("%s %s: %s" % (mtype, kw.get("email"), e))
            return None

    def must(self, mtype, **kw):
        r = self.call(mtype, **kw)
        if r is None or r.result != OK:
            die("%s %s: %r" % (mtype, kw.get("email"), r))
        return r

    def count(self, what, res):
        with self.lock:
            self.stats["%s %s" % (what, "no reply" if res is None else res)] += 1

    def audit(self):
        """The whole audit log, in audit order; the full pages read before
        are not read again (the log only grows)."""
        tail = []
        while True:
            r = self.call("audit", after=self.audit_after)
            if r is None or r.result != OK:
                die("audit: %r" % (r,))
            nxt = r.get("next")
            if nxt is None:
                tail = r.records()
                break
            self.audit_pages.extend(r.records())
            self.audit_after = nxt
        return self.audit_pages + tail

    # ---- setup ----

    def setup(self):
        a = self.args
        self.must("product_add", product=PRODUCT)
        for n in range(1, a.tfa_users + 1):
            self.users.append(User(n, True))
        for n in range(1, a.plain_users + 1):
            self.users.append(User(n, False))
        for u in self.users:
            self.must("user_add", email=u.email)
            code = self.outbox.code("verify", u.email)
            if code is None:
                die("no confirmation code for %s in the outbox" % u.email)
            self.must("self_verify", email=u.email, code=code, new_password=PASSWORD)
            self.must("account_add", product=PRODUCT, account=u.account,
                      email=u.email)
            if u.tfa:
                self.enroll(u)
        self.tfa_users = [u for u in self.users if u.tfa]
        self.plain_users = [u for u in self.users if not u.tfa]

    def enroll(self, u):
        r = self.must("tfa_enroll", email=u.email, digits=DIGITS)
        u.secret = r.get("secret")
        s = step_now() - 1
        r = self.must("tfa_confirm", email=u.email, code=totp(u.secret, DIGITS, s))
        codes = r.all("recovery_codes")
        if len(codes) != 10:
            die("%s: %d recovery codes" % (u.email, len(codes)))
        u.sets.append(RecoverySet(codes, time.monotonic()))
        self.steps[(u.email, s)].append("confirm")
        u.next_step = s + 1
        u.max_tried = s

    # ---- TOTP steps ----

    def is_bad_step(self, u, s):
        """A step whose code equals the code of another step near it: an
        acceptance could not tell which of the two was used."""
        if s in u.bad_steps:
            return True
        w = self.args.window
        code = totp(u.secret, DIGITS, s)
        for o in range(s - 2 * w - 2, s + 2 * w + 3):
            if o != s and totp(u.secret, DIGITS, o) == code:
                u.bad_steps.add(s)
                return True
        return False

    def claim_step(self, u):
        """The next step of u not tried yet, inside the window with a step
        to spare on either side (the driver's clock and the helper's may
        sit on either side of a boundary), and never the window's last
        step: that one stays free for the final checks."""
        w = self.args.window
        here = step_now()
        with self.lock:
            s = max(u.next_step, here - w + 1)
            while s <= here + w - 1 and self.is_bad_step(u, s):
                s += 1
            if s > here + w - 1:
                return None
            u.next_step = s + 1
            u.max_tried = max(u.max_tried, s)
            return s

    def accepted_steps(self, u):
        w = self.args.window
        here = step_now()
        with self.lock:
            return [s for (e, s) in self.steps if e == u.email and
                    here - w + 1 <= s <= here + w - 1]

    def wrong_code(self, u, rng):
        here = step_now()
        near = {totp(u.secret, DIGITS, s) for s in range(here - 6, here + 7)} \
            if u.secret else set()
        while True:
            code = "%0*d" % (DIGITS, rng.randrange(10 ** DIGITS))
            if code not in near:
                return code

    def pick_recovery(self, u, rng):
        """An unused code of u's current set (never the one kept back)."""
        with self.lock:
            cur = u.sets[-1]
            free = [i for i in range(10) if i != RECOVERY_HELD and i not in cur.handed]
            if not free:
                return None, None
            i = rng.choice(free)
            cur.handed.add(i)
            return len(u.sets) - 1, cur.codes[i]

    # ---- logins ----

    def begin(self, u, password):
        """LOGIN_BEGIN: (result, ticket)."""
        r = self.call("login_begin", product=PRODUCT, unix_user=u.account,
                      email=u.email, password=password, service="race")
        if r is None:
            return None, None
        return r.result, r.get("ticket") if r.result == ENEEDCODE else None

    def send_code(self, ticket, code):
        """LOGIN_CODE: (result, monotonic time it was sent)."""
        sent = time.monotonic()
        r = self.call("login_code", ticket=ticket, code=code, service="race")
        return (None if r is None else r.result), sent

    def login(self, u, password, code):
        """LOGIN_BEGIN then, when a code is asked, LOGIN_CODE: (result,
        monotonic time LOGIN_CODE was sent)."""
        res, ticket = self.begin(u, password)
        if ticket is None:
            return res, None
        return self.send_code(ticket, code)

    def race(self, fns):
        """Runs fns at once (a barrier releases them together); their
        results in order."""
        bar = threading.Barrier(len(fns))
        out = [None] * len(fns)

        def run(i):
            try:
                bar.wait(timeout=30)
            except threading.BrokenBarrierError:
                pass
            out[i] = fns[i]()
        ts = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return out

    def record_step(self, u, s, res, how):
        if res == OK:
            with self.lock:
                self.steps[(u.email, s)].append(how)

    def record_recovery(self, u, k, code, res, sent):
        if res != OK:
            return
        with self.lock:
            self.recovery[(u.email, code)].append((sent, k))
            rs = u.sets[k]
            if rs.voided is not None and sent > rs.voided:
                self.late_recovery.append((u.email, k, code))

    # ---- admin changes; the caller holds the user's field lock ----

    def acked_change(self, u, event):
        with self.lock:
            self.acked[u.email].append(event)

    def password_set(self, u, pws, results):
        """Keeps what is known of u's password after requests that each set
        one of pws (a `user passwd`, or SELF_RESETs racing one code)."""
        ok = [pw for pw, res in zip(pws, results) if res == OK]
        lost = [pw for pw, res in zip(pws, results) if res is None]
        if lost:
            # no reply: it may still be written, at any time
            u.unreplied = True
            u.passwords += lost + ok
        elif ok and not u.unreplied:
            # one: the password; several (a code used twice): any of them
            u.passwords = ok
        else:
            u.passwords += ok

    def do_passwd(self, u, rng):
        pw = new_password(rng)
        r = self.call("user_passwd", email=u.email, new_password=pw)
        res = None if r is None else r.result
        self.count("user passwd", res)
        self.password_set(u, [pw], [res])
        if res == OK:
            self.acked_change(u, "user_passwd")

    def do_lock(self, u, rng):
        # mostly a lock and its unlock, so that most users can log in
        for want in [not u.locked] if rng.random() < 0.3 else [True, False]:
            r = self.call("user_lock" if want else "user_unlock", email=u.email)
            res = None if r is None else r.result
            self.count("user lock" if want else "user unlock", res)
            if res is None:
                u.locked_known = False
                return
            if res == OK:
                u.locked = want
                self.acked_change(u, "user_lock" if want else "user_unlock")

    def do_regen(self, u, rng):
        r = self.call("tfa_recovery_codes", email=u.email)
        res = None if r is None else r.result
        self.count("recovery-codes", res)
        if res != OK:
            return
        now = time.monotonic()
        with self.lock:
            u.sets[-1].voided = now
            u.sets.append(RecoverySet(r.all("recovery_codes"), now))
        self.acked_change(u, "tfa_recovery_codes")

    def do_reset_send(self, u, rng):
        r = self.call("self_reset_send", email=u.email)
        self.count("reset send", None if r is None else r.result)

    def self_reset(self, u, code, pw):
        r = self.call("self_reset", email=u.email, code=code, new_password=pw)
        return None if r is None else r.result

    def do_reset(self, u, rng):
        """`user reset`, then several SELF_RESETs racing its code, each
        with a new password of its own."""
        r = self.call("user_reset", email=u.email)
        self.count("user reset", None if r is None else r.result)
        if r is None or r.result != OK:
            return
        code = self.outbox.code("reset", u.email)
        pws = [new_password(rng) for _ in range(rng.choice([1, 2, 3, 3]))]
        results = self.race([lambda pw=pw: self.self_reset(u, code, pw) for pw in pws])
        for res in results:
            self.count("self reset", res)
        with self.lock:
            self.resets[(u.email, code)] += results.count(OK)
            u.reset_codes_used.append(code)
        self.password_set(u, pws, results)
        for _ in range(results.count(OK)):
            self.acked_change(u, "password_reset")

    def do_reset_replay(self, u, rng):
        if not u.reset_codes_used:
            return
        code = rng.choice(u.reset_codes_used)
        pw = new_password(rng)
        res = self.self_reset(u, code, pw)
        self.count("reset replay", res)
        if res == OK:
            with self.lock:
                self.resets[(u.email, code)] += 1
            self.acked_change(u, "password_reset")
        self.password_set(u, [pw], [res])

    ADMIN = {"passwd": ("password", do_passwd), "lock": ("locked", do_lock),
             "regen": ("recovery", do_regen), "reset": ("password", do_reset),
             "reset_replay": ("password", do_reset_replay),
             "reset_send": (None, do_reset_send)}

    def admin(self, name, u, rng, then=None):
        """Runs admin change `name` on u when no other change of that field
        of u is running (else does nothing); `then` (a list of functions)
        runs at the same time."""
        field, fn = self.ADMIN[name]
        lk = u.field_locks[field] if field else None
        if lk is not None and not lk.acquire(blocking=False):
            return False
        try:
            if then:
                self.race([lambda: fn(self, u, rng)] + then)
            else:
                fn(self, u, rng)
            return True
        finally:
            if lk is not None:
                lk.release()

    # ---- operations ----

    def op_totp(self, rng):
        u = rng.choice(self.tfa_users)
        s = self.claim_step(u)
        if s is None:
            return self.op_recovery(rng)
        code = totp(u.secret, DIGITS, s)
        pw = u.password
        for res, _ in self.race([lambda: self.login(u, pw, code)] * rng.choice([1, 2, 3, 4])):
            self.count("totp", res)
            self.record_step(u, s, res, "login")

    def op_totp_replay(self, rng):
        u = rng.choice(self.tfa_users)
        done = self.accepted_steps(u)
        if not done:
            return self.op_totp(rng)
        # the last accepted step most often: a lost update reverts to an older
        s = max(done) if rng.random() < 0.7 else rng.choice(done)
        res, _ = self.login(u, u.password, totp(u.secret, DIGITS, s))
        self.count("totp replay", res)
        self.record_step(u, s, res, "replay")

    def op_recovery(self, rng):
        u = rng.choice(self.tfa_users)
        k, code = self.pick_recovery(u, rng)
        if code is None:
            return self.admin("regen", u, rng)
        pw = u.password
        for res, sent in self.race([lambda: self.login(u, pw, code)] * rng.choice([1, 1, 2, 3])):
            self.count("recovery", res)
            self.record_recovery(u, k, code, res, sent)

    def op_recovery_replay(self, rng):
        """A used code again, or any code of a voided set."""
        u = rng.choice(self.tfa_users)
        with self.lock:
            used = [(v[0][1], c) for (e, c), v in self.recovery.items() if e == u.email]
            voided = [(k, c) for k, rs in enumerate(u.sets) if rs.voided is not None
                      for c in rs.codes]
        if not used and not voided:
            return self.op_recovery(rng)
        k, code = rng.choice(used + voided)
        res, sent = self.login(u, u.password, code)
        self.count("recovery replay", res)
        self.record_recovery(u, k, code, res, sent)

    def op_wrong_code(self, rng):
        u = rng.choice(self.tfa_users)
        res, _ = self.login(u, u.password, self.wrong_code(u, rng))
        self.count("wrong code", res)

    def op_wrong_password(self, rng):
        """Wrong passwords, sometimes several at once for one email: the
        lockout (S3) must hold against a burst."""
        u = rng.choice(self.users)
        code = self.wrong_code(u, rng)
        pws = ["wrong " + new_password(rng) for _ in range(rng.choice([1, 1, 2, 3, 4]))]
        for res, _ in self.race([lambda pw=pw: self.login(u, pw, code) for pw in pws]):
            self.count("wrong password", res)

    def op_plain(self, rng):
        u = rng.choice(self.plain_users)
        res, _ = self.login(u, u.password, "00000000")
        self.count("plain login", res)

    def op_admin(self, rng):
        name = rng.choices(["passwd", "lock", "reset", "reset_replay", "regen"],
                           [7, 7, 5, 2, 3])[0]
        users = self.tfa_users if name == "regen" else self.users
        self.admin(name, rng.choice(users), rng)

    def op_contend(self, rng):
        """A user's LOGIN_CODEs (tickets taken first) raced with an admin
        change of that user; then what was accepted, once more."""
        u = rng.choice(self.tfa_users)
        logins = []
        for _ in range(rng.choice([1, 1, 2])):
            if rng.random() < 0.7:
                s = self.claim_step(u)
                if s is None:
                    continue
                logins.append(("step", s, None, totp(u.secret, DIGITS, s)))
            else:
                k, code = self.pick_recovery(u, rng)
                if code is not None:
                    logins.append(("recovery", None, k, code))
        tickets = [self.begin(u, u.password)[1] for _ in logins]
        todo = [(lg, t) for lg, t in zip(logins, tickets) if t is not None]
        if not todo:
            return
        name = rng.choices(["passwd", "lock", "reset_send", "reset", "regen"],
                           [4, 3, 3, 1, 1])[0]
        out = {}

        def one(i, lg, t):
            def f():
                out[i] = self.send_code(t, lg[3])
            return f
        if not self.admin(name, u, rng, [one(i, lg, t) for i, (lg, t) in enumerate(todo)]):
            for i, (lg, t) in enumerate(todo):
                one(i, lg, t)()
        for i, (lg, _) in enumerate(todo):
            res, sent = out[i]
            kind, s, k, code = lg
            self.count("contend %s/%s" % (kind, name), res)
            if kind == "step":
                self.record_step(u, s, res, "contend")
            else:
                self.record_recovery(u, k, code, res, sent)
            if res != OK:
                continue
            res, sent = self.login(u, u.password, code)
            self.count("contend replay %s" % kind, res)
            if kind == "step":
                self.record_step(u, s, res, "contend replay")
            else:
                self.record_recovery(u, k, code, res, sent)

    def op_admin_pair(self, rng):
        """Two admin changes of different fields of one user at once; then
        the lock read back, and a code of the set a regeneration voided."""
        u = rng.choice(self.tfa_users)
        pair = rng.choice([("regen", "passwd"), ("regen", "lock"), ("lock", "passwd"),
                           ("lock", "reset_send"), ("regen", "reset_send"),
                           ("lock", "reset")])
        fields = [self.ADMIN[n][0] for n in pair]
        held = []
        try:
            for f in fields:
                if f is not None:
                    if not u.field_locks[f].acquire(blocking=False):
                        return
                    held.append(f)
            nsets = len(u.sets)
            self.race([lambda n=n: self.ADMIN[n][1](self, u, rng) for n in pair])
            if "lock" in pair and u.locked_known:
                r = self.must("user_show", email=u.email)
                if r.get("locked") != u.locked:
                    with self.lock:
                        self.lock_off.append((0, u.email, "%s: locked is %s right after "
                                              "its %s raced a %s" % (
                                                  u.email, r.get("locked"),
                                                  "lock" if u.locked else "unlock",
                                                  [n for n in pair if n != "lock"][0])))
            if len(u.sets) > nsets:
                k = len(u.sets) - 2
                code = rng.choice(u.sets[k].codes)
                res, sent = self.login(u, u.password, code)
                self.count("voided code after %s" % "+".join(pair), res)
                self.record_recovery(u, k, code, res, sent)
        finally:
            for f in held:
                u.field_locks[f].release()

    OPS = [("op_totp", 8), ("op_totp_replay", 6), ("op_recovery", 5),
           ("op_recovery_replay", 4), ("op_wrong_code", 3),
           ("op_wrong_password", 4), ("op_plain", 6), ("op_admin", 14),
           ("op_admin_pair", 6), ("op_contend", 24)]

    # ---- the run ----

    def worker(self, n):
        rng = random.Random(self.args.seed * 1000 + n)
        names = [o for o, _ in self.OPS]
        weights = [w for _, w in self.OPS]
        while True:
            with self.cv:
                while self.paused and not self.stop.is_set():
                    self.cv.wait()
                if self.stop.is_set():
                    return
                if self.ops >= self.args.max_ops:
                    self.stop.set()
                    self.cv.notify_all()
                    return
                self.ops += 1
                self.active += 1
            try:
                getattr(self, rng.choices(names, weights)[0])(rng)
            finally:
                with self.cv:
                    self.active -= 1
                    self.cv.notify_all()

    def spammer(self, n):
        """SELF_RESET_SEND needs no authentication: anyone may send it."""
        rng = random.Random(self.args.seed * 7919 + n)
        while not self.stop.is_set():
            self.do_reset_send(rng.choice(self.users), rng)

    def quiesce(self):
        """Pauses the workers; returns once none is inside an operation."""
        with self.cv:
            self.paused = True
            while self.active > 0:
                self.cv.wait()

    def resume(self):
        with self.cv:
            self.paused = False
            self.cv.notify_all()

    def run(self, checkpoint):
        """The workers and spammers until --seconds or --max-ops;
        checkpoint() with the workers paused every --checkpoint seconds."""
        self.started = time.time()
        end = time.monotonic() + self.args.seconds
        ts = [threading.Thread(target=self.worker, args=(i,))
              for i in range(self.args.workers)]
        spam = [threading.Thread(target=self.spammer, args=(i,)) for i in range(2)]
        for t in ts + spam:
            t.start()
        while not self.stop.is_set():
            now = time.monotonic()
            self.stop.wait(min(self.args.checkpoint, max(end - now, 0)))
            if self.stop.is_set() or time.monotonic() >= end:
                break
            self.quiesce()
            checkpoint()
            self.resume()
        self.quiesce()
        self.stop.set()
        with self.cv:
            self.cv.notify_all()
        for t in ts + spam:
            t.join()
        self.elapsed = time.time() - self.started


def main():
    p = argparse.ArgumentParser()
    p.add_argument("socket")
    p.add_argument("outbox")
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--max-ops", type=int, default=40000)
    p.add_argument("--workers", type=int, default=16)
    p.add_argument("--lockout-attempts", type=int, default=1000)
    p.add_argument("--lockout-seconds", type=int, default=900)
    p.add_argument("--window", type=int, default=3)
    p.add_argument("--tfa-users", type=int, default=28)
    p.add_argument("--plain-users", type=int, default=8)
    p.add_argument("--checkpoint", type=float, default=5)
    p.add_argument("--seed", type=int, default=int(time.time()))
    args = p.parse_args()
    log("seed %d" % args.seed)
    run = Run(args)
    t0 = time.time()
    run.setup()
    log("setup: %d users in %.1f s" % (len(run.users), time.time() - t0))
    cp = Checkpoints(run)
    run.run(cp)
    log("run: %d operations in %.1f s" % (run.ops, run.elapsed))
    for k, v in sorted(run.stats.items()):
        log("  %-36s %d" % (k, v))
    cp()                        # the last checkpoint: everything stopped
    ck = Checks()
    ck.result(not run.unknown, "every request had a reply: %d without"
              % len(run.unknown), run.unknown)
    check(run, ck, cp)
    log("%d checks failed" % ck.failed)


if __name__ == "__main__":
    main()
