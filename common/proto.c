/* Frame encoding and decoding, shared by the helper and every client.
 * Every length is checked against what remains before it is read. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "unilogin/error.h"
#include "unilogin/proto.h"

#define S UL_KIND_STR
#define X UL_KIND_SECRET
#define I UL_KIND_INT
#define B UL_KIND_BOOL
#define M UL_KIND_MARK
#define STRMAX(n) ((n) + 1)

static const struct ul_field_info fields[UL_F_TAG_END] = {
	[UL_F_RESULT] = {"result", I, 8},
	[UL_F_MESSAGE] = {"message", S, STRMAX(UL_TEXT_MAX)},
	[UL_F_RECORD] = {"record", M, 0},
	[UL_F_NEXT] = {"next", S, STRMAX(1024)},
	[UL_F_AFTER] = {"after", S, STRMAX(1024)},
	[UL_F_VERSION] = {"version", S, STRMAX(64)},

	[UL_F_PRODUCT] = {"product", S, STRMAX(UL_PRODUCT_MAX)},
	[UL_F_ACCOUNT] = {"account", S, STRMAX(UL_ACCOUNT_MAX)},
	[UL_F_UNIX_USER] = {"unix_user", S, STRMAX(UL_UNIX_USER_MAX)},
	[UL_F_EMAIL] = {"email", S, STRMAX(UL_EMAIL_MAX)},
	[UL_F_NEW_EMAIL] = {"new_email", S, STRMAX(UL_EMAIL_MAX)},
	[UL_F_SERVICE] = {"service", S, STRMAX(64)},
	[UL_F_RHOST] = {"rhost", S, STRMAX(255)},
	[UL_F_TTY] = {"tty", S, STRMAX(64)},
	[UL_F_KIND] = {"kind", S, STRMAX(32)},
	[UL_F_ROLE] = {"role", S, STRMAX(64)},
	[UL_F_STATE] = {"state", S, STRMAX(32)},
	[UL_F_UID] = {"uid", I, 8},
	[UL_F_GID] = {"gid", I, 8},
	[UL_F_FRIENDLY_NAME] = {"friendly_name", S, STRMAX(UL_TEXT_MAX)},
	[UL_F_DISPLAY_NAME] = {"display_name", S, STRMAX(128)},
	[UL_F_PARENT] = {"parent", S, STRMAX(UL_ACCOUNT_MAX)},
	[UL_F_OWNER] = {"owner", S, STRMAX(UL_EMAIL_MAX)},
	[UL_F_HOME] = {"home", S, STRMAX(1024)},
	[UL_F_SHELL] = {"shell", S, STRMAX(1024)},

	[UL_F_CONFIRMED] = {"confirmed", B, 1},
	[UL_F_LOCKED] = {"locked", B, 1},
	[UL_F_HAS_PASSWORD] = {"has_password", B, 1},
	[UL_F_LEGACY] = {"legacy", B, 1},
	[UL_F_CREATED] = {"created", I, 8},
	[UL_F_USERS] = {"users", I, 8},
	[UL_F_ACCOUNTS] = {"accounts", I, 8},
	[UL_F_PRODUCTS] = {"products", I, 8},
	[UL_F_TFA] = {"two_factor", B, 1},
	[UL_F_PENDING_EMAIL] = {"pending_email", S, STRMAX(UL_EMAIL_MAX)},
	[UL_F_LOCKED_OUT_UNTIL] = {"locked_out_until", I, 8},
	[UL_F_TIME] = {"time", I, 8},
	[UL_F_EVENT] = {"event", S, STRMAX(64)},
	[UL_F_DETAIL] = {"detail", S, STRMAX(UL_TEXT_MAX)},
	[UL_F_SINCE] = {"since", I, 8},
	[UL_F_STARTED] = {"started", I, 8},
	[UL_F_ENDED] = {"ended", I, 8},
	[UL_F_SEND] = {"send", B, 1},
	[UL_F_DIGITS] = {"digits", I, 8},
	[UL_F_PHONE] = {"phone", S, STRMAX(32)},
	[UL_F_METHOD] = {"method", S, STRMAX(32)},
	[UL_F_ID] = {"id", S, STRMAX(64)},
	[UL_F_EXPIRES] = {"expires", I, 8},
	[UL_F_EXPIRES_DAYS] = {"expires_days", I, 8},
	[UL_F_HOST] = {"host", S, STRMAX(255)},
	[UL_F_PID] = {"pid", I, 8},
	[UL_F_ACTION] = {"action", S, STRMAX(64)},
	[UL_F_LINE] = {"line", I, 8},
	[UL_F_LAST_USED] = {"last_used", I, 8},
	[UL_F_REMEMBERED] = {"remembered", B, 1},
	[UL_F_OUTCOME] = {"outcome", S, STRMAX(64)},
	[UL_F_KDF_RUNS] = {"kdf_runs", I, 8},
	[UL_F_FAILURES] = {"failures", I, 8},
	[UL_F_RUSER] = {"ruser", S, STRMAX(255)},
	[UL_F_COMMITS] = {"commits", I, 8},
	[UL_F_TICKETS] = {"tickets", I, 8},
	[UL_F_BATCHES] = {"batches", I, 8},
	[UL_F_BATCHED] = {"batched", I, 8},
	[UL_F_DRY_RUN] = {"dry_run", B, 1},
	[UL_F_TOTP_STEP] = {"totp_step", I, 8},
	[UL_F_SOURCE] = {"source", S, STRMAX(64)},
	[UL_F_BACKEND] = {"backend", S, STRMAX(16)},
	[UL_F_PROVIDER] = {"provider", S, STRMAX(UL_TEXT_MAX)},
	[UL_F_REPLICA] = {"replica", S, STRMAX(UL_TEXT_MAX)},
	[UL_F_LAG_MS] = {"replication_lag_ms", I, 8},
	[UL_F_SSHKEY] = {"sshkey", S, STRMAX(UL_SSHKEY_FIELD_MAX)},
	[UL_F_FINGERPRINT] = {"fingerprint", S, STRMAX(UL_KEYS_FINGERPRINT_MAX)},
	[UL_F_COMMENT] = {"comment", S, STRMAX(255)},
	[UL_F_KEY_TYPE] = {"type", S, STRMAX(64)},
	[UL_F_AUTOMATION] = {"automation", B, 1},
	[UL_F_BITS] = {"bits", I, 8},
	[UL_F_CALLER_UID] = {"caller_uid", I, 8},

	[UL_F_PASSWORD] = {"password", X, STRMAX(UL_SECRET_MAX)},
	[UL_F_NEW_PASSWORD] = {"new_password", X, STRMAX(UL_SECRET_MAX)},
	[UL_F_CODE] = {"code", X, STRMAX(128)},
	[UL_F_TICKET] = {"ticket", X, STRMAX(128)},
	[UL_F_CONFIRMATION_CODE] = {"confirmation_code", X, STRMAX(64)},
	[UL_F_RESET_CODE] = {"reset_code", X, STRMAX(64)},
	[UL_F_URI] = {"uri", X, STRMAX(1024)},
	[UL_F_SECRET] = {"secret", X, STRMAX(128)},
	[UL_F_RECOVERY_CODE] = {"recovery_codes", X, STRMAX(64)},
	[UL_F_KEY] = {"key", X, STRMAX(256)},
	[UL_F_LEGACY_PASSWORD] = {"legacy_password", X, STRMAX(UL_SECRET_MAX)},
	[UL_F_DATA] = {"data", X, 60000},
	[UL_F_NEW_CODE] = {"new_code", X, STRMAX(128)},
	[UL_F_LEGACY_HASH] = {"legacy_hash", X, STRMAX(127)},
	[UL_F_TOTP_SEED] = {"totp_seed", X, STRMAX(40)},
	[UL_F_SCRATCH_CODE] = {"scratch_code", X, STRMAX(8)},
};

#undef S
#undef X
#undef I
#undef B
#undef M

const struct ul_field_info *
ul_field_info(uint16_t tag)
{
	if (tag >= UL_F_TAG_END || fields[tag].name == NULL)
		return NULL;
	return &fields[tag];
}

static const char *const type_names[UL_MSG_TYPE_END] = {
	[UL_MSG_REPLY] = "reply",
	[UL_REQ_STATUS] = "status",
	[UL_REQ_LOOKUP] = "lookup",
	[UL_REQ_LOGIN_BEGIN] = "login_begin",
	[UL_REQ_LOGIN_CODE] = "login_code",
	[UL_REQ_LOGIN_LEGACY] = "login_legacy",
	[UL_REQ_ACCOUNT_CHECK] = "account_check",
	[UL_REQ_SESSION_OPEN] = "session_open",
	[UL_REQ_SESSION_CLOSE] = "session_close",
	[UL_REQ_PASSWD_CHANGE] = "passwd_change",
	[UL_REQ_APIKEY_LOGIN] = "apikey_login",
	[UL_REQ_NSS_GETPW] = "nss_getpw",
	[UL_REQ_NSS_LIST] = "nss_list",
	[UL_REQ_LOGIN_SMS] = "login_sms",
	[UL_REQ_PASSWD_BEGIN] = "passwd_begin",
	[UL_REQ_SSHKEYS] = "sshkeys",
	[UL_REQ_LOGIN_SSHKEY] = "login_sshkey",
	[UL_REQ_SELF_VERIFY] = "self_verify",
	[UL_REQ_SELF_RESET] = "self_reset",
	[UL_REQ_SELF_RESET_SEND] = "self_reset_send",
	[UL_REQ_SELF_ACCOUNTS] = "self_accounts",
	[UL_REQ_SELF_LINK] = "self_link",
	[UL_REQ_SELF_TFA] = "self_tfa",
	[UL_REQ_SELF_APIKEY] = "self_apikey",
	[UL_REQ_SELF_SSHKEY] = "self_sshkey",
	[UL_REQ_USER_ADD] = "user_add",
	[UL_REQ_USER_VERIFY] = "user_verify",
	[UL_REQ_USER_PASSWD] = "user_passwd",
	[UL_REQ_USER_RESET] = "user_reset",
	[UL_REQ_USER_SHOW] = "user_show",
	[UL_REQ_USER_LIST] = "user_list",
	[UL_REQ_USER_LOCK] = "user_lock",
	[UL_REQ_USER_UNLOCK] = "user_unlock",
	[UL_REQ_USER_DELETE] = "user_delete",
	[UL_REQ_USER_SET_EMAIL] = "user_set_email",
	[UL_REQ_PRODUCT_ADD] = "product_add",
	[UL_REQ_PRODUCT_LIST] = "product_list",
	[UL_REQ_ACCOUNT_ADD] = "account_add",
	[UL_REQ_ACCOUNT_SHOW] = "account_show",
	[UL_REQ_ACCOUNT_LIST] = "account_list",
	[UL_REQ_ACCOUNT_PASSWD] = "account_passwd",
	[UL_REQ_ACCOUNT_LINK] = "account_link",
	[UL_REQ_ACCOUNT_UNLINK] = "account_unlink",
	[UL_REQ_ACCOUNT_INVITE] = "account_invite",
	[UL_REQ_ACCOUNT_REMOVE] = "account_remove",
	[UL_REQ_ACCOUNT_SUSPEND] = "account_suspend",
	[UL_REQ_ACCOUNT_REINSTATE] = "account_reinstate",
	[UL_REQ_ACCOUNT_BAN] = "account_ban",
	[UL_REQ_ACCOUNTS] = "accounts",
	[UL_REQ_TFA_ENROLL] = "tfa_enroll",
	[UL_REQ_TFA_CONFIRM] = "tfa_confirm",
	[UL_REQ_TFA_LIST] = "tfa_list",
	[UL_REQ_TFA_REMOVE] = "tfa_remove",
	[UL_REQ_TFA_RESET] = "tfa_reset",
	[UL_REQ_TFA_RECOVERY] = "tfa_recovery_codes",
	[UL_REQ_APIKEY_CREATE] = "apikey_create",
	[UL_REQ_APIKEY_LIST] = "apikey_list",
	[UL_REQ_APIKEY_REVOKE] = "apikey_revoke",
	[UL_REQ_SESSIONS] = "sessions",
	[UL_REQ_AUDIT] = "audit",
	[UL_REQ_EXPORT] = "export",
	[UL_REQ_IMPORT] = "import",
	[UL_REQ_MIGRATE] = "migrate",
	[UL_REQ_FLEET_STATUS] = "fleet_status",
	[UL_REQ_FLEET_PROMOTE] = "fleet_promote",
	[UL_REQ_FLEET_REPAIR] = "fleet_repair",
	[UL_REQ_SSHKEY_ADD] = "sshkey_add",
	[UL_REQ_SSHKEY_LIST] = "sshkey_list",
	[UL_REQ_SSHKEY_REMOVE] = "sshkey_remove",
	[UL_REQ_KEYS_FINGERPRINT] = "keys_fingerprint",
};

const char *
ul_msg_type_name(uint16_t type)
{
	return type < UL_MSG_TYPE_END ? type_names[type] : NULL;
}

static void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

struct ul_msg *
ul_msg_new(void)
{
	struct ul_msg *m;

	/* A PAM or NSS module cannot count on its host to start libsodium;
	 * sodium_init() is cheap and safe to repeat. */
	if (sodium_init() < 0)
		return NULL;
	m = sodium_malloc(sizeof(*m));
	if (m == NULL)
		return NULL;
	m->plain = false;
	/* Only the header matters; the buffer is wiped as it is reused. */
	m->len = 0;
	m->nfields = 0;
	m->error = 0;
	m->version = 0;
	m->type = 0;
	return m;
}

