/* Unified users: add and confirm (U2), passwords and resets (U3-U5),
 * show, list, lock (U7) and delete (U7). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/rules/delivery.h"
#include "helper/handlers/handlers.h"
#include "helper/rules/auth.h"
#include "helper/rules/kdf.h"
#include "helper/rules/keys.h"
#include "helper/core/log.h"
#include "helper/rules/tfa.h"
#include "unilogin/error.h"

#define CONFIRM_TTL (24 * 3600)     /* U2 */
#define RESET_TTL 3600              /* U5 */

/* A new single-use code for purpose, stored hashed in slot (C1, C2). */
static void
issue_code(struct ul_call *c, const char *purpose, const char *email,
    struct ul_code *slot, int64_t ttl, char code[UL_CODE_TEXT_MAX])
{
	char canon[UL_CODE_LEN + 1];

	ul_code_new(code);
	if (ul_code_normalise(code, canon) != 0)
		canon[0] = '\0';    /* cannot happen: ul_code_new writes a code */
	ul_code_hash(c->h->keys, purpose, email, canon, slot->hash);
	slot->expires = ul_now() + ttl;
	sodium_memzero(canon, sizeof(canon));
}

/* 0 when typed is the live code in slot; UL_EAUTH otherwise. */
static int
check_code(struct ul_call *c, const char *purpose, const char *email,
    const struct ul_code *slot, const char *typed)
{
	char canon[UL_CODE_LEN + 1];
	uint8_t h[UL_CODE_HASH_BYTES];
	int r = UL_EAUTH;

	if (typed != NULL && ul_code_normalise(typed, canon) == 0) {
		ul_code_hash(c->h->keys, purpose, email, canon, h);
		if (slot->expires > ul_now() &&
		    sodium_memcmp(h, slot->hash, sizeof(h)) == 0)
			r = 0;
	}
	sodium_memzero(canon, sizeof(canon));
	return r;
}

/* Sends a code through the delivery command, or hands it to the admin in
 * `field` when there is none (U2, U5, C3). */
static int
send_code(struct ul_call *c, const char *kind, const char *email,
    const char *code, uint16_t field, const char *text)
{
	char msg[1024], reason[256];
	int r;

	if (c->h->conf.delivery_command[0] == '\0') {
		ul_msg_put_str(c->out, field, code);
		return 0;
	}
	snprintf(msg, sizeof(msg), "%s\n%s\n", code, text);
	r = ul_deliver(c->h->conf.delivery_command, kind, email, msg, reason,
	    sizeof(reason));
	sodium_memzero(msg, sizeof(msg));
	if (r != 0) {
		ul_log(LOG_ERR, "delivery %s %s failed: %s", kind, email, reason);
		return ul_call_say(c, UL_EDELIVERY, "created; delivery failed: %s",
		    reason);
	}
	return 0;
}

/* Saves u and an audit record in one transaction. */
static int
save_user(struct ul_call *c, const struct ul_user *u, const char *event)
{
	struct ul_event e = {.event = event, .email = u->email};
	struct ul_txn *t;
	int r = ul_call_txn(c, true, &t);

	if (r != 0)
		return r;
	r = ul_store_user_put(t, u);
	if (r == 0)
		r = ul_audit(c, t, &e);
	if (r != 0) {
		ul_txn_abort(t);
		return ul_call_say(c, r, "the store failed: %s", ul_strerror(r));
	}
	return ul_call_commit(c, t);
}

int
ul_h_user_add(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1], code[UL_CODE_TEXT_MAX];
	struct ul_user u;
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0)
		return r;
	r = ul_call_user(c, email, &u);
	if (r == 0 && u.confirmed)
		return ul_call_say(c, UL_EEXIST, "user %s already exists", email);
	if (r == UL_ENOTFOUND) {
		memset(&u, 0, sizeof(u));
		memcpy(u.email, email, sizeof(u.email));
		ul_user_new_id(&u);
		u.created = ul_now();
	} else if (r != 0) {
		return r;
	}
	c->message[0] = '\0';
	/* U2: a new code voids the old one */
	issue_code(c, "confirm", email, &u.confirm, CONFIRM_TTL, code);
	r = save_user(c, &u, "user_add");
	if (r == 0) {
		ul_msg_put_str(c->out, UL_F_EMAIL, email);
		ul_msg_put_bool(c->out, UL_F_CONFIRMED, false);
		r = send_code(c, "verify", email, code, UL_F_CONFIRMATION_CODE,
		    "This is your unilogin confirmation code, valid for 24 hours.\n"
		    "Confirm your email address with: unilogin verify EMAIL");
	}
	sodium_memzero(code, sizeof(code));
	return r;
}

