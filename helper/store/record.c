/* Record layout of the store, table-driven: each struct has a table of
 * (tag, type, offset, size) and one encoder and one decoder serve them all.
 * Decoding checks every length against what remains and against the
 * struct's own bound; an unknown tag is skipped (a newer field). */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "helper/store/record.h"
#include "unilogin/error.h"

#define COL(st, tag, type, f) {tag, type, offsetof(st, f), sizeof(((st *)0)->f), #f}
#define COLN(st, tag, type, f, name) {tag, type, offsetof(st, f), sizeof(((st *)0)->f), name}

static const struct ul_column user_cols[] = {
	COL(struct ul_user, 1, C_STR, email),
	COL(struct ul_user, 2, C_STR, pwhash),
	COL(struct ul_user, 3, C_BOOL, confirmed),
	COL(struct ul_user, 4, C_BOOL, locked),
	COL(struct ul_user, 5, C_I64, created),
	COL(struct ul_user, 6, C_I64, pw_changed),
	COL(struct ul_user, 7, C_BYTES, confirm.hash),
	COL(struct ul_user, 8, C_I64, confirm.expires),
	COL(struct ul_user, 9, C_BYTES, reset.hash),
	COL(struct ul_user, 10, C_I64, reset.expires),
	COL(struct ul_user, 11, C_STR, pending_email),
	COL(struct ul_user, 14, C_I64, totp_step),
	COL(struct ul_user, 15, C_I64, tfa_changed),
	COL(struct ul_user, 16, C_U32, next_method_id),
	COL(struct ul_user, 17, C_BYTES, recovery),
	COL(struct ul_user, 18, C_U32, recovery_unused),
	COL(struct ul_user, 19, C_BYTES, sms.hash),
	COL(struct ul_user, 20, C_I64, sms.expires),
	COL(struct ul_user, 21, C_I64, sms_window),
	COL(struct ul_user, 22, C_U32, sms_sent),
	COL(struct ul_user, 23, C_U32, remember_epoch),
	COL(struct ul_user, 24, C_STR, id),
	COLN(struct ul_user, 25, C_BYTES, reset_more[0].hash, "reset2.hash"),
	COLN(struct ul_user, 26, C_I64, reset_more[0].expires, "reset2.expires"),
	COLN(struct ul_user, 27, C_BYTES, reset_more[1].hash, "reset3.hash"),
	COLN(struct ul_user, 28, C_I64, reset_more[1].expires, "reset3.expires"),
};

static const struct ul_column method_cols[] = {
	COL(struct ul_method, 1, C_U32, id),
	COL(struct ul_method, 2, C_INT, kind),
	COL(struct ul_method, 3, C_BOOL, active),
	COL(struct ul_method, 4, C_U32, digits),
	COL(struct ul_method, 5, C_BYTES, seed_box),
	COL(struct ul_method, 6, C_STR, phone),
	COL(struct ul_method, 7, C_I64, created),
	COL(struct ul_method, 8, C_I64, last_used),
};

static const struct ul_column session_cols[] = {
	COL(struct ul_session, 1, C_I64, id),
	COL(struct ul_session, 2, C_STR, product),
	COL(struct ul_session, 3, C_STR, account),
	COL(struct ul_session, 4, C_STR, email),
	COL(struct ul_session, 5, C_STR, host),
	COL(struct ul_session, 6, C_STR, service),
	COL(struct ul_session, 7, C_STR, rhost),
	COL(struct ul_session, 8, C_STR, tty),
	COL(struct ul_session, 9, C_I64, started),
	COL(struct ul_session, 10, C_I64, ended),
	COL(struct ul_session, 11, C_I64, opener_uid),
	COL(struct ul_session, 12, C_STR, sshkey),
};

