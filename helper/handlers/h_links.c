/* Linking product accounts to unified users (L2-L6), teammates (L7),
 * "My accounts" (L8), suspension (L9) and bans (L10). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/core/wipe.h"
#include "helper/rules/auth.h"
#include "helper/rules/names.h"
#include "helper/handlers/handlers.h"
#include "helper/rules/kdf.h"
#include "helper/core/log.h"
#include "unilogin/error.h"

static const char *const state_names[] = {"active", "suspended", "banned"};

int
ul_link_allowed(struct ul_call *c, struct ul_txn *t, const struct ul_account *a,
    const char *email)
{
	struct ul_account other;
	struct ul_user u;
	int r = ul_store_user_get(t, email, &u);

	if (r == UL_ENOTFOUND || (r == 0 && !u.confirmed))
		return ul_call_say(c, UL_ERULE, "L1a: there is no confirmed user %s "
		    "to link the account to", email);
	if (r != 0)
		return r;
	/* L2: an account with no email of its own (a local user migrated
	 * without one, M1, L6) is bound by the proof of its password or the
	 * admin's word, and takes the user's email */
	bool own = a->email[0] != '\0';

	/* a user linking by itself learns no account's email (row 6) */
	if (own && strcmp(a->email, email) != 0 && c->in->type == UL_REQ_SELF_LINK)
		return ul_call_say(c, UL_ERULE, "L2: the account's email is not yours: "
		    "ask an administrator to change one email first");
	if (own && strcmp(a->email, email) != 0)
		return ul_call_say(c, UL_ERULE, "L2: the account's email (%s) and the "
		    "user's (%s) differ: change one email first", a->email, email);
	if (a->state == UL_ACCOUNT_BANNED)
		return ul_call_say(c, UL_ERULE, "L10: account %s of %s is banned",
		    a->name, a->product);
	r = ul_store_account_owned(t, email, a->product, &other);
	if (r == 0 && strcmp(other.name, a->name) != 0)
		return ul_call_say(c, UL_ERULE, "L3: %s already links account %s of "
		    "product %s; a user links at most one account per product",
		    email, other.name, a->product);
	if (r != 0 && r != UL_ENOTFOUND)
		return r;
	/* L4: the account named after the email goes first */
	r = ul_store_account_get(t, a->product, email, &other);
	if (r == 0 && strcmp(other.name, a->name) != 0 && other.owner[0] == '\0')
		return ul_call_say(c, UL_ERULE, "L4: account %s of %s, named after "
		    "the email, must be linked first", other.name, a->product);
	return r == UL_ENOTFOUND || r == 0 ? 0 : r;
}

int
ul_legacy_allowed(struct ul_call *c, struct ul_txn *t, const char *product,
    const char *email)
{
	struct ul_account other;
	int r = ul_store_account_owned(t, email, product, &other);

	if (r == 0)
		return ul_call_say(c, UL_ERULE, "L5: %s is the unique identifier of "
		    "product %s (it links account %s): no further account of %s can "
		    "be created with it", email, product, other.name, product);
	return r == UL_ENOTFOUND ? 0 : r;
}

/* Reads PRODUCT and ACCOUNT of the request and that account. */
static int
request_account(struct ul_call *c, struct ul_txn *t, struct ul_account *a)
{
	const char *product = ul_call_arg(c, UL_F_PRODUCT);
	const char *name = ul_call_arg(c, UL_F_ACCOUNT);
	int r;

	if (product == NULL || name == NULL)
		return UL_EINVAL;
	r = ul_store_account_get(t, product, name, a);
	if (r == UL_ENOTFOUND)
		return ul_call_say(c, r, "no account %s of %s", name, product);
	return r;
}

/* Ends a change of account a: r, or its audit record. */
static int
finish(struct ul_call *c, struct ul_txn *t, const struct ul_account *a, int r,
    const char *event, const char *email, const char *detail)
{
	struct ul_event e = {.event = event, .email = email, .product = a->product,
	    .account = a->name, .detail = detail};

	return ul_call_audited(c, t, r, &e);
}

/* L2-L5: links a to email; its legacy password stops working at once.
 * The rules that read other records are checked first; the store's link
 * decides what may race (linked or banned meanwhile, L3's one account per
 * product). */