/* U2: the code, and with it the first password when one is given. */
static int
confirm(struct ul_call *c, bool with_password)
{
	const char *pw = ul_msg_str(c->in, UL_F_NEW_PASSWORD);
	char email[UL_EMAIL_MAX + 1], hash[UL_HASH_STR_MAX] = "";
	struct ul_user u;
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0)
		return r;
	r = ul_call_user(c, email, &u);
	/* not a user's email: maybe one waiting to replace a user's (U6) */
	if (r == UL_ENOTFOUND)
		return ul_confirm_new_email(c, email, ul_msg_str(c->in, UL_F_CODE),
		    with_password ? pw : NULL);
	if (with_password && (r = ul_check_password(c, pw)) != 0)
		return r;
	if (r == 0 && u.confirmed)
		return ul_call_say(c, UL_ERULE, "%s is already confirmed", email);
	if (r == 0)
		r = check_code(c, "confirm", email, &u.confirm,
		    ul_msg_str(c->in, UL_F_CODE));
	if (r != 0)
		return ul_call_say(c, UL_EAUTH,
		    "the confirmation code is wrong or has expired");
	if (with_password && ul_kdf_hash(&c->h->conf, pw, hash) != 0)
		return ul_call_say(c, UL_ENOMEM, "cannot hash the password");
	u.confirmed = true;
	memset(&u.confirm, 0, sizeof(u.confirm));
	if (with_password)
		ul_user_set_password(&u, hash);
	r = save_user(c, &u, "user_confirm");
	if (r == 0)
		ul_call_say(c, 0, "%s is confirmed", email);
	return r;
}

int
ul_h_user_verify(struct ul_call *c)
{
	return confirm(c, false);
}

int
ul_h_self_verify(struct ul_call *c)
{
	return confirm(c, true);
}

int
ul_h_user_passwd(struct ul_call *c)
{
	const char *pw = ul_msg_str(c->in, UL_F_NEW_PASSWORD);
	char email[UL_EMAIL_MAX + 1], hash[UL_HASH_STR_MAX];
	struct ul_user u;
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0 || (r = ul_check_password(c, pw)) != 0 ||
	    (r = ul_call_user(c, email, &u)) != 0)
		return r;
	if (ul_kdf_hash(&c->h->conf, pw, hash) != 0)
		return ul_call_say(c, UL_ENOMEM, "cannot hash the password");
	ul_user_set_password(&u, hash);
	r = save_user(c, &u, "user_passwd");
	if (r == 0)
		ul_call_say(c, 0, "password of %s changed for every product", email);
	return r;
}

static const char reset_text[] =
    "This is your unilogin password reset code, valid for 1 hour.\n"
    "Set a new password with: unilogin reset EMAIL";

int
ul_h_user_reset(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1], code[UL_CODE_TEXT_MAX];
	struct ul_user u;
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0 || (r = ul_call_user(c, email, &u)) != 0)
		return r;
	issue_code(c, "reset", email, &u.reset, RESET_TTL, code);
	r = save_user(c, &u, "reset_code");
	if (r == 0) {
		ul_msg_put_str(c->out, UL_F_EMAIL, email);
		r = send_code(c, "reset", email, code, UL_F_RESET_CODE, reset_text);
	}
	sodium_memzero(code, sizeof(code));
	return r;
}

int
ul_h_self_reset_send(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1], code[UL_CODE_TEXT_MAX];
	struct ul_user u;
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0)
		return r;
	if (c->h->conf.delivery_command[0] == '\0')
		return ul_call_say(c, UL_ERULE, "no delivery command is set up here: "
		    "ask an administrator for a reset code");
	/* The answer is the same whether or not the address is known. */
	if (ul_call_user(c, email, &u) == 0 && u.confirmed) {
		issue_code(c, "reset", email, &u.reset, RESET_TTL, code);
		if (save_user(c, &u, "reset_code") == 0 &&
		    send_code(c, "reset", email, code, UL_F_RESET_CODE, reset_text) != 0)
			ul_log(LOG_ERR, "reset code for %s not delivered", email);
		sodium_memzero(code, sizeof(code));
	}
	return ul_call_say(c, 0, "If %s is a known address, a reset code was sent.",
	    email);
}

int
ul_h_self_reset(struct ul_call *c)
{
	const char *pw = ul_msg_str(c->in, UL_F_NEW_PASSWORD);
	char email[UL_EMAIL_MAX + 1], hash[UL_HASH_STR_MAX];
	struct ul_user u;
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0 || (r = ul_check_password(c, pw)) != 0)
		return r;
	r = ul_call_user(c, email, &u);
	if (r == 0)
		r = check_code(c, "reset", email, &u.reset, ul_msg_str(c->in, UL_F_CODE));
	if (r != 0)
		return ul_call_say(c, UL_EAUTH, "the reset code is wrong or has expired");
	if (ul_kdf_hash(&c->h->conf, pw, hash) != 0)
		return ul_call_say(c, UL_ENOMEM, "cannot hash the password");
	ul_user_set_password(&u, hash);
	memset(&u.reset, 0, sizeof(u.reset));
	r = save_user(c, &u, "password_reset");
	if (r == 0)
		ul_call_say(c, 0, "password of %s changed for every product", email);
	return r;
}

static void
put_user(struct ul_msg *m, const struct ul_user *u)
{
	ul_msg_put_str(m, UL_F_EMAIL, u->email);
	ul_msg_put_bool(m, UL_F_CONFIRMED, u->confirmed);
	ul_msg_put_bool(m, UL_F_LOCKED, u->locked);
	ul_msg_put_bool(m, UL_F_HAS_PASSWORD, u->pwhash[0] != '\0');
}