static const struct ul_column apikey_cols[] = {
	COL(struct ul_apikey, 1, C_STR, id),
	COL(struct ul_apikey, 2, C_STR, email),
	COL(struct ul_apikey, 3, C_STR, product),
	COL(struct ul_apikey, 4, C_STR, account),
	COL(struct ul_apikey, 5, C_BYTES, hash),
	COL(struct ul_apikey, 6, C_I64, created),
	COL(struct ul_apikey, 7, C_I64, expires),
	COL(struct ul_apikey, 8, C_I64, last_used),
};

static const struct ul_column sshkey_cols[] = {
	COL(struct ul_sshkey, 1, C_STR, id),
	COL(struct ul_sshkey, 2, C_STR, email),
	/* "type" names the line of an export: the key's is key_type */
	COLN(struct ul_sshkey, 3, C_STR, type, "key_type"),
	COL(struct ul_sshkey, 4, C_STR, blob),
	COL(struct ul_sshkey, 5, C_STR, comment),
	COL(struct ul_sshkey, 6, C_STR, fingerprint),
	COL(struct ul_sshkey, 7, C_U32, bits),
	COL(struct ul_sshkey, 8, C_BOOL, automation),
	COL(struct ul_sshkey, 9, C_STR, product),
	COL(struct ul_sshkey, 10, C_STR, account),
	COL(struct ul_sshkey, 11, C_I64, created),
	COL(struct ul_sshkey, 12, C_I64, last_used),
};

static const struct ul_column failures_cols[] = {
	COL(struct ul_failures, 1, C_U32, count),
	COL(struct ul_failures, 2, C_I64, last),
	COL(struct ul_failures, 3, C_I64, locked_out_until),
};

static const struct ul_column product_cols[] = {
	COL(struct ul_product, 1, C_STR, name),
	COL(struct ul_product, 2, C_STR, display_name),
	COL(struct ul_product, 3, C_I64, created),
};

static const struct ul_column account_cols[] = {
	COL(struct ul_account, 1, C_STR, product),
	COL(struct ul_account, 2, C_STR, name),
	COL(struct ul_account, 3, C_STR, unix_user),
	COL(struct ul_account, 4, C_U32, uid),
	COL(struct ul_account, 5, C_STR, email),
	COL(struct ul_account, 6, C_STR, owner),
	COL(struct ul_account, 7, C_STR, pwhash),
	COL(struct ul_account, 8, C_STR, parent),
	COL(struct ul_account, 9, C_STR, friendly_name),
	COL(struct ul_account, 10, C_INT, state),
	COL(struct ul_account, 11, C_I64, created),
	COL(struct ul_account, 12, C_U32, gid),
	COL(struct ul_account, 13, C_STR, home),
	COL(struct ul_account, 14, C_STR, shell),
};

static const struct ul_column audit_cols[] = {
	COL(struct ul_audit, 1, C_I64, time),
	COL(struct ul_audit, 2, C_STR, event),
	COL(struct ul_audit, 3, C_STR, email),
	COL(struct ul_audit, 4, C_STR, product),
	COL(struct ul_audit, 5, C_STR, account),
	COL(struct ul_audit, 6, C_STR, service),
	COL(struct ul_audit, 7, C_STR, rhost),
	COL(struct ul_audit, 8, C_I64, caller_uid),
	COL(struct ul_audit, 9, C_INT, result),
	COL(struct ul_audit, 10, C_STR, detail),
};

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static void
put(struct ul_record *r, uint8_t tag, const void *v, size_t n)
{
	if (r->error != 0)
		return;
	if (n > 0xffff || n + 3 > sizeof(r->buf) - r->len) {
		r->error = UL_ETOOBIG;
		return;
	}
	r->buf[r->len] = tag;
	r->buf[r->len + 1] = (uint8_t)(n >> 8);
	r->buf[r->len + 2] = (uint8_t)n;
	memcpy(r->buf + r->len + 3, v, n);
	r->len += 3 + n;
}

static void
put_i64(struct ul_record *r, uint8_t tag, int64_t v)
{
	uint8_t b[8];
	uint64_t u = (uint64_t)v;

	for (int i = 7; i >= 0; i--, u >>= 8)
		b[i] = (uint8_t)u;
	put(r, tag, b, 8);
}

