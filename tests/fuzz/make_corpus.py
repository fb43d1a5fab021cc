#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora: a handful of small valid inputs per
target (and a few near misses), in the layouts of include/unilogin/proto.h,
helper/store/record.c, common/conf.c, tests/fuzz/fuzz_inputs.c and the export
lines of helper/store/export.c.

usage: make_corpus.py [DIR]   (default: the corpus/ beside this script)

The files it writes are kept in the tree; run it again after a change of
a layout, and commit what changed."""
import base64
import json
import os
import struct
import sys

# ---- frames (include/unilogin/proto.h) ----

VERSION = 1
REPLY, STATUS, LOOKUP, LOGIN_BEGIN, LOGIN_CODE = 0, 1, 2, 3, 4
USER_LIST, TFA_ENROLL, IMPORT = 69, 112, 131

F = dict(result=1, message=2, record=3, next=4, after=5, version=6,
         product=10, account=11, unix_user=12, email=13, service=15,
         rhost=16, tty=17, kind=18, uid=21, confirmed=40, locked=41,
         created=44, tfa=48, digits=58, password=100, code=102, ticket=103,
         uri=106, secret=107, data=111)


def s(tag, text):
    v = text.encode() + b"\0"
    return struct.pack(">HH", F[tag], len(v)) + v


def i(tag, n):
    return struct.pack(">HHq", F[tag], 8, n)


def b(tag, v):
    return struct.pack(">HHB", F[tag], 1, 1 if v else 0)


def mark(tag="record"):
    return struct.pack(">HH", F[tag], 0)


def frame(mtype, *fields, version=VERSION):
    payload = struct.pack(">HH", version, mtype) + b"".join(fields)
    return struct.pack(">I", len(payload)) + payload


def frames():
    user = [mark(), s("email", "a@example.com"), b("confirmed", True),
            b("locked", False), i("created", 1700000000), b("tfa", True)]
    return {
        "status": frame(STATUS),
        "lookup": frame(LOOKUP, s("product", "acme"), s("unix_user", "u900000001")),
        "login_begin": frame(LOGIN_BEGIN, s("product", "acme"),
                             s("unix_user", "u900000001"),
                             s("email", "Alice@Example.com"),
                             s("password", "correct horse"), s("service", "sshd"),
                             s("rhost", "192.0.2.7"), s("tty", "ssh")),
        "login_code": frame(LOGIN_CODE, s("ticket", "00" * 16), s("code", "123456")),
        "reply_ok": frame(REPLY, i("result", 0), s("message", "Welcome.")),
        "reply_error": frame(REPLY, i("result", -20),
                             s("message", "Wrong email or password.")),
        "reply_list": frame(REPLY, i("result", 0), *user, *user,
                            s("next", "b@example.com")),
        "reply_enroll": frame(REPLY, i("result", 0), i("digits", 6),
                              s("uri", "otpauth://totp/unilogin:a%40example.com"
                                "?secret=JBSWY3DPEHPK3PXP&issuer=unilogin"),
                              s("secret", "JBSWY3DPEHPK3PXP")),
        "import": frame(IMPORT, s("data", '{"email":"a@example.com"}')),
        "other_version": frame(STATUS, version=2),
    }


# ---- records (helper/store/record.c): format byte, then u8 tag, u16 length ----


def rs(tag, text):
    v = text.encode()
    return struct.pack(">BH", tag, len(v)) + v


def ri(tag, n):
    return struct.pack(">BHq", tag, 8, n)


def rb(tag, v):
    return struct.pack(">BHB", tag, 1, 1 if v else 0)


def rbytes(tag, n, fill):
    return struct.pack(">BH", tag, n) + bytes([fill]) * n


def record(*cols):
    return b"\x01" + b"".join(cols)


def records():
    return {
        "user": record(rs(1, "a@example.com"), rs(2, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA"),
                       rb(3, True), rb(4, False), ri(5, 1700000000), ri(6, 1700000100),
                       rbytes(7, 32, 0x11), ri(8, 1700086400), rbytes(9, 32, 0x22),
                       ri(10, 0), rs(11, "new@example.com"), ri(14, 56666666),
                       ri(15, 1700000200), ri(16, 3), rbytes(17, 320, 0x33),
                       ri(18, 0x3ff), rbytes(19, 32, 0x44), ri(20, 1700000300),
                       ri(21, 1700000000), ri(22, 1), ri(23, 2),
                       rs(24, "0123456789abcdef0123456789abcdef")),
        "account": record(rs(1, "acme"), rs(2, "alice"), rs(3, "u900000001"),
                          ri(4, 900000001), rs(5, "alice@acme.example"),
                          rs(6, "a@example.com"), rs(8, "team"),
                          rs(9, "Alice at Acme"), ri(10, 1), ri(11, 1700000000)),
        "product": record(rs(1, "acme"), rs(2, "Acme Cloud"), ri(3, 1700000000)),
        "audit": record(ri(1, 1700000000), rs(2, "login"), rs(3, "a@example.com"),
                        rs(4, "acme"), rs(5, "alice"), rs(6, "sshd"),
                        rs(7, "192.0.2.7"), ri(8, 0), ri(9, -20),
                        rs(10, "wrong password")),
        "failures": record(ri(1, 3), ri(2, 1700000000), ri(3, 1700000900)),
        "method_totp": record(ri(1, 1), ri(2, 1), rb(3, True), ri(4, 6),
                              rbytes(5, 60, 0x55), ri(7, 1700000000), ri(8, 0)),
        "method_sms": record(ri(1, 2), ri(2, 2), rb(3, False), ri(4, 6),
                             rs(6, "+15550100"), ri(7, 1700000000)),
        "apikey": record(rs(1, "k1a2b3c4d5e6f7"), rs(2, "a@example.com"),
                         rs(3, "acme"), rs(4, "alice"), rbytes(5, 32, 0x66),
                         ri(6, 1700000000), ri(7, 0), ri(8, 1700000500)),
        "session": record(ri(1, 42), rs(2, "acme"), rs(3, "alice"),
                          rs(4, "a@example.com"), rs(5, "host1"), rs(6, "sshd"),
                          rs(7, "192.0.2.7"), rs(8, "pts/0"), ri(9, 1700000000),
                          ri(10, 1700003600), ri(11, 0)),
        "newer_field": record(rs(1, "acme"), rs(200, "from a later version")),
        "empty": record(),
    }


# ---- unilogin.conf (common/conf.c) ----

CONFS = {
    "full": """# unilogin.conf
