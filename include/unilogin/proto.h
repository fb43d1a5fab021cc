/* unilogin — the whole wire protocol between the helper and its clients
 * (the PAM module, the NSS module, uniloginctl and unilogin).
 *
 * A frame is a 4-byte big-endian payload length followed by the payload:
 *
 *     u16 version | u16 type | field* 
 *     field = u16 tag | u16 length | length bytes
 *
 * The first eight bytes (length, version, type) keep this layout in every
 * version, so each side can recognise a peer of another version and say so.
 * A frame is at most UL_FRAME_MAX bytes, every field at most its tag's own
 * bound.  Strings travel with their terminating NUL (counted in the length)
 * and hold no other NUL; integers are 8 bytes, big-endian, two's complement;
 * booleans one byte, 0 or 1; a record mark is empty and starts one record
 * of a list answer.
 *
 * A client sends one request and reads one reply (type UL_MSG_REPLY)
 * carrying UL_F_RESULT (0 or a negative UL_E* code), usually UL_F_MESSAGE
 * (a sentence for the person), and the request's own answer fields.  Lists
 * come a page at a time: the reply holds records and, when there is more,
 * UL_F_NEXT, which the client sends back as UL_F_AFTER. */
#ifndef UNILOGIN_PROTO_H
#define UNILOGIN_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UL_PROTO_VERSION 1
#define UL_FRAME_MAX 65536          /* whole frame, length prefix included */
#define UL_FRAME_HEADER 8           /* length, version, type */
#define UL_FIELDS_MAX 2048          /* fields in one frame */

/* Bounds shared by every room (bytes, without the NUL). */
#define UL_EMAIL_MAX 254
#define UL_PRODUCT_MAX 32
#define UL_ACCOUNT_MAX 254
#define UL_UNIX_USER_MAX 32
#define UL_SECRET_MAX 1024          /* passwords, codes, keys */
#define UL_TEXT_MAX 1024            /* messages, friendly names */
#define UL_SSHKEY_LINE_MAX 4096     /* an SSH public key line we accept */
#define UL_SSHKEY_FIELD_MAX 16384   /* what may travel, to be refused */
#define UL_KEYS_FINGERPRINT_MAX 80  /* "blake2b:" and 64 hex digits */

/* Message types: one number per request.  Numbers never change. */
enum ul_msg_type {
	UL_MSG_REPLY = 0,

	/* the login path: any local caller */
	UL_REQ_STATUS = 1,
	UL_REQ_LOOKUP = 2,          /* product, unix_user -> kind, account */
	UL_REQ_LOGIN_BEGIN = 3,     /* + email, password, service, rhost, tty */
	UL_REQ_LOGIN_CODE = 4,      /* ticket, code */
	UL_REQ_LOGIN_LEGACY = 5,    /* product, unix_user, password, ... */
	UL_REQ_ACCOUNT_CHECK = 6,   /* product, unix_user, email? */
	UL_REQ_SESSION_OPEN = 7,
	UL_REQ_SESSION_CLOSE = 8,
	UL_REQ_PASSWD_CHANGE = 9,
	UL_REQ_APIKEY_LOGIN = 10,
	UL_REQ_NSS_GETPW = 11,
	UL_REQ_NSS_LIST = 12,
	UL_REQ_LOGIN_SMS = 13,      /* ticket: send a code by SMS */
	UL_REQ_PASSWD_BEGIN = 14,   /* email?, password: a change ticket */
	UL_REQ_SSHKEYS = 15,        /* product, unix_user -> the key lines
				     * that open it (K1, unilogin-keys) */
	UL_REQ_LOGIN_SSHKEY = 16,   /* uid 0: the key sshd accepted -> a
				     * ticket for the code (K1) */

	/* self-service: any caller, rate-limited per uid (S3) */
	UL_REQ_SELF_VERIFY = 32,    /* email, code, new_password (U2) */
	UL_REQ_SELF_RESET = 33,     /* email, code, new_password (U5) */
	UL_REQ_SELF_RESET_SEND = 34,
	UL_REQ_SELF_ACCOUNTS = 35,
	UL_REQ_SELF_LINK = 36,
	UL_REQ_SELF_TFA = 37,
	UL_REQ_SELF_APIKEY = 38,
	UL_REQ_SELF_SSHKEY = 39,    /* action add|list|remove (K1) */