static int64_t
get_i64(const uint8_t *p)
{
	uint64_t u = 0;

	for (int i = 0; i < 8; i++)
		u = (u << 8) | p[i];
	return (int64_t)u;
}

static int
encode(struct ul_record *r, const void *st, const struct ul_column *cols,
    size_t ncols)
{
	ul_record_wipe(r);
	r->buf[0] = UL_RECORD_FORMAT;
	r->len = 1;
	for (size_t i = 0; i < ncols; i++) {
		const char *f = (const char *)st + cols[i].offset;

		/* a zero field is left out: decode starts from a zeroed struct,
		 * so absent reads as zero (most users have no codes pending) */
		if (cols[i].type == C_STR ? f[0] == '\0'
		    : sodium_is_zero((const uint8_t *)f, cols[i].size))
			continue;
		switch (cols[i].type) {
		case C_STR:
			put(r, cols[i].tag, f, strnlen(f, cols[i].size));
			break;
		case C_I64:
			put_i64(r, cols[i].tag, *(const int64_t *)f);
			break;
		case C_U32:
			put_i64(r, cols[i].tag, *(const uint32_t *)f);
			break;
		case C_INT:
			put_i64(r, cols[i].tag, *(const int *)f);
			break;
		case C_BOOL:
			put(r, cols[i].tag, f, 1);
			break;
		case C_BYTES:
			put(r, cols[i].tag, f, cols[i].size);
			break;
		}
	}
	return r->error;
}

static int
decode_column(const struct ul_column *c, char *f, const uint8_t *v, size_t n)
{
	switch (c->type) {
	case C_STR:
		if (n >= c->size || memchr(v, 0, n) != NULL)
			return UL_ESTORE;
		memcpy(f, v, n);
		f[n] = '\0';
		return 0;
	case C_BYTES:
		if (n != c->size)
			return UL_ESTORE;
		memcpy(f, v, n);
		return 0;
	case C_BOOL:
		if (n != 1 || v[0] > 1)
			return UL_ESTORE;
		*(bool *)f = v[0] == 1;
		return 0;
	case C_I64:
	case C_U32:
	case C_INT:
		if (n != 8)
			return UL_ESTORE;
		if (c->type == C_I64)
			*(int64_t *)f = get_i64(v);
		else if (c->type == C_U32)
			*(uint32_t *)f = (uint32_t)get_i64(v);
		else
			*(int *)f = (int)get_i64(v);
		return 0;
	}
	return UL_ESTORE;
}

static int
decode(const void *p, size_t n, void *st, size_t stsize,
    const struct ul_column *cols, size_t ncols)
{
	const uint8_t *b = p;
	size_t pos = 1;

	memset(st, 0, stsize);
	if (n < 1 || b[0] != UL_RECORD_FORMAT)
		return UL_ESTORE;
	while (pos < n) {
		size_t len;

		if (n - pos < 3)
			return UL_ESTORE;
		len = ((size_t)b[pos + 1] << 8) | b[pos + 2];
		if (len > n - pos - 3)
			return UL_ESTORE;
		for (size_t i = 0; i < ncols; i++)
			if (cols[i].tag == b[pos] &&
			    decode_column(&cols[i], (char *)st + cols[i].offset,
				b + pos + 3, len) != 0)
				return UL_ESTORE;
		pos += 3 + len;
	}
	return 0;
}

void
ul_record_wipe(struct ul_record *r)
{
	sodium_memzero(r->buf, r->len);
	r->len = 0;
	r->error = 0;
}

int
ul_record_user_encode(struct ul_record *r, const struct ul_user *u)
{
	return encode(r, u, user_cols, NCOLS(user_cols));
}

int
ul_record_user_decode(const void *p, size_t n, struct ul_user *u)
{
	return decode(p, n, u, sizeof(*u), user_cols, NCOLS(user_cols));
}

