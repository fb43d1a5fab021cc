/* The login path: status, LOOKUP, LOGIN_BEGIN and the account check.
 *
 * S1: a wrong email, a wrong password and "no access to this account" take
 * the same path: one argon2id verify (against a dummy hash when there is no
 * user or no password), one write of the failure counter, one audit record,
 * and the same answer.  S2: states are told only after the right password. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/email.h"
#include "helper/handlers.h"
#include "helper/kdf.h"
#include "helper/log.h"
#include "unilogin/error.h"

int
ul_h_status(struct ul_call *c)
{
	struct ul_store_counts n;
	struct ul_txn *t;
	int r = ul_call_txn(c, false, &t);

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
	return 0;
}

/* The product account that PAM_USER names on this product. */
static int
find_account(struct ul_call *c, struct ul_txn *t, struct ul_account *a)
{
	const char *product = ul_call_arg(c, UL_F_PRODUCT);
	const char *unix_user = ul_call_arg(c, UL_F_UNIX_USER);
	int r;

	if (product == NULL || unix_user == NULL)
		return UL_EINVAL;
	r = ul_store_account_by_unix(t, product, unix_user, a);
	if (r == UL_ENOTFOUND)
		return ul_call_say(c, UL_ENOACCOUNT, "%s is no account of product %s",
		    unix_user, product);
	return r;
}

int
ul_h_lookup(struct ul_call *c)
{
	struct ul_account a;
	struct ul_txn *t;
	int r = ul_call_txn(c, false, &t);

	if (r != 0)
		return r;
	r = find_account(c, t, &a);
	ul_txn_abort(t);
	if (r != 0)
		return r;
	ul_msg_put_str(c->out, UL_F_KIND, a.owner[0] ? "linked" : "legacy");
	ul_msg_put_str(c->out, UL_F_ACCOUNT, a.name);
	return 0;
}

/* L9, L10: the account's own state and its parent's. */
static int
account_state(struct ul_call *c, struct ul_txn *t, const struct ul_account *a)
{
	struct ul_account parent;
	enum ul_account_state s = a->state;

	if (a->parent[0] != '\0' &&
	    ul_store_account_get(t, a->product, a->parent, &parent) == 0 &&
	    parent.state > s)
		s = parent.state;
	if (s == UL_ACCOUNT_BANNED)
		return UL_EBANNED;
	if (s == UL_ACCOUNT_SUSPENDED)
		return UL_ESUSPENDED;
	(void)c;
	return 0;
}

/* The role through which `email` may use account a, or NULL (L7). */
static const char *
access_role(const struct ul_account *a, const char *email)
{
	if (a->owner[0] != '\0' && strcmp(a->owner, email) == 0)
		return "owner";
	return NULL;
}

/* What stops a user who gave the right password (S2), in the order a
 * person can act on it. */
static int
user_state(const struct ul_user *u)
{
	if (!u->confirmed)
		return UL_ENOTCONFIRMED;
	if (u->locked)
		return UL_ELOCKED;
	return 0;
}

/* S3: counts one failure for this email, locking it out at the limit. */
static int
count_failure(struct ul_call *c, struct ul_txn *t, const char *email)
{
	struct ul_failures f;
	int r = ul_store_failures_get(t, email, &f);

	if (r != 0 && r != UL_ENOTFOUND)
		return r;
	f.count++;
	f.last = ul_now();
	if (f.count >= c->h->conf.lockout_attempts) {
		f.locked_out_until = f.last + c->h->conf.lockout_seconds;
		f.count = 0;
		ul_log(LOG_WARNING, "lockout: %s for %u s after %u failures", email,
		    c->h->conf.lockout_seconds, c->h->conf.lockout_attempts);
	}
	return ul_store_failures_put(t, email, &f);
}

