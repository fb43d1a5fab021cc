/* The login path: status, LOOKUP, LOGIN_BEGIN, the legacy login and the
 * account check.
 *
 * S1: a wrong email, a wrong password and "no access to this account" take
 * the same path as a right password that needs a code: one argon2id verify
 * (against a dummy hash when there is no user or no password), one
 * committed write (the failure counter, or the audit record), and the same
 * answer: NEED_CODE with a ticket.  The ticket remembers whether the
 * password was right; LOGIN_CODE then fails a bad ticket as it fails a bad
 * code.  S2: states are told only after the right password. */
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
#include "unilogin/error.h"

int
ul_h_status(struct ul_call *c)
{
	struct ul_store_counts n;
	struct ul_txn *t;
	int r = ul_call_read(c, &t);

	if (r != 0)
		return r;
	r = ul_store_counts(t, &n);
	ul_txn_abort(t);
	if (r != 0)
		return r;
	ul_msg_put_str(c->out, UL_F_VERSION, PACKAGE_VERSION);
	if (c->h->conf.product[0])
		ul_msg_put_str(c->out, UL_F_PRODUCT, c->h->conf.product);
	ul_msg_put_int(c->out, UL_F_USERS, (int64_t)n.users);
	ul_msg_put_int(c->out, UL_F_PRODUCTS, (int64_t)n.products);
	ul_msg_put_int(c->out, UL_F_ACCOUNTS, (int64_t)n.accounts);
	ul_msg_put_int(c->out, UL_F_KDF_RUNS, (int64_t)ul_kdf_runs());
	ul_msg_put_int(c->out, UL_F_COMMITS, (int64_t)n.commits);
	ul_msg_put_int(c->out, UL_F_BATCHES, (int64_t)n.batches);
	ul_msg_put_int(c->out, UL_F_BATCHED, (int64_t)n.batched);
	ul_msg_put_int(c->out, UL_F_TICKETS, (int64_t)ul_tickets_count(c->h->tickets));
	return 0;
}

int
ul_h_lookup(struct ul_call *c)
{
	struct ul_account a;
	struct ul_txn *t;
	int r = ul_call_read(c, &t);

	if (r != 0)
		return r;
	r = ul_find_account(c, t, &a);
	ul_txn_abort(t);
	if (r != 0)
		return r;
	ul_msg_put_str(c->out, UL_F_KIND, a.owner[0] ? "linked" : "legacy");
	ul_msg_put_str(c->out, UL_F_ACCOUNT, a.name);
	return 0;
}

struct login {
	char email[UL_EMAIL_MAX + 1];       /* normalised */
	bool email_valid;
	char failkey[UL_PRODUCT_MAX + UL_ACCOUNT_MAX + 16]; /* S3 counter */
	struct ul_user user;
	bool user_found;
	struct ul_account account;
	bool locked_out;
	char role[65];
};

static void
wipe_login(struct login *l)
{
	sodium_memzero(l, sizeof(*l));
}

static int
load_login(struct ul_call *c, struct login *l)
{
	const char *raw = ul_call_arg(c, UL_F_EMAIL);
	struct ul_txn *t;
	int r;

	if (raw == NULL || ul_call_arg(c, UL_F_PASSWORD) == NULL)
		return UL_EINVAL;
	l->email_valid = ul_email_normalise(raw, l->email) == 0;
	if (l->email_valid)
		memcpy(l->failkey, l->email, sizeof(l->email));
	r = ul_call_read(c, &t);
	if (r != 0)
		return r;
	/* the three reads below at once where each is a round trip */
	if (l->email_valid)
		ul_store_prefetch(t, &(struct ul_prefetch){.email = l->email,
		    .counter = true, .product = ul_call_arg(c, UL_F_PRODUCT),
		    .unix_user = ul_call_arg(c, UL_F_UNIX_USER)});
	r = ul_find_account(c, t, &l->account);
	if (r == 0 && l->email_valid) {
		r = ul_store_user_get(t, l->email, &l->user);
		l->user_found = r == 0;
		if (r == UL_ENOTFOUND)
			r = 0;
	}
	l->locked_out = r == 0 && ul_auth_locked_out(t, l->failkey);
	ul_txn_abort(t);
	return r;
}

/* Re-hashes at the new cost (U3) the password that just matched: the
 * user's, or the legacy account's, only if it is still the hash that
 * matched (a change made during the hash wins). */
static int
store_rehash(struct ul_txn *t, struct login *l, const char *rehash)
{
	int r = l->user_found
	    ? ul_store_user_rehash(t, &l->user, l->user.pwhash, rehash)
	    : ul_store_account_set_password(t, &l->account, l->account.pwhash, rehash);

	return r == UL_ECONFLICT ? 0 : r;
}

