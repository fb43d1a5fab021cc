/* Product accounts in the directory: one entry per account,
 * uniAccountName=NAME,uniProductName=P,ou=products (unique by that name),
 * its unix_user, its uid and its owner's (user, product) held by claim
 * entries (unix:P:USER, uid:N, owner:ID:P) added before the entry, so that
 * two hosts adding one unix_user or uid at once get one winner (L1, L1a,
 * L3, F1).  The owner is kept as its user's email (uniOwnerEmail), as
 * the LMDB backend keeps it: an email change (U6) moves it, and its claim,
 * with account_move_email. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "helper/store/ldap/internal.h"
#include "unilogin/error.h"

#define DN_MAX (UL_LDAP_DN_MAX + 1200)
#define KEY_MAX (UL_EMAIL_MAX + UL_PRODUCT_MAX + 16)
#define ESC(n) ((n) * 3 + 1)

static int
product_base(struct ul_store *st, const char *product, char dn[DN_MAX])
{
	char p[ESC(UL_PRODUCT_MAX)];

	if (dir_dn_value(p, sizeof(p), product) != 0)
		return UL_EINVAL;
	snprintf(dn, DN_MAX, "uniProductName=%s,ou=products,%s", p, st->base);
	return 0;
}

static int
account_dn(struct ul_store *st, const char *product, const char *name,
    char dn[DN_MAX])
{
	char p[ESC(UL_PRODUCT_MAX)], n[ESC(UL_ACCOUNT_MAX)];

	if (dir_dn_value(p, sizeof(p), product) != 0 ||
	    dir_dn_value(n, sizeof(n), name) != 0)
		return UL_EINVAL;
	snprintf(dn, DN_MAX, "uniAccountName=%s,uniProductName=%s,ou=products,%s",
	    n, p, st->base);
	return 0;
}

static void
read_account(struct dir_session *s, LDAPMessage *e, struct ul_account *a)
{
	memset(a, 0, sizeof(*a));
	dir_text(s, e, "uniProductName", a->product, sizeof(a->product));
	dir_text(s, e, "uniAccountName", a->name, sizeof(a->name));
	dir_text(s, e, "uniUnixUser", a->unix_user, sizeof(a->unix_user));
	a->uid = (uint32_t)dir_int(s, e, "uniUid");
	dir_text(s, e, "uniAccountEmail", a->email, sizeof(a->email));
	dir_text(s, e, "uniOwnerEmail", a->owner, sizeof(a->owner));
	dir_text(s, e, "uniLegacyPwHash", a->pwhash, sizeof(a->pwhash));
	dir_text(s, e, "uniParentAccount", a->parent, sizeof(a->parent));
	dir_text(s, e, "uniFriendlyName", a->friendly_name,
	    sizeof(a->friendly_name));
	a->state = (enum ul_account_state)dir_int(s, e, "uniAccountState");
	a->created = dir_int(s, e, "uniCreated");
	a->gid = (uint32_t)dir_int(s, e, "uniGid");
	dir_text(s, e, "uniHome", a->home, sizeof(a->home));
	dir_text(s, e, "uniShell", a->shell, sizeof(a->shell));
}

/* The one account q finds (from t's prefetch when it holds q). */
static int
find_q(struct ul_txn *t, const struct dir_query *q, struct ul_account *a)
{
	LDAPMessage *res = NULL, *e;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	memset(a, 0, sizeof(*a));
	s = dir_lock_read(t, &lock);
	r = dir_search_q(t, s, q, &res, &e);
	if (r == 0)
		read_account(s, e, a);
	pthread_mutex_unlock(lock);
	dir_msgfree(res);
	return r;
}

/* The one account filter finds under base. */
static int
find_one(struct ul_txn *t, const char *base, int scope, const char *filter,
    struct ul_account *a)
{
	struct dir_query q;

	memset(a, 0, sizeof(*a));
	if (dir_query_set(&q, base, scope, filter, NULL) != 0)
		return UL_EINVAL;
	return find_q(t, &q, a);
}

