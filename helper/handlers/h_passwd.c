/* Password changes (U4, L1): PAM `password` and `unilogin passwd`.
 *
 * PASSWD_BEGIN checks the current password (and, like a login, asks the
 * code of a user with two-factor through LOGIN_CODE); what it hands out is a
 * change ticket, which PASSWD_CHANGE spends on the new password.  The
 * unified password changes for every product at once (U4). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/core/email.h"
#include "helper/core/wipe.h"
#include "helper/rules/auth.h"
#include "helper/handlers/handlers.h"
#include "helper/rules/kdf.h"
#include "helper/core/log.h"
#include "helper/rules/tfa.h"
#include "helper/rules/tickets.h"
#include "helper/store/local.h"
#include "unilogin/error.h"

struct note {
	const char *failkey;
	struct ul_event *e;
	bool locked_out;
};

static int
note_change(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct note *n = arg;
	int r = 0;

	if (n->failkey != NULL && n->failkey[0] != '\0' &&
	    (r = ul_auth_failure(c, t, n->failkey)) == UL_ELOCKEDOUT) {
		n->e->result = r;
		n->e->detail = "locked out meanwhile";
		n->locked_out = true;
		r = 0;
	}
	return ul_call_audited(c, t, r, n->e);
}

/* Records a failure (S3) and its audit record, in a change of its own;
 * UL_ELOCKEDOUT when a lockout came first (nothing counted). */
static int
note(struct ul_call *c, const char *failkey, struct ul_event *e)
{
	struct note n = {.failkey = failkey, .e = e};
	int r = ul_call_write(c, note_change, &n);

	return r != 0 ? r : n.locked_out ? UL_ELOCKEDOUT : 0;
}

/* A legacy account's own password (L1). */
static int
begin_legacy(struct ul_call *c, const struct ul_account *a, const char *pw)
{
	struct ul_ticket tk = {.purpose = UL_TICKET_CHANGE, .good = true, .legacy = true};
	struct ul_event e = {.event = "password_check", .product = a->product,
	    .account = a->name};
	char failkey[UL_PRODUCT_MAX + UL_ACCOUNT_MAX + 16];
	struct ul_txn *t;
	bool out;
	int r;

	snprintf(failkey, sizeof(failkey), "legacy:%s/%s", a->product, a->name);
	if ((r = ul_call_read(c, &t)) != 0)
		return r;
	out = ul_auth_locked_out(t, failkey);
	ul_txn_abort(t);
	if (out)
		return UL_ELOCKEDOUT;
	r = ul_auth_password(c, a->owner[0] ? NULL : a->pwhash, pw);
	e.result = r;
	if (r != 0)
		return note(c, failkey, &e) == UL_ELOCKEDOUT ? UL_ELOCKEDOUT : UL_EAUTH;
	if ((r = note(c, NULL, &e)) != 0)
		return r;
	snprintf(tk.product, sizeof(tk.product), "%s", a->product);
	snprintf(tk.account, sizeof(tk.account), "%s", a->name);
	return ul_ticket_reply(c, &tk, 0);
}

/* The unified password; a is the account PAM_USER names, or NULL for
 * `unilogin passwd`. */
static int
begin_unified(struct ul_call *c, const struct ul_account *a, const char *raw,
    const char *pw)
{
	struct ul_ticket tk = {.purpose = UL_TICKET_PASSWD_CODE};
	struct ul_event e = {.event = "password_check"};
	struct ul_tfa_state s = {0};
	char email[UL_EMAIL_MAX + 1], role[UL_ROLE_MAX + 1];
	struct ul_user u UL_WIPED(ul_wipe_user);
	struct ul_txn *t;
	bool valid = ul_email_normalise(raw, email) == 0, found = false, out = false;
	int r, state = 0;

	if ((r = ul_call_read(c, &t)) != 0)
		return r;
	if (valid) {
		r = ul_auth_user_get(t, email, &u, &found);
		if (r == 0 && found)
			r = ul_tfa_state(t, email, &s);
		if (r != 0) {
			/* the store did not answer: nothing hashed or counted */
			ul_txn_abort(t);
			return r;
		}
		out = ul_auth_locked_out(t, email);
		if (found && a != NULL &&
		    (r = ul_auth_role(t, a, email, role, sizeof(role))) != 0) {
			/* no access: as a wrong password (S1); a store that
			 * did not answer: told as such, nothing hashed */
			if (r != UL_ENOTFOUND) {
				ul_txn_abort(t);
				return r;
			}
			state = UL_EAUTH;
		}
	}
	ul_txn_abort(t);
	if (out)
		return UL_ELOCKEDOUT;
	r = ul_auth_password(c, found ? u.pwhash : NULL, pw);
	e.email = valid ? email : NULL;
	e.product = a ? a->product : NULL;
	e.account = a ? a->name : NULL;
	e.result = r != 0 ? r : state;
	if (r == 0 && state == 0 && (state = ul_auth_user_state(&u)) != 0)
		return state;   /* told after the right password (S2) */
	if ((r = note(c, e.result != 0 ? email : NULL, &e)) != 0)
		return r;
	snprintf(tk.email, sizeof(tk.email), "%s", valid ? email : "");
	if (a != NULL) {
		snprintf(tk.product, sizeof(tk.product), "%s", a->product);
		snprintf(tk.account, sizeof(tk.account), "%s", a->name);
	}
	tk.good = e.result == 0;
	if (tk.good && s.active == 0) {
		tk.purpose = UL_TICKET_CHANGE;  /* no code to ask */
		return ul_ticket_reply(c, &tk, 0);
	}
	/* the code is asked after a wrong answer too (S1) */
	return ul_ticket_reply(c, &tk, UL_ENEEDCODE);
}

