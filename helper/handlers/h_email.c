/* U6: a user's email moves to a new one, with every account it owns, once
 * the new email's confirmation code is entered; until then the old one
 * keeps working. */
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

#define CONFIRM_TTL (24 * 3600)

/* NEW is free for OLD: no other user has it or waits for it, and no account
 * that OLD does not own uses it (U6). */
static int
email_free(struct ul_call *c, struct ul_txn *t, const char *old, const char *new)
{
	char waiting[UL_EMAIL_MAX + 1];
	struct ul_account a;
	struct ul_user u;

	if (ul_store_user_get(t, new, &u) == 0)
		return ul_call_say(c, UL_ERULE, "U6: %s is the email of another user",
		    new);
	if (ul_store_pending_get(t, new, waiting) == 0 && strcmp(waiting, old) != 0)
		return ul_call_say(c, UL_ERULE, "U6: %s waits for its confirmation by "
		    "another user", new);
	if (ul_store_account_with_email(t, new, "", "", &a) == 0) {
		char p[UL_PRODUCT_MAX + 1] = "", n[UL_ACCOUNT_MAX + 1] = "";

		do {
			if (strcmp(a.owner, old) != 0)
				return ul_call_say(c, UL_ERULE, "U6: account %s of %s, "
				    "which %s does not own, uses %s: its owner would "
				    "lose it", a.name, a.product, old, new);
			snprintf(p, sizeof(p), "%s", a.product);
			snprintf(n, sizeof(n), "%s", a.name);
		} while (ul_store_account_with_email(t, new, p, n, &a) == 0);
	}
	return 0;
}

int
ul_h_user_set_email(struct ul_call *c)
{
	char old[UL_EMAIL_MAX + 1], new[UL_EMAIL_MAX + 1], code[UL_CODE_TEXT_MAX];
	char canon[UL_CODE_LEN + 1], msg[512], reason[256];
	struct ul_event e = {.event = "user_set_email"};
	struct ul_user u;
	struct ul_txn *t;
	int r;

	if ((r = ul_call_email(c, UL_F_EMAIL, old)) != 0 ||
	    (r = ul_call_email(c, UL_F_NEW_EMAIL, new)) != 0)
		return r;
	if (strcmp(old, new) == 0)
		return ul_call_say(c, UL_EINVAL, "the new email is the old one");
	if ((r = ul_call_txn(c, true, &t)) != 0)
		return r;
	r = ul_store_user_get(t, old, &u);
	if (r == UL_ENOTFOUND)
		r = ul_call_say(c, r, "no user %s", old);
	if (r == 0)
		r = email_free(c, t, old, new);
	if (r == 0 && u.pending_email[0] != '\0')
		r = ul_store_pending_del(t, u.pending_email);  /* the old request ends */
	if (r == 0) {
		snprintf(u.pending_email, sizeof(u.pending_email), "%s", new);
		ul_code_new(code);
		if (ul_code_normalise(code, canon) != 0)
			canon[0] = '\0';
		ul_code_hash(c->h->keys, "confirm", new, canon, u.confirm.hash);
		sodium_memzero(canon, sizeof(canon));
		u.confirm.expires = ul_now() + CONFIRM_TTL;
		r = ul_store_pending_put(t, new, old);
	}
	if (r == 0)
		r = ul_store_user_put(t, &u);
	e.email = old;
	e.detail = new;
	if ((r = ul_call_finish(c, t, r, &e)) != 0)
		return r;
	ul_msg_put_str(c->out, UL_F_EMAIL, old);
	ul_msg_put_str(c->out, UL_F_PENDING_EMAIL, new);
	if (c->h->conf.delivery_command[0] == '\0') {
		ul_msg_put_str(c->out, UL_F_CONFIRMATION_CODE, code);
		r = ul_call_say(c, 0, "%s keeps working until the code is entered "
		    "with `unilogin verify %s`", old, new);
	} else {
		snprintf(msg, sizeof(msg), "%s\nThis is the code that moves your "
		    "unilogin to this address.\nConfirm with: unilogin verify %s\n",
		    code, new);
		r = ul_deliver(c->h->conf.delivery_command, "verify", new, msg, reason,
		    sizeof(reason));
		sodium_memzero(msg, sizeof(msg));
		if (r != 0)
			r = ul_call_say(c, UL_EDELIVERY, "created; delivery failed: %s",
			    reason);
	}
	sodium_memzero(code, sizeof(code));
	return r;
}