int
dir_account_query(struct ul_store *st, const char *product, const char *name,
    const char *unix_user, struct dir_query *q)
{
	char base[DN_MAX], v[ESC(UL_UNIX_USER_MAX)], filter[sizeof(v) + 64];

	if (name != NULL)
		return account_dn(st, product, name, base) != 0 ? UL_EINVAL :
		    dir_query_set(q, base, LDAP_SCOPE_BASE,
		    "(objectClass=uniAccount)", NULL);
	if (product_base(st, product, base) != 0 ||
	    dir_filter_value(v, sizeof(v), unix_user) != 0)
		return UL_EINVAL;
	snprintf(filter, sizeof(filter),
	    "(&(objectClass=uniAccount)(uniUnixUser=%s))", v);
	return dir_query_set(q, base, LDAP_SCOPE_ONELEVEL, filter, NULL);
}

int
dir_account_get(struct ul_txn *t, const char *product, const char *name,
    struct ul_account *a)
{
	struct dir_query q;
	int r = dir_account_query(t->st, product, name, NULL, &q);

	memset(a, 0, sizeof(*a));
	return r != 0 ? r : find_q(t, &q, a);
}

int
dir_account_by_unix(struct ul_txn *t, const char *product,
    const char *unix_user, struct ul_account *a)
{
	struct dir_query q;
	int r = dir_account_query(t->st, product, NULL, unix_user, &q);

	memset(a, 0, sizeof(*a));
	return r != 0 ? r : find_q(t, &q, a);
}

int
dir_account_by_uid(struct ul_txn *t, uint32_t uid, struct ul_account *a)
{
	char base[DN_MAX], filter[64];

	snprintf(base, sizeof(base), "ou=products,%s", t->st->base);
	snprintf(filter, sizeof(filter),
	    "(&(objectClass=uniAccount)(uniUid=%" PRIu32 "))", uid);
	return find_one(t, base, LDAP_SCOPE_SUBTREE, filter, a);
}

int
dir_account_owned(struct ul_txn *t, const char *email, const char *product,
    struct ul_account *a)
{
	char base[DN_MAX], v[ESC(UL_EMAIL_MAX)], filter[sizeof(v) + 64];
	int r = product_base(t->st, product, base);

	memset(a, 0, sizeof(*a));
	if (r == 0)
		r = dir_filter_value(v, sizeof(v), email);
	if (r != 0)
		return UL_EINVAL;
	snprintf(filter, sizeof(filter),
	    "(&(objectClass=uniAccount)(uniOwnerEmail=%s))", v);
	return find_one(t, base, LDAP_SCOPE_ONELEVEL, filter, a);
}

/* ---- lists: in (product, name) order, as the LMDB backend's keys ---- */

/* The account filter finds under base whose key comes first after the
 * cursor; UL_ENOTFOUND past the last.  product: the list's product, or
 * "": a cursor of another product's list starts this list from its first
 * (as the LMDB backend's prefixes do). */
static int
list_next_in(struct ul_txn *t, const char *product, const char *base,
    int scope, const char *filter, struct ul_cursor *cur, struct ul_account *a)
{
	static const struct dir_list_key lk = {dir_key_account, NULL, NULL};
	char *attrs[] = {"uniProductName", "uniAccountName", NULL};
	char after[DIR_CURSOR_KEY_MAX + 1], key[DIR_CURSOR_KEY_MAX + 1] = "";
	char *tab;
	int r;

	memset(a, 0, sizeof(*a));
	if (dir_cursor_key(cur, after) != 0)
		return UL_EINVAL;
	if (product[0] != '\0' && (strncmp(after, product, strlen(product)) != 0 ||
	    after[strlen(product)] != '\t'))
		after[0] = '\0';
	do {
		r = dir_list_next(t, base, scope, filter, attrs, &lk, after, key,
		    sizeof(key), NULL, 0);
		tab = r == 0 ? strchr(key, '\t') : NULL;
		if (r == 0 && (tab == NULL || tab - key > UL_PRODUCT_MAX))
			r = UL_ESTORE;
		if (r == 0)
			r = dir_cursor_set(cur, key);
		if (r == 0) {
			char p[UL_PRODUCT_MAX + 1];

			memcpy(p, key, (size_t)(tab - key));
			p[tab - key] = '\0';
			r = dir_account_get(t, p, tab + 1, a);
		}
		/* gone between the two reads: the next one */
		memcpy(after, key, strlen(key) + 1);
	} while (r == UL_ENOTFOUND && key[0] != '\0');
	return r;
}

