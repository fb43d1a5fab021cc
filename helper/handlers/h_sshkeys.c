/* SSH keys (K1): added, listed and removed by an admin or by their user
 * (after email, password and code, T5); answered to unilogin-keys for
 * sshd's AuthorizedKeysCommand; and the login step that follows a key sshd
 * accepted (only the code is asked).
 *
 * A key opens an account exactly when its user may log in to it: the
 * key lines of an account are computed at every lookup from the owner and
 * the teammates (L7), the user's state (U2, U7) and the account's (L9,
 * L10), so they end with that right.  An automation key opens its one
 * account only. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/sshkey.h"
#include "helper/core/log.h"
#include "helper/core/wipe.h"
#include "helper/handlers/handlers.h"
#include "helper/rules/auth.h"
#include "helper/rules/codes.h"
#include "helper/rules/tfa.h"
#include "helper/rules/tickets.h"
#include "unilogin/error.h"

#define KEY_ID_LEN 8

/* ---- adding ---- */

struct new_key {
	struct ul_sshkey k;
};

/* Inside the change: the user is there, the automation account is one it
 * may use, and the claim of id and fingerprint (the store's). */
static int
store_key(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct new_key *n = arg;
	struct ul_sshkey *k = &n->k;
	struct ul_event e = {.event = "sshkey_add", .email = k->email,
	    .product = k->product, .account = k->account, .detail = k->fingerprint};
	struct ul_account a UL_WIPED(ul_wipe_account);
	struct ul_user u UL_WIPED(ul_wipe_user);
	char role[65];
	int r = ul_store_user_get(t, k->email, &u);

	if (r == UL_ENOTFOUND)
		r = ul_call_say(c, r, "no user %s", k->email);
	if (r == 0 && k->automation) {
		r = ul_store_account_get(t, k->product, k->account, &a);
		if (r == UL_ENOTFOUND)
			r = ul_call_say(c, r, "no account %s of %s", k->account, k->product);
		else if (r == 0 && (r = ul_auth_role(t, &a, k->email, role,
		    sizeof(role))) == UL_ENOTFOUND)
			r = ul_call_say(c, UL_ERULE, "K1: %s has no access to account %s of %s",
			    k->email, k->account, k->product);
	}
	if (r == 0 && (r = ul_store_sshkey_create(t, k)) == UL_EEXIST)
		r = ul_call_say(c, r, "this key (%s) belongs to a unified user already: "
		    "a key belongs to one user", k->fingerprint);
	return ul_call_audited(c, t, r, &e);
}

static int
add_key(struct ul_call *c, const char *email)
{
	const char *line = ul_msg_str(c->in, UL_F_SSHKEY);
	const char *account = ul_msg_str(c->in, UL_F_ACCOUNT);
	const char *product = ul_msg_str(c->in, UL_F_PRODUCT);
	struct ul_sshkey_info info;
	struct new_key n;
	char why[256];
	int r;

	memset(&n, 0, sizeof(n));
	if (line == NULL)
		return ul_call_say(c, UL_EINVAL, "no key given");
	if (ul_sshkey_parse(line, strlen(line), &info, why, sizeof(why)) != 0)
		return ul_call_say(c, UL_EBADKEY, "key refused: %s", why);
	if (ul_msg_bool(c->in, UL_F_AUTOMATION)) {
		if (account == NULL || account[0] == '\0')
			return ul_call_say(c, UL_EINVAL, "--automation names the one "
			    "account the key may open");
		if (product == NULL || product[0] == '\0')
			product = c->product ? c->product : c->h->conf.product;
		if (product[0] == '\0')
			return ul_call_say(c, UL_EINVAL, "--automation needs --product "
			    "(no product in the config)");
		n.k.automation = true;
		snprintf(n.k.product, sizeof(n.k.product), "%s", product);
		snprintf(n.k.account, sizeof(n.k.account), "%s", account);
	}
	ul_code_random(n.k.id, KEY_ID_LEN, true, false);
	snprintf(n.k.email, sizeof(n.k.email), "%s", email);
	memcpy(n.k.type, info.type, sizeof(info.type));
	memcpy(n.k.blob, info.blob, sizeof(info.blob));
	memcpy(n.k.comment, info.comment, sizeof(info.comment));
	memcpy(n.k.fingerprint, info.fingerprint, sizeof(info.fingerprint));
	n.k.bits = info.bits;
	n.k.created = ul_now();
	r = ul_call_write(c, store_key, &n);
	if (r != 0)
		return r;
	ul_msg_put_str(c->out, UL_F_ID, n.k.id);
	ul_msg_put_str(c->out, UL_F_FINGERPRINT, n.k.fingerprint);
	return ul_call_say(c, 0, "SSH key %s added: %s %s", n.k.id, n.k.type,
	    n.k.fingerprint);
}

