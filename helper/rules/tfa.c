/* Two-factor checks: TOTP, SMS codes, recovery codes, remembered hosts.
 * What a check accepts goes through one store intent (the step, the code),
 * whose precondition decides when two requests race for the same code. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/rules/codes.h"
#include "helper/rules/delivery.h"
#include "helper/rules/keys.h"
#include "helper/rules/tfa.h"
#include "helper/rules/totp.h"
#include "helper/store/local.h"
#include "unilogin/error.h"

int
ul_tfa_state(struct ul_txn *t, const char *email, struct ul_tfa_state *s)
{
	struct ul_method m;
	uint32_t after = 0;
	int r;

	memset(s, 0, sizeof(*s));
	while ((r = ul_store_method_next(t, email, &after, &m)) == 0) {
		if (!m.active) {
			s->pending++;
			continue;
		}
		s->active++;
		if (m.kind == UL_METHOD_SMS && !s->sms_active) {
			s->sms_active = true;
			s->sms_id = m.id;
			memcpy(s->phone, m.phone, sizeof(s->phone));
		}
	}
	sodium_memzero(&m, sizeof(m));
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
use_totp(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    const char *code, bool pending, struct ul_method *out)
{
	/* one locked buffer per thread, made once: a code check makes no
	 * mmap calls (sodium_malloc maps and unmaps pages every time) */
	static _Thread_local uint8_t *seed;
	struct ul_method m;
	uint32_t after = 0;
	int64_t step, now = ul_now();
	int r, next, found = UL_EAUTH;

	if (seed == NULL && (seed = sodium_malloc(UL_TOTP_SEED_BYTES)) == NULL)
		return UL_ENOMEM;
	while (found == UL_EAUTH &&
	    (next = ul_store_method_next(t, u->email, &after, &m)) == 0) {
		if (m.kind != UL_METHOD_TOTP || m.active == pending)
			continue;
		if (ul_totp_open(c->h->keys, u->id, m.id, m.seed_box, seed) != 0)
			continue;
		if (ul_totp_match(seed, m.digits, c->h->conf.totp_window, now,
			u->totp_step, code, &step) != 0)
			continue;
		/* T3: the store takes the step only if it is still the newest */
		r = ul_store_totp_accept(t, u, m.id, !pending, step, now);
		if (r == 0)
			*out = m;
		found = r == UL_ECONFLICT ? UL_EAUTH : r;
		break;
	}
	/* the methods could not be read (a fleet's provider away): that,
	 * not a wrong code */
	if (found == UL_EAUTH && next != 0 && next != UL_ENOTFOUND)
		found = next;
	sodium_memzero(seed, UL_TOTP_SEED_BYTES);
	sodium_memzero(&m, sizeof(m));
	return found;
}

static int
use_sms(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    const char *code, bool pending, struct ul_method *out)
{
	uint8_t h[UL_CODE_HASH_BYTES];
	struct ul_method m;
	uint32_t after = 0;
	int r;

	while ((r = ul_store_method_next(t, u->email, &after, &m)) == 0)
		if (m.kind == UL_METHOD_SMS && m.active != pending)
			break;
	if (r != 0)
		return r == UL_ENOTFOUND ? UL_EAUTH : r;
	ul_code_hash(c->h->keys, "sms", u->id, code, h);
	r = ul_store_code_consume(t, u, UL_CODE_SMS, h, ul_now());
	sodium_memzero(h, sizeof(h));
	if (r == 0)
		r = ul_store_method_used(t, u, m.id, ul_now());
	if (r == 0)
		*out = m;
	return r == UL_ECONFLICT ? UL_EAUTH : r;
}

static int
use_recovery(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    const char *code)
{
	char canon[UL_RECOVERY_LEN + 1];
	uint8_t h[UL_CODE_HASH_BYTES];
	int r;

	if (ul_code_read(code, canon, UL_RECOVERY_LEN, true) != 0)
		return UL_EAUTH;
	ul_code_hash(c->h->keys, "recovery", u->id, canon, h);
	sodium_memzero(canon, sizeof(canon));
	r = ul_store_code_consume(t, u, UL_CODE_RECOVERY, h, ul_now());
	sodium_memzero(h, sizeof(h));
	return r == UL_ECONFLICT ? UL_EAUTH : r;
}

static int
use_scratch(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    const char *code)
{
	uint8_t h[UL_CODE_HASH_BYTES];
	int r;

	ul_tfa_scratch_hash(c, u->id, code, h);
	r = ul_store_code_consume(t, u, UL_CODE_RECOVERY, h, ul_now());
	sodium_memzero(h, sizeof(h));
	return r == UL_ECONFLICT ? UL_EAUTH : r;
}