	/* admin: uid 0 or admin_group (S5) */
	UL_REQ_USER_ADD = 64,
	UL_REQ_USER_VERIFY = 65,
	UL_REQ_USER_PASSWD = 66,
	UL_REQ_USER_RESET = 67,
	UL_REQ_USER_SHOW = 68,
	UL_REQ_USER_LIST = 69,
	UL_REQ_USER_LOCK = 70,
	UL_REQ_USER_UNLOCK = 71,
	UL_REQ_USER_DELETE = 72,
	UL_REQ_USER_SET_EMAIL = 73,
	UL_REQ_PRODUCT_ADD = 80,
	UL_REQ_PRODUCT_LIST = 81,
	UL_REQ_ACCOUNT_ADD = 96,
	UL_REQ_ACCOUNT_SHOW = 97,
	UL_REQ_ACCOUNT_LIST = 98,
	UL_REQ_ACCOUNT_PASSWD = 99,
	UL_REQ_ACCOUNT_LINK = 100,
	UL_REQ_ACCOUNT_UNLINK = 101,
	UL_REQ_ACCOUNT_INVITE = 102,
	UL_REQ_ACCOUNT_REMOVE = 103,
	UL_REQ_ACCOUNT_SUSPEND = 104,
	UL_REQ_ACCOUNT_REINSTATE = 105,
	UL_REQ_ACCOUNT_BAN = 106,
	UL_REQ_ACCOUNTS = 107,
	UL_REQ_TFA_ENROLL = 112,
	UL_REQ_TFA_CONFIRM = 113,
	UL_REQ_TFA_LIST = 114,
	UL_REQ_TFA_REMOVE = 115,
	UL_REQ_TFA_RESET = 116,
	UL_REQ_TFA_RECOVERY = 117,
	UL_REQ_APIKEY_CREATE = 120,
	UL_REQ_APIKEY_LIST = 121,
	UL_REQ_APIKEY_REVOKE = 122,
	UL_REQ_SESSIONS = 128,
	UL_REQ_AUDIT = 129,
	UL_REQ_EXPORT = 130,
	UL_REQ_IMPORT = 131,
	UL_REQ_MIGRATE = 132,       /* local users, a record each (M1) */
	UL_REQ_FLEET_STATUS = 133,  /* -> backend, provider, replica, lag ... */
	UL_REQ_FLEET_PROMOTE = 134, /* the step floor on the new provider (T3) */
	UL_REQ_FLEET_REPAIR = 135,  /* dry_run? -> a record per orphan claim */
	UL_REQ_SSHKEY_ADD = 136,    /* email, sshkey, automation? (K1) */
	UL_REQ_SSHKEY_LIST = 137,
	UL_REQ_SSHKEY_REMOVE = 138,
	/* a fleet (INTERFACES.md, "Fleet") */
	UL_REQ_KEYS_FINGERPRINT = 140, /* -> fingerprint of this helper's keys */

	UL_MSG_TYPE_END
};

/* How a field's bytes read. */
enum ul_field_kind {
	UL_KIND_STR,        /* NUL-terminated text */
	UL_KIND_SECRET,     /* text never logged, wiped with the frame */
	UL_KIND_INT,        /* signed 64-bit */
	UL_KIND_BOOL,
	UL_KIND_MARK,       /* empty: starts a record */
};

/* Field tags.  The names in ul_field_info() are the words of the rules
 * and of the tools' --json output. */
enum ul_field_tag {
	UL_F_RESULT = 1,
	UL_F_MESSAGE = 2,
	UL_F_RECORD = 3,
	UL_F_NEXT = 4,
	UL_F_AFTER = 5,
	UL_F_VERSION = 6,