int
ul_h_sshkey_add(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1];
	int r = ul_call_email(c, UL_F_EMAIL, email);

	return r != 0 ? r : add_key(c, email);
}

/* ---- listing and removing ---- */

static void
put_key(struct ul_call *c, const struct ul_sshkey *k)
{
	ul_msg_put_mark(c->out, UL_F_RECORD);
	ul_msg_put_str(c->out, UL_F_ID, k->id);
	ul_msg_put_str(c->out, UL_F_KEY_TYPE, k->type);
	ul_msg_put_int(c->out, UL_F_BITS, k->bits);
	ul_msg_put_str(c->out, UL_F_FINGERPRINT, k->fingerprint);
	if (k->comment[0])
		ul_msg_put_str(c->out, UL_F_COMMENT, k->comment);
	ul_msg_put_bool(c->out, UL_F_AUTOMATION, k->automation);
	if (k->automation) {
		ul_msg_put_str(c->out, UL_F_PRODUCT, k->product);
		ul_msg_put_str(c->out, UL_F_ACCOUNT, k->account);
	}
	ul_msg_put_int(c->out, UL_F_CREATED, k->created);
}

static int
list_keys(struct ul_call *c, const char *email)
{
	struct ul_cursor cur;
	struct ul_sshkey k;
	struct ul_txn *t;
	int r = ul_call_cursor(c, &cur);

	if (r != 0 || (r = ul_call_read(c, &t)) != 0)
		return r;
	while (!ul_page_full(c->out) &&
	    (r = ul_store_sshkey_next(t, email, &cur, &k)) == 0)
		put_key(c, &k);
	ul_txn_abort(t);
	if (r == 0)
		ul_msg_put_str(c->out, UL_F_NEXT, cur.token);
	return r == UL_ENOTFOUND ? 0 : r;
}

int
ul_h_sshkey_list(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1];
	int r = ul_call_email(c, UL_F_EMAIL, email);

	return r != 0 ? r : list_keys(c, email);
}

struct removal {
	const char *email;
	const char *id;
	char fingerprint[53];
};

static int
remove_key(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct removal *m = arg;
	struct ul_event e = {.event = "sshkey_remove", .email = m->email,
	    .detail = m->fingerprint};
	struct ul_sshkey k;
	int r = ul_store_sshkey_get(t, m->id, &k);

	/* another user's key is no key of this one */
	if (r == 0 && strcmp(k.email, m->email) != 0)
		r = UL_ENOTFOUND;
	if (r == UL_ENOTFOUND)
		return ul_call_say(c, r, "%s has no SSH key %s", m->email, m->id);
	snprintf(m->fingerprint, sizeof(m->fingerprint), "%s", k.fingerprint);
	if (r == 0)
		r = ul_store_sshkey_remove(t, m->id);
	return ul_call_audited(c, t, r, &e);
}

static int
remove_of(struct ul_call *c, const char *email)
{
	struct removal m = {.email = email, .id = ul_call_arg(c, UL_F_ID)};
	int r;

	if (m.id == NULL)
		return UL_EINVAL;
	r = ul_call_write(c, remove_key, &m);
	return r != 0 ? r : ul_call_say(c, 0, "SSH key %s removed (%s)", m.id,
	    m.fingerprint);
}

int
ul_h_sshkey_remove(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1];
	int r = ul_call_email(c, UL_F_EMAIL, email);

	return r != 0 ? r : remove_of(c, email);
}

/* The person proved email, password and a current code (T5). */
int
ul_h_self_sshkey(struct ul_call *c)
{
	const char *action = ul_call_arg(c, UL_F_ACTION);
	struct ul_user u UL_WIPED(ul_wipe_user);
	int r;

	if (action == NULL)
		return UL_EINVAL;
	if (strcmp(action, "add") != 0 && strcmp(action, "list") != 0 &&
	    strcmp(action, "remove") != 0)
		return ul_call_say(c, UL_EINVAL, "unknown sshkey action");
	if ((r = ul_auth_self(c, &u)) != 0)
		return r;
	if (strcmp(action, "add") == 0)
		return add_key(c, u.email);
	if (strcmp(action, "list") == 0)
		return list_keys(c, u.email);
	return remove_of(c, u.email);
}

/* ---- who a key opens an account for ---- */

/* Whether key k of a user who may use account a opens it: an automation
 * key only its own account. */
static bool
key_opens(const struct ul_sshkey *k, const struct ul_account *a)
{
	return !k->automation || (strcmp(k->product, a->product) == 0 &&
	    strcmp(k->account, a->name) == 0);
}