int
ul_h_user_show(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1];
	struct ul_failures f;
	struct ul_user u;
	struct ul_txn *t;
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0 || (r = ul_call_txn(c, false, &t)) != 0)
		return r;
	r = ul_store_user_get(t, email, &u);
	if (r == 0 && ul_store_failures_get(t, email, &f) != 0)
		memset(&f, 0, sizeof(f));
	ul_txn_abort(t);
	if (r == UL_ENOTFOUND)
		return ul_call_say(c, r, "no user %s", email);
	if (r != 0)
		return r;
	put_user(c->out, &u);
	ul_msg_put_int(c->out, UL_F_CREATED, u.created);
	if (u.pending_email[0])
		ul_msg_put_str(c->out, UL_F_PENDING_EMAIL, u.pending_email);
	if (f.locked_out_until > ul_now())
		ul_msg_put_int(c->out, UL_F_LOCKED_OUT_UNTIL, f.locked_out_until);
	return 0;
}

int
ul_h_user_list(struct ul_call *c)
{
	const char *after = ul_msg_str(c->in, UL_F_AFTER);
	char last[UL_EMAIL_MAX + 1];
	struct ul_user u;
	struct ul_txn *t;
	int r = ul_call_txn(c, false, &t);

	if (r != 0)
		return r;
	snprintf(last, sizeof(last), "%s", after ? after : "");
	while ((r = ul_store_user_next(t, last, &u)) == 0) {
		if (ul_page_full(c->out)) {
			ul_msg_put_str(c->out, UL_F_NEXT, last);
			break;
		}
		ul_msg_put_mark(c->out, UL_F_RECORD);
		put_user(c->out, &u);
		memcpy(last, u.email, sizeof(last));
	}
	ul_txn_abort(t);
	return r == UL_ENOTFOUND ? 0 : r;
}

static int
set_locked(struct ul_call *c, bool locked)
{
	char email[UL_EMAIL_MAX + 1];
	struct ul_user u;
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0 || (r = ul_call_user(c, email, &u)) != 0)
		return r;
	u.locked = locked;
	r = save_user(c, &u, locked ? "user_lock" : "user_unlock");
	if (r == 0)
		ul_call_say(c, 0, "%s is %s", email, locked ? "locked" : "unlocked");
	return r;
}

int
ul_h_user_lock(struct ul_call *c)
{
	return set_locked(c, true);
}

int
ul_h_user_unlock(struct ul_call *c)
{
	return set_locked(c, false);
}

/* U7: its two-factor methods, teammate roles, remembered hosts and API
 * keys end with it. */
static int
forget_all(struct ul_txn *t, const char *email)
{
	char product[UL_PRODUCT_MAX + 1], account[UL_ACCOUNT_MAX + 1];
	char role[UL_ROLE_MAX + 1];
	struct ul_method m;
	struct ul_apikey k;
	int r = 0;

	while (r == 0 && ul_store_method_next(t, email, 0, &m) == 0)
		r = ul_store_method_del(t, email, m.id);
	/* U7: its teammate roles end */
	while (r == 0 && ul_store_membership_next(t, email, "", "", product, account,
		role) == 0)
		r = ul_store_member_del(t, product, account, email);
	while (r == 0 && ul_store_apikey_next(t, email, "", &k) == 0)
		r = ul_store_apikey_del(t, k.id);
	return r != 0 ? r : ul_store_remember_clear(t, email);
}

/* U7: its accounts become legacy accounts with no password. */
static int
unlink_all(struct ul_txn *t, const char *email, unsigned *n)
{
	struct ul_account a;
	int r;

	*n = 0;
	while ((r = ul_store_owned_next(t, email, "", &a)) == 0) {
		a.owner[0] = '\0';
		a.pwhash[0] = '\0';
		r = ul_store_account_put(t, &a);
		if (r != 0)
			return r;
		(*n)++;
	}
	return r == UL_ENOTFOUND ? 0 : r;
}

int
ul_h_user_delete(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1], detail[64];
	struct ul_event e = {.event = "user_delete", .detail = detail};
	struct ul_user u;
	struct ul_txn *t;
	unsigned n = 0;
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0 || (r = ul_call_txn(c, true, &t)) != 0)
		return r;
	e.email = email;
	r = ul_store_user_get(t, email, &u);
	if (r == 0)
		r = unlink_all(t, email, &n);
	if (r == 0)
		r = forget_all(t, email);
	if (r == 0)
		r = ul_store_user_del(t, email);
	if (r == 0)
		r = ul_store_failures_del(t, email);
	snprintf(detail, sizeof(detail), "%u accounts unlinked", n);
	if (r == 0)
		r = ul_audit(c, t, &e);
	if (r != 0) {
		ul_txn_abort(t);
		return r == UL_ENOTFOUND ? ul_call_say(c, r, "no user %s", email) : r;
	}
	r = ul_call_commit(c, t);
	if (r == 0)
		ul_call_say(c, 0, "%s deleted; %u linked accounts are now legacy "
		    "accounts with no password", email, n);
	return r;
}