struct ul_msg *
ul_msg_new_plain(void)
{
	struct ul_msg *m = malloc(sizeof(*m));

	if (m == NULL)
		return NULL;
	m->len = 0;
	m->nfields = 0;
	m->error = 0;
	m->version = 0;
	m->type = 0;
	m->plain = true;
	return m;
}

void
ul_msg_free(struct ul_msg *m)
{
	if (m == NULL)
		return;
	sodium_memzero(m->buf, m->len);
	if (m->plain)
		free(m);
	else
		sodium_free(m);
}

void
ul_msg_start(struct ul_msg *m, uint16_t type)
{
	sodium_memzero(m->buf, m->len);
	m->len = UL_FRAME_HEADER;
	m->version = UL_PROTO_VERSION;
	m->type = type;
	m->error = 0;
	m->nfields = 0;
	put_be16(m->buf + 4, UL_PROTO_VERSION);
	put_be16(m->buf + 6, type);
}

static int
put_field(struct ul_msg *m, uint16_t tag, enum ul_field_kind kind,
    const void *val, size_t len)
{
	const struct ul_field_info *info = ul_field_info(tag);

	if (m->error != 0)
		return m->error;
	if (info == NULL || info->kind != kind) {
		m->error = UL_EINVAL;
		return m->error;
	}
	if (len > info->max || m->nfields >= UL_FIELDS_MAX ||
	    len + 4 > sizeof(m->buf) - m->len) {
		m->error = UL_ETOOBIG;
		return m->error;
	}
	put_be16(m->buf + m->len, tag);
	put_be16(m->buf + m->len + 2, (uint16_t)len);
	if (len > 0)
		memcpy(m->buf + m->len + 4, val, len);
	m->fields[m->nfields++] = (struct ul_field){
	    .tag = tag, .len = (uint16_t)len, .off = (uint32_t)(m->len + 4)};
	m->len += 4 + len;
	return 0;
}