struct login {
	char email[UL_EMAIL_MAX + 1];       /* normalised */
	bool email_valid;
	char failkey[UL_PRODUCT_MAX + UL_ACCOUNT_MAX + 16]; /* S3 counter */
	struct ul_user user;
	bool user_found;
	struct ul_account account;
	struct ul_failures failures;
};

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
	r = ul_call_txn(c, false, &t);
	if (r != 0)
		return r;
	r = find_account(c, t, &l->account);
	if (r == 0 && l->email_valid) {
		r = ul_store_user_get(t, l->email, &l->user);
		l->user_found = r == 0;
		if (r == UL_ENOTFOUND)
			r = 0;
	}
	if (r == 0 && l->failkey[0]) {
		r = ul_store_failures_get(t, l->failkey, &l->failures);
		if (r == UL_ENOTFOUND)
			r = 0;
	}
	ul_txn_abort(t);
	return r;
}

/* Re-hashes at the new cost (U3) the password that just matched: the
 * user's, or the legacy account's.  Re-reads the record first: it may have
 * changed during the hash. */
static int
store_rehash(struct ul_txn *t, struct login *l, const char *rehash)
{
	struct ul_account a;
	struct ul_user u;
	int r;

	if (l->user_found) {
		r = ul_store_user_get(t, l->email, &u);
		if (r != 0 || strcmp(u.pwhash, l->user.pwhash) != 0)
			return r;
		memcpy(u.pwhash, rehash, sizeof(u.pwhash));
		return ul_store_user_put(t, &u);
	}
	r = ul_store_account_get(t, l->account.product, l->account.name, &a);
	if (r != 0 || strcmp(a.pwhash, l->account.pwhash) != 0)
		return r;
	memcpy(a.pwhash, rehash, sizeof(a.pwhash));
	return ul_store_account_put(t, &a);
}

/* Records the outcome in one transaction: the failure counter (or its
 * reset), a re-hash at the new cost (U3), and the audit record. */
static int
finish_login(struct ul_call *c, struct login *l, int outcome, const char *why,
    const char *rehash)
{
	struct ul_event e = {.event = "login", .email = l->email_valid ? l->email : NULL,
	    .product = l->account.product, .account = l->account.name,
	    .result = outcome, .detail = why};
	struct ul_txn *t;
	int r = ul_call_txn(c, true, &t);

	if (r != 0)
		return r;
	if (outcome == UL_EAUTH && l->failkey[0])
		r = count_failure(c, t, l->failkey);
	else if (outcome == 0 && l->failures.count > 0)
		r = ul_store_failures_del(t, l->failkey);
	if (r == 0 && rehash != NULL)
		r = store_rehash(t, l, rehash);
	if (r == 0)
		r = ul_audit(c, t, &e);
	if (r != 0) {
		ul_txn_abort(t);
		return ul_call_say(c, r, "the store failed: %s", ul_strerror(r));
	}
	r = ul_call_commit(c, t);
	return r != 0 ? r : outcome;
}

/* After the right password: who may pass, and what they are told. */
static int
decide(struct ul_call *c, struct login *l, const char **why)
{
	struct ul_txn *t;
	int r;

	/* The person proved this identity: its own state may be told (S2);
	 * whether it may use this account is not (S1). */
	r = user_state(&l->user);
	if (r == 0 && access_role(&l->account, l->email) == NULL) {
		*why = "no access to this account";
		return UL_EAUTH;
	}
	if (r == 0) {
		if (ul_call_txn(c, false, &t) != 0)
			return UL_ESTORE;
		r = account_state(c, t, &l->account);
		ul_txn_abort(t);
	}
	if (r == 0 && c->h->conf.tfa_required)
		r = UL_ETFAREQUIRED;
	*why = r != 0 ? ul_strerror(r) : NULL;
	return r;
}

/* The password that matched, re-hashed when its cost is not the configured
 * one (U3); NULL when no re-hash is due. */
static const char *
maybe_rehash(struct ul_call *c, const char *hash, char out[UL_HASH_STR_MAX])
{
	if (!ul_kdf_needs_rehash(&c->h->conf, hash) ||
	    ul_kdf_hash(&c->h->conf, ul_msg_str(c->in, UL_F_PASSWORD), out) != 0)
		return NULL;
	return out;
}

