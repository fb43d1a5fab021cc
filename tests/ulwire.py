"""A small client of the helper's wire protocol, for tests that drive
unilogind directly over its socket (tests/race.py, tests/replay_passwd.sh).

The format is the one of include/unilogin/proto.h: a 4-byte big-endian
payload length, then u16 version | u16 type | fields, each field
u16 tag | u16 length | value.  Strings travel with their NUL, integers as
8 bytes big-endian two's complement, booleans as one byte, a record mark
is empty and starts one record of a list answer.

    c = Client(socket_path)
    r = c.call("user_show", email="a@example.com")
    r.result, r.message, r.get("failures"), r.all("recovery_codes")

TOTP codes come from liboath (oath_totp_generate, through ctypes) at an
explicit time step: totp(secret_base32, digits, step).

As a program, for shell tests: `ulwire.py SOCKET TYPE < fields` sends one
request whose fields are read from stdin, one `name=value` a line (so no
secret is in an argv; integers and booleans as numbers), and prints the
reply one `name=value` a line, "result" first; records start with a line
"record".  Exits 0 when a reply came, 3 when none did.

Standard library only."""
import base64
import ctypes
import socket
import struct

VERSION = 1
FRAME_MAX = 65536

# Message types (enum ul_msg_type); the numbers never change.
TYPES = {
    "reply": 0, "status": 1, "lookup": 2, "login_begin": 3, "login_code": 4,
    "login_legacy": 5, "account_check": 6, "session_open": 7,
    "session_close": 8, "passwd_change": 9, "apikey_login": 10,
    "nss_getpw": 11, "nss_list": 12, "login_sms": 13, "passwd_begin": 14,
    "sshkeys": 15, "login_sshkey": 16, "self_sshkey": 39,
    "self_verify": 32, "self_reset": 33, "self_reset_send": 34,
    "self_accounts": 35, "self_link": 36, "self_tfa": 37, "self_apikey": 38,
    "user_add": 64, "user_verify": 65, "user_passwd": 66, "user_reset": 67,
    "user_show": 68, "user_list": 69, "user_lock": 70, "user_unlock": 71,
    "user_delete": 72, "user_set_email": 73, "product_add": 80,
    "product_list": 81, "account_add": 96, "account_show": 97,
    "account_list": 98, "account_passwd": 99, "account_link": 100,
    "account_unlink": 101, "account_invite": 102, "account_remove": 103,
    "account_suspend": 104, "account_reinstate": 105, "account_ban": 106,
    "accounts": 107, "tfa_enroll": 112, "tfa_confirm": 113, "tfa_list": 114,
    "tfa_remove": 115, "tfa_reset": 116, "tfa_recovery_codes": 117,
    "apikey_create": 120, "apikey_list": 121, "apikey_revoke": 122,
    "sessions": 128, "audit": 129, "export": 130, "import": 131,
    "migrate": 132,
    "sshkey_add": 136, "sshkey_list": 137, "sshkey_remove": 138,
}

STR, INT, BOOL, MARK = "str", "int", "bool", "mark"

# Field tags (enum ul_field_tag) with the names of common/proto.c (the
# words of --json) and how their bytes read.  Secrets read as strings.
FIELDS = {
    1: ("result", INT), 2: ("message", STR), 3: ("record", MARK),
    4: ("next", STR), 5: ("after", STR), 6: ("version", STR),
    10: ("product", STR), 11: ("account", STR), 12: ("unix_user", STR),
    13: ("email", STR), 14: ("new_email", STR), 15: ("service", STR),
    16: ("rhost", STR), 17: ("tty", STR), 18: ("kind", STR),
    19: ("role", STR), 20: ("state", STR), 21: ("uid", INT),
    22: ("gid", INT), 23: ("friendly_name", STR), 24: ("display_name", STR),
    25: ("parent", STR), 26: ("owner", STR), 27: ("home", STR),
    28: ("shell", STR),
    40: ("confirmed", BOOL), 41: ("locked", BOOL), 42: ("has_password", BOOL),
    43: ("legacy", BOOL), 44: ("created", INT), 45: ("users", INT),
    46: ("accounts", INT), 47: ("products", INT), 48: ("two_factor", BOOL),
    49: ("pending_email", STR), 50: ("locked_out_until", INT),
    51: ("time", INT), 52: ("event", STR), 53: ("detail", STR),
    54: ("since", INT), 55: ("started", INT), 56: ("ended", INT),
    57: ("send", BOOL), 58: ("digits", INT), 59: ("phone", STR),
    60: ("method", STR), 61: ("id", STR), 62: ("expires", INT),
    63: ("expires_days", INT), 64: ("host", STR), 65: ("pid", INT),
    66: ("action", STR), 67: ("line", INT), 68: ("last_used", INT),
    69: ("remembered", BOOL), 70: ("outcome", STR), 71: ("kdf_runs", INT),
    72: ("failures", INT), 73: ("ruser", STR), 74: ("commits", INT),
    75: ("tickets", INT), 76: ("batches", INT), 77: ("batched", INT),
    78: ("dry_run", BOOL), 79: ("totp_step", INT), 80: ("source", STR),
    85: ("sshkey", STR), 86: ("fingerprint", STR), 87: ("comment", STR),
    88: ("type", STR), 89: ("automation", BOOL), 90: ("bits", INT),
    100: ("password", STR), 101: ("new_password", STR), 102: ("code", STR),
    103: ("ticket", STR), 104: ("confirmation_code", STR),
    105: ("reset_code", STR), 106: ("uri", STR), 107: ("secret", STR),
    108: ("recovery_codes", STR), 109: ("key", STR),
    110: ("legacy_password", STR), 111: ("data", STR), 112: ("new_code", STR),
    113: ("legacy_hash", STR), 114: ("totp_seed", STR), 115: ("scratch_code", STR),
}
TAGS = {name: (tag, kind) for tag, (name, kind) in FIELDS.items()}

