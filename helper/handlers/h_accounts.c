/* Products and product accounts: add, show, list. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "helper/core/wipe.h"
#include "helper/handlers/handlers.h"
#include "helper/rules/names.h"
#include "helper/rules/auth.h"
#include "helper/rules/kdf.h"
#include "helper/core/log.h"
#include "unilogin/error.h"

static int
create_product(struct ul_call *c, struct ul_txn *t, void *arg)
{
	const struct ul_product *p = arg;
	struct ul_event e = {.event = "product_add", .product = p->name};
	int r = ul_store_product_create(t, p);

	if (r == UL_EEXIST)
		r = ul_call_say(c, UL_EEXIST, "product %s already exists", p->name);
	return ul_call_audited(c, t, r, &e);
}

int
ul_h_product_add(struct ul_call *c)
{
	const char *name = ul_call_arg(c, UL_F_PRODUCT);
	const char *display = ul_msg_str(c->in, UL_F_DISPLAY_NAME);
	struct ul_product p;
	int r;

	if (name == NULL)
		return UL_EINVAL;
	memset(&p, 0, sizeof(p));
	if (strlen(name) >= sizeof(p.name) ||
	    (display != NULL && strlen(display) >= sizeof(p.display_name)))
		return ul_call_say(c, UL_EINVAL, "the name is too long");
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.display_name, sizeof(p.display_name), "%s", display ? display : name);
	p.created = ul_now();
	if ((r = ul_check_product(c, &p)) != 0)
		return r;
	return ul_call_write(c, create_product, &p);
}

int
ul_h_product_list(struct ul_call *c)
{
	struct ul_cursor cur, last;
	struct ul_product p;
	struct ul_txn *t;
	int r;

	if ((r = ul_call_cursor(c, &cur)) != 0 || (r = ul_call_read(c, &t)) != 0)
		return r;
	for (last = cur; (r = ul_store_product_next(t, &cur, &p)) == 0; last = cur) {
		if (ul_page_full(c->out)) {
			ul_msg_put_str(c->out, UL_F_NEXT, last.token);
			break;
		}
		ul_msg_put_mark(c->out, UL_F_RECORD);
		ul_msg_put_str(c->out, UL_F_PRODUCT, p.name);
		ul_msg_put_str(c->out, UL_F_DISPLAY_NAME, p.display_name);
	}
	ul_txn_abort(t);
	return r == UL_ENOTFOUND ? 0 : r;
}

static const char *const state_names[] = {"active", "suspended", "banned"};

static void
put_account(struct ul_msg *m, const struct ul_account *a)
{
	ul_msg_put_str(m, UL_F_PRODUCT, a->product);
	ul_msg_put_str(m, UL_F_ACCOUNT, a->name);
	ul_msg_put_str(m, UL_F_UNIX_USER, a->unix_user);
	ul_msg_put_int(m, UL_F_UID, a->uid);
	ul_msg_put_str(m, UL_F_EMAIL, a->email);
	ul_msg_put_bool(m, UL_F_LEGACY, a->owner[0] == '\0');
	if (a->owner[0])
		ul_msg_put_str(m, UL_F_OWNER, a->owner);
	if (a->parent[0])
		ul_msg_put_str(m, UL_F_PARENT, a->parent);
	ul_msg_put_str(m, UL_F_FRIENDLY_NAME, a->friendly_name);
	ul_msg_put_str(m, UL_F_STATE, state_names[a->state % 3]);
}

/* Fills a from the request: names, uid, email, friendly name; checked as
 * every stored account is (rules/names.c). */
static int
account_from_request(struct ul_call *c, struct ul_account *a)
{
	const char *product = ul_call_arg(c, UL_F_PRODUCT);
	const char *name = ul_call_arg(c, UL_F_ACCOUNT);
	const char *unix_user = ul_msg_str(c->in, UL_F_UNIX_USER);
	const char *friendly = ul_msg_str(c->in, UL_F_FRIENDLY_NAME);
	int64_t uid = 0;
	int r;

	memset(a, 0, sizeof(*a));
	if (product == NULL || name == NULL)
		return UL_EINVAL;
	if (unix_user == NULL || unix_user[0] == '\0') {
		if (!ul_valid_unix_user(name))
			return ul_call_say(c, UL_EINVAL, "--unix-user is needed: "
			    "\"%s\" is not a valid Unix user name", name);
		unix_user = name;
	}
	if (ul_msg_int(c->in, UL_F_UID, &uid) == 0 && (uid <= 0 || uid > UINT32_MAX))
		return ul_call_say(c, UL_EINVAL, "bad uid");
	if (strlen(product) >= sizeof(a->product) || strlen(name) >= sizeof(a->name) ||
	    strlen(unix_user) >= sizeof(a->unix_user) ||
	    (friendly != NULL && strlen(friendly) >= sizeof(a->friendly_name)))
		return ul_call_say(c, UL_EINVAL, "a name is too long");
	snprintf(a->product, sizeof(a->product), "%s", product);
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->unix_user, sizeof(a->unix_user), "%s", unix_user);
	snprintf(a->friendly_name, sizeof(a->friendly_name), "%s",
	    friendly ? friendly : "");
	a->uid = (uint32_t)uid;
	a->created = ul_now();
	if ((r = ul_check_account(c, a)) != 0)
		return r;
	return ul_call_email(c, UL_F_EMAIL, a->email);
}