int
ul_record_product_encode(struct ul_record *r, const struct ul_product *p)
{
	return encode(r, p, product_cols, NCOLS(product_cols));
}

int
ul_record_product_decode(const void *p, size_t n, struct ul_product *pr)
{
	return decode(p, n, pr, sizeof(*pr), product_cols, NCOLS(product_cols));
}

int
ul_record_account_encode(struct ul_record *r, const struct ul_account *a)
{
	return encode(r, a, account_cols, NCOLS(account_cols));
}

int
ul_record_account_decode(const void *p, size_t n, struct ul_account *a)
{
	return decode(p, n, a, sizeof(*a), account_cols, NCOLS(account_cols));
}

int
ul_record_audit_encode(struct ul_record *r, const struct ul_audit *e)
{
	return encode(r, e, audit_cols, NCOLS(audit_cols));
}

int
ul_record_audit_decode(const void *p, size_t n, struct ul_audit *e)
{
	return decode(p, n, e, sizeof(*e), audit_cols, NCOLS(audit_cols));
}

int
ul_record_failures_encode(struct ul_record *r, const struct ul_failures *f)
{
	return encode(r, f, failures_cols, NCOLS(failures_cols));
}

int
ul_record_failures_decode(const void *p, size_t n, struct ul_failures *f)
{
	return decode(p, n, f, sizeof(*f), failures_cols, NCOLS(failures_cols));
}

int
ul_record_method_encode(struct ul_record *r, const struct ul_method *m)
{
	return encode(r, m, method_cols, NCOLS(method_cols));
}

int
ul_record_method_decode(const void *p, size_t n, struct ul_method *m)
{
	return decode(p, n, m, sizeof(*m), method_cols, NCOLS(method_cols));
}

int
ul_record_apikey_encode(struct ul_record *r, const struct ul_apikey *k)
{
	return encode(r, k, apikey_cols, NCOLS(apikey_cols));
}

int
ul_record_apikey_decode(const void *p, size_t n, struct ul_apikey *k)
{
	return decode(p, n, k, sizeof(*k), apikey_cols, NCOLS(apikey_cols));
}

int
ul_record_sshkey_encode(struct ul_record *r, const struct ul_sshkey *k)
{
	return encode(r, k, sshkey_cols, NCOLS(sshkey_cols));
}

int
ul_record_sshkey_decode(const void *p, size_t n, struct ul_sshkey *k)
{
	return decode(p, n, k, sizeof(*k), sshkey_cols, NCOLS(sshkey_cols));
}

int
ul_record_session_encode(struct ul_record *r, const struct ul_session *s)
{
	return encode(r, s, session_cols, NCOLS(session_cols));
}

int
ul_record_session_decode(const void *p, size_t n, struct ul_session *s)
{
	return decode(p, n, s, sizeof(*s), session_cols, NCOLS(session_cols));
}

const struct ul_column *
ul_record_columns(enum ul_record_kind kind, size_t *n, size_t *size)
{
	static const struct {
		const struct ul_column *cols;
		size_t n, size;
	} kinds[] = {
		[UL_REC_USER] = {user_cols, NCOLS(user_cols), sizeof(struct ul_user)},
		[UL_REC_PRODUCT] = {product_cols, NCOLS(product_cols), sizeof(struct ul_product)},
		[UL_REC_ACCOUNT] = {account_cols, NCOLS(account_cols), sizeof(struct ul_account)},
		[UL_REC_METHOD] = {method_cols, NCOLS(method_cols), sizeof(struct ul_method)},
		[UL_REC_APIKEY] = {apikey_cols, NCOLS(apikey_cols), sizeof(struct ul_apikey)},
		[UL_REC_SSHKEY] = {sshkey_cols, NCOLS(sshkey_cols), sizeof(struct ul_sshkey)},
	};

	*n = kinds[kind].n;
	*size = kinds[kind].size;
	return kinds[kind].cols;
}
