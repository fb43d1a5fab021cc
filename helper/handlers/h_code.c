/* The second step of a login: LOGIN_CODE (a TOTP, SMS or recovery code
 * against the ticket of LOGIN_BEGIN), LOGIN_SMS (an empty answer asks for
 * a code by SMS), and APIKEY_LOGIN (T8: a key instead of both). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/core/log.h"
#include "helper/core/wipe.h"
#include "helper/handlers/handlers.h"
#include "helper/rules/auth.h"
#include "helper/rules/codes.h"
#include "helper/rules/keys.h"
#include "helper/rules/tfa.h"
#include "helper/rules/tickets.h"
#include "helper/store/local.h"
#include "unilogin/error.h"

/* Inside t: the code against the ticket's user, consumed when it is right.
 * Returns the outcome; u and a are the user and account as read in t;
 * *why says it for the log. */
static int
check_ticket_code(struct ul_call *c, struct ul_txn *t, const struct ul_ticket *tk,
    struct ul_user *u, struct ul_account *a, char *role, size_t rolelen,
    const char **why)
{
	const char *code = ul_msg_str(c->in, UL_F_CODE);
	struct ul_method m;
	int r;

	if (!tk->good) {
		/* as long as a code check of a user (S1, row 15) */
		if (ul_store_user_get(t, tk->email, u) != 0)
			memset(u, 0, sizeof(*u));
		ul_tfa_dummy(c, code);
		*why = "wrong email or password before the code";
		return UL_EAUTH;
	}
	memset(a, 0, sizeof(*a));
	role[0] = '\0';
	r = ul_store_user_get(t, tk->email, u);
	if (r == 0 && tk->product[0] != '\0')
		r = ul_store_account_get(t, tk->product, tk->account, a);
	if (r == UL_ENOTFOUND) {
		*why = "the user or account went away";
		return UL_EAUTH;
	}
	/* the store did not answer (a fleet's provider away): not a wrong
	 * code, nothing counted */
	if (r != 0)
		return r;
	/* the state may have changed since the password: tell it (S2) */
	r = ul_auth_user_state(u);
	if (r == 0 && tk->product[0] != '\0') {
		r = ul_auth_role(t, a, u->email, role, rolelen);
		if (r == UL_ENOTFOUND)
			r = UL_EAUTH;
		else if (r != 0)
			return r;   /* the store did not answer, as above */
	}
	if (r == 0 && tk->product[0] != '\0')
		r = ul_auth_account_state(t, a);
	if (r != 0) {
		*why = ul_strerror(r);
		return r;
	}
	r = ul_tfa_use(c, t, u, code, false, &m, why);
	if (r == UL_EAUTH)
		*why = "wrong code";
	return r;
}

/* The counter and the remembered host after the code: a right code starts
 * the count again, a wrong one counts (S3); either is refused when a
 * lockout came first.  Returns the outcome as it stands then. */
static int
count_outcome(struct ul_call *c, struct ul_txn *t, const struct ul_ticket *tk,
    const struct ul_user *u, int outcome, const char **why)
{
	int r = 0;

	if (outcome == 0) {
		r = ul_auth_success(c, t, tk->email);
		if (r == 0 && tk->rhost[0] && c->h->conf.remember_days > 0 &&
		    tk->purpose == UL_TICKET_LOGIN)
			r = ul_local_remember_put(t, tk->email, tk->rhost, ul_now(),
			    u->remember_epoch);
	} else if (outcome == UL_EAUTH && tk->good) {
		/* a wrong password was counted at LOGIN_BEGIN */
		r = ul_auth_failure(c, t, tk->email);
	}
	if (r == UL_ELOCKEDOUT) {
		*why = "locked out meanwhile";
		return r;
	}
	return r != 0 ? r : outcome;
}

struct code_check {
	struct ul_ticket tk;
	struct ul_user u;
	struct ul_account a;
	char role[65];
	char detail[256];
	int outcome;
};

/* The code, its consumption, the counter and the audit record: one change
 * (a refusal is recorded with whatever it consumed; the store failing
 * undoes it). */