# Result codes (include/unilogin/error.h) the tests look at.
OK = 0
EINVAL = -1
EPROTO = -3
EBUSY = -14
EAUTH = -20
ENEEDCODE = -21
ELOCKEDOUT = -22
ENOTCONFIRMED = -23
ELOCKED = -24
ENOTFOUND = -40
EEXIST = -41
ERULE = -42
EDELIVERY = -43
ECONFLICT = -44
EUNREACHABLE = -49
EUNKNOWN = -50


class WireError(Exception):
    """The exchange itself failed: no reply, or a reply that is no frame."""


def _field(tag, kind, value):
    if kind == STR:
        if not isinstance(value, str) or "\0" in value:
            raise ValueError("tag %d wants a string without NUL" % tag)
        raw = value.encode() + b"\0"
    elif kind == INT:
        raw = struct.pack(">q", int(value))
    elif kind == BOOL:
        raw = b"\1" if value else b"\0"
    else:
        raw = b""
    return struct.pack(">HH", tag, len(raw)) + raw


def encode(mtype, fields):
    """A whole frame: mtype is a name of TYPES, fields (name, value) pairs
    (a list, so that a field may repeat) or a dict."""
    items = fields.items() if isinstance(fields, dict) else fields
    body = b""
    for name, value in items:
        if value is None:
            continue
        tag, kind = TAGS[name]
        body += _field(tag, kind, value)
    payload = struct.pack(">HH", VERSION, TYPES[mtype]) + body
    if len(payload) + 4 > FRAME_MAX:
        raise ValueError("frame too large")
    return struct.pack(">I", len(payload)) + payload


class Reply:
    """A decoded reply: result, message, and every field in order."""

    def __init__(self, version, mtype, fields):
        self.version = version
        self.type = mtype
        self.fields = fields            # [(name, value)] in wire order
        self.result = self.get("result")
        self.message = self.get("message")

    def get(self, name, default=None):
        """The first field of that name, outside or inside records."""
        for n, v in self.fields:
            if n == name:
                return v
        return default

    def all(self, name):
        """Every field of that name, in order (repeated fields)."""
        return [v for n, v in self.fields if n == name]

    def records(self):
        """The records of a list answer: one dict per record mark."""
        out = []
        for n, v in self.fields:
            if n == "record":
                out.append({})
            elif out:
                out[-1][n] = v
        return out

    def __repr__(self):
        shown = [(n, "***" if TAGS[n][0] >= 100 else v) for n, v in self.fields]
        return "Reply(%r)" % (shown,)