/* Moves everything keyed by the old email to the new one, in t. */
static int
move_user(struct ul_txn *t, struct ul_user *u, const char *new)
{
	char old[UL_EMAIL_MAX + 1], p[UL_PRODUCT_MAX + 1], n[UL_ACCOUNT_MAX + 1];
	char role[UL_ROLE_MAX + 1];
	struct ul_account a;
	struct ul_method m;
	struct ul_apikey k;
	int r = 0;

	memcpy(old, u->email, sizeof(old));
	while (r == 0 && ul_store_owned_next(t, old, "", &a) == 0) {
		snprintf(a.owner, sizeof(a.owner), "%s", new);
		if (strcmp(a.email, old) == 0)
			snprintf(a.email, sizeof(a.email), "%s", new);
		r = ul_store_account_put(t, &a);
	}
	while (r == 0 && ul_store_membership_next(t, old, "", "", p, n, role) == 0)
		if ((r = ul_store_member_del(t, p, n, old)) == 0)
			r = ul_store_member_put(t, p, n, new, role);
	/* seeds are sealed to the user's id, not the email: they move as is */
	while (r == 0 && ul_store_method_next(t, old, 0, &m) == 0)
		if ((r = ul_store_method_put(t, new, &m)) == 0)
			r = ul_store_method_del(t, old, m.id);
	while (r == 0 && ul_store_apikey_next(t, old, "", &k) == 0)
		if ((r = ul_store_apikey_del(t, k.id)) == 0) {
			snprintf(k.email, sizeof(k.email), "%s", new);
			r = ul_store_apikey_put(t, &k);
		}
	if (r == 0)
		r = ul_store_remember_clear(t, old);
	if (r == 0)
		r = ul_store_failures_del(t, old);
	if (r == 0)
		r = ul_store_pending_del(t, new);
	if (r == 0)
		r = ul_store_user_del(t, old);
	snprintf(u->email, sizeof(u->email), "%s", new);
	u->pending_email[0] = '\0';
	memset(&u->confirm, 0, sizeof(u->confirm));
	return r != 0 ? r : ul_store_user_put(t, u);
}

int
ul_confirm_new_email(struct ul_call *c, const char *new, const char *code,
    const char *password)
{
	char old[UL_EMAIL_MAX + 1], hash[UL_HASH_STR_MAX], canon[UL_CODE_LEN + 1];
	uint8_t h[UL_CODE_HASH_BYTES];
	struct ul_event e = {.event = "user_email_moved"};
	struct ul_user u;
	struct ul_txn *t;
	int r;

	if (password != NULL && password[0] != '\0' &&
	    ((r = ul_check_password(c, password)) != 0 ||
	     ul_kdf_hash(&c->h->conf, password, hash) != 0))
		return r != 0 ? r : UL_ENOMEM;
	if ((r = ul_call_txn(c, true, &t)) != 0)
		return r;
	r = ul_store_pending_get(t, new, old);
	if (r == 0)
		r = ul_store_user_get(t, old, &u);
	if (r == 0 && strcmp(u.pending_email, new) != 0)
		r = UL_EAUTH;
	if (r == 0 && (code == NULL || ul_code_normalise(code, canon) != 0))
		r = UL_EAUTH;
	if (r == 0) {
		ul_code_hash(c->h->keys, "confirm", new, canon, h);
		sodium_memzero(canon, sizeof(canon));
		if (u.confirm.expires <= ul_now() ||
		    sodium_memcmp(h, u.confirm.hash, sizeof(h)) != 0)
			r = UL_EAUTH;
	}
	if (r == 0 && password != NULL && password[0] != '\0')
		ul_user_set_password(&u, hash);
	if (r == 0)
		r = move_user(t, &u, new);
	e.email = new;
	e.detail = old;
	if (r == 0)
		r = ul_audit(c, t, &e);
	if (r != 0) {
		ul_txn_abort(t);
		return r == UL_EAUTH || r == UL_ENOTFOUND
		    ? ul_call_say(c, UL_EAUTH, "the confirmation code is wrong or has expired")
		    : r;
	}
	r = ul_call_commit(c, t);
	if (r == 0)
		ul_call_say(c, 0, "%s is now %s, with every account it owns", old, new);
	return r;
}