int
ul_h_login_begin(struct ul_call *c)
{
	static struct login zero;
	struct login l = zero;
	char buf[UL_HASH_STR_MAX];
	const char *hash, *why = NULL, *rehash = NULL;
	int r;

	r = load_login(c, &l);
	if (r != 0)
		return r;
	if (l.failures.locked_out_until > ul_now()) {
		ul_log(LOG_NOTICE, "login refused: %s is locked out", l.email);
		return UL_ELOCKEDOUT;   /* no KDF while locked out (S3) */
	}
	hash = l.user_found && l.user.pwhash[0] ? l.user.pwhash : c->h->dummy_hash;
	r = ul_kdf_verify(hash, ul_msg_str(c->in, UL_F_PASSWORD));
	if (r != 0 || hash == c->h->dummy_hash) {
		r = UL_EAUTH;
		why = l.user_found ? "wrong password" : "unknown email";
	} else {
		r = decide(c, &l, &why);
		if (r == 0)
			rehash = maybe_rehash(c, hash, buf);
	}
	r = finish_login(c, &l, r, why, rehash);
	if (r == 0) {
		ul_msg_put_str(c->out, UL_F_EMAIL, l.email);
		ul_msg_put_str(c->out, UL_F_ACCOUNT, l.account.name);
		ul_msg_put_str(c->out, UL_F_ROLE, access_role(&l.account, l.email));
	}
	return r;
}

/* L1: a legacy account's own password.  Once the account is linked its
 * legacy password stops working (L5): it takes the wrong-password path. */
int
ul_h_login_legacy(struct ul_call *c)
{
	static struct login zero;
	struct login l = zero;
	char buf[UL_HASH_STR_MAX];
	const char *hash, *why = NULL, *rehash = NULL;
	struct ul_txn *t;
	int r;

	if (ul_call_arg(c, UL_F_PASSWORD) == NULL || (r = ul_call_txn(c, false, &t)) != 0)
		return UL_EINVAL;
	r = find_account(c, t, &l.account);
	if (r == 0) {
		snprintf(l.failkey, sizeof(l.failkey), "legacy:%s/%s", l.account.product,
		    l.account.name);
		r = ul_store_failures_get(t, l.failkey, &l.failures);
		r = r == UL_ENOTFOUND ? 0 : r;
	}
	ul_txn_abort(t);
	if (r != 0)
		return r;
	if (l.failures.locked_out_until > ul_now())
		return UL_ELOCKEDOUT;
	bool usable = l.account.owner[0] == '\0' && l.account.pwhash[0] != '\0';
	hash = usable ? l.account.pwhash : c->h->dummy_hash;
	r = ul_kdf_verify(hash, ul_msg_str(c->in, UL_F_PASSWORD));
	if (r != 0 || !usable) {
		r = UL_EAUTH;
		why = l.account.owner[0] ? "legacy password of a linked account (L5)"
					 : "wrong password";
	} else if ((r = ul_call_txn(c, false, &t)) == 0) {
		r = account_state(c, t, &l.account);
		ul_txn_abort(t);
		why = r != 0 ? ul_strerror(r) : NULL;
		if (r == 0)
			rehash = maybe_rehash(c, hash, buf);
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
	char email[UL_EMAIL_MAX + 1];
	struct ul_account a;
	struct ul_user u;
	struct ul_txn *t;
	int r = ul_call_txn(c, false, &t);

	if (r != 0)
		return r;
	r = find_account(c, t, &a);
	if (r == 0)
		r = account_state(c, t, &a);
	if (r == 0 && raw != NULL && raw[0] != '\0') {
		if (ul_email_normalise(raw, email) != 0 ||
		    ul_store_user_get(t, email, &u) != 0 || access_role(&a, email) == NULL)
			r = UL_EAUTH;
		else
			r = user_state(&u);
	}
	ul_txn_abort(t);
	return r;
}