product = acme
socket = /run/unilogin/unilogin.sock
state_dir = /var/lib/unilogin
kdf = moderate
kdf_parallel = 2
lockout_attempts = 5
lockout_seconds = 900
tfa_required = yes
totp_window = 1
totp_digits = 6
remember_days = 30
delivery_command = /usr/local/sbin/unilogin-deliver
admin_group = unilogin-admin
timeout = 10
user = unilogin
uid_min = 900000000
uid_max = 999999999
home_template = /home/%u
shell = /bin/bash
nss_timeout = 1
session_days = 90
audit_days = 365
issuer = Acme
""",
    "small": "state_dir = /tmp/ul-state\nkdf = 2:64\n",
    "comments": "  # indented comment\n\nissuer = Acme # an inline comment\n"
                "shell = /bin/sh#not a comment\ntfa_required = false\n",
    "no_newline": "totp_digits = 8",
    "crlf": "timeout = 30\r\nkdf = interactive\r\n",
    "unknown_key": "colour = blue\n",
    "twice": "timeout = 5\ntimeout = 6\n",
    "uid_range": "uid_min = 950000000\nuid_max = 940000000\n",
}

# ---- person-typed inputs (tests/fuzz/fuzz_inputs.c: first byte = mode) ----


def inputs():
    return {
        "email": b"\x00  Alice@Example.COM \t",
        "email_bad": b"\x00a@b@example.com",
        "code": b"\x01abcde-fghjk",
        "code_lookalikes": b"\x01OIL0O 1ilo0",
        "kdf_named": b"\x02sensitive",
        "kdf_numbers": b"\x022:64",
        # buffer size (2 bytes), digits, issuer NUL email NUL secret
        "uri": b"\x03\x01\x00\x06Acme Co\0a+b@example.com\0JBSWY3DPEHPK3PXP",
        "uri_short": b"\x03\x00\x40\x08unilogin\0a@example.com\0ABC",
        # digits, window, after, how, which: an exact current code
        "totp_exact6": bytes([4, 6, 1, 0, 1, 33]),
        "totp_exact8": bytes([4, 8, 1, 0, 1, 35]),
        "totp_longer": bytes([4, 6, 1, 0, 1, 33]) + b"7",
        "totp_typed": b"\x04\x06\x01\x00\x00\x00123456",
        # how, uid: the real ticket, then a made-up one
        "ticket": bytes([5, 0, 1]),
        "ticket_take": bytes([5, 0, 3]),
        "ticket_text": b"\x05\x01\x01" + b"0123456789abcdef" * 2,
        # how, which: a recovery code typed, exact, and plain text
        "recovery_typed": bytes([6, 1, 2]) + bytes([1, 2, 4, 3, 6, 9, 18, 33]),
        "recovery_exact": bytes([6, 2, 0]),
        "recovery_text": b"\x06\x00\x00abcd-efgh-jkmn",
    }

# ---- import lines (helper/store/export.c): one JSON object, keys in the order
# the export writes them (type, the context fields, then the columns of
# helper/store/record.c's table); a zero field is left out ----


def b64(n, fill):
    return base64.b64encode(bytes([fill]) * n).decode()


def line(*pairs):
    return json.dumps(dict(pairs), separators=(",", ":"), ensure_ascii=False)


def import_lines():
    user = line(("type", "user"), ("email", "a@example.com"),
                ("pwhash", "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA"),
                ("confirmed", True), ("locked", True),
                ("created", 1700000000), ("pw_changed", -1),
                ("confirm.hash", b64(32, 0x11)), ("confirm.expires", 1700086400),
                ("reset.hash", b64(32, 0x22)), ("reset.expires", 1700003600),
                ("pending_email", "new@example.com"),
                ("totp_step", 9223372036854775807),
                ("tfa_changed", -9223372036854775808),
                ("next_method_id", 3), ("recovery", b64(320, 0x33)),
                ("recovery_unused", 0x3ff), ("sms.hash", b64(32, 0x44)),
                ("sms.expires", 1700000300), ("sms_window", 1700000000),
                ("sms_sent", 2), ("remember_epoch", 4294967295),
                ("id", "0123456789abcdef0123456789abcdef"))
    return {
        "meta": line(("type", "meta"), ("next_uid", 900000123)),
        "meta_zero": line(("type", "meta"), ("next_uid", 0)),
        "product": line(("type", "product"), ("name", "acme"),
                        ("display_name", "Acme \"Cloud\" \\ / \t\x01 Dàve ✓"),
                        ("created", 1700000000)),
        "user": user,
        "user_minimal": line(("type", "user"), ("email", "b@example.com")),
        "method_totp": line(("type", "method"), ("user", "a@example.com"),
                            ("id", 1), ("kind", 1), ("active", True),
                            ("digits", 6), ("seed_box", b64(60, 0x55)),
                            ("created", 1700000000), ("last_used", 1700000600)),
        "method_sms": line(("type", "method"), ("user", "a@example.com"),
                           ("id", 2), ("kind", 2), ("digits", 6),
                           ("phone", "+15550100"), ("created", 1700000000)),
        "account": line(("type", "account"), ("product", "acme"),
                        ("name", "alice"), ("unix_user", "u900000001"),
                        ("uid", 900000001), ("email", "a@example.com"),
                        ("owner", "a@example.com"), ("parent", "team"),
                        ("friendly_name", "Alice's \"first\" account \\o/ é"),
                        ("state", 2), ("created", 1700000000)),
        "account_legacy": line(("type", "account"), ("product", "acme"),
                               ("name", "old"), ("unix_user", "u900000002"),
                               ("uid", 900000002), ("email", "old@example.com"),
                               ("pwhash", "$argon2id$v=19$m=8,t=1,p=1$x$y"),
                               ("created", 1700000000)),
        "member": line(("type", "member"), ("user", "b@example.com"),
                       ("product", "acme"), ("account", "alice"),
                       ("role", "billing")),
        "apikey": line(("type", "apikey"), ("id", "k1a2b3c4d5e6f7"),
                       ("email", "a@example.com"), ("product", "acme"),
                       ("account", "alice"), ("hash", b64(32, 0x66)),
                       ("created", 1700000000), ("expires", 1800000000),
                       ("last_used", 1700000500)),
        # near misses, each refused for one reason
        "bad_trailing": line(("type", "product"), ("name", "p")) + " x",
        "bad_two_objects": line(("type", "user"), ("email", "a@example.com")) +
                           line(("type", "user"), ("email", "b@example.com")),
        "bad_email": line(("type", "user"), ("email", "A@Example.com")),
        "bad_base64": line(("type", "apikey"), ("id", "k"),
                           ("email", "a@example.com"), ("hash", b64(33, 0x66))),
        "bad_nul": '{"type":"product","name":"p\\u0000q"}',
        "bad_range": line(("type", "meta"), ("next_uid", 4294967296)),
        "bad_unknown": line(("type", "member"), ("user", "b@example.com"),
                            ("colour", "red")),
        "bad_cut": line(("type", "account"), ("product", "acme"))[:-1],
    }


def migrate_files():
    """fuzz_migrate: first byte even, a ~/.google_authenticator as the real
    program writes it; odd, a pam_oath users file."""
    ga = ("AQSIRJIGWQ6MMOJZMCCPITUQTM\n\" RATE_LIMIT 3 30\n\" WINDOW_SIZE 3\n"
          "\" DISALLOW_REUSE 58000000 58000001\n\" TOTP_AUTH\n94403266\n46944071\n")
    hex20 = "3132333435363738393031323334353637383930"
    return {
        "ga_totp": "\0" + ga,
        "ga_hotp": "\0AQSIRJIGWQ6MMOJZMCCPITUQTM\n\" HOTP_COUNTER 1\n12345678\n",
        "ga_step": "\0AQSIRJIGWQ6MMOJZMCCPITUQTM\n\" STEP_SIZE 60\n\" TOTP_AUTH\n",
        "oath": "\1HOTP/T30 alice - %s\nHOTP/T30/7 bob - %s 0 123456\n" % (hex20, hex20),
        "oath_bad": "\1HOTP bob - %s 0\nHOTP/T30/8 carol 1234 %s\nx\n" % (hex20, hex20),
    }


def write(top, target, items):
    d = os.path.join(top, target)
    os.makedirs(d, exist_ok=True)
    for name, data in sorted(items.items()):
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")
    write(top, "fuzz_proto", frames())
    write(top, "fuzz_record", records())
    write(top, "fuzz_conf", CONFS)
    write(top, "fuzz_inputs", inputs())
    write(top, "fuzz_import", import_lines())
    write(top, "fuzz_migrate", migrate_files())


if __name__ == "__main__":
    main()