/* A uid for a: the next of the counter that no local user or group has
 * (the counter moves past those too, S5: /etc files only). */
static int
allocate_uid(struct ul_call *c, struct ul_txn *t, struct ul_account *a)
{
	int r;

	do
		r = ul_store_uid_allocate(t, c->h->conf.uid_min, c->h->conf.uid_max,
		    &a->uid);
	while (r == 0 && ul_files_id_taken(a->uid));
	if (r == UL_ENOSPC)
		return ul_call_say(c, UL_ERULE, "no free uid left in uid_min..uid_max");
	return r;
}

/* L9, L10: a subuser's parent is an account of the same product, not a
 * subuser itself, and not banned. */
static int
check_parent(struct ul_call *c, struct ul_txn *t, struct ul_account *a)
{
	const char *parent = ul_msg_str(c->in, UL_F_PARENT);
	struct ul_account p;
	int r;

	if (parent == NULL || parent[0] == '\0')
		return 0;
	r = ul_store_account_get(t, a->product, parent, &p);
	if (r == UL_ENOTFOUND)
		return ul_call_say(c, r, "no account %s of %s to be the parent",
		    parent, a->product);
	if (r == 0 && p.parent[0] != '\0')
		return ul_call_say(c, UL_ERULE, "L9: subusers are one level deep: %s "
		    "is itself a subuser of %s", parent, p.parent);
	if (r == 0 && p.state == UL_ACCOUNT_BANNED)
		return ul_call_say(c, UL_ERULE, "L10: %s is banned: it cannot have "
		    "subusers", parent);
	if (r == 0)
		snprintf(a->parent, sizeof(a->parent), "%s", parent);
	return r;
}

static int
add_account(struct ul_call *c, struct ul_txn *t, struct ul_account *a)
{
	struct ul_product p;
	struct ul_account other;
	int r = ul_store_product_get(t, a->product, &p);

	if (r == UL_ENOTFOUND)
		return ul_call_say(c, UL_ENOTFOUND, "no product %s: add it with "
		    "`uniloginctl product add %s`", a->product, a->product);
	if (r == 0 && ul_store_account_get(t, a->product, a->name, &other) == 0)
		return ul_call_say(c, UL_EEXIST, "account %s of %s already exists",
		    a->name, a->product);
	if (r == 0 &&
	    ul_store_account_by_unix(t, a->product, a->unix_user, &other) == 0)
		return ul_call_say(c, UL_EEXIST, "Unix user %s is already account "
		    "%s of %s", a->unix_user, other.name, a->product);
	if (r == 0 && a->uid != 0 && ul_store_account_by_uid(t, a->uid, &other) == 0)
		return ul_call_say(c, UL_EEXIST, "uid %u is already account %s of %s",
		    a->uid, other.name, other.product);
	if (r == 0 && a->uid == 0)
		r = allocate_uid(c, t, a);
	if (r == 0)
		r = check_parent(c, t, a);
	/* L1a: with an email and no legacy password the account is linked at
	 * once; a legacy account may not take an email that is a product's
	 * unique identifier (L5) */
	if (r == 0 && a->pwhash[0] == '\0') {
		r = ul_link_allowed(c, t, a, a->email);
		if (r == 0)
			memcpy(a->owner, a->email, sizeof(a->owner));
	} else if (r == 0) {
		r = ul_legacy_allowed(c, t, a->product, a->email);
	}
	if (r == 0 && a->friendly_name[0] == '\0')
		snprintf(a->friendly_name, sizeof(a->friendly_name),
		    "Your first %s account", p.display_name);
	/* the claims decide what raced past the checks above */
	if (r == 0 && (r = ul_store_account_create(t, a)) == UL_EEXIST)
		r = ul_call_say(c, UL_EEXIST, "account %s of %s, its Unix user, its "
		    "uid or its owner's one account of %s was taken meanwhile",
		    a->name, a->product, a->product);
	return r;
}

