/* Two-factor settings (T1-T5): enroll, confirm, list, remove, reset and
 * recovery codes, for admins (uniloginctl tfa ...) and for the user
 * (unilogin tfa ..., after email, password and current code: T5). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "helper/core/wipe.h"
#include "helper/rules/auth.h"
#include "helper/rules/names.h"
#include "helper/handlers/handlers.h"
#include "helper/core/log.h"
#include "helper/rules/tfa.h"
#include "helper/rules/totp.h"
#include "helper/store/local.h"
#include "unilogin/error.h"

static const char *const method_names[] = {"", "totp", "sms"};

/* The admin's target: a confirmed user (T2). */
static int
target_user(struct ul_call *c, struct ul_user *u)
{
	char email[UL_EMAIL_MAX + 1];
	int r = ul_call_email(c, UL_F_EMAIL, email);

	return r != 0 ? r : ul_call_user(c, email, u);
}

/* A pending authenticator app for u: its seed sealed to the user's id and
 * the method's, the URI and the secret for the user's app. */
static int
enroll_totp(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    struct ul_method *m)
{
	char secret[64], uri[UL_TEXT_MAX];
	uint8_t *seed = sodium_malloc(UL_TOTP_SEED_BYTES);
	int r;

	if (seed == NULL)
		return UL_ENOMEM;
	ul_totp_new_seed(seed);
	ul_totp_seal(c->h->keys, u->id, m->id, seed, m->seed_box);
	r = ul_totp_base32(seed, secret, sizeof(secret));
	sodium_free(seed);
	if (r == 0)
		r = ul_totp_uri(c->h->conf.issuer, u->email, secret, m->digits, uri,
		    sizeof(uri));
	if (r == 0)
		r = ul_store_method_add(t, u, m, ul_now());
	if (r == 0) {
		ul_msg_put_str(c->out, UL_F_URI, uri);
		ul_msg_put_str(c->out, UL_F_SECRET, secret);
		ul_call_say(c, 0, "Scan the code or type the secret into an "
		    "authenticator app, then confirm with one code: tfa confirm");
	}
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(uri, sizeof(uri));
	return r;
}

/* A pending phone for u, and a code for it at once (T2): delivered after
 * the commit. */
static int
enroll_sms(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    struct ul_method *m, char code[16])
{
	int r = ul_store_method_add(t, u, m, ul_now());

	if (r == 0 && (r = ul_tfa_new_sms(c, t, u, code)) == UL_EBUSY)
		return ul_call_say(c, r, "too many codes sent; try again in 15 minutes");
	return r;
}

/* Reads DIGITS and PHONE of the request into m. */
static int
method_from_request(struct ul_call *c, struct ul_method *m)
{
	const char *phone = ul_msg_str(c->in, UL_F_PHONE);
	int64_t digits;

	memset(m, 0, sizeof(*m));
	m->digits = c->h->conf.totp_digits;
	if (ul_msg_int(c->in, UL_F_DIGITS, &digits) == 0) {
		if (digits < 6 || digits > 8)
			return ul_call_say(c, UL_EINVAL, "--digits must be 6, 7 or 8");
		m->digits = (uint32_t)digits;
	}
	m->kind = phone ? UL_METHOD_SMS : UL_METHOD_TOTP;
	if (phone == NULL)
		return 0;
	if (!ul_valid_phone(phone))
		return ul_call_say(c, UL_EINVAL, "%s is not an E.164 phone "
		    "number (like +15551234567)", phone);
	if (c->h->conf.delivery_command[0] == '\0')
		return ul_call_say(c, UL_ERULE, "no delivery_command is set up: "
		    "SMS codes cannot be sent");
	snprintf(m->phone, sizeof(m->phone), "%s", phone);
	return 0;
}

/* A code to a phone, after the reply (self-service: S1). */
struct sms_later {
	char phone[UL_PHONE_MAX + 1];
	char code[16];
};

static void
deliver_sms_later(struct ul_call *c, void *arg)
{
	const struct sms_later *l = arg;
	char reason[256];

	if (ul_tfa_send_sms(c, l->phone, l->code, reason, sizeof(reason)) != 0)
		ul_log(LOG_ERR, "sms to %s for an enrollment: delivery failed: %s",
		    l->phone, reason);
}