static int
list_next(struct ul_txn *t, const char *base, int scope, const char *filter,
    struct ul_cursor *cur, struct ul_account *a)
{
	return list_next_in(t, "", base, scope, filter, cur, a);
}

int
dir_account_next(struct ul_txn *t, const char *product, struct ul_cursor *cur,
    struct ul_account *a)
{
	char base[DN_MAX];

	if (product[0] == '\0')
		snprintf(base, sizeof(base), "ou=products,%s", t->st->base);
	else if (product_base(t->st, product, base) != 0)
		return UL_EINVAL;
	return list_next_in(t, product, base, product[0] == '\0' ?
	    LDAP_SCOPE_SUBTREE : LDAP_SCOPE_ONELEVEL, "(objectClass=uniAccount)",
	    cur, a);
}

int
dir_account_with_email(struct ul_txn *t, const char *email,
    struct ul_cursor *cur, struct ul_account *a)
{
	char base[DN_MAX], v[ESC(UL_EMAIL_MAX)], filter[sizeof(v) + 64];

	if (dir_filter_value(v, sizeof(v), email) != 0)
		return UL_EINVAL;
	snprintf(base, sizeof(base), "ou=products,%s", t->st->base);
	snprintf(filter, sizeof(filter),
	    "(&(objectClass=uniAccount)(uniAccountEmail=%s))", v);
	return list_next(t, base, LDAP_SCOPE_SUBTREE, filter, cur, a);
}

int
dir_owned_next(struct ul_txn *t, const char *email, struct ul_cursor *cur,
    struct ul_account *a)
{
	char base[DN_MAX], v[ESC(UL_EMAIL_MAX)], filter[sizeof(v) + 64];

	memset(a, 0, sizeof(*a));
	if (dir_filter_value(v, sizeof(v), email) != 0)
		return UL_EINVAL;
	snprintf(base, sizeof(base), "ou=products,%s", t->st->base);
	snprintf(filter, sizeof(filter),
	    "(&(objectClass=uniAccount)(uniOwnerEmail=%s))", v);
	return list_next(t, base, LDAP_SCOPE_SUBTREE, filter, cur, a);
}

/* ---- intents ---- */

static void
unix_key(char key[KEY_MAX], const char *product, const char *unix_user)
{
	snprintf(key, KEY_MAX, "unix:%s:%s", product, unix_user);
}

static void
owner_key(char key[KEY_MAX], const char *owner, const char *product)
{
	snprintf(key, KEY_MAX, "owner:%s:%s", owner, product);
}