int
ul_msg_put_str(struct ul_msg *m, uint16_t tag, const char *s)
{
	const struct ul_field_info *info = ul_field_info(tag);
	enum ul_field_kind kind = info ? info->kind : UL_KIND_STR;

	if (kind != UL_KIND_SECRET)
		kind = UL_KIND_STR;
	if (s == NULL)
		return 0;
	return put_field(m, tag, kind, s, strlen(s) + 1);
}

int
ul_msg_put_int(struct ul_msg *m, uint16_t tag, int64_t v)
{
	uint8_t b[8];
	uint64_t u = (uint64_t)v;

	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)u;
		u >>= 8;
	}
	return put_field(m, tag, UL_KIND_INT, b, sizeof(b));
}

int
ul_msg_put_bool(struct ul_msg *m, uint16_t tag, bool v)
{
	uint8_t b = v ? 1 : 0;

	return put_field(m, tag, UL_KIND_BOOL, &b, 1);
}

int
ul_msg_put_mark(struct ul_msg *m, uint16_t tag)
{
	return put_field(m, tag, UL_KIND_MARK, NULL, 0);
}

int
ul_msg_put_field(struct ul_msg *m, const struct ul_msg *from,
    const struct ul_field *f)
{
	switch (ul_field_info(f->tag)->kind) {
	case UL_KIND_STR:
	case UL_KIND_SECRET:
		return ul_msg_put_str(m, f->tag, ul_field_str(from, f));
	case UL_KIND_INT:
		return ul_msg_put_int(m, f->tag, ul_field_int(from, f));
	case UL_KIND_BOOL:
		return ul_msg_put_bool(m, f->tag, ul_field_int(from, f) != 0);
	default:
		return ul_msg_put_mark(m, f->tag);
	}
}