static int
link(struct ul_call *c, struct ul_txn *t, const struct ul_account *a,
    const char *email)
{
	int r;

	if (a->owner[0] != '\0')
		return ul_call_say(c, UL_ERULE, "account %s of %s is already linked to %s",
		    a->name, a->product, a->owner);
	r = ul_link_allowed(c, t, a, email);
	if (r == 0 && (r = ul_store_account_link(t, a, email)) == UL_ECONFLICT)
		r = ul_call_say(c, UL_ERULE, "account %s of %s was linked or banned "
		    "meanwhile", a->name, a->product);
	else if (r == UL_EEXIST)
		r = ul_call_say(c, UL_ERULE, "L3: %s already links an account of "
		    "product %s", email, a->product);
	r = finish(c, t, a, r, "account_link", email, NULL);
	if (r == 0)
		ul_call_say(c, 0, "account %s of %s is linked to %s: its own password "
		    "no longer works", a->name, a->product, email);
	return r;
}

struct link_request {
	const char *email;
	const char *pwhash;         /* L6: the legacy password proven, or NULL */
};

/* The account PRODUCT ACCOUNT as it is now, linked to email (as proven). */
static int
link_change(struct ul_call *c, struct ul_txn *t, void *arg)
{
	const struct link_request *l = arg;
	struct ul_account a UL_WIPED(ul_wipe_account);
	int r = request_account(c, t, &a);

	if (r != 0)
		return r;
	/* the link is made on the account as proven: the store refuses it when
	 * its password changed since */
	if (l->pwhash != NULL)
		memcpy(a.pwhash, l->pwhash, sizeof(a.pwhash));
	return link(c, t, &a, l->email);
}

int
ul_h_account_link(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1];
	struct link_request l = {.email = email};
	int r = ul_call_email(c, UL_F_EMAIL, email);

	return r != 0 ? r : ul_call_write(c, link_change, &l);
}

static int
count_legacy_failure(struct ul_call *c, struct ul_txn *t, void *failkey)
{
	int r = ul_auth_failure(c, t, failkey);

	return r == UL_ELOCKEDOUT ? 0 : r;
}

/* L6: the user proves the unified credentials (email, password, code) and
 * the account's own password, and the link is made in one step: only if
 * the account still has the password that was proven. */
int
ul_h_self_link(struct ul_call *c)
{
	const char *legacy = ul_call_arg(c, UL_F_LEGACY_PASSWORD);
	char failkey[UL_PRODUCT_MAX + UL_ACCOUNT_MAX + 16];
	struct ul_account a UL_WIPED(ul_wipe_account);
	struct ul_user u UL_WIPED(ul_wipe_user);
	struct link_request l;
	struct ul_txn *t;
	bool out;
	int r;

	if (legacy == NULL)
		return UL_EINVAL;
	if ((r = ul_auth_self(c, &u)) != 0 || (r = ul_call_read(c, &t)) != 0)
		return r;
	r = request_account(c, t, &a);
	snprintf(failkey, sizeof(failkey), "legacy:%s/%s", a.product, a.name);
	out = r == 0 && ul_auth_locked_out(t, failkey);
	ul_txn_abort(t);
	if (r != 0)
		return r;
	/* the account's own password counts as its logins do (S3, row 6) */
	if (out)
		return UL_ELOCKEDOUT;
	/* a linked account has no legacy password: the same path (S1) */
	if (ul_auth_password(c, a.owner[0] ? NULL : a.pwhash, legacy) != 0) {
		r = ul_call_write(c, count_legacy_failure, failkey);
		return r != 0 ? r : ul_call_say(c, UL_EAUTH,
		    "the account's own password is wrong");
	}
	l = (struct link_request){.email = u.email, .pwhash = a.pwhash};
	return ul_call_write(c, link_change, &l);
}

/* Unlink in steps: the owner's link ends first (with it every teammate's
 * access, L7), then the roles and the keys. */
static int
unlink_change(struct ul_call *c, struct ul_txn *t, void *arg)
{
	char owner[UL_EMAIL_MAX + 1];
	struct ul_account a UL_WIPED(ul_wipe_account);
	int r = request_account(c, t, &a);

	(void)arg;
	if (r == 0 && a.owner[0] == '\0')
		r = ul_call_say(c, UL_ERULE, "account %s of %s is not linked", a.name,
		    a.product);
	memcpy(owner, a.owner, sizeof(owner));
	/* back to legacy with no usable password; teammates and keys end (T8) */
	if (r == 0 && (r = ul_store_account_unlink(t, &a)) == UL_ECONFLICT)
		r = ul_call_say(c, UL_ERULE, "account %s of %s changed meanwhile; "
		    "try again", a.name, a.product);
	if (r == 0)
		r = ul_account_end_access(t, &a, owner);
	r = finish(c, t, &a, r, "account_unlink", owner, NULL);
	if (r == 0)
		ul_call_say(c, 0, "account %s of %s is a legacy account again, with "
		    "no usable password until `account passwd` sets one", a.name,
		    a.product);
	return r;
}