static void
account_entry(struct dir_mods *b, const struct ul_account *a)
{
	dir_mods_text(b, LDAP_MOD_ADD, "objectClass", "uniAccount");
	dir_mods_text(b, LDAP_MOD_ADD, "uniAccountName", a->name);
	dir_mods_text(b, LDAP_MOD_ADD, "uniProductName", a->product);
	dir_mods_text(b, LDAP_MOD_ADD, "uniUnixUser", a->unix_user);
	dir_mods_int(b, LDAP_MOD_ADD, "uniUid", a->uid);
	dir_mods_int(b, LDAP_MOD_ADD, "uniAccountState", a->state);
	dir_mods_int(b, LDAP_MOD_ADD, "uniCreated", a->created);
	/* empty texts are left out (dir_mods_bin) */
	dir_mods_text(b, LDAP_MOD_ADD, "uniAccountEmail", a->email);
	dir_mods_text(b, LDAP_MOD_ADD, "uniOwnerEmail", a->owner);
	dir_mods_text(b, LDAP_MOD_ADD, "uniLegacyPwHash", a->pwhash);
	dir_mods_text(b, LDAP_MOD_ADD, "uniParentAccount", a->parent);
	dir_mods_text(b, LDAP_MOD_ADD, "uniFriendlyName", a->friendly_name);
	if (a->gid != 0)
		dir_mods_int(b, LDAP_MOD_ADD, "uniGid", a->gid);
	dir_mods_text(b, LDAP_MOD_ADD, "uniHome", a->home);
	dir_mods_text(b, LDAP_MOD_ADD, "uniShell", a->shell);
}

/* The entry added; a product the directory has no entry for yet (an
 * import in another order, a store test) gets one first: an account names
 * its product. */
static int
add_account(struct dir_session *s, struct ul_store *st,
    const struct ul_account *a, const char *dn, LDAPMod **mods)
{
	struct dir_mods b;
	char base[DN_MAX];
	int r = dir_add(s, dn, mods);

	if (r != UL_ENOTFOUND || product_base(st, a->product, base) != 0)
		return r;
	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_ADD, "objectClass", "uniProduct");
	dir_mods_text(&b, LDAP_MOD_ADD, "uniProductName", a->product);
	dir_mods_int(&b, LDAP_MOD_ADD, "uniCreated", a->created);
	r = dir_add(s, base, dir_mods_list(&b));
	return r == 0 || r == UL_EEXIST ? dir_add(s, dn, mods) : r;
}

/* L1, L1a, L3: the claims first, then the entry (its name claims
 * (product, name)); what this call claimed is given back when a later
 * step is refused.  A crash between leaves orphan claims (swept), never
 * two accounts with one unix_user or uid; an add whose outcome is unknown
 * keeps its claims (the entry may be there). */
int
dir_account_create(struct ul_txn *t, const struct ul_account *a)
{
	char dn[DN_MAX], keys[3][KEY_MAX];
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	LDAPMod **mods;
	int r = account_dn(t->st, a->product, a->name, dn), nkeys = 0, claimed = 0;

	if (r != 0)
		return r;
	if (a->uid == 0 || a->unix_user[0] == '\0')
		return UL_EINVAL;
	unix_key(keys[nkeys++], a->product, a->unix_user);
	snprintf(keys[nkeys++], KEY_MAX, "uid:%" PRIu32, a->uid);
	if (a->owner[0] != '\0')
		owner_key(keys[nkeys++], a->owner, a->product);
	dir_mods_init(&b);
	account_entry(&b, a);
	mods = dir_mods_list(&b);
	if (mods == NULL)
		r = UL_ETOOBIG;
	s = dir_lock_write(t, &lock);
	/* claimed: how many are ours (the one refused is not) */
	while (r == 0 && claimed < nkeys) {
		r = dir_claim(s, t->st, keys[claimed], dn, (int64_t)time(NULL));
		if (r == 0)
			claimed++;
	}
	if (r == 0)
		r = add_account(s, t->st, a, dn, mods);
	if (r != 0 && r != UL_EUNKNOWN)
		for (int i = 0; i < claimed; i++)
			(void)dir_unclaim(s, t->st, keys[i]);
	pthread_mutex_unlock(lock);
	dir_mods_wipe(&b);
	return r;
}

/* One modify of the account under an assertion (the state the caller
 * read, as a filter): 0, or UL_ECONFLICT when it changed meanwhile (or
 * the account went). */
static int
account_modify(struct dir_session *s, struct ul_store *st,
    const struct ul_account *a, struct dir_mods *b, const char *assertion)
{
	char dn[DN_MAX];
	LDAPMod **mods = dir_mods_list(b);
	int r = account_dn(st, a->product, a->name, dn);

	if (r == 0)
		r = mods == NULL ? UL_ETOOBIG :
		    dir_modify(s, dn, mods, assertion, NULL, NULL);
	return r == UL_ENOTFOUND ? UL_ECONFLICT : r;
}