/* Where a page of SSHKEYS stopped: the email and key id of the last line
 * given ("" from the start).  Users come in a fixed order (the owner,
 * then the teammates in the store's order), so a page goes on after it;
 * a user or key gone meanwhile makes the rest of the answer empty, never
 * longer (fail closed). */
struct resume {
	char email[UL_EMAIL_MAX + 1];
	char id[UL_SSHKEY_ID_MAX + 1];
	bool skipping;
};

static int
resume_parse(const char *token, struct resume *p)
{
	const char *tab;

	memset(p, 0, sizeof(*p));
	if (token == NULL || token[0] == '\0')
		return 0;
	tab = strchr(token, '\t');
	if (tab == NULL || (size_t)(tab - token) > UL_EMAIL_MAX ||
	    strlen(tab + 1) > UL_SSHKEY_ID_MAX)
		return UL_EINVAL;
	memcpy(p->email, token, (size_t)(tab - token));
	snprintf(p->id, sizeof(p->id), "%s", tab + 1);
	p->skipping = true;
	return 0;
}

/* The key lines of one user, when the user may log in; false when the
 * page is full (the answer then says where to go on). */
static bool
user_lines(struct ul_call *c, struct ul_txn *t, const struct ul_account *a,
    const char *email, struct resume *p)
{
	struct ul_user u UL_WIPED(ul_wipe_user);
	struct ul_cursor cur = {""};
	struct ul_sshkey k;
	char line[UL_SSHKEY_LINE_MAX + 1], next[UL_EMAIL_MAX + UL_SSHKEY_ID_MAX + 2];

	if (ul_store_user_get(t, email, &u) != 0 || ul_auth_user_state(&u) != 0)
		return true;
	while (ul_store_sshkey_next(t, email, &cur, &k) == 0) {
		if (p->skipping) {
			if (strcmp(p->email, email) == 0 && strcmp(p->id, k.id) == 0)
				p->skipping = false;
			continue;
		}
		if (!key_opens(&k, a))
			continue;
		if (ul_page_full(c->out)) {
			snprintf(next, sizeof(next), "%s\t%s", p->email, p->id);
			ul_msg_put_str(c->out, UL_F_NEXT, next);
			return false;
		}
		snprintf(line, sizeof(line), "%s %s unilogin:%s", k.type, k.blob, k.id);
		ul_msg_put_str(c->out, UL_F_SSHKEY, line);
		snprintf(p->email, sizeof(p->email), "%s", email);
		snprintf(p->id, sizeof(p->id), "%s", k.id);
	}
	return true;
}

static int
account_lines(struct ul_call *c, struct ul_txn *t, const struct ul_account *a,
    struct resume *p)
{
	char email[UL_EMAIL_MAX + 1], role[UL_ROLE_MAX + 1];
	struct ul_cursor cur = {""};
	int r;

	/* a legacy account has no unified user, so no key (K1) */
	if (a->owner[0] == '\0' || ul_auth_account_state(t, a) != 0)
		return 0;
	if (!user_lines(c, t, a, a->owner, p))
		return 0;
	while ((r = ul_store_member_next(t, a->product, a->name, &cur, email,
	    role)) == 0)
		if (!user_lines(c, t, a, email, p))
			return 0;
	return r == UL_ENOTFOUND ? 0 : r;
}

/* unilogin-keys USER: every key line that opens PAM_USER's account.  No
 * secret travels; from any caller, as NSS lookups (the keys are public). */
int
ul_h_sshkeys(struct ul_call *c)
{
	struct ul_account a UL_WIPED(ul_wipe_account);
	struct resume p;
	struct ul_txn *t;
	int r;

	if (resume_parse(ul_msg_str(c->in, UL_F_AFTER), &p) != 0)
		return ul_call_say(c, UL_EINVAL, "bad paging token");
	if ((r = ul_call_read(c, &t)) != 0)
		return r;
	r = ul_find_account(c, t, &a);
	if (r == 0 && c->h->conf.ssh_keys != UL_SSH_KEYS_OFF)
		r = account_lines(c, t, &a, &p);
	ul_txn_abort(t);
	return r;
}

/* ---- the login after a key ---- */

struct key_login {
	struct ul_sshkey k;
	struct ul_user u;
	struct ul_account a;
	char role[65];
	const char *why;
	bool automation;            /* logs in without a code */
	bool remembered;            /* T7 */
};