static int
use_code(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct code_check *k = arg;
	const char *why = NULL;
	struct ul_event e;

	/* the counter, the user, the account and what the accept reads, at
	 * once where each is a round trip; a ticket of a wrong password
	 * asks the same (S1) */
	ul_store_prefetch(t, &(struct ul_prefetch){.email = k->tk.email,
	    .counter = true,
	    .product = k->tk.product[0] != '\0' ? k->tk.product : NULL,
	    .account = k->tk.account, .totp = true});
	if (ul_auth_locked_out(t, k->tk.email)) {
		k->outcome = UL_ELOCKEDOUT;
		return 0;
	}
	k->outcome = check_ticket_code(c, t, &k->tk, &k->u, &k->a, k->role,
	    sizeof(k->role), &why);
	k->outcome = count_outcome(c, t, &k->tk, &k->u, k->outcome, &why);
	/* a fleet: the provider away, or one that was not promoted since
	 * a failover (the step floor names another one, T3) */
	if (k->outcome == UL_EUNREACHABLE || k->outcome == UL_EUNKNOWN)
		ul_log(LOG_WARNING, "login code for %s: %s (provider down, or not "
		    "promoted after a failover: uniloginctl fleet promote)",
		    k->tk.email, ul_strerror(k->outcome));
	if (!ul_login_outcome(k->outcome))
		return ul_call_say(c, k->outcome, "the store failed: %s",
		    ul_strerror(k->outcome));
	e = (struct ul_event){.event = k->tk.purpose == UL_TICKET_LOGIN ? "login" :
	    "password_check", .email = k->tk.email, .product = k->tk.product,
	    .account = k->tk.account, .result = k->outcome, .detail = why};
	if (k->tk.sshkey[0] != '\0') {
		/* K1: the key stood for the email and the password */
		snprintf(k->detail, sizeof(k->detail), "sshkey %s%s%s", k->tk.sshkey,
		    why ? ": " : "", why ? why : "");
		e.event = "login_sshkey";
		e.detail = k->detail;
	}
	return ul_audit(c, t, &e);
}

int
ul_h_login_code(struct ul_call *c)
{
	/* one locked buffer per thread, made once and wiped after each use:
	 * sodium_malloc maps, locks and unmaps pages every time */
	static _Thread_local struct code_check *buf;
	struct code_check *k;
	int r;

	if (buf == NULL && (buf = sodium_malloc(sizeof(*buf))) == NULL)
		return UL_ENOMEM;
	k = buf;
	memset(k, 0, sizeof(*k));
	if (ul_tickets_find(c->h->tickets, ul_msg_str(c->in, UL_F_TICKET), c->uid,
		c->peer, true, &k->tk) != 0 || k->tk.purpose == UL_TICKET_CHANGE) {
		ul_log(LOG_NOTICE, "login code from uid %u: unknown or expired ticket",
		    (unsigned)c->uid);
		sodium_memzero(k, sizeof(*k));
		return UL_EAUTH;
	}
	r = ul_call_write(c, use_code, k);
	if (r == 0 && k->outcome == 0 && k->tk.purpose == UL_TICKET_PASSWD_CODE) {
		/* the code proved it: the holder may now set a new password */
		k->tk.purpose = UL_TICKET_CHANGE;
		r = ul_ticket_reply(c, &k->tk, 0);
		sodium_memzero(k, sizeof(*k));
		return r;
	}
	if (r == 0 && k->outcome == 0) {
		ul_msg_put_str(c->out, UL_F_EMAIL, k->tk.email);
		ul_msg_put_str(c->out, UL_F_ACCOUNT, k->tk.account);
		ul_msg_put_str(c->out, UL_F_ROLE, k->role);
		if (k->tk.sshkey[0] != '\0')
			ul_msg_put_str(c->out, UL_F_FINGERPRINT, k->tk.sshkey);
	}
	r = r != 0 ? r : k->outcome;
	sodium_memzero(k, sizeof(*k));      /* the ticket and the records */
	return r;
}

struct sms_send {
	const struct ul_ticket *tk;
	struct ul_tfa_state s;
	char code[16];
};

static int
new_sms(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct sms_send *m = arg;
	struct ul_user u UL_WIPED(ul_wipe_user);
	int r = ul_store_user_get(t, m->tk->email, &u);

	if (r == 0)
		r = ul_tfa_state(t, m->tk->email, &m->s);
	if (r == 0 && !m->s.sms_active)
		r = UL_ENOTFOUND;
	if (r == 0 && (r = ul_tfa_new_sms(c, t, &u, m->code)) == UL_EBUSY)
		ul_log(LOG_NOTICE, "sms for %s: send rate reached", m->tk->email);
	return r;
}

/* Sends an SMS code for the ticket's user when the password was right and
 * an SMS method is active (after the reply, which is the same in every
 * case: S1). */
static void
send_for_ticket(struct ul_call *c, const struct ul_ticket *tk)
{
	struct sms_send m = {.tk = tk};
	char reason[256];

	if (!tk->good || c->h->conf.delivery_command[0] == '\0' ||
	    ul_call_write(c, new_sms, &m) != 0) {
		sodium_memzero(&m, sizeof(m));
		return;
	}
	if (ul_tfa_send_sms(c, m.s.phone, m.code, reason, sizeof(reason)) != 0)
		ul_log(LOG_ERR, "sms for %s: delivery failed: %s", tk->email, reason);
	else
		ul_log(LOG_INFO, "sms for %s: code sent", tk->email);
	sodium_memzero(&m, sizeof(m));
}