int
ul_h_account_unlink(struct ul_call *c)
{
	return ul_call_write(c, unlink_change, NULL);
}

struct member_change {
	const char *email, *role;
};

static int
invite_change(struct ul_call *c, struct ul_txn *t, void *arg)
{
	const struct member_change *m = arg;
	struct ul_account a UL_WIPED(ul_wipe_account);
	struct ul_user u UL_WIPED(ul_wipe_user);
	int r = request_account(c, t, &a);

	if (r == 0 && a.owner[0] == '\0')
		r = ul_call_say(c, UL_ERULE, "L7: invitations need a linked account");
	else if (r == 0 && strcmp(a.owner, m->email) == 0)
		r = ul_call_say(c, UL_ERULE, "%s owns the account already", m->email);
	else if (r == 0 && ul_store_user_get(t, m->email, &u) != 0)
		r = ul_call_say(c, UL_ENOTFOUND, "no user %s", m->email);
	if (r == 0)
		r = ul_store_member_set(t, a.product, a.name, m->email, m->role);
	r = finish(c, t, &a, r, "account_invite", m->email, m->role);
	if (r == 0)
		ul_call_say(c, 0, "%s may log in to %s of %s as %s", m->email, a.name,
		    a.product, m->role);
	return r;
}

int
ul_h_account_invite(struct ul_call *c)
{
	const char *role = ul_msg_str(c->in, UL_F_ROLE);
	char email[UL_EMAIL_MAX + 1];
	struct member_change m = {.email = email};
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (role == NULL || role[0] == '\0')
		role = "member";
	if (r == 0 && (!ul_valid_role(role) || strcmp(role, "owner") == 0))
		r = ul_call_say(c, UL_EINVAL, "a role is 1 to %d of letters, digits, "
		    "'_', '-' and '.', and not \"owner\"", UL_ROLE_MAX);
	m.role = role;
	return r != 0 ? r : ul_call_write(c, invite_change, &m);
}

static int
remove_change(struct ul_call *c, struct ul_txn *t, void *arg)
{
	const struct member_change *m = arg;
	char role[UL_ROLE_MAX + 1];
	struct ul_account a UL_WIPED(ul_wipe_account);
	int r = request_account(c, t, &a);

	if (r == 0 && ul_store_member_get(t, a.product, a.name, m->email, role) != 0)
		r = ul_call_say(c, UL_ENOTFOUND, "%s is no teammate of %s of %s",
		    m->email, a.name, a.product);
	if (r == 0)
		r = ul_store_member_remove(t, a.product, a.name, m->email);
	if (r == 0)
		r = ul_account_end_keys(t, &a, m->email);
	return finish(c, t, &a, r, "account_remove", m->email, NULL);
}

int
ul_h_account_remove(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1];
	struct member_change m = {.email = email};
	int r = ul_call_email(c, UL_F_EMAIL, email);

	return r != 0 ? r : ul_call_write(c, remove_change, &m);
}

/* L10: the ban's cascade, after the account itself is banned (the step
 * that decides: a subuser's state is read through its parent's): every
 * subuser is banned, and every teammate and key of each ends. */
static int
ban_subusers(struct ul_txn *t, const struct ul_account *a, unsigned *subs)
{
	struct ul_account sub UL_WIPED(ul_wipe_account);
	struct ul_cursor cur = {""};
	int r;

	while ((r = ul_store_account_next(t, a->product, &cur, &sub)) == 0) {
		if (strcmp(sub.parent, a->name) != 0 || sub.state == UL_ACCOUNT_BANNED)
			continue;
		(*subs)++;
		r = ul_store_account_set_state(t, &sub, UL_ACCOUNT_BANNED);
		if (r == 0)
			r = ul_account_end_access(t, &sub, sub.owner);
		if (r != 0 && r != UL_ECONFLICT)
			return r;
	}
	return r == UL_ENOTFOUND ? ul_account_end_access(t, a, a->owner) : r;
}

