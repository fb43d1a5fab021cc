"""The invariants of tests/race.py, checked after (and during) a run:
the S3 replay of the audit log, the checkpoints (failure counts and locks
read while the workers pause) and the final logins of (d).  Each check
prints one line "RESULT pass|fail TEXT" and its first findings as "#   "
lines.

Names the handlers write today and these checks rely on (keep them, or
change them here too):
  audit events   "login" (LOGIN_BEGIN's outcome when no code is needed or
                 the password was wrong; every LOGIN_CODE), "login_password"
                 (the right password, a code is needed), "user_lock",
                 "user_unlock", "user_passwd", "password_reset" (a
                 SELF_RESET), "tfa_recovery_codes", "reset_code"
  audit outcome  ul_strerror(): "ok", "authentication failed", ...
  audit detail   "wrong email or password before the code" (a LOGIN_CODE
                 after a wrong password: counted at LOGIN_BEGIN already)
  user show      "failures", "locked", "locked_out_until"
"""
import threading
import time
from collections import defaultdict

import ulwire
from ulwire import OK, ELOCKEDOUT, totp

DIGITS = 8              # the TOTP methods' digits
RECOVERY_HELD = 9       # index of the recovery code of each set kept back
TEXT_EAUTH = "authentication failed"            # ul_strerror(UL_EAUTH)


def log(*a):
    print("#", *a, flush=True)


def step_now():
    return int(time.time()) // ulwire.PERIOD


# ---- S3 replayed from the audit log ----

def replay_failures(events, attempts, seconds, t_read, count_in_lockout=False):
    """The failure counter (S3) of one email, replayed from its audit
    records in audit order; returns the set of counts the store may hold
    at t_read.

    Which records move the counter is what the handlers write today
    (finish_login in h_login.c, ul_h_login_code in h_code.c):
      * event "login", outcome "authentication failed": a failure (a
        wrong password at LOGIN_BEGIN, detail "wrong password"; a wrong
        code at LOGIN_CODE, detail "wrong code"), EXCEPT detail "wrong
        email or password before the code": that LOGIN_CODE follows a
        wrong password that LOGIN_BEGIN counted already;
      * event "login", outcome "ok": a success: the count is 0 again and
        a lockout ends (ul_store_failures_del);
      * every other record leaves the counter alone ("login_password" is
        a right password that needs a code; "login" with "user locked"
        is no failure; an attempt refused as locked out is not audited).
    The lockout is not audited; the replay infers it: the attempts-th
    counted failure in a row locks the email out for `seconds` and sets
    the count to 0.  A failure while the email is locked out is not
    counted (with count_in_lockout=True it is: the behaviour of a
    LOGIN_BEGIN that read the lockout before its KDF, used to say why a
    count is off).  A counter whose last failure is `seconds` old may be
    dropped by the helper's maintenance at any moment (count 0).

    Audit times are whole seconds read next to (not at) the moment the
    counter was written, so where one second either way changes the
    outcome (a failure at the end of a lockout, a success during one) the
    replay keeps both possibilities: a set of states
    (count, last failure, lockout start)."""
    states = {(0, None, None)}

    def prune(states, t):
        out = set(states)
        for c, last, lock in states:
            if c > 0 and last is not None and t - last >= seconds:
                out.add((0, None, None))
        return out

    for e in events:
        t = e["time"]
        states = prune(states, t)
        ev, outcome, detail = e["event"], e["outcome"], e.get("detail", "-")
        nxt = set()
        for st in states:
            c, last, lock = st
            if ev == "login" and outcome == "ok":
                nxt.add((0, None, None))
                if lock is not None and t - lock <= seconds:
                    nxt.add((0, None, lock))    # a success inside a lockout
            elif (ev == "login" and outcome == TEXT_EAUTH and
                  detail != "wrong email or password before the code"):
                # Locked out when this failure was written?  The lockout
                # ends `seconds` after the failure that set it, whose own
                # clock read may be a second before its record's time; this
                # record's clock read may be a second after the check.
                d = None if lock is None else t - lock
                if d is None or d >= seconds + 1:
                    locked = [False]
                elif d <= seconds - 2:
                    locked = [True]
                else:
                    locked = [True, False]
                for lk in locked:
                    if lk and not count_in_lockout:
                        nxt.add(st)
                        continue
                    n = c + 1
                    if n >= attempts:
                        nxt.add((0, t, t))
                    else:
                        nxt.add((n, t, lock))
            else:
                nxt.add(st)
        states = nxt
    states = prune(states, t_read)
    return {c for c, _, _ in states}


# ---- checks ----

class Checks:
    def __init__(self):
        self.failed = 0

    def result(self, ok, text, details=()):
        details = list(details)
        print("RESULT %s %s" % ("pass" if ok else "fail", text), flush=True)
        for d in details[:12]:
            print("#   " + d, flush=True)
        if len(details) > 12:
            print("#   ... %d more" % (len(details) - 12), flush=True)
        if not ok:
            self.failed += 1


