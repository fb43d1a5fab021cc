/* Rules shared by the login path and the self-service requests. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/core/log.h"
#include "helper/rules/auth.h"
#include "helper/rules/kdf.h"
#include "helper/rules/legacy.h"
#include "helper/rules/tfa.h"
#include "unilogin/error.h"

int
ul_auth_account_state(struct ul_txn *t, const struct ul_account *a)
{
	struct ul_account parent;
	enum ul_account_state s = a->state;

	if (a->parent[0] != '\0' &&
	    ul_store_account_get(t, a->product, a->parent, &parent) == 0 &&
	    parent.state > s)
		s = parent.state;
	sodium_memzero(&parent, sizeof(parent));
	if (s == UL_ACCOUNT_BANNED)
		return UL_EBANNED;
	if (s == UL_ACCOUNT_SUSPENDED)
		return UL_ESUSPENDED;
	return 0;
}

int
ul_auth_role(struct ul_txn *t, const struct ul_account *a, const char *email,
    char *buf, size_t n)
{
	char role[UL_ROLE_MAX + 1];
	int r;

	buf[0] = '\0';
	if (a->owner[0] == '\0')
		return UL_ENOTFOUND;    /* a legacy account: no unified user's */
	if (strcmp(a->owner, email) == 0) {
		snprintf(buf, n, "owner");
		return 0;
	}
	/* a teammate of a linked account, with the role given at invite (L7) */
	r = ul_store_member_get(t, a->product, a->name, email, role);
	if (r == 0)
		snprintf(buf, n, "%s", role);
	return r == UL_EINVAL ? UL_ENOTFOUND : r;   /* EINVAL: no such name */
}

int
ul_auth_user_get(struct ul_txn *t, const char *email, struct ul_user *u,
    bool *found)
{
	int r = ul_store_user_get(t, email, u);

	*found = r == 0;
	return r == UL_ENOTFOUND || r == UL_EINVAL ? 0 : r;
}

int
ul_auth_user_state(const struct ul_user *u)
{
	if (!u->confirmed)
		return UL_ENOTCONFIRMED;
	if (u->locked)
		return UL_ELOCKED;
	return 0;
}

bool
ul_auth_locked_out(struct ul_txn *t, const char *key)
{
	struct ul_failures f;

	return key[0] != '\0' && ul_store_failures_get(t, key, &f) == 0 &&
	    f.locked_out_until > ul_now();
}

int
ul_auth_failure(struct ul_call *c, struct ul_txn *t, const char *key)
{
	const struct ul_conf *conf = &c->h->conf;
	struct ul_failures f;
	int64_t now = ul_now();
	int r = ul_store_failure_count(t, key, conf->lockout_attempts,
	    conf->lockout_seconds, now, &f);

	if (r == 0 && f.count == 0 && f.locked_out_until > now)
		ul_log(LOG_WARNING, "lockout: %s for %u s after %u failures", key,
		    conf->lockout_seconds, conf->lockout_attempts);
	return r;
}

int
ul_auth_success(struct ul_call *c, struct ul_txn *t, const char *key)
{
	(void)c;
	return ul_store_failure_reset(t, key, ul_now());
}

int
ul_auth_password(struct ul_call *c, const char *hash, const char *password)
{
	bool real = hash != NULL && hash[0] != '\0';
	bool legacy = real && ul_legacy_is_crypt(hash);
	int r = ul_kdf_verify(real && !legacy ? hash : c->h->dummy_hash,
	    password ? password : "");

	/* M1: a hash brought from /etc/shadow costs its own crypt(3) beside
	 * the dummy argon2id, so that it takes at least an argon2id check's
	 * time (S1); the next successful login replaces it (U3) */
	if (legacy)
		r = ul_legacy_verify(hash, password ? password : "");
	return real && r == 0 ? 0 : UL_EAUTH;
}

const char *
ul_auth_rehash(struct ul_call *c, const char *hash, const char *password,
    char out[UL_HASH_STR_MAX])
{
	if (!ul_kdf_needs_rehash(&c->h->conf, hash) ||
	    ul_kdf_hash(&c->h->conf, password, out) != 0)
		return NULL;
	return out;
}