	UL_F_PRODUCT = 10,
	UL_F_ACCOUNT = 11,
	UL_F_UNIX_USER = 12,
	UL_F_EMAIL = 13,
	UL_F_NEW_EMAIL = 14,
	UL_F_SERVICE = 15,
	UL_F_RHOST = 16,
	UL_F_TTY = 17,
	UL_F_KIND = 18,
	UL_F_ROLE = 19,
	UL_F_STATE = 20,
	UL_F_UID = 21,
	UL_F_GID = 22,
	UL_F_FRIENDLY_NAME = 23,
	UL_F_DISPLAY_NAME = 24,
	UL_F_PARENT = 25,
	UL_F_OWNER = 26,
	UL_F_HOME = 27,
	UL_F_SHELL = 28,

	UL_F_CONFIRMED = 40,
	UL_F_LOCKED = 41,
	UL_F_HAS_PASSWORD = 42,
	UL_F_LEGACY = 43,
	UL_F_CREATED = 44,
	UL_F_USERS = 45,
	UL_F_ACCOUNTS = 46,
	UL_F_PRODUCTS = 47,
	UL_F_TFA = 48,
	UL_F_PENDING_EMAIL = 49,
	UL_F_LOCKED_OUT_UNTIL = 50,
	UL_F_TIME = 51,
	UL_F_EVENT = 52,
	UL_F_DETAIL = 53,
	UL_F_SINCE = 54,
	UL_F_STARTED = 55,
	UL_F_ENDED = 56,
	UL_F_SEND = 57,
	UL_F_DIGITS = 58,
	UL_F_PHONE = 59,
	UL_F_METHOD = 60,
	UL_F_ID = 61,
	UL_F_EXPIRES = 62,
	UL_F_EXPIRES_DAYS = 63,
	UL_F_HOST = 64,
	UL_F_PID = 65,
	UL_F_ACTION = 66,
	UL_F_LINE = 67,
	UL_F_LAST_USED = 68,
	UL_F_REMEMBERED = 69,
	UL_F_OUTCOME = 70,
	UL_F_KDF_RUNS = 71,
	UL_F_FAILURES = 72,         /* S3: failures in a row (user show) */
	UL_F_RUSER = 73,            /* PAM_RUSER: believed from uid 0 only */
	UL_F_COMMITS = 74,          /* status: store commits since start */
	UL_F_TICKETS = 75,          /* status: live login tickets */
	UL_F_BATCHES = 76,          /* status: group commits since start ... */
	UL_F_BATCHED = 77,          /* ... and the writes they held */
	UL_F_DRY_RUN = 78,          /* migrate: say what, change nothing */
	UL_F_TOTP_STEP = 79,        /* migrate: the last step an app used */
	UL_F_SOURCE = 80,           /* migrate: where a method came from */
	UL_F_BACKEND = 81,          /* fleet status: lmdb or ldap */
	UL_F_PROVIDER = 82,         /* fleet status: reachable or unreachable */
	UL_F_REPLICA = 83,          /* ... the host's replica, the same */
	UL_F_LAG_MS = 84,           /* ... how far the replica is behind */
	UL_F_SSHKEY = 85,           /* one OpenSSH public key line (K1) */
	UL_F_FINGERPRINT = 86,      /* SHA256:... of an SSH key; the keys file's */
	UL_F_COMMENT = 87,          /* a key's comment */
	UL_F_KEY_TYPE = 88,         /* ssh-ed25519, ssh-rsa, ... */
	UL_F_AUTOMATION = 89,       /* a key that logs in without a code */
	UL_F_BITS = 90,             /* a key's size */
	UL_F_CALLER_UID = 93,       /* host -> verifier: the uid that asked on
				     * the host (tickets are bound to it) */

	UL_F_PASSWORD = 100,
	UL_F_NEW_PASSWORD = 101,
	UL_F_CODE = 102,
	UL_F_TICKET = 103,
	UL_F_CONFIRMATION_CODE = 104,
	UL_F_RESET_CODE = 105,
	UL_F_URI = 106,
	UL_F_SECRET = 107,
	UL_F_RECOVERY_CODE = 108,
	UL_F_KEY = 109,
	UL_F_LEGACY_PASSWORD = 110,
	UL_F_DATA = 111,            /* one export/import line */
	UL_F_NEW_CODE = 112,        /* the code of a method being confirmed */
	UL_F_LEGACY_HASH = 113,     /* migrate: a shadow hash ("" = locked) */
	UL_F_TOTP_SEED = 114,       /* migrate: an app's seed, in hex */
	UL_F_SCRATCH_CODE = 115,    /* migrate: a scratch code (8 digits) */