void
ul_tfa_scratch_hash(struct ul_call *c, const char *user_id, const char *digits,
    uint8_t out[UL_CODE_HASH_BYTES])
{
	ul_code_hash(c->h->keys, "recovery", user_id, digits, out);
}

int
ul_tfa_use(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    const char *code, bool pending, struct ul_method *m, const char **how)
{
	int r;

	memset(m, 0, sizeof(*m));
	*how = NULL;
	if (code == NULL || code[0] == '\0')
		return UL_EAUTH;
	if (!all_digits(code)) {
		/* a recovery code is never all digits (C1) */
		r = pending ? UL_EAUTH : use_recovery(c, t, u, code);
		*how = r == 0 ? "recovery code" : NULL;
		return r;
	}
	r = use_totp(c, t, u, code, pending, m);
	if (r == UL_EAUTH)
		r = use_sms(c, t, u, code, pending, m);
	if (r == 0)
		*how = m->kind == UL_METHOD_SMS ? "sms" : "totp";
	/* M1: a scratch code brought from google-authenticator is 8 digits,
	 * tried when the TOTP check failed (a file with 8-digit TOTP codes
	 * is never imported, so the two cannot be mistaken) */
	if (r == UL_EAUTH && !pending && strlen(code) == UL_SCRATCH_DIGITS) {
		r = use_scratch(c, t, u, code);
		*how = r == 0 ? "recovery code" : NULL;
	}
	return r;
}

void
ul_tfa_dummy(struct ul_call *c, const char *code)
{
	static _Thread_local uint8_t box[UL_SEED_BOX_BYTES];
	static _Thread_local bool sealed;
	static _Thread_local uint8_t *seed;
	uint8_t h[UL_CODE_HASH_BYTES];
	int64_t step;

	if (seed == NULL && (seed = sodium_malloc(UL_TOTP_SEED_BYTES)) == NULL)
		return;
	if (!sealed) {
		randombytes_buf(seed, UL_TOTP_SEED_BYTES);
		ul_totp_seal(c->h->keys, "dummy", 1, seed, box);
		sealed = true;
	}
	/* what use_totp and use_sms do for a user with one method */
	if (ul_totp_open(c->h->keys, "dummy", 1, box, seed) == 0 &&
	    ul_totp_match(seed, c->h->conf.totp_digits, c->h->conf.totp_window,
		ul_now(), 0, code ? code : "", &step) == 0)
		step = 0;   /* nobody knows the seed: a match means nothing */
	ul_code_hash(c->h->keys, "sms", "dummy", code ? code : "", h);
	sodium_memzero(seed, UL_TOTP_SEED_BYTES);
	sodium_memzero(h, sizeof(h));
}

void
ul_tfa_new_recovery(struct ul_call *c, const struct ul_user *u,
    uint8_t hashes[UL_RECOVERY_CODES][UL_CODE_HASH_BYTES],
    char codes[UL_RECOVERY_CODES][UL_RECOVERY_TEXT])
{
	char canon[UL_RECOVERY_LEN + 1];

	for (int i = 0; i < UL_RECOVERY_CODES; i++) {
		ul_recovery_new(codes[i], canon);
		ul_code_hash(c->h->keys, "recovery", u->id, canon, hashes[i]);
	}
	sodium_memzero(canon, sizeof(canon));
}

int
ul_tfa_new_sms(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    char code[16])
{
	unsigned digits = c->h->conf.totp_digits, limit = 1;
	int64_t now = ul_now();
	struct ul_code slot = {.expires = now + UL_SMS_TTL};
	int r;

	for (unsigned i = 0; i < digits; i++)
		limit *= 10;
	snprintf(code, 16, "%0*u", (int)digits, randombytes_uniform(limit));
	ul_code_hash(c->h->keys, "sms", u->id, code, slot.hash);
	r = ul_store_sms_issue(t, u, &slot, now, UL_SMS_WINDOW, UL_SMS_PER_WINDOW);
	sodium_memzero(&slot, sizeof(slot));
	if (r != 0)
		sodium_memzero(code, 16);
	return r;
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

	/* rhost reaches a handler only from uid 0 (the dispatch table) */
	if (c->h->conf.remember_days == 0 || rhost == NULL || rhost[0] == '\0')
		return false;
	if (ul_local_remember_get(t, u->email, rhost, &when, &epoch) != 0)
		return false;
	/* a password or two-factor change since then forgets it (T7) */
	return epoch == u->remember_epoch &&
	    now < when + (int64_t)c->h->conf.remember_days * 86400;
}

void
ul_user_new_id(struct ul_user *u)
{
	uint8_t rnd[16];

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(u->id, sizeof(u->id), rnd, sizeof(rnd));
}