struct self_code {
	const struct ul_user *u;
	int outcome;
};

static int
self_code_change(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct self_code *k = arg;
	const char *code = ul_msg_str(c->in, UL_F_CODE);
	struct ul_event e = {.event = "self_auth", .email = k->u->email};
	struct ul_method m;
	const char *how = NULL;
	int v = ul_tfa_use(c, t, k->u, code, false, &m, &how), r;

	if (v == 0)
		v = ul_auth_success(c, t, k->u->email);
	else if (v == UL_EAUTH && (r = ul_auth_failure(c, t, k->u->email)) != 0)
		v = r;
	/* v: 0, UL_EAUTH, UL_ELOCKEDOUT, or the store failed (undone) */
	if (v != 0 && v != UL_EAUTH && v != UL_ELOCKEDOUT)
		return v;
	k->outcome = v;
	e.result = v;
	e.detail = v == 0 ? how : v == UL_EAUTH ? "wrong code" : NULL;
	return ul_audit(c, t, &e);
}

/* The code step of ul_auth_self: the code is consumed and the failure
 * counted (or the count started again) in one change. */
static int
self_code(struct ul_call *c, const struct ul_user *u)
{
	struct self_code k = {.u = u};
	int r = ul_call_write(c, self_code_change, &k);

	return r != 0 ? r : k.outcome;
}

static int
self_failed_change(struct ul_call *c, struct ul_txn *t, void *email)
{
	int r = ul_auth_failure(c, t, email);

	return r == UL_ELOCKEDOUT ? UL_ELOCKEDOUT : r;
}

/* A wrong email or password, counted (S3) in a change of its own. */
static int
self_failed(struct ul_call *c, const char *email)
{
	int r = ul_call_write(c, self_failed_change, (void *)email);

	if (r != 0 && r != UL_ELOCKEDOUT)
		ul_log(LOG_ERR, "cannot count a failure for %s", email);
	ul_log(LOG_NOTICE, "self-service by uid %u: wrong email or password "
	    "for %s", (unsigned)c->uid, email);
	if (r == UL_ELOCKEDOUT)
		return r;
	return ul_call_say(c, UL_EAUTH, "%s", ul_user_message(UL_EAUTH));
}

int
ul_auth_self(struct ul_call *c, struct ul_user *u)
{
	const char *pw = ul_call_arg(c, UL_F_PASSWORD);
	char email[UL_EMAIL_MAX + 1];
	struct ul_tfa_state s;
	struct ul_txn *t;
	bool found, out;
	int r;

	if (pw == NULL || (r = ul_call_email(c, UL_F_EMAIL, email)) != 0)
		return UL_EINVAL;
	if ((r = ul_call_read(c, &t)) != 0)
		return r;
	r = ul_auth_user_get(t, email, u, &found);
	if (r == 0 && found)
		r = ul_tfa_state(t, email, &s);
	out = r == 0 && ul_auth_locked_out(t, email);
	ul_txn_abort(t);
	/* a store that did not answer (F2): told as such (the tools exit
	 * 3); nothing hashed, nothing counted */
	if (r != 0)
		return r;
	if (out)
		return UL_ELOCKEDOUT;
	if (ul_auth_password(c, found ? u->pwhash : NULL, pw) != 0)
		return self_failed(c, email);
	r = ul_auth_user_state(u);
	if (r != 0)
		return r;
	if (s.active > 0 && (r = self_code(c, u)) != 0)
		return r == UL_EAUTH ? ul_call_say(c, r, "%s", ul_user_message(r)) : r;
	return 0;
}

#define PASSWORD_MIN 8

int
ul_check_password(struct ul_call *c, const char *pw)
{
	if (pw == NULL)
		return UL_EINVAL;
	if (strlen(pw) < PASSWORD_MIN)
		return ul_call_say(c, UL_ERULE,
		    "the password must have at least %d characters", PASSWORD_MIN);
	return 0;
}