static int
create_account(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct ul_account *a = arg;
	struct ul_event e = {.event = "account_add", .email = a->email,
	    .product = a->product, .account = a->name};

	return ul_call_audited(c, t, add_account(c, t, a), &e);
}

int
ul_h_account_add(struct ul_call *c)
{
	struct ul_account a UL_WIPED(ul_wipe_account);
	const char *legacy = ul_msg_str(c->in, UL_F_LEGACY_PASSWORD);
	int r = account_from_request(c, &a);

	/* L1: a legacy account's own password, hashed before the write */
	if (r == 0 && legacy != NULL && (r = ul_check_password(c, legacy)) == 0 &&
	    ul_kdf_hash(&c->h->conf, legacy, a.pwhash) != 0)
		r = ul_call_say(c, UL_ENOMEM, "cannot hash the password");
	if (r == 0)
		r = ul_call_write(c, create_account, &a);
	if (r == 0)
		put_account(c->out, &a);
	return r;
}

int
ul_h_account_show(struct ul_call *c)
{
	const char *product = ul_call_arg(c, UL_F_PRODUCT);
	const char *name = ul_call_arg(c, UL_F_ACCOUNT);
	struct ul_account a UL_WIPED(ul_wipe_account);
	struct ul_txn *t;
	int r;

	if (product == NULL || name == NULL)
		return UL_EINVAL;
	if ((r = ul_call_read(c, &t)) != 0)
		return r;
	r = ul_store_account_get(t, product, name, &a);
	ul_txn_abort(t);
	if (r == UL_ENOTFOUND)
		return ul_call_say(c, r, "no account %s of %s", name, product);
	if (r == 0)
		put_account(c->out, &a);
	return r;
}

int
ul_h_account_list(struct ul_call *c)
{
	const char *product = ul_msg_str(c->in, UL_F_PRODUCT);
	struct ul_account a UL_WIPED(ul_wipe_account);
	struct ul_cursor cur, last;
	struct ul_txn *t;
	int r;

	if ((r = ul_call_cursor(c, &cur)) != 0 || (r = ul_call_read(c, &t)) != 0)
		return r;
	for (last = cur; (r = ul_store_account_next(t, product ? product : "", &cur,
	    &a)) == 0; last = cur) {
		if (ul_page_full(c->out)) {
			ul_msg_put_str(c->out, UL_F_NEXT, last.token);
			break;
		}
		ul_msg_put_mark(c->out, UL_F_RECORD);
		put_account(c->out, &a);
	}
	ul_txn_abort(t);
	return r == UL_ENOTFOUND ? 0 : r;
}

static int
set_legacy_password(struct ul_call *c, struct ul_txn *t, void *hash)
{
	const char *product = ul_msg_str(c->in, UL_F_PRODUCT);
	const char *name = ul_msg_str(c->in, UL_F_ACCOUNT);
	struct ul_event e = {.event = "account_passwd", .product = product,
	    .account = name};
	struct ul_account a UL_WIPED(ul_wipe_account);
	int r = ul_store_account_get(t, product, name, &a);

	if (r == UL_ENOTFOUND)
		r = ul_call_say(c, r, "no account %s of %s", name, product);
	else if (r == 0 && (r = ul_store_account_set_password(t, &a, NULL, hash)) ==
	    UL_ECONFLICT)
		r = ul_call_say(c, UL_ERULE, "L5: account %s of %s is linked to %s: "
		    "it has no password of its own", name, product, a.owner);
	return ul_call_audited(c, t, r, &e);
}

/* L1: an admin sets a legacy account's password; a linked account has only
 * its owner's unified password (L5). */
int
ul_h_account_passwd(struct ul_call *c)
{
	const char *pw = ul_msg_str(c->in, UL_F_NEW_PASSWORD);
	const char *product = ul_call_arg(c, UL_F_PRODUCT);
	const char *name = ul_call_arg(c, UL_F_ACCOUNT);
	char hash[UL_HASH_STR_MAX] UL_WIPED(ul_wipe_hash);
	int r;

	if (product == NULL || name == NULL || (r = ul_check_password(c, pw)) != 0)
		return UL_EINVAL;
	if (ul_kdf_hash(&c->h->conf, pw, hash) != 0)
		return ul_call_say(c, UL_ENOMEM, "cannot hash the password");
	r = ul_call_write(c, set_legacy_password, hash);
	if (r == 0)
		ul_call_say(c, 0, "the password of account %s of %s is set", name, product);
	return r;
}