struct outcome {
	struct login *l;
	int outcome;
	const char *why, *rehash;
};

static int
record_outcome(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct outcome *o = arg;
	struct login *l = o->l;
	struct ul_event e = {.event = o->outcome == UL_ENEEDCODE ? "login_password" :
	    "login", .email = l->email_valid ? l->email : NULL,
	    .product = l->account.product, .account = l->account.name,
	    .detail = o->why};
	int r = 0;

	if (o->outcome == UL_EAUTH && l->failkey[0])
		r = ul_auth_failure(c, t, l->failkey);
	else if (o->outcome == 0 && l->failkey[0])
		r = ul_auth_success(c, t, l->failkey);
	if (r == UL_ELOCKEDOUT) {
		o->outcome = r;
		e.detail = "locked out meanwhile";
		r = 0;
	}
	if (r == 0 && o->rehash != NULL && o->outcome != UL_ELOCKEDOUT)
		r = store_rehash(t, l, o->rehash);
	e.result = o->outcome;
	if (r == 0)
		r = ul_audit(c, t, &e);
	return r != 0 ? ul_call_say(c, r, "the store failed: %s", ul_strerror(r)) : 0;
}

/* Records the outcome in one change: the failure counter (or its reset), a
 * re-hash at the new cost, and the audit record.  The counter's intents
 * refuse while the key is locked out: a try that raced with the lockout
 * gets UL_ELOCKEDOUT, whatever its password (S3).  Every hash is done
 * here; only a failure to count keeps the KDF place until it is on disk,
 * so that at most kdf_parallel hashes pass a lockout check before the
 * failures they make are counted (S3's bound); the others let the next
 * login hash while their commit waits for the disk. */
static int
finish_login(struct ul_call *c, struct login *l, int outcome, const char *why,
    const char *rehash)
{
	struct outcome o = {.l = l, .outcome = outcome, .why = why, .rehash = rehash};
	int r;

	if (outcome != UL_EAUTH)
		ul_call_kdf_give(c);
	r = ul_call_write(c, record_outcome, &o);

	return r != 0 ? r : o.outcome;
}

/* After the right password: who may pass, who is told what (S2), and
 * whether a code is needed (T6, T7). */
static int
decide(struct ul_call *c, struct login *l, const char **why)
{
	const char *rhost = ul_msg_str(c->in, UL_F_RHOST);
	struct ul_tfa_state s;
	struct ul_txn *t;
	int r;

	/* The person proved this identity: its own state may be told;
	 * whether it may use this account may not (S1). */
	r = ul_auth_user_state(&l->user);
	*why = r != 0 ? ul_strerror(r) : NULL;
	if (r != 0 || (r = ul_call_read(c, &t)) != 0)
		return r;
	/* a store that did not answer is no wrong password: not counted */
	r = ul_auth_role(t, &l->account, l->email, l->role, sizeof(l->role));
	if (r == UL_ENOTFOUND) {
		*why = "no access to this account";
		r = UL_EAUTH;
	}
	if (r == 0)
		r = ul_auth_account_state(t, &l->account);
	if (r == 0)
		r = ul_tfa_state(t, l->email, &s);
	if (r == 0 && s.active > 0)
		r = ul_tfa_remembered(c, t, &l->user, rhost) ? 0 : UL_ENEEDCODE;
	else if (r == 0 && c->h->conf.tfa_required)
		r = UL_ETFAREQUIRED;
	ul_txn_abort(t);
	if (*why == NULL && r != 0 && r != UL_ENEEDCODE)
		*why = ul_strerror(r);
	if (r == 0 && s.active > 0)
		*why = "remembered host";
	return r;
}

/* A wrong answer and a right password that needs a code both get a ticket
 * and the code prompt (S1); only the ticket knows which. */
static int
ask_code(struct ul_call *c, struct login *l, bool good)
{
	struct ul_ticket tk = {.purpose = UL_TICKET_LOGIN, .good = good};
	const char *rhost = ul_msg_str(c->in, UL_F_RHOST);

	memcpy(tk.email, l->email, sizeof(tk.email));
	memcpy(tk.product, l->account.product, sizeof(tk.product));
	memcpy(tk.account, l->account.name, sizeof(tk.account));
	/* rhost comes only from uid 0 (the dispatch table drops it) */
	if (rhost != NULL)
		snprintf(tk.rhost, sizeof(tk.rhost), "%s", rhost);
	return ul_ticket_reply(c, &tk, UL_ENEEDCODE);
}

