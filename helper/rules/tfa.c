/* Two-factor checks: TOTP, SMS codes, recovery codes, remembered hosts. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/rules/delivery.h"
#include "helper/core/call.h"
#include "helper/rules/keys.h"
#include "helper/rules/tfa.h"
#include "helper/rules/totp.h"
#include "unilogin/error.h"

static const char recovery_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

int
ul_tfa_state(struct ul_txn *t, const char *email, struct ul_tfa_state *s)
{
	struct ul_method m;
	uint32_t after = 0;
	int r;

	memset(s, 0, sizeof(*s));
	while ((r = ul_store_method_next(t, email, after, &m)) == 0) {
		after = m.id;
		if (!m.active) {
			s->pending++;
			continue;
		}
		s->active++;
		if (m.kind == UL_METHOD_SMS && !s->sms_active) {
			s->sms_active = true;
			memcpy(s->phone, m.phone, sizeof(s->phone));
		}
	}
	return r == UL_ENOTFOUND ? 0 : r;
}

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* TOTP methods (active, or pending when confirming) */
static int
check_totp(struct ul_call *c, struct ul_txn *t, struct ul_user *u,
    const char *code, bool pending, struct ul_method *out)
{
	/* one locked buffer per thread, made once: a code check makes no
	 * mmap calls (sodium_malloc maps and unmaps pages every time) */
	static _Thread_local uint8_t *seed;
	struct ul_method m;
	uint32_t after = 0;
	int64_t step;
	int r, found = UL_EAUTH;

	if (seed == NULL && (seed = sodium_malloc(UL_TOTP_SEED_BYTES)) == NULL)
		return UL_ENOMEM;
	while (found != 0 && (r = ul_store_method_next(t, u->email, after, &m)) == 0) {
		after = m.id;
		if (m.kind != UL_METHOD_TOTP || m.active == pending)
			continue;
		if (ul_totp_open(c->h->keys, u->id, m.id, m.seed_box, seed) != 0)
			continue;
		if (ul_totp_match(seed, m.digits, c->h->conf.totp_window, ul_now(),
			u->totp_step, code, &step) == 0) {
			u->totp_step = step;    /* T3: never again, for any method */
			*out = m;
			found = 0;
		}
	}
	sodium_memzero(seed, UL_TOTP_SEED_BYTES);
	return found;
}

static int
check_sms(struct ul_call *c, struct ul_txn *t, struct ul_user *u,
    const char *code, bool pending, struct ul_method *out)
{
	uint8_t h[UL_CODE_HASH_BYTES];
	struct ul_method m;
	uint32_t after = 0;
	int r;

	if (u->sms.expires <= ul_now())
		return UL_EAUTH;
	ul_code_hash(c->h->keys, "sms", u->id, code, h);
	if (sodium_memcmp(h, u->sms.hash, sizeof(h)) != 0)
		return UL_EAUTH;
	while ((r = ul_store_method_next(t, u->email, after, &m)) == 0) {
		after = m.id;
		if (m.kind == UL_METHOD_SMS && m.active != pending) {
			memset(&u->sms, 0, sizeof(u->sms));     /* single-use */
			*out = m;
			return 0;
		}
	}
	return UL_EAUTH;
}

