/* U6: a user's email moves to a new one, with every account it owns, once
 * the new email's confirmation code is entered; until then the old one
 * keeps working.  The request claims the new email (no other user can take
 * it meanwhile); the confirmation consumes the code, moves the user, then
 * each record that names it. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/core/log.h"
#include "helper/core/wipe.h"
#include "helper/handlers/handlers.h"
#include "helper/rules/auth.h"
#include "helper/rules/codes.h"
#include "helper/rules/delivery.h"
#include "helper/rules/kdf.h"
#include "helper/rules/keys.h"
#include "helper/store/local.h"
#include "unilogin/error.h"

#define CONFIRM_TTL (24 * 3600)

/* NEW is free for OLD: no other user has it or waits for it, and no account
 * that OLD does not own uses it (U6).  The claim of set_pending decides
 * for the first two; the third is a rule on accounts that an admin
 * changes. */
static int
email_free(struct ul_call *c, struct ul_txn *t, const char *old, const char *new)
{
	struct ul_account a UL_WIPED(ul_wipe_account);
	struct ul_user u UL_WIPED(ul_wipe_user);
	char waiting[UL_EMAIL_MAX + 1];
	struct ul_cursor cur = {""};
	int r;

	if (ul_store_user_get(t, new, &u) == 0)
		return ul_call_say(c, UL_ERULE, "U6: %s is the email of another user",
		    new);
	if (ul_store_pending_get(t, new, waiting) == 0 && strcmp(waiting, old) != 0)
		return ul_call_say(c, UL_ERULE, "U6: %s waits for its confirmation by "
		    "another user", new);
	while ((r = ul_store_account_with_email(t, new, &cur, &a)) == 0)
		if (strcmp(a.owner, old) != 0)
			return ul_call_say(c, UL_ERULE, "U6: account %s of %s, which %s "
			    "does not own, uses %s: its owner would lose it", a.name,
			    a.product, old, new);
	return r == UL_ENOTFOUND ? 0 : r;
}

static int
deliver_code(struct ul_call *c, const char *old, const char *new,
    const char *code)
{
	char msg[512], reason[256];
	int r;

	if (c->h->conf.delivery_command[0] == '\0') {
		ul_msg_put_str(c->out, UL_F_CONFIRMATION_CODE, code);
		return ul_call_say(c, 0, "%s keeps working until the code is entered "
		    "with `unilogin verify %s`", old, new);
	}
	snprintf(msg, sizeof(msg), "%s\nThis is the code that moves your "
	    "unilogin to this address.\nConfirm with: unilogin verify %s\n",
	    code, new);
	r = ul_deliver(c->h->conf.delivery_command, "verify", new, msg, reason,
	    sizeof(reason));
	sodium_memzero(msg, sizeof(msg));
	return r != 0 ? ul_call_say(c, UL_EDELIVERY, "created; delivery failed: %s",
	    reason) : 0;
}

struct pending {
	const char *old, *new;
	struct ul_code slot;
};

static int
set_pending(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct pending *p = arg;
	struct ul_event e = {.event = "user_set_email", .email = p->old,
	    .detail = p->new};
	struct ul_user u UL_WIPED(ul_wipe_user);
	int r = ul_store_user_get(t, p->old, &u);

	if (r == UL_ENOTFOUND)
		r = ul_call_say(c, r, "no user %s", p->old);
	if (r == 0)
		r = email_free(c, t, p->old, p->new);
	/* the claim: a new request replaces this user's earlier one */
	if (r == 0 && (r = ul_store_user_set_pending(t, &u, p->new, &p->slot)) ==
	    UL_EEXIST)
		r = ul_call_say(c, UL_ERULE, "U6: %s is the email of another user, or "
		    "waits for its confirmation by another user", p->new);
	return ul_call_audited(c, t, r, &e);
}

int
ul_h_user_set_email(struct ul_call *c)
{
	char old[UL_EMAIL_MAX + 1], new[UL_EMAIL_MAX + 1], code[UL_CODE_TEXT_MAX];
	char canon[UL_CODE_LEN + 1];
	struct pending p = {.old = old, .new = new,
	    .slot = {.expires = ul_now() + CONFIRM_TTL}};
	int r;

	if ((r = ul_call_email(c, UL_F_EMAIL, old)) != 0 ||
	    (r = ul_call_email(c, UL_F_NEW_EMAIL, new)) != 0)
		return r;
	if (strcmp(old, new) == 0)
		return ul_call_say(c, UL_EINVAL, "the new email is the old one");
	ul_code_new(code);
	if (ul_code_normalise(code, canon) != 0)
		canon[0] = '\0';
	ul_code_hash(c->h->keys, "confirm", new, canon, p.slot.hash);
	sodium_memzero(canon, sizeof(canon));
	r = ul_call_write(c, set_pending, &p);
	sodium_memzero(&p.slot, sizeof(p.slot));
	if (r == 0) {
		ul_msg_put_str(c->out, UL_F_EMAIL, old);
		ul_msg_put_str(c->out, UL_F_PENDING_EMAIL, new);
		r = deliver_code(c, old, new, code);
	}
	sodium_memzero(code, sizeof(code));
	return r;
}