int
ul_h_login_begin(struct ul_call *c)
{
	static struct login zero;
	struct login l UL_WIPED(wipe_login) = zero;
	const char *pw = ul_msg_str(c->in, UL_F_PASSWORD);
	char buf[UL_HASH_STR_MAX] UL_WIPED(ul_wipe_hash);
	const char *why = NULL, *rehash = NULL;
	int r;

	r = load_login(c, &l);
	if (r != 0)
		return r;
	if (l.locked_out) {
		ul_log(LOG_NOTICE, "login refused: %s is locked out", l.email);
		return UL_ELOCKEDOUT;   /* no KDF while locked out (S3) */
	}
	r = ul_auth_password(c, l.user_found ? l.user.pwhash : NULL, pw);
	if (r != 0) {
		why = l.user_found ? "wrong password" : "unknown email";
	} else {
		r = decide(c, &l, &why);
		if (r == 0 || r == UL_ENEEDCODE)
			rehash = ul_auth_rehash(c, l.user.pwhash, pw, buf);
	}
	r = finish_login(c, &l, r, why, rehash);
	if (r == UL_EAUTH || r == UL_ENEEDCODE)
		r = ask_code(c, &l, r == UL_ENEEDCODE);
	if (r == 0) {
		ul_msg_put_str(c->out, UL_F_EMAIL, l.email);
		ul_msg_put_str(c->out, UL_F_ACCOUNT, l.account.name);
		ul_msg_put_str(c->out, UL_F_ROLE, l.role);
	}
	return r;
}

/* L1: a legacy account's own password.  Once the account is linked its
 * legacy password stops working (L5): it takes the wrong-password path. */
int
ul_h_login_legacy(struct ul_call *c)
{
	static struct login zero;
	struct login l UL_WIPED(wipe_login) = zero;
	const char *pw = ul_call_arg(c, UL_F_PASSWORD);
	char buf[UL_HASH_STR_MAX] UL_WIPED(ul_wipe_hash);
	const char *why = NULL, *rehash = NULL;
	struct ul_txn *t;
	bool usable;
	int r;

	if (pw == NULL || (r = ul_call_read(c, &t)) != 0)
		return UL_EINVAL;
	r = ul_find_account(c, t, &l.account);
	snprintf(l.failkey, sizeof(l.failkey), "legacy:%s/%s", l.account.product,
	    l.account.name);
	l.locked_out = r == 0 && ul_auth_locked_out(t, l.failkey);
	ul_txn_abort(t);
	if (r != 0)
		return r;
	if (l.locked_out)
		return UL_ELOCKEDOUT;
	usable = l.account.owner[0] == '\0';
	r = ul_auth_password(c, usable ? l.account.pwhash : NULL, pw);
	if (r != 0) {
		why = usable ? "wrong password" : "legacy password of a linked account (L5)";
	} else if ((r = ul_call_read(c, &t)) == 0) {
		r = ul_auth_account_state(t, &l.account);
		ul_txn_abort(t);
		why = r != 0 ? ul_strerror(r) : NULL;
		if (r == 0)
			rehash = ul_auth_rehash(c, l.account.pwhash, pw, buf);
	}
	r = finish_login(c, &l, r, why, rehash);
	if (r == 0) {
		ul_msg_put_str(c->out, UL_F_ACCOUNT, l.account.name);
		ul_msg_put_str(c->out, UL_F_ROLE, "owner");
	}
	return r;
}

int
ul_h_account_check(struct ul_call *c)
{
	const char *raw = ul_msg_str(c->in, UL_F_EMAIL);
	char email[UL_EMAIL_MAX + 1], role[65];
	struct ul_account a UL_WIPED(ul_wipe_account);
	struct ul_user u UL_WIPED(ul_wipe_user);
	struct ul_txn *t;
	bool named = raw != NULL && raw[0] != '\0';
	bool valid = named && ul_email_normalise(raw, email) == 0;
	int r = ul_call_read(c, &t);

	if (r != 0)
		return r;
	/* the account and the user at once where each is a round trip */
	if (valid)
		ul_store_prefetch(t, &(struct ul_prefetch){.email = email,
		    .product = ul_call_arg(c, UL_F_PRODUCT),
		    .unix_user = ul_call_arg(c, UL_F_UNIX_USER)});
	r = ul_find_account(c, t, &a);
	if (r == 0)
		r = ul_auth_account_state(t, &a);
	if (r == 0 && named) {
		bool found = false;

		if (valid)
			r = ul_auth_user_get(t, email, &u, &found);
		/* a store that did not answer is told as such, not as no access */
		if (r == 0 && (!found ||
		    (r = ul_auth_role(t, &a, email, role, sizeof(role))) == UL_ENOTFOUND))
			r = UL_EAUTH;
		else if (r == 0)
			r = ul_auth_user_state(&u);
	}
	ul_txn_abort(t);
	return r;
}