/* Reads a recovery code as typed: case, hyphens and look-alikes aside. */
static int
recovery_normalise(const char *in, char out[13])
{
	size_t n = 0;

	for (; *in; in++) {
		int ch = tolower((unsigned char)*in);

		if (ch == '-' || ch == ' ')
			continue;
		if (ch == 'o')
			ch = '0';
		else if (ch == 'i' || ch == 'l')
			ch = '1';
		if (n >= 12 || ch == '\0' || strchr(recovery_alphabet, ch) == NULL)
			return UL_EINVAL;
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	return n == 12 ? 0 : UL_EINVAL;
}

static int
check_recovery(struct ul_call *c, struct ul_user *u, const char *code)
{
	uint8_t h[UL_CODE_HASH_BYTES];
	char canon[13];
	int found = -1;

	if (recovery_normalise(code, canon) != 0) {
		sodium_memzero(canon, sizeof(canon));
		return UL_EAUTH;
	}
	ul_code_hash(c->h->keys, "recovery", u->id, canon, h);
	sodium_memzero(canon, sizeof(canon));
	for (int i = 0; i < UL_RECOVERY_CODES; i++)
		if (sodium_memcmp(h, u->recovery[i], sizeof(h)) == 0 &&
		    (u->recovery_unused & (1u << i)) && found < 0)
			found = i;
	if (found < 0)
		return UL_EAUTH;
	u->recovery_unused &= ~(1u << found);
	return 0;
}

int
ul_tfa_check(struct ul_call *c, struct ul_txn *t, struct ul_user *u,
    const char *code, bool pending, struct ul_method *m, const char **how)
{
	int r = UL_EAUTH;

	memset(m, 0, sizeof(*m));
	*how = NULL;
	if (code == NULL || code[0] == '\0')
		return UL_EAUTH;
	if (all_digits(code)) {
		r = check_totp(c, t, u, code, pending, m);
		if (r == UL_EAUTH)
			r = check_sms(c, t, u, code, pending, m);
	} else if (!pending) {
		r = check_recovery(c, u, code);
		if (r == 0)
			*how = "recovery code";
		return r;
	}
	if (r != 0)
		return r;
	*how = m->kind == UL_METHOD_SMS ? "sms" : "totp";
	m->last_used = ul_now();
	return ul_store_method_put(t, u->email, m);
}

void
ul_tfa_new_recovery(struct ul_call *c, struct ul_user *u,
    char codes[UL_RECOVERY_CODES][UL_RECOVERY_TEXT])
{
	for (int i = 0; i < UL_RECOVERY_CODES; i++) {
		char canon[13];
		bool letter;

		/* never all digits: it could pass for a TOTP code (C1) */
		do {
			letter = false;
			for (int j = 0; j < 12; j++) {
				canon[j] = recovery_alphabet[randombytes_uniform(32)];
				letter |= isalpha((unsigned char)canon[j]) != 0;
			}
			canon[12] = '\0';
		} while (!letter);
		snprintf(codes[i], UL_RECOVERY_TEXT, "%.4s-%.4s-%.4s", canon,
		    canon + 4, canon + 8);
		ul_code_hash(c->h->keys, "recovery", u->id, canon, u->recovery[i]);
		sodium_memzero(canon, sizeof(canon));
	}
	u->recovery_unused = (1u << UL_RECOVERY_CODES) - 1;
}

int
ul_tfa_new_sms(struct ul_call *c, struct ul_user *u, char code[16])
{
	unsigned digits = c->h->conf.totp_digits, limit = 1;
	int64_t now = ul_now();

	if (now - u->sms_window >= UL_SMS_WINDOW) {
		u->sms_window = now;
		u->sms_sent = 0;
	}
	if (u->sms_sent >= UL_SMS_PER_WINDOW)
		return UL_EBUSY;
	u->sms_sent++;
	for (unsigned i = 0; i < digits; i++)
		limit *= 10;
	snprintf(code, 16, "%0*u", (int)digits, randombytes_uniform(limit));
	ul_code_hash(c->h->keys, "sms", u->id, code, u->sms.hash);
	u->sms.expires = now + UL_SMS_TTL;
	return 0;
}

int
ul_tfa_send_sms(struct ul_call *c, const char *phone, const char *code,
    char *reason, size_t n)
{
	char msg[256];
	int r;

	snprintf(msg, sizeof(msg), "%s\nYour unilogin verification code is %s. "
	    "It is valid for 5 minutes.\n", code, code);
	r = ul_deliver(c->h->conf.delivery_command, "sms", phone, msg, reason, n);
	sodium_memzero(msg, sizeof(msg));
	return r;
}

bool
ul_tfa_remembered(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    const char *rhost)
{
	int64_t when, now = ul_now();
	uint32_t epoch;

	if (c->h->conf.remember_days == 0 || rhost == NULL || rhost[0] == '\0' ||
	    c->uid != 0)
		return false;
	if (ul_store_remember_get(t, u->email, rhost, &when, &epoch) != 0)
		return false;
	/* a password or two-factor change since then forgets it (T7) */
	return epoch == u->remember_epoch &&
	    now < when + (int64_t)c->h->conf.remember_days * 86400;
}

int
ul_tfa_changed(struct ul_txn *t, struct ul_user *u)
{
	u->tfa_changed = ul_now();
	u->remember_epoch++;
	return ul_store_remember_clear(t, u->email);
}

void
ul_user_set_password(struct ul_user *u, const char hash[UL_HASH_STR_MAX])
{
	memcpy(u->pwhash, hash, UL_HASH_STR_MAX);
	u->pw_changed = ul_now();
	u->remember_epoch++;        /* T7: forgets every remembered host */
}

void
ul_user_new_id(struct ul_user *u)
{
	uint8_t rnd[16];

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(u->id, sizeof(u->id), rnd, sizeof(rnd));
}