int
ul_h_passwd_begin(struct ul_call *c)
{
	const char *pw = ul_call_arg(c, UL_F_PASSWORD);
	const char *email = ul_msg_str(c->in, UL_F_EMAIL);
	struct ul_account a UL_WIPED(ul_wipe_account);
	struct ul_txn *t;
	int r;

	if (pw == NULL)
		return UL_EINVAL;
	if (!ul_msg_has(c->in, UL_F_PRODUCT))
		return email ? begin_unified(c, NULL, email, pw)
			     : ul_call_say(c, UL_EINVAL, "missing email");
	if ((r = ul_call_read(c, &t)) != 0)
		return r;
	r = ul_find_account(c, t, &a);
	ul_txn_abort(t);
	if (r != 0)
		return r;
	if (a.owner[0] == '\0')
		return begin_legacy(c, &a, pw);
	return email ? begin_unified(c, &a, email, pw)
		     : ul_call_say(c, UL_EINVAL, "missing email");
}

/* Sets the new password where the change ticket points: the unified one
 * (U4, and T7 forgets), or the legacy account's own while it is legacy. */
static int
store_password(struct ul_call *c, struct ul_txn *t, const struct ul_ticket *tk,
    const char hash[UL_HASH_STR_MAX])
{
	struct ul_account a UL_WIPED(ul_wipe_account);
	struct ul_user u UL_WIPED(ul_wipe_user);
	int r;

	if (!tk->legacy) {
		r = ul_store_user_get(t, tk->email, &u);
		if (r == 0)
			r = ul_store_user_set_password(t, &u, hash, ul_now());
		if (r == 0)
			r = ul_local_remember_forget(t, u.email);
		return r;
	}
	r = ul_store_account_get(t, tk->product, tk->account, &a);
	if (r == 0)
		r = ul_store_account_set_password(t, &a, NULL, hash);
	if (r == UL_ECONFLICT)
		return ul_call_say(c, UL_ERULE, "L5: the account was linked meanwhile");
	return r;
}

struct new_password {
	const struct ul_ticket *tk;
	const char *hash;
	struct ul_event e;
};

static int
password_change(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct new_password *n = arg;

	return ul_call_audited(c, t, store_password(c, t, n->tk, n->hash), &n->e);
}

int
ul_h_passwd_change(struct ul_call *c)
{
	const char *pw = ul_msg_str(c->in, UL_F_NEW_PASSWORD);
	char hash[UL_HASH_STR_MAX] UL_WIPED(ul_wipe_hash);
	struct new_password n = {.hash = hash, .e = {.event = "password_change"}};
	struct ul_event *e = &n.e;
	struct ul_ticket tk;
	int r;

	if ((r = ul_check_password(c, pw)) != 0)
		return r;
	if (ul_tickets_find(c->h->tickets, ul_msg_str(c->in, UL_F_TICKET), c->uid,
		c->peer, true, &tk) != 0 || tk.purpose != UL_TICKET_CHANGE || !tk.good)
		return ul_call_say(c, UL_EAUTH, "the change was not authorised (or "
		    "took more than 5 minutes): start again");
	if (ul_kdf_hash(&c->h->conf, pw, hash) != 0)
		return ul_call_say(c, UL_ENOMEM, "cannot hash the password");
	n.tk = &tk;
	e->email = tk.legacy ? NULL : tk.email;
	e->product = tk.product;
	e->account = tk.account;
	e->detail = tk.legacy ? "legacy account" : "every product";
	r = ul_call_write(c, password_change, &n);
	if (r == 0)
		ul_call_say(c, 0, "%s", e->email ? "The password is changed for every "
		    "product." : "The account's password is changed.");
	sodium_memzero(&tk, sizeof(tk));
	return r;
}