def recent(events, now, n=6):
    """The last n login records of one email, short, for a diagnosis."""
    short = {"ok": "ok", TEXT_EAUTH: "fail", "verification code needed": "code?"}
    out = ["%+d %s/%s%s" % (e["time"] - now, e["event"], short.get(e["outcome"], e["outcome"]),
                            "" if e["outcome"] != TEXT_EAUTH else "(%s)" % e.get("detail"))
           for e in events if e["event"] in ("login", "login_password")]
    return ", ".join(out[-n:])


class Checkpoints:
    """(c) and the lock half of (d), at each pause of the workers and at
    the end: the store's failure counts and locks against the audit log
    and the acknowledgements."""

    def __init__(self, run):
        self.run = run
        self.n = 0
        self.count_off = []         # (checkpoint, user, text)
        self.count_lockout = []
        self.lock_off = []
        self.state = {}
        self.audit = []

    def __call__(self):
        run, a = self.run, self.run.args
        self.n += 1
        state = {}
        for u in run.users:
            r = run.must("user_show", email=u.email)
            state[u.email] = {"failures": r.get("failures"), "locked": r.get("locked"),
                              "locked_out_until": r.get("locked_out_until"),
                              "read": int(time.time())}
        audit = run.audit()
        by_email = defaultdict(list)
        for e in audit:
            by_email[e.get("email")].append(e)
        for u in run.users:
            st = state[u.email]
            evs = by_email.get(u.email, [])
            may = replay_failures(evs, a.lockout_attempts, a.lockout_seconds, st["read"])
            if st["failures"] not in may:
                alt = replay_failures(evs, a.lockout_attempts, a.lockout_seconds,
                                      st["read"], count_in_lockout=True)
                line = "checkpoint %d: %s: the store counts %s failures, the " \
                    "audit log implies %s; its last logins: %s" % (
                        self.n, u.email, st["failures"], sorted(may), recent(evs, st["read"]))
                if st["failures"] in alt:
                    self.count_lockout.append((self.n, u.email, line +
                                               " (a failure counted while locked out)"))
                else:
                    self.count_off.append((self.n, u.email, line))
            if u.locked_known and st["locked"] != u.locked:
                self.lock_off.append((self.n, u.email, "checkpoint %d: %s: locked is %s, "
                                      "the last acknowledged %s" % (
                                          self.n, u.email, st["locked"],
                                          "lock" if u.locked else "unlock")))
        self.state, self.audit, self.by_email = state, audit, by_email

    @staticmethod
    def summary(found):
        """found: (checkpoint, email, text); checkpoint 0 is "right away"."""
        return "%d times (%d checkpoints), %d users" % (
            len(found), len({n for n, _, _ in found if n > 0}),
            len({e for _, e, _ in found}))


def check(run, ck, cp):
    a = run.args
    audit, by_email = cp.audit, cp.by_email
    log("audit: %d records; outbox: %s" % (len(audit), dict(run.outbox.count)))

    # (a) T3: a step once accepted (at confirm or login) is never accepted again
    multi = ["%s step %d accepted %d times (%s)" % (e, s, len(v), ", ".join(v))
             for (e, s), v in sorted(run.steps.items()) if len(v) > 1]
    n_login = sum(1 for v in run.steps.values() for h in v if h != "confirm")
    ck.result(not multi, "(a) T3: every (user, TOTP step) accepted at most once: "
              "%d acceptances at login, %d steps accepted twice or more"
              % (n_login, len(multi)), multi)

    # (b) T4, U5: single-use codes
    multi = ["%s: a recovery code of set %d accepted %d times" % (e, v[0][1], len(v))
             for (e, c), v in sorted(run.recovery.items()) if len(v) > 1]
    n_rec = sum(len(v) for v in run.recovery.values())
    ck.result(not multi, "(b) T4: every recovery code accepted at most once: "
              "%d acceptances, %d codes twice or more" % (n_rec, len(multi)), multi)
    late = ["%s: a code of set %d accepted after set %d was acknowledged"
            % (e, k, k + 1) for e, k, c in run.late_recovery]
    n_void = sum(1 for u in run.tfa_users for rs in u.sets if rs.voided is not None)
    ck.result(not late, "(b) T4: no code of a voided recovery set accepted after "
              "the regeneration was acknowledged: %d sets voided, %d such logins"
              % (n_void, len(late)), late)
    multi = ["%s: a reset code accepted %d times" % (e, n)
             for (e, c), n in sorted(run.resets.items()) if n > 1]
    ck.result(not multi, "(b) U5: every reset code accepted at most once: %d "
              "resets from %d codes, %d codes twice or more"
              % (sum(run.resets.values()), len(run.resets), len(multi)), multi)

    # (c) S3: the counter the store holds is the one the audit log implies
    fails = sum(1 for e in audit if e.get("event") == "login" and
                e.get("outcome") == TEXT_EAUTH)
    ck.result(not cp.count_off, "(c) S3: every failure count equals the audit "
              "replay at each of %d checkpoints (%d failed logins audited, "
              "lockout after %d): off %s" % (cp.n, fails, a.lockout_attempts,
                                             cp.summary(cp.count_off)),
              [t for _, _, t in cp.count_off])
    if a.lockout_attempts < 1000 or cp.count_lockout:
        ck.result(not cp.count_lockout, "(c) S3: no failure counted while the "
                  "email is locked out: %s" % cp.summary(cp.count_lockout),
                  [t for _, _, t in cp.count_lockout])

    # S8: every acknowledged admin change is in the audit, in ack order
    # (field by field: changes of one field ran one at a time)
    fields = [("user_lock", "user_unlock"), ("user_passwd", "password_reset"),
              ("tfa_recovery_codes",)]
    missing = []
    for u in run.users:
        for f in fields:
            seen = [e["event"] for e in by_email.get(u.email, [])
                    if e["event"] in f and e["outcome"] == "ok"]
            want = [x for x in run.acked[u.email] if x in f]
            if seen != want:
                missing.append("%s: acknowledged %s, audited %s" % (
                    u.email, want[-6:], seen[-6:]))
    ck.result(not missing, "S8: every acknowledged lock, unlock, password change "
              "and regeneration is audited, in acknowledgement order: %d off"
              % len(missing), missing)

    # (d) U7, U4/U5, T4: no acknowledged change lost
    n_locks = sum(1 for v in run.acked.values() for x in v
                  if x in ("user_lock", "user_unlock"))
    off = run.lock_off + cp.lock_off
    ck.result(not off, "(d) U7: every user's lock is its last acknowledged lock or "
              "unlock, right after changes raced with it and at each of %d "
              "checkpoints (%d acknowledged): off %s" % (cp.n, n_locks, cp.summary(off)),
              [t for _, _, t in off])
    final_logins(run, ck, cp.state)