/* T2: an SMS enrollment sends a code at once.  An admin waits for the
 * delivery and is told when it failed (C3); a user's own enrollment gets
 * its answer first, as every self-service request. */
static int
send_enrollment_code(struct ul_call *c, const char *phone, const char *code)
{
	struct sms_later l;
	char reason[256];
	int r;

	if (c->in->type == UL_REQ_SELF_TFA) {
		snprintf(l.phone, sizeof(l.phone), "%s", phone);
		snprintf(l.code, sizeof(l.code), "%s", code);
		r = ul_call_later(c, deliver_sms_later, &l, sizeof(l));
		sodium_memzero(&l, sizeof(l));
		return r != 0 ? r : ul_call_say(c, 0, "A code is being sent to %s: "
		    "confirm it with tfa confirm", phone);
	}
	r = ul_tfa_send_sms(c, phone, code, reason, sizeof(reason));
	if (r != 0)
		return ul_call_say(c, r, "created; delivery failed: %s", reason);
	return ul_call_say(c, 0, "A code was sent to %s: confirm it with tfa confirm",
	    phone);
}

/* A pending method for u (T2); the caller checked who may ask. */
struct enrollment {
	const char *email;
	struct ul_method m;
	char code[16];
};

static int
enroll_change(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct enrollment *n = arg;
	struct ul_event e = {.event = "tfa_enroll", .email = n->email,
	    .detail = n->m.kind == UL_METHOD_SMS ? "sms" : "totp"};
	struct ul_user u UL_WIPED(ul_wipe_user);
	int r = ul_store_user_get(t, n->email, &u);

	/* the method's id is the next of the user as read here: the store
	 * refuses it when another enrollment took it first */
	n->m.id = u.next_method_id + 1;
	if (r == 0)
		r = n->m.kind == UL_METHOD_SMS ? enroll_sms(c, t, &u, &n->m, n->code)
					       : enroll_totp(c, t, &u, &n->m);
	return ul_call_audited(c, t, r, &e);
}

static int
enroll(struct ul_call *c, const struct ul_user *who)
{
	struct enrollment n = {.email = who->email};
	struct ul_method *m = &n.m;
	char *code = n.code, id[16];
	int r;

	if (!who->confirmed)
		return ul_call_say(c, UL_ERULE, "T2: %s must confirm the email "
		    "address before enrolling two-factor", who->email);
	if ((r = method_from_request(c, m)) != 0)
		return r;
	r = ul_call_write(c, enroll_change, &n);
	if (r != 0) {
		sodium_memzero(&n, sizeof(n));
		return r;
	}
	ul_msg_put_str(c->out, UL_F_EMAIL, who->email);
	ul_msg_put_int(c->out, UL_F_DIGITS, m->digits);
	ul_msg_put_str(c->out, UL_F_METHOD, m->kind == UL_METHOD_SMS ? "sms" : "totp");
	snprintf(id, sizeof(id), "%u", m->id);
	ul_msg_put_str(c->out, UL_F_ID, id);
	if (code[0] != '\0')
		r = send_enrollment_code(c, ul_msg_str(c->in, UL_F_PHONE), code);
	sodium_memzero(&n, sizeof(n));
	return r;
}

struct confirmation {
	const char *email, *code, *how;
	bool first;
	char codes[UL_RECOVERY_CODES][UL_RECOVERY_TEXT];
};

static int
confirm_change(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct confirmation *k = arg;
	uint8_t hashes[UL_RECOVERY_CODES][UL_CODE_HASH_BYTES];
	struct ul_event e = {.event = "tfa_confirm", .email = k->email};
	struct ul_user u UL_WIPED(ul_wipe_user);
	struct ul_tfa_state before;
	struct ul_method m;
	int r = ul_store_user_get(t, k->email, &u);

	if (r == UL_ENOTFOUND)
		r = ul_call_say(c, r, "no user %s", k->email);
	if (r == 0)
		r = ul_tfa_state(t, k->email, &before);
	if (r == 0 && before.pending == 0)
		r = ul_call_say(c, UL_ERULE, "%s has no pending method: enroll first",
		    k->email);
	/* the code is consumed (its step, its SMS code) with the confirmation */
	else if (r == 0 && ul_tfa_use(c, t, &u, k->code, true, &m, &k->how) != 0)
		r = ul_call_say(c, UL_EAUTH, "the code is wrong or has expired");
	if (r == 0)
		r = ul_store_method_activate(t, &u, m.id, ul_now());
	k->first = r == 0 && before.active == 0;
	if (k->first) {
		ul_tfa_new_recovery(c, &u, hashes, k->codes);
		r = ul_store_recovery_set(t, &u, hashes);
		sodium_memzero(hashes, sizeof(hashes));
	}
	if (r == 0)
		r = ul_local_remember_forget(t, k->email);
	e.detail = k->how;
	return ul_call_audited(c, t, r, &e);
}