/* "(attr=value)" escaped, or "(!(attr=*))" when value is empty. */
static int
match(char *out, size_t n, const char *attr, const char *value)
{
	char v[ESC(UL_TEXT_MAX)];

	if (value[0] == '\0') {
		snprintf(out, n, "(!(%s=*))", attr);
		return 0;
	}
	if (dir_filter_value(v, sizeof(v), value) != 0)
		return UL_EINVAL;
	return (size_t)snprintf(out, n, "(%s=%s)", attr, v) < n ? 0 : UL_EINVAL;
}

#define ASSERT_MAX (ESC(UL_HASH_STR_MAX) + ESC(UL_EMAIL_MAX) + 256)

/* L5, L6: still legacy, unbanned, with the password the caller read; the
 * owner's claim (L3) first, given back when the modify is refused. */
int
dir_account_link(struct ul_txn *t, const struct ul_account *a,
    const char *owner)
{
	char key[KEY_MAX], dn[DN_MAX];
	char pw[ASSERT_MAX], mail[ASSERT_MAX], assertion[ASSERT_MAX * 2 + 64];
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	if (owner[0] == '\0')
		return UL_EINVAL;
	r = account_dn(t->st, a->product, a->name, dn);
	if (r == 0)
		r = match(pw, sizeof(pw), "uniLegacyPwHash", a->pwhash);
	if (r == 0)
		r = match(mail, sizeof(mail), "uniAccountEmail", a->email);
	if (r != 0)
		return r;
	snprintf(assertion, sizeof(assertion),
	    "(&(!(uniOwnerEmail=*))(!(uniAccountState=2))%s%s)", pw, mail);
	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_REPLACE, "uniOwnerEmail", owner);
	dir_mods_bin(&b, LDAP_MOD_REPLACE, "uniLegacyPwHash", NULL, 0);
	/* a migrated account without an email of its own takes its owner's
	 * (the assertion says it still has none) */
	if (a->email[0] == '\0')
		dir_mods_text(&b, LDAP_MOD_REPLACE, "uniAccountEmail", owner);
	owner_key(key, owner, a->product);
	s = dir_lock_write(t, &lock);
	r = dir_claim(s, t->st, key, dn, (int64_t)time(NULL));
	if (r == 0) {
		r = account_modify(s, t->st, a, &b, assertion);
		if (r != 0 && r != UL_EUNKNOWN)
			(void)dir_unclaim(s, t->st, key);
	}
	pthread_mutex_unlock(lock);
	return r;
}

/* Back to legacy with no password, if still linked to a->owner; then
 * the owner's claim goes. */
int
dir_account_unlink(struct ul_txn *t, const struct ul_account *a)
{
	char key[KEY_MAX], assertion[ASSERT_MAX];
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	if (a->owner[0] == '\0')
		return UL_ECONFLICT;
	r = match(assertion, sizeof(assertion), "uniOwnerEmail", a->owner);
	if (r != 0)
		return r;
	dir_mods_init(&b);
	dir_mods_bin(&b, LDAP_MOD_REPLACE, "uniOwnerEmail", NULL, 0);
	dir_mods_bin(&b, LDAP_MOD_REPLACE, "uniLegacyPwHash", NULL, 0);
	s = dir_lock_write(t, &lock);
	r = account_modify(s, t->st, a, &b, assertion);
	if (r == 0) {
		owner_key(key, a->owner, a->product);
		r = dir_unclaim(s, t->st, key);
	}
	pthread_mutex_unlock(lock);
	return r;
}