def final_login(run, u, state, out):
    """u's final logins: its expected password with a TOTP step no client
    ever sent (the run never sends the window's last step), or alone
    without two-factor; then a kept-back code of its last recovery set.
    A lockout is waited out (bounded) and the login sent again."""
    w = run.args.window
    if state["locked"]:
        run.must("user_unlock", email=u.email)

    def attempt(pw, code):
        for _ in range(4):
            res, _ = run.login(u, pw, code)
            if res != ELOCKEDOUT:
                return res
            r = run.must("user_show", email=u.email)
            # the end of the lockout is known: wait for it, not longer
            until = min((r.get("locked_out_until") or 0) + 0.2,
                        time.time() + run.args.lockout_seconds + 2)
            while time.time() < until:
                time.sleep(0.05)
        return res

    code = "00000000"
    if u.tfa:
        s = max(u.max_tried + 1, step_now() - w + 1)
        code = totp(u.secret, DIGITS, s)
    # a wrong password's ticket is refused before its code is looked at:
    # the same step serves every password u may have
    tried, pw_ok = [], None
    for pw in reversed(u.passwords):
        res = attempt(pw, code)
        tried.append(res)
        if res == OK:
            pw_ok = pw
            break
    if pw_ok is None:
        out["password"] = "%s: %s does not log in (%s)" % (
            u.email, "its last acknowledged password" if len(u.passwords) == 1
            else "none of the %d passwords it may have" % len(u.passwords), tried)
        return
    if u.tfa:
        res = attempt(pw_ok, u.sets[-1].codes[RECOVERY_HELD])
        if res != OK:
            out["recovery"] = "%s: a kept code of its last acknowledged recovery " \
                "set (%d) is refused (%s)" % (u.email, len(u.sets) - 1, res)


def final_logins(run, ck, state):
    """(d): the password is the last acknowledged one, and the last
    acknowledged recovery set works.  Every user at once, each unlocked
    first (its lock was checked already)."""
    # not in the first second of a step: the helper's clock (time(NULL))
    # may still be in the one before
    if time.time() % ulwire.PERIOD < 1:
        time.sleep(1 - time.time() % ulwire.PERIOD)
    outs = {u.email: {} for u in run.users}
    ts = [threading.Thread(target=final_login, args=(run, u, state[u.email], outs[u.email]))
          for u in run.users]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wrong = [o["password"] for o in outs.values() if "password" in o]
    lost = [o["recovery"] for o in outs.values() if "recovery" in o]
    n_pw = sum(1 for v in run.acked.values() for x in v
               if x in ("user_passwd", "password_reset"))
    ck.result(not wrong, "(d) U4/U5: every user's password is its last acknowledged "
              "`user passwd` or reset: %d changes acknowledged, %d users, %d off"
              % (n_pw, len(run.users), len(wrong)), sorted(wrong))
    n_regen = sum(1 for v in run.acked.values() for x in v if x == "tfa_recovery_codes")
    ck.result(not lost, "(d) T4: the last acknowledged recovery set works: %d "
              "regenerations acknowledged, %d users off" % (n_regen, len(lost)),
              sorted(lost))