/* One valid code from a pending method makes it active (T2); the first
 * active method brings ten recovery codes (T4). */
static int
confirm(struct ul_call *c, const char *email, const char *code)
{
	struct confirmation k = {.email = email, .code = code};
	int r = ul_call_write(c, confirm_change, &k);

	if (r == 0 && k.first) {
		for (int i = 0; i < UL_RECOVERY_CODES; i++)
			ul_msg_put_str(c->out, UL_F_RECOVERY_CODE, k.codes[i]);
		ul_call_say(c, 0, "Two-factor is on.  Keep these recovery codes "
		    "somewhere safe: each works once, they are shown only now.");
	} else if (r == 0) {
		ul_call_say(c, 0, "The %s method is active.", k.how);
	}
	sodium_memzero(&k, sizeof(k));
	return r;
}

static int
list(struct ul_call *c, const char *email)
{
	struct ul_method m;
	struct ul_txn *t;
	uint32_t after = 0;
	char id[16];
	int r = ul_call_read(c, &t);

	if (r != 0)
		return r;
	while ((r = ul_store_method_next(t, email, &after, &m)) == 0) {
		snprintf(id, sizeof(id), "%u", m.id);
		ul_msg_put_mark(c->out, UL_F_RECORD);
		ul_msg_put_str(c->out, UL_F_ID, id);
		ul_msg_put_str(c->out, UL_F_METHOD, method_names[m.kind % 3]);
		ul_msg_put_str(c->out, UL_F_STATE, m.active ? "active" : "pending");
		if (m.kind == UL_METHOD_TOTP)
			ul_msg_put_int(c->out, UL_F_DIGITS, m.digits);
		else
			ul_msg_put_str(c->out, UL_F_PHONE, m.phone);
		ul_msg_put_int(c->out, UL_F_CREATED, m.created);
		if (m.last_used)
			ul_msg_put_int(c->out, UL_F_LAST_USED, m.last_used);
	}
	ul_txn_abort(t);
	return r == UL_ENOTFOUND ? 0 : r;
}

struct method_removal {
	const char *email;
	uint32_t id;
};

static int
remove_change(struct ul_call *c, struct ul_txn *t, void *arg)
{
	const struct method_removal *m = arg;
	struct ul_event e = {.event = m->id ? "tfa_remove" : "tfa_reset",
	    .email = m->email};
	struct ul_user u UL_WIPED(ul_wipe_user);
	int r = ul_store_user_get(t, m->email, &u);

	if (r == UL_ENOTFOUND)
		r = ul_call_say(c, r, "no user %s", m->email);
	if (r == 0 && (r = ul_store_method_remove(t, &u, m->id, ul_now())) ==
	    UL_ENOTFOUND)
		r = ul_call_say(c, UL_ENOTFOUND, "%s has no method %u", m->email, m->id);
	if (r == 0)
		r = ul_local_remember_forget(t, m->email);
	return ul_call_audited(c, t, r, &e);
}

/* Removes one method (id) or all of them (id 0, the admin's reset). */
static int
remove_methods(struct ul_call *c, const char *email, uint32_t id)
{
	struct method_removal m = {.email = email, .id = id};
	int r = ul_call_write(c, remove_change, &m);

	if (r == 0)
		ul_call_say(c, 0, id ? "method removed" :
		    "two-factor of %s reset: every method and recovery code is gone",
		    email);
	return r;
}

struct regeneration {
	const char *email;
	char codes[UL_RECOVERY_CODES][UL_RECOVERY_TEXT];
};