/* After the user moved: each record that names it by its old email follows,
 * one intent each (accounts it owns, teammate roles, API keys), then what
 * the host and the counters kept of the old email. */
static int
move_records(struct ul_txn *t, const char *old, const char *new)
{
	char p[UL_PRODUCT_MAX + 1], n[UL_ACCOUNT_MAX + 1], role[UL_ROLE_MAX + 1];
	struct ul_account a UL_WIPED(ul_wipe_account);
	struct ul_cursor cur = {""};
	struct ul_apikey k;
	int r = 0;

	while (r == 0 && ul_store_owned_next(t, old, &cur, &a) == 0) {
		r = ul_store_account_move_email(t, &a, old, new);
		cur.token[0] = '\0';
	}
	while (r == 0 && ul_store_membership_next(t, old, &cur, p, n, role) == 0) {
		if ((r = ul_store_member_remove(t, p, n, old)) == 0)
			r = ul_store_member_set(t, p, n, new, role);
		cur.token[0] = '\0';
	}
	while (r == 0 && ul_store_apikey_next(t, old, &cur, &k) == 0) {
		r = ul_store_apikey_move(t, k.id, new);
		cur.token[0] = '\0';
	}
	sodium_memzero(&k, sizeof(k));
	if (r == 0)
		r = ul_sshkeys_move_all(t, old, new);
	if (r == 0)
		r = ul_local_remember_forget(t, old);
	return r != 0 ? r : ul_store_failure_forget(t, old);
}

/* The code consumed (the step that decides), then the password when one
 * was given, the user's move, and the records that follow it. */
static int
move_user(struct ul_call *c, struct ul_txn *t, const char *old,
    const char *new, const uint8_t h[UL_CODE_HASH_BYTES], const char *pwhash)
{
	struct ul_user u UL_WIPED(ul_wipe_user);
	int r = ul_store_user_get(t, old, &u);

	if (r == 0 && strcmp(u.pending_email, new) != 0)
		r = UL_ECONFLICT;
	if (r == 0)
		r = ul_store_code_consume(t, &u, UL_CODE_CONFIRM, h, ul_now());
	if (r == 0 && pwhash != NULL)
		r = ul_store_user_set_password(t, &u, pwhash, ul_now());
	if (r == 0)
		r = ul_store_user_move(t, &u, new);
	if (r == UL_ECONFLICT || r == UL_ENOTFOUND)
		return ul_call_say(c, UL_EAUTH,
		    "the confirmation code is wrong or has expired");
	if (r == UL_EEXIST)
		return ul_call_say(c, UL_ERULE, "U6: %s is the email of another user",
		    new);
	return r != 0 ? r : move_records(t, old, new);
}

struct email_move {
	const char *new;
	char old[UL_EMAIL_MAX + 1];
	const uint8_t *hash;
	const char *pwhash;
};

static int
move_email(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct email_move *m = arg;
	struct ul_event e = {.event = "user_email_moved", .email = m->new};
	int r = ul_store_pending_get(t, m->new, m->old);

	if (r == UL_ENOTFOUND)
		r = ul_call_say(c, UL_EAUTH,
		    "the confirmation code is wrong or has expired");
	if (r == 0)
		r = move_user(c, t, m->old, m->new, m->hash, m->pwhash);
	e.detail = m->old;
	return ul_call_audited(c, t, r, &e);
}

int
ul_confirm_new_email(struct ul_call *c, const char *new, const char *code,
    const char *password)
{
	char hash[UL_HASH_STR_MAX] UL_WIPED(ul_wipe_hash);
	char canon[UL_CODE_LEN + 1];
	uint8_t h[UL_CODE_HASH_BYTES];
	bool with_password = password != NULL && password[0] != '\0';
	struct email_move m = {.new = new, .hash = h};
	int r;

	if (code == NULL || ul_code_normalise(code, canon) != 0)
		return ul_call_say(c, UL_EAUTH,
		    "the confirmation code is wrong or has expired");
	ul_code_hash(c->h->keys, "confirm", new, canon, h);
	sodium_memzero(canon, sizeof(canon));
	if (with_password && ((r = ul_check_password(c, password)) != 0 ||
	     ul_kdf_hash(&c->h->conf, password, hash) != 0))
		return r != 0 ? r : UL_ENOMEM;
	m.pwhash = with_password ? hash : NULL;
	r = ul_call_write(c, move_email, &m);
	sodium_memzero(h, sizeof(h));
	if (r == 0)
		ul_call_say(c, 0, "%s is now %s, with every account it owns", m.old, new);
	return r;
}