def decode(frame):
    """A Reply from a whole frame (length prefix included)."""
    if len(frame) < 8:
        raise WireError("short frame")
    (n,) = struct.unpack(">I", frame[:4])
    if n + 4 != len(frame):
        raise WireError("frame length %d does not match %d bytes" % (n, len(frame)))
    version, mtype = struct.unpack(">HH", frame[4:8])
    pos, fields = 8, []
    while pos < len(frame):
        if len(frame) - pos < 4:
            raise WireError("truncated field header")
        tag, ln = struct.unpack(">HH", frame[pos:pos + 4])
        pos += 4
        if ln > len(frame) - pos:
            raise WireError("field %d runs past the frame" % tag)
        raw = frame[pos:pos + ln]
        pos += ln
        if tag not in FIELDS:
            raise WireError("unknown field tag %d" % tag)
        name, kind = FIELDS[tag]
        if kind == STR:
            if ln < 1 or raw[-1] != 0 or b"\0" in raw[:-1]:
                raise WireError("field %s is no string" % name)
            value = raw[:-1].decode()
        elif kind == INT:
            if ln != 8:
                raise WireError("field %s is no integer" % name)
            (value,) = struct.unpack(">q", raw)
        elif kind == BOOL:
            if ln != 1 or raw[0] > 1:
                raise WireError("field %s is no boolean" % name)
            value = raw[0] == 1
        else:
            if ln != 0:
                raise WireError("a record mark with a value")
            value = None
        fields.append((name, value))
    return Reply(version, mtype, fields)


def _recv_exact(s, n):
    got = b""
    while len(got) < n:
        chunk = s.recv(n - len(got))
        if not chunk:
            raise WireError("the helper closed the connection")
        got += chunk
    return got


class Client:
    """One request per connection, as the tools do; thread-safe (each call
    has its own socket)."""

    def __init__(self, path, timeout=30.0):
        self.path = path
        self.timeout = timeout

    def call(self, mtype, fields=None, **kw):
        """Sends one request and returns its Reply.  Fields as keyword
        arguments, or as a list of (name, value) pairs.  WireError when no
        reply came (then nobody knows whether the request took effect)."""
        frame = encode(mtype, list(fields or []) + list(kw.items()))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        try:
            s.connect(self.path)
            s.sendall(frame)
            head = _recv_exact(s, 4)
            (n,) = struct.unpack(">I", head)
            if n < 4 or n + 4 > FRAME_MAX:
                raise WireError("reply length %d" % n)
            reply = decode(head + _recv_exact(s, n))
        except OSError as e:
            raise WireError(str(e)) from e
        finally:
            s.close()
        if reply.type != TYPES["reply"] or reply.result is None:
            raise WireError("not a reply: %r" % (reply,))
        return reply

    def call_all(self, mtype, **kw):
        """A list request, every page: the records of all of them."""
        records, after = [], None
        while True:
            r = self.call(mtype, after=after, **kw)
            if r.result != OK:
                raise WireError("%s: %s (%d)" % (mtype, r.message, r.result))
            records.extend(r.records())
            after = r.get("next")
            if after is None:
                return records


# ---- TOTP from liboath (RFC 6238, SHA-1, 30 s steps) ----

PERIOD = 30
_oath = None


def _liboath():
    global _oath
    if _oath is None:
        lib = ctypes.CDLL("liboath.so.0")
        lib.oath_init.restype = ctypes.c_int
        lib.oath_totp_generate.restype = ctypes.c_int
        lib.oath_totp_generate.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_long, ctypes.c_uint,
            ctypes.c_long, ctypes.c_uint, ctypes.c_char_p]
        if lib.oath_init() != 0:
            raise OSError("oath_init failed")
        _oath = lib
    return _oath


def seed_of(secret):
    """The raw seed of a base32 secret (as enroll shows it, no padding)."""
    s = secret.strip().upper()
    return base64.b32decode(s + "=" * (-len(s) % 8))


def totp(secret, digits, step):
    """The code of time step `step` (unix time // 30)."""
    seed = seed_of(secret)
    out = ctypes.create_string_buffer(16)
    rc = _liboath().oath_totp_generate(seed, len(seed), step * PERIOD, PERIOD,
                                       0, digits, out)
    if rc != 0:
        raise OSError("oath_totp_generate: %d" % rc)
    return out.value.decode()


def _main(argv):
    import sys
    if len(argv) != 3 or argv[2] not in TYPES:
        sys.stderr.write("usage: ulwire.py SOCKET TYPE < name=value lines\n")
        return 2
    fields = []
    for line in sys.stdin.read().splitlines():
        if not line.strip():
            continue
        name, _, value = line.partition("=")
        if name not in TAGS:
            sys.stderr.write("ulwire.py: unknown field %s\n" % name)
            return 2
        kind = TAGS[name][1]
        fields.append((name, int(value) if kind in (INT, BOOL) else value))
    try:
        r = Client(argv[1]).call(argv[2], fields)
    except WireError as e:
        sys.stderr.write("ulwire.py: %s\n" % e)
        return 3
    print("result=%d" % r.result)
    for name, value in r.fields:
        if name == "result":
            continue
        if name == "record":
            print("record")
        elif isinstance(value, bool):
            print("%s=%d" % (name, value))
        else:
            print("%s=%s" % (name, value))
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(_main(sys.argv))