int
ul_msg_finish(struct ul_msg *m)
{
	if (m->error != 0)
		return m->error;
	put_be32(m->buf, (uint32_t)(m->len - 4));
	return 0;
}

struct ul_msg_mark
ul_msg_tell(const struct ul_msg *m)
{
	return (struct ul_msg_mark){.len = m->len, .nfields = m->nfields,
	    .error = m->error};
}

void
ul_msg_rewind(struct ul_msg *m, struct ul_msg_mark mark)
{
	if (mark.len > m->len || mark.nfields > m->nfields)
		return;
	sodium_memzero(m->buf + mark.len, m->len - mark.len);
	m->len = mark.len;
	m->nfields = mark.nfields;
	m->error = mark.error;
}

int
ul_frame_size(const uint8_t header[4])
{
	uint32_t payload = get_be32(header);

	if (payload < UL_FRAME_HEADER - 4)
		return UL_EPROTO;
	if (payload > UL_FRAME_MAX - 4)
		return UL_ETOOBIG;
	return (int)payload + 4;
}

static bool
value_ok(const struct ul_field_info *info, const uint8_t *v, size_t len)
{
	switch (info->kind) {
	case UL_KIND_STR:
	case UL_KIND_SECRET:
		/* NUL-terminated, no NUL inside */
		return len >= 1 && v[len - 1] == 0 && memchr(v, 0, len) == v + len - 1;
	case UL_KIND_INT:
		return len == 8;
	case UL_KIND_BOOL:
		return len == 1 && v[0] <= 1;
	case UL_KIND_MARK:
		return len == 0;
	}
	return false;
}