	UL_F_TAG_END
};

struct ul_field_info {
	const char *name;
	enum ul_field_kind kind;
	uint16_t max;               /* bytes of value, NUL included */
};

/* The description of a tag, or NULL for a tag this version does not know. */
const struct ul_field_info *ul_field_info(uint16_t tag);

/* Name of a request type for logs ("login_begin"), or NULL. */
const char *ul_msg_type_name(uint16_t type);

/* One frame, being built or read.  Allocate with ul_msg_new(): the buffer
 * holds passwords, so it lives in guarded, locked memory and is wiped when
 * reused or freed. */
struct ul_field {
	uint16_t tag;
	uint16_t len;
	uint32_t off;               /* of the value within buf */
};

struct ul_msg {
	uint8_t buf[UL_FRAME_MAX];
	size_t len;                 /* bytes of buf in use */
	uint16_t version;
	uint16_t type;
	int error;                  /* first encoding error, sticky */
	bool plain;                 /* plain heap memory (no secret ever in it) */
	unsigned nfields;
	struct ul_field fields[UL_FIELDS_MAX];
};

struct ul_msg *ul_msg_new(void) __attribute__((warn_unused_result));
/* The same in plain heap memory, for messages that never hold a secret
 * (NSS lookups): no mmap, mprotect or mlock per frame. */
struct ul_msg *ul_msg_new_plain(void) __attribute__((warn_unused_result));
void ul_msg_free(struct ul_msg *m);

/* Encoding: start, put fields, finish.  A put past a bound records the
 * error in m->error; ul_msg_finish() returns it. */
void ul_msg_start(struct ul_msg *m, uint16_t type);
int ul_msg_put_str(struct ul_msg *m, uint16_t tag, const char *s);
int ul_msg_put_int(struct ul_msg *m, uint16_t tag, int64_t v);
int ul_msg_put_bool(struct ul_msg *m, uint16_t tag, bool v);
int ul_msg_put_mark(struct ul_msg *m, uint16_t tag);
/* Field f of decoded message `from`, put again into m as its kind says
 * (a request passed on: the relay, a verifier's rewrite). */
int ul_msg_put_field(struct ul_msg *m, const struct ul_msg *from,
    const struct ul_field *f);
int ul_msg_finish(struct ul_msg *m) __attribute__((warn_unused_result));

/* A bookmark, to take back a record that did not fit in a page. */
struct ul_msg_mark {
	size_t len;
	unsigned nfields;
	int error;                  /* an error from before the mark stays */
};
struct ul_msg_mark ul_msg_tell(const struct ul_msg *m);
void ul_msg_rewind(struct ul_msg *m, struct ul_msg_mark mark);

/* Decoding m->buf[0..m->len): checks every bound, fills fields.
 * Returns 0, UL_EPROTO, UL_ETOOBIG or UL_EVERSION (header read, fields
 * not: m->version and m->type are set). */
int ul_msg_decode(struct ul_msg *m) __attribute__((warn_unused_result));

/* Reads the 4-byte length prefix: the whole frame's size, or a negative
 * code when it cannot be a frame. */
int ul_frame_size(const uint8_t header[4]);

/* Field access after decoding (or while encoding). */
const char *ul_msg_str(const struct ul_msg *m, uint16_t tag);
int ul_msg_int(const struct ul_msg *m, uint16_t tag, int64_t *out);
bool ul_msg_bool(const struct ul_msg *m, uint16_t tag);
bool ul_msg_has(const struct ul_msg *m, uint16_t tag);
/* Forgets every field `tag` of a decoded message (its bytes stay in buf,
 * and are wiped with it). */
void ul_msg_drop(struct ul_msg *m, uint16_t tag);
/* The value of field i as the kind says (for generic printing). */
const char *ul_field_str(const struct ul_msg *m, const struct ul_field *f);
int64_t ul_field_int(const struct ul_msg *m, const struct ul_field *f);

/* Reply helpers: the result code of a decoded reply (UL_EPROTO when it
 * has none) and its message (or NULL). */
int ul_reply_result(const struct ul_msg *m);

#endif