/* L9, L10: suspend, reinstate, ban.  A ban is permanent and takes every
 * subuser with it; its API keys end (T8). */
static int
state_change(struct ul_call *c, struct ul_txn *t, void *arg)
{
	static const char *const events[] = {"account_reinstate", "account_suspend",
	    "account_ban"};
	enum ul_account_state to = *(const enum ul_account_state *)arg;
	struct ul_account a UL_WIPED(ul_wipe_account);
	unsigned subs = 0;
	int r = request_account(c, t, &a);

	if (r == 0 && (r = ul_store_account_set_state(t, &a, to)) == UL_ECONFLICT)
		r = ul_call_say(c, UL_ERULE, "L10: account %s of %s is banned; a ban "
		    "is permanent and no command lifts it", a.name, a.product);
	if (r == 0 && to == UL_ACCOUNT_BANNED)
		r = ban_subusers(t, &a, &subs);
	r = finish(c, t, &a, r, events[to], a.owner, state_names[to]);
	if (r == 0 && to == UL_ACCOUNT_BANNED)
		ul_call_say(c, 0, "account %s of %s is banned, with %u subusers", a.name,
		    a.product, subs);
	else if (r == 0)
		ul_call_say(c, 0, "account %s of %s is %s", a.name, a.product,
		    state_names[to]);
	return r;
}

static int
set_state(struct ul_call *c, enum ul_account_state to)
{
	return ul_call_write(c, state_change, &to);
}

int
ul_h_account_suspend(struct ul_call *c)
{
	return set_state(c, UL_ACCOUNT_SUSPENDED);
}

int
ul_h_account_reinstate(struct ul_call *c)
{
	return set_state(c, UL_ACCOUNT_ACTIVE);
}

int
ul_h_account_ban(struct ul_call *c)
{
	return set_state(c, UL_ACCOUNT_BANNED);
}

/* One row of "My accounts" (L8). */
static void
put_reachable(struct ul_call *c, struct ul_txn *t, const struct ul_account *a,
    const char *role)
{
	struct ul_product p;
	int state = ul_auth_account_state(t, a);

	if (ul_store_product_get(t, a->product, &p) != 0)
		snprintf(p.display_name, sizeof(p.display_name), "%s", a->product);
	ul_msg_put_mark(c->out, UL_F_RECORD);
	ul_msg_put_str(c->out, UL_F_PRODUCT, a->product);
	ul_msg_put_str(c->out, UL_F_DISPLAY_NAME, p.display_name);
	ul_msg_put_str(c->out, UL_F_ACCOUNT, a->name);
	ul_msg_put_str(c->out, UL_F_FRIENDLY_NAME, a->friendly_name);
	ul_msg_put_str(c->out, UL_F_ROLE, role);
	ul_msg_put_str(c->out, UL_F_STATE, state == UL_EBANNED ? "banned" :
	    state == UL_ESUSPENDED ? "suspended" : "active");
	ul_msg_put_str(c->out, UL_F_UNIX_USER, a->unix_user);
}

/* L8: every account a user can reach: owned, then as a teammate. */
static int
reachable(struct ul_call *c, const char *email)
{
	char product[UL_PRODUCT_MAX + 1], account[UL_ACCOUNT_MAX + 1];
	char role[UL_ROLE_MAX + 1];
	struct ul_account a UL_WIPED(ul_wipe_account);
	struct ul_cursor cur = {""};
	struct ul_txn *t;
	int r = ul_call_read(c, &t);

	if (r != 0)
		return r;
	while ((r = ul_store_owned_next(t, email, &cur, &a)) == 0)
		put_reachable(c, t, &a, "owner");
	cur.token[0] = '\0';
	while (r == UL_ENOTFOUND && ul_store_membership_next(t, email, &cur, product,
		account, role) == 0)
		if (ul_store_account_get(t, product, account, &a) == 0)
			put_reachable(c, t, &a, role);
	ul_txn_abort(t);
	return r == UL_ENOTFOUND ? 0 : r;
}

int
ul_h_accounts(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1];
	int r = ul_call_email(c, UL_F_EMAIL, email);

	return r != 0 ? r : reachable(c, email);
}

int
ul_h_self_accounts(struct ul_call *c)
{
	struct ul_user u UL_WIPED(ul_wipe_user);
	int r = ul_auth_self(c, &u);

	return r != 0 ? r : reachable(c, u.email);
}