int
ul_msg_decode(struct ul_msg *m)
{
	size_t pos;
	int size;

	m->nfields = 0;
	m->error = 0;
	if (m->len < UL_FRAME_HEADER)
		return UL_EPROTO;
	size = ul_frame_size(m->buf);
	if (size < 0)
		return size;
	if ((size_t)size != m->len)
		return UL_EPROTO;
	m->version = get_be16(m->buf + 4);
	m->type = get_be16(m->buf + 6);
	if (m->version != UL_PROTO_VERSION)
		return UL_EVERSION;
	if (m->type >= UL_MSG_TYPE_END || type_names[m->type] == NULL)
		return UL_EPROTO;
	for (pos = UL_FRAME_HEADER; pos < m->len;) {
		const struct ul_field_info *info;
		uint16_t tag, len;

		if (m->len - pos < 4)
			return UL_EPROTO;
		tag = get_be16(m->buf + pos);
		len = get_be16(m->buf + pos + 2);
		pos += 4;
		info = ul_field_info(tag);
		if (info == NULL || len > m->len - pos)
			return UL_EPROTO;
		if (len > info->max)
			return UL_ETOOBIG;
		if (!value_ok(info, m->buf + pos, len))
			return UL_EPROTO;
		if (m->nfields >= UL_FIELDS_MAX)
			return UL_ETOOBIG;
		m->fields[m->nfields++] = (struct ul_field){
		    .tag = tag, .len = len, .off = (uint32_t)pos};
		pos += len;
	}
	return 0;
}

static const struct ul_field *
find(const struct ul_msg *m, uint16_t tag)
{
	for (unsigned i = 0; i < m->nfields; i++)
		if (m->fields[i].tag == tag)
			return &m->fields[i];
	return NULL;
}

const char *
ul_field_str(const struct ul_msg *m, const struct ul_field *f)
{
	return (const char *)m->buf + f->off;
}

int64_t
ul_field_int(const struct ul_msg *m, const struct ul_field *f)
{
	uint64_t u = 0;

	if (f->len == 1)
		return m->buf[f->off];
	for (unsigned i = 0; i < 8 && i < f->len; i++)
		u = (u << 8) | m->buf[f->off + i];
	return (int64_t)u;
}

const char *
ul_msg_str(const struct ul_msg *m, uint16_t tag)
{
	const struct ul_field *f = find(m, tag);
	const struct ul_field_info *info = ul_field_info(tag);

	if (f == NULL || info == NULL ||
	    (info->kind != UL_KIND_STR && info->kind != UL_KIND_SECRET))
		return NULL;
	return ul_field_str(m, f);
}

int
ul_msg_int(const struct ul_msg *m, uint16_t tag, int64_t *out)
{
	const struct ul_field *f = find(m, tag);

	*out = 0;
	if (f == NULL || f->len != 8)
		return UL_ENOTFOUND;
	*out = ul_field_int(m, f);
	return 0;
}

bool
ul_msg_bool(const struct ul_msg *m, uint16_t tag)
{
	const struct ul_field *f = find(m, tag);

	return f != NULL && f->len == 1 && m->buf[f->off] == 1;
}

bool
ul_msg_has(const struct ul_msg *m, uint16_t tag)
{
	return find(m, tag) != NULL;
}

void
ul_msg_drop(struct ul_msg *m, uint16_t tag)
{
	unsigned j = 0;

	for (unsigned i = 0; i < m->nfields; i++)
		if (m->fields[i].tag != tag)
			m->fields[j++] = m->fields[i];
	m->nfields = j;
}

int
ul_reply_result(const struct ul_msg *m)
{
	int64_t r;

	if (m->type != UL_MSG_REPLY || ul_msg_int(m, UL_F_RESULT, &r) != 0 ||
	    r > 0 || r < -1000)
		return UL_EPROTO;
	return (int)r;
}