/* The key names its user; the user may log in to the account (K1). */
static int
check_key_login(struct ul_call *c, struct ul_txn *t, struct key_login *l)
{
	const char *line = ul_call_arg(c, UL_F_SSHKEY);
	const char *rhost = ul_msg_str(c->in, UL_F_RHOST);
	struct ul_sshkey_info info;
	struct ul_tfa_state s;
	char why[256];
	int r = ul_find_account(c, t, &l->a);

	if (r != 0)
		return r;
	if (c->h->conf.ssh_keys == UL_SSH_KEYS_OFF || line == NULL ||
	    ul_sshkey_parse(line, strlen(line), &info, why, sizeof(why)) != 0 ||
	    ul_store_sshkey_by_fingerprint(t, info.fingerprint, &l->k) != 0 ||
	    !key_opens(&l->k, &l->a) ||
	    ul_store_user_get(t, l->k.email, &l->u) != 0 ||
	    (r = ul_auth_role(t, &l->a, l->k.email, l->role,
	    sizeof(l->role))) == UL_ENOTFOUND) {
		l->why = "no unified user's key for this account";
		return UL_ENOTFOUND;
	}
	if (r != 0)
		return r;   /* the store did not answer */
	if (ul_auth_locked_out(t, l->k.email))
		return UL_ELOCKEDOUT;
	if ((r = ul_auth_user_state(&l->u)) != 0 ||
	    (r = ul_auth_account_state(t, &l->a)) != 0)
		return r;
	if (l->k.automation && c->h->conf.ssh_automation_keys) {
		l->automation = true;
		return 0;
	}
	if ((r = ul_tfa_state(t, l->k.email, &s)) != 0)
		return r;
	if (s.active > 0) {
		l->remembered = ul_tfa_remembered(c, t, &l->u, rhost);
		return l->remembered ? 0 : UL_ENEEDCODE;
	}
	return c->h->conf.tfa_required ? UL_ETFAREQUIRED : 0;
}

static int
code_ticket(struct ul_call *c, const struct key_login *l)
{
	struct ul_ticket tk = {.purpose = UL_TICKET_LOGIN, .good = true};
	const char *rhost = ul_msg_str(c->in, UL_F_RHOST);

	memcpy(tk.email, l->k.email, sizeof(tk.email));
	memcpy(tk.product, l->a.product, sizeof(tk.product));
	memcpy(tk.account, l->a.name, sizeof(tk.account));
	memcpy(tk.sshkey, l->k.fingerprint, sizeof(tk.sshkey));
	if (rhost != NULL)
		snprintf(tk.rhost, sizeof(tk.rhost), "%s", rhost);
	return ul_ticket_reply(c, &tk, UL_ENEEDCODE);
}

/* LOGIN_SSHKEY, from uid 0 only (the dispatch table): sshd accepted this
 * key for PAM_USER.  When it is a unified user's key that opens the
 * account, the answer is NEED_CODE with a ticket for that user, or
 * SUCCESS for an automation key (ssh_automation_keys) or a remembered host
 * (T7); UL_ENOTFOUND when it is no such key: the module then asks as
 * without a key. */
int
ul_h_login_sshkey(struct ul_call *c)
{
	struct key_login *l = sodium_malloc(sizeof(*l));
	struct ul_event e = {.event = "login_sshkey"};
	char detail[128];
	struct ul_txn *t;
	int r;

	if (l == NULL)
		return UL_ENOMEM;
	memset(l, 0, sizeof(*l));
	if ((r = ul_call_read(c, &t)) != 0) {
		sodium_free(l);
		return r;
	}
	r = check_key_login(c, t, l);
	ul_txn_abort(t);
	if (r != UL_ENOACCOUNT && r != UL_ENOTFOUND) {
		snprintf(detail, sizeof(detail), "sshkey %s%s", l->k.fingerprint,
		    l->automation ? " (automation key)" : l->remembered ?
		    " (remembered host)" : r == UL_ENEEDCODE ? " (asks the code)" : "");
		e = (struct ul_event){.event = r == UL_ENEEDCODE ? "login_sshkey_code" :
		    "login_sshkey", .email = l->k.email, .product = l->a.product,
		    .account = l->a.name, .result = r, .detail = detail};
		ul_audit_alone(c, &e);
	} else if (r == UL_ENOTFOUND) {
		ul_log(LOG_NOTICE, "sshkey login to %s: %s", l->a.unix_user, l->why);
	}
	if (r == UL_ENEEDCODE)
		r = code_ticket(c, l);
	if (r == 0) {
		ul_msg_put_str(c->out, UL_F_EMAIL, l->k.email);
		ul_msg_put_str(c->out, UL_F_ACCOUNT, l->a.name);
		ul_msg_put_str(c->out, UL_F_ROLE, l->role);
		ul_msg_put_str(c->out, UL_F_FINGERPRINT, l->k.fingerprint);
	}
	sodium_free(l);
	return r;
}