static int
recovery_change(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct regeneration *g = arg;
	uint8_t hashes[UL_RECOVERY_CODES][UL_CODE_HASH_BYTES];
	struct ul_event e = {.event = "tfa_recovery_codes", .email = g->email};
	struct ul_user u UL_WIPED(ul_wipe_user);
	struct ul_tfa_state s;
	int r = ul_store_user_get(t, g->email, &u);

	if (r == UL_ENOTFOUND)
		r = ul_call_say(c, r, "no user %s", g->email);
	if (r == 0)
		r = ul_tfa_state(t, g->email, &s);
	if (r == 0 && s.active == 0)
		r = ul_call_say(c, UL_ERULE, "%s has no active two-factor method",
		    g->email);
	if (r == 0) {
		ul_tfa_new_recovery(c, &u, hashes, g->codes);
		r = ul_store_recovery_set(t, &u, hashes);  /* voids the old set */
		sodium_memzero(hashes, sizeof(hashes));
	}
	return ul_call_audited(c, t, r, &e);
}

static int
recovery_codes(struct ul_call *c, const char *email)
{
	struct regeneration g = {.email = email};
	int r = ul_call_write(c, recovery_change, &g);

	for (int i = 0; r == 0 && i < UL_RECOVERY_CODES; i++)
		ul_msg_put_str(c->out, UL_F_RECOVERY_CODE, g.codes[i]);
	if (r == 0)
		ul_call_say(c, 0, "New recovery codes; the old ones no longer work.");
	sodium_memzero(&g, sizeof(g));
	return r;
}

static uint32_t
method_id(struct ul_call *c)
{
	const char *id = ul_call_arg(c, UL_F_ID);
	char *end;
	unsigned long n = id ? strtoul(id, &end, 10) : 0;

	return id && *end == '\0' && n > 0 && n < UINT32_MAX ? (uint32_t)n : 0;
}

int
ul_h_tfa_enroll(struct ul_call *c)
{
	struct ul_user u UL_WIPED(ul_wipe_user);
	int r = target_user(c, &u);

	return r != 0 ? r : enroll(c, &u);
}

int
ul_h_tfa_confirm(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1];
	int r = ul_call_email(c, UL_F_EMAIL, email);

	return r != 0 ? r : confirm(c, email, ul_msg_str(c->in, UL_F_CODE));
}

int
ul_h_tfa_list(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1];
	int r = ul_call_email(c, UL_F_EMAIL, email);

	return r != 0 ? r : list(c, email);
}

int
ul_h_tfa_remove(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1];
	uint32_t id = method_id(c);
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r == 0 && id == 0)
		return ul_call_say(c, UL_EINVAL, "ID is a method number from tfa list");
	return r != 0 ? r : remove_methods(c, email, id);
}

int
ul_h_tfa_reset(struct ul_call *c)
{
	struct ul_user u UL_WIPED(ul_wipe_user);
	int r = target_user(c, &u);

	/* lost device: audited as tfa_reset with the admin's uid (T5) */
	return r != 0 ? r : remove_methods(c, u.email, 0);
}

int
ul_h_tfa_recovery(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1];
	int r = ul_call_email(c, UL_F_EMAIL, email);

	return r != 0 ? r : recovery_codes(c, email);
}

/* unilogin tfa ACTION: email, password and current code first (T5). */
int
ul_h_self_tfa(struct ul_call *c)
{
	const char *action = ul_call_arg(c, UL_F_ACTION);
	struct ul_user u UL_WIPED(ul_wipe_user);
	int r;

	if (action == NULL)
		return UL_EINVAL;
	r = ul_auth_self(c, &u);
	if (r != 0)
		return r;
	if (strcmp(action, "enroll") == 0)
		return enroll(c, &u);
	if (strcmp(action, "confirm") == 0)
		return confirm(c, u.email, ul_msg_str(c->in, UL_F_NEW_CODE));
	if (strcmp(action, "list") == 0)
		return list(c, u.email);
	if (strcmp(action, "remove") == 0) {
		uint32_t id = method_id(c);

		return id ? remove_methods(c, u.email, id)
			  : ul_call_say(c, UL_EINVAL, "ID is a method number from tfa list");
	}
	if (strcmp(action, "recovery-codes") == 0)
		return recovery_codes(c, u.email);
	return ul_call_say(c, UL_EINVAL, "unknown action %s", action);
}