/* L9, L10: a banned account changes no more. */
int
dir_account_set_state(struct ul_txn *t, const struct ul_account *a,
    enum ul_account_state state)
{
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	dir_mods_init(&b);
	dir_mods_int(&b, LDAP_MOD_REPLACE, "uniAccountState", state);
	s = dir_lock_write(t, &lock);
	r = account_modify(s, t->st, a, &b, "(!(uniAccountState=2))");
	pthread_mutex_unlock(lock);
	return r;
}

/* L1: a legacy account's own password; with old, only if it is still
 * old (U3). */
int
dir_account_set_password(struct ul_txn *t, const struct ul_account *a,
    const char *old, const char hash[UL_HASH_STR_MAX])
{
	char pw[ASSERT_MAX] = "", assertion[ASSERT_MAX + 64];
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r = old != NULL ? match(pw, sizeof(pw), "uniLegacyPwHash", old) : 0;

	if (r != 0)
		return r;
	snprintf(assertion, sizeof(assertion), "(&(!(uniOwnerEmail=*))%s)", pw);
	dir_mods_init(&b);
	if (hash[0] != '\0')
		dir_mods_text(&b, LDAP_MOD_REPLACE, "uniLegacyPwHash", hash);
	else
		dir_mods_bin(&b, LDAP_MOD_REPLACE, "uniLegacyPwHash", NULL, 0);
	s = dir_lock_write(t, &lock);
	r = account_modify(s, t->st, a, &b, assertion);
	pthread_mutex_unlock(lock);
	dir_mods_wipe(&b);
	return r;
}

/* U6: the account's owner and its own email, where they are `from`,
 * become `to`, under "they are what the provider showed"; the owner's
 * claim moves first (UL_EEXIST: `to` owns an account of the product
 * already). */
int
dir_account_move_email(struct ul_txn *t, const struct ul_account *a,
    const char *from, const char *to)
{
	char dn[DN_MAX], old_key[KEY_MAX], new_key[KEY_MAX];
	char owner[ASSERT_MAX], mail[ASSERT_MAX], assertion[ASSERT_MAX * 2 + 16];
	struct ul_account now;
	LDAPMessage *res = NULL, *e;
	bool moves_owner;
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	if (from[0] == '\0' || to[0] == '\0')
		return UL_EINVAL;
	r = account_dn(t->st, a->product, a->name, dn);
	if (r != 0)
		return r;
	s = dir_lock_write(t, &lock);
	r = dir_search_one(s, dn, LDAP_SCOPE_BASE, "(objectClass=uniAccount)",
	    NULL, &res, &e);
	if (r == 0)
		read_account(s, e, &now);
	dir_msgfree(res);
	if (r == UL_ENOTFOUND)
		r = UL_ECONFLICT;
	if (r == 0)
		r = match(owner, sizeof(owner), "uniOwnerEmail", now.owner);
	if (r == 0)
		r = match(mail, sizeof(mail), "uniAccountEmail", now.email);
	if (r != 0)
		goto out;
	snprintf(assertion, sizeof(assertion), "(&%s%s)", owner, mail);
	moves_owner = strcmp(now.owner, from) == 0;
	dir_mods_init(&b);
	if (moves_owner)
		dir_mods_text(&b, LDAP_MOD_REPLACE, "uniOwnerEmail", to);
	if (strcmp(now.email, from) == 0)
		dir_mods_text(&b, LDAP_MOD_REPLACE, "uniAccountEmail", to);
	if (b.nmods == 0)
		goto out;       /* neither is from: nothing moves */
	owner_key(old_key, from, a->product);
	owner_key(new_key, to, a->product);
	r = moves_owner ? dir_claim(s, t->st, new_key, dn, (int64_t)time(NULL)) : 0;
	if (r == 0)
		r = account_modify(s, t->st, a, &b, assertion);
	if (moves_owner && r == 0)
		(void)dir_unclaim(s, t->st, old_key);
	else if (moves_owner && r != UL_EEXIST && r != UL_EUNKNOWN)
		(void)dir_unclaim(s, t->st, new_key);
out:
	pthread_mutex_unlock(lock);
	sodium_memzero(&now, sizeof(now));
	return r;
}