static void
sms_later(struct ul_call *c, void *arg)
{
	send_for_ticket(c, arg);
}

/* The answer is the same in every case, and comes before anything that
 * depends on the password (the code, its commit, the delivery): S1, row 4
 * (it was a password oracle: 24 ms against 0.2 ms). */
int
ul_h_login_sms(struct ul_call *c)
{
	const char *text = ul_msg_str(c->in, UL_F_TICKET);
	struct ul_ticket tk;

	if (ul_tickets_find(c->h->tickets, text, c->uid, c->peer, false, &tk) == 0 &&
	    ul_tickets_sms(c->h->tickets, text, c->uid, c->peer) <= 3 &&
	    ul_call_later(c, sms_later, &tk, sizeof(tk)) != 0)
		ul_log(LOG_ERR, "sms for a login: out of memory");
	sodium_memzero(&tk, sizeof(tk));
	return ul_call_say(c, 0, "If an SMS method is set up, a code was sent.");
}

/* "ulk_<id>_<secret>" (C1): the id and the secret, or UL_EAUTH. */
static int
parse_key(const char *key, char id[UL_APIKEY_ID_MAX + 1], const char **secret)
{
	const char *us;

	if (key == NULL || strncmp(key, "ulk_", 4) != 0)
		return UL_EAUTH;
	us = strchr(key + 4, '_');
	if (us == NULL || us == key + 4 || (size_t)(us - key - 4) > UL_APIKEY_ID_MAX ||
	    us[1] == '\0')
		return UL_EAUTH;
	memcpy(id, key + 4, (size_t)(us - key - 4));
	id[us - key - 4] = '\0';
	*secret = us + 1;
	return 0;
}

/* T8: the key names its user and its account; it works where that
 * account's unix_user is PAM_USER and nothing is suspended, banned, locked
 * or expired. */
static int
check_key(struct ul_call *c, struct ul_txn *t, struct ul_apikey *k,
    struct ul_account *a, char *role, size_t rolelen)
{
	char id[UL_APIKEY_ID_MAX + 1];
	uint8_t h[UL_CODE_HASH_BYTES];
	const char *secret;
	struct ul_user u;
	bool found;
	int r;

	if (parse_key(ul_msg_str(c->in, UL_F_PASSWORD), id, &secret) != 0)
		return UL_EAUTH;
	/* a store that did not answer is no wrong key */
	r = ul_store_apikey_get(t, id, k);
	if (r != 0)
		return r == UL_ENOTFOUND || r == UL_EINVAL ? UL_EAUTH : r;
	ul_code_hash(c->h->keys, "apikey", id, secret, h);
	if (sodium_memcmp(h, k->hash, sizeof(h)) != 0 ||
	    (k->expires != 0 && k->expires <= ul_now()) ||
	    strcmp(k->product, a->product) != 0 || strcmp(k->account, a->name) != 0)
		return UL_EAUTH;
	if ((r = ul_auth_user_get(t, k->email, &u, &found)) != 0)
		return r;
	if (!found)
		return UL_EAUTH;
	r = ul_auth_role(t, a, k->email, role, rolelen);
	if (r != 0)
		return r == UL_ENOTFOUND ? UL_EAUTH : r;
	r = ul_auth_user_state(&u);
	return r != 0 ? r : ul_auth_account_state(t, a);
}

int
ul_h_apikey_login(struct ul_call *c)
{
	struct ul_event e = {.event = "login_apikey"};
	struct ul_account a;
	struct ul_apikey k;
	struct ul_txn *t;
	char role[65];
	int r;

	memset(&k, 0, sizeof(k));
	if ((r = ul_call_read(c, &t)) != 0)
		return r;
	r = ul_find_account(c, t, &a);
	if (r == 0)
		r = check_key(c, t, &k, &a, role, sizeof(role));
	ul_txn_abort(t);
	if (r == UL_ENOACCOUNT)
		return r;
	e.email = k.email;
	e.product = a.product;
	e.account = a.name;
	e.result = r;
	e.detail = r == 0 ? k.id : NULL;
	ul_audit_alone(c, &e);
	if (r == 0) {
		ul_msg_put_str(c->out, UL_F_EMAIL, k.email);
		ul_msg_put_str(c->out, UL_F_ACCOUNT, a.name);
		ul_msg_put_str(c->out, UL_F_ROLE, role);
	}
	sodium_memzero(&k, sizeof(k));
	return r;
}
