/* The LMDB backend's products, product accounts with their indexes (each
 * index entry is a claim: a unique key that names one account), the uid
 * counter, teammates and API keys. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/store/lmdb/internal.h"
#include "unilogin/error.h"

/* ---- products ---- */

int
lmdb_product_get(struct ul_txn *t, const char *name, struct ul_product *p)
{
	struct st_key k;
	MDB_val v;
	int r;

	r = st_key_make(&k, name, NULL) != 0 ? UL_ENOTFOUND : 0;
	memset(p, 0, sizeof(*p));
	if (r != 0 || (r = st_get(t, DB_PRODUCTS, &k, &v)) != 0)
		return r;
	return ul_record_product_decode(v.mv_data, v.mv_size, p);
}

int
lmdb_product_next(struct ul_txn *t, struct ul_cursor *cur,
    struct ul_product *p)
{
	MDB_val k, v;
	int r;

	memset(p, 0, sizeof(*p));
	r = st_cursor_next(t, DB_PRODUCTS, cur, NULL, &k, &v);
	return r != 0 ? r : ul_record_product_decode(v.mv_data, v.mv_size, p);
}

int
lmdb_product_create(struct ul_txn *t, const struct ul_product *p)
{
	struct ul_product old;
	struct st_key k;
	int r = lmdb_product_get(t, p->name, &old);

	if (r == 0)
		return UL_EEXIST;
	if (r != UL_ENOTFOUND)
		return r;
	if (st_key_make(&k, p->name, NULL) != 0)
		return UL_EINVAL;
	ul_record_product_encode(&t->rec, p);
	return st_put_record(t, DB_PRODUCTS, &k);
}

/* ---- accounts ---- */

static struct st_key
uid_key(uint32_t uid)
{
	struct st_key k = {.len = 4};

	st_be32((uint8_t *)k.buf, uid);
	return k;
}

/* An index value holds a name (or product\0name); copy it out bounded. */
static int
index_value(const MDB_val *v, char *out, size_t n)
{
	if (v->mv_size >= n)
		return UL_ESTORE;
	memcpy(out, v->mv_data, v->mv_size);
	out[v->mv_size] = '\0';
	return 0;
}

int
lmdb_account_get(struct ul_txn *t, const char *product, const char *name,
    struct ul_account *a)
{
	struct st_key k;
	MDB_val v;
	int r;

	/* the key is built first: the caller may pass a field of *a */
	r = st_key_make(&k, product, name) != 0 ? UL_ENOTFOUND : 0;
	memset(a, 0, sizeof(*a));
	if (r != 0 || (r = st_get(t, DB_ACCOUNTS, &k, &v)) != 0)
		return r;
	r = ul_record_account_decode(v.mv_data, v.mv_size, a);
	if (r != 0)
		sodium_memzero(a, sizeof(*a));
	return r;
}

static int
account_via(struct ul_txn *t, int db, const struct st_key *k,
    const char *product, struct ul_account *a)
{
	char name[UL_ACCOUNT_MAX + 1], prod[UL_PRODUCT_MAX + 1];
	MDB_val v;
	int r;

	/* product may be a->product: copy it before a is cleared */
	if (strlen(product) >= sizeof(prod))
		return UL_ENOTFOUND;
	memcpy(prod, product, strlen(product) + 1);
	memset(a, 0, sizeof(*a));
	r = st_get(t, db, k, &v);
	if (r == 0)
		r = index_value(&v, name, sizeof(name));
	return r != 0 ? r : lmdb_account_get(t, prod, name, a);
}

/* Schema 4: an account whose Unix name is its own name has no acct_unix
 * entry; the account of that name, when its unix_user matches, is the
 * claim (most accounts: one B-tree walk fewer for every ACCOUNT_CHECK). */
static bool
unix_is_name(const struct ul_account *a)
{
	return strcmp(a->unix_user, a->name) == 0;
}

int
lmdb_account_by_unix(struct ul_txn *t, const char *product,
    const char *unix_user, struct ul_account *a)
{
	char prod[UL_PRODUCT_MAX + 1], user[UL_UNIX_USER_MAX + 1];
	struct st_key k;
	int r;

	/* both may be fields of *a: copy them before a is cleared */
	if (strlen(product) >= sizeof(prod) || strlen(unix_user) >= sizeof(user))
		return UL_ENOTFOUND;
	memcpy(prod, product, strlen(product) + 1);
	memcpy(user, unix_user, strlen(unix_user) + 1);
	r = lmdb_account_get(t, prod, user, a);
	if (r == 0 && unix_is_name(a))
		return 0;
	if (r != 0 && r != UL_ENOTFOUND)
		return r;
	if (st_key_make(&k, prod, user) != 0)
		return UL_ENOTFOUND;
	return account_via(t, DB_ACCT_UNIX, &k, prod, a);
}

int
lmdb_account_owned(struct ul_txn *t, const char *email, const char *product,
    struct ul_account *a)
{
	struct st_key k;

	if (st_key_make(&k, email, product) != 0)
		return UL_ENOTFOUND;
	return account_via(t, DB_OWNED, &k, product, a);
}

/* uid -> product\0name */
static int
account_of_uid_value(struct ul_txn *t, const MDB_val *v, struct ul_account *a)
{
	char pn[UL_PRODUCT_MAX + 1 + UL_ACCOUNT_MAX + 1];
	size_t plen;
	int r = index_value(v, pn, sizeof(pn));

	if (r != 0)
		return r;
	plen = strnlen(pn, v->mv_size);
	if (plen >= v->mv_size)
		return UL_ESTORE;
	return lmdb_account_get(t, pn, pn + plen + 1, a);
}

int
lmdb_account_by_uid(struct ul_txn *t, uint32_t uid, struct ul_account *a)
{
	struct st_key k = uid_key(uid);
	MDB_val v;
	int r;

	memset(a, 0, sizeof(*a));
	r = st_get(t, DB_ACCT_UID, &k, &v);
	return r != 0 ? r : account_of_uid_value(t, &v, a);
}

/* An index entry (db, key) may point only at this account. */
static int
index_free_for(struct ul_txn *t, int db, const struct st_key *k,
    const struct st_key *expect)
{
	MDB_val v;
	int r = st_get(t, db, k, &v);

	if (r == UL_ENOTFOUND)
		return 0;
	if (r != 0)
		return r;
	if (v.mv_size == expect->len && memcmp(v.mv_data, expect->buf, v.mv_size) == 0)
		return 0;
	return UL_EEXIST;
}

/* The Unix name of a (product\0unix_user: ku) is free for a: no other
 * account names it in acct_unix, nor is it another account's own name and
 * Unix name (schema 4: that account holds it without an entry). */
static int
unix_free_for(struct ul_txn *t, const struct ul_account *a,
    const struct st_key *ku, const struct st_key *name)
{
	struct ul_account other;
	int r = index_free_for(t, DB_ACCT_UNIX, ku, name);

	if (r != 0 || unix_is_name(a))
		return r;
	r = lmdb_account_get(t, a->product, a->unix_user, &other);
	if (r == 0 && unix_is_name(&other))
		r = UL_EEXIST;
	else if (r == 0 || r == UL_ENOTFOUND)
		r = 0;
	sodium_memzero(&other, sizeof(other));
	return r;
}

/* Removes the index entries of the record as stored, before a put. */
static int
unindex(struct ul_txn *t, const struct ul_account *old)
{
	struct st_key k;
	int r;

	if (!unix_is_name(old) &&
	    st_key_make(&k, old->product, old->unix_user) == 0 &&
	    (r = st_del(t, DB_ACCT_UNIX, &k)) != 0)
		return r;
	k = uid_key(old->uid);
	if ((r = st_del(t, DB_ACCT_UID, &k)) != 0)
		return r;
	if (old->owner[0] != '\0' && st_key_make(&k, old->owner, old->product) == 0 &&
	    (r = st_del(t, DB_OWNED, &k)) != 0)
		return r;
	if (old->email[0] != '\0' &&
	    st_key3(&k, old->email, old->product, old->name) == 0 &&
	    (r = st_del(t, DB_ACCT_EMAIL, &k)) != 0)
		return r;
	return 0;
}

/* Writes a with every index in step; `old` is the record as stored (NULL
 * for a new one).  Each index names one account: every claim is checked
 * first, so a clash (UL_EEXIST) leaves the indexes as they were. */
static int
account_put(struct ul_txn *t, const struct ul_account *old,
    const struct ul_account *a)
{
	struct st_key key, name, ku, kid = uid_key(a->uid), ko, ke;
	/* schema 3: `owned` finds an account whose email is its owner's */
	bool by_email = a->email[0] != '\0' && strcmp(a->email, a->owner) != 0;
	int r;

	if (st_key_make(&key, a->product, a->name) != 0 ||
	    st_key_make(&name, a->name, NULL) != 0 ||
	    st_key_make(&ku, a->product, a->unix_user) != 0 ||
	    (a->owner[0] != '\0' && st_key_make(&ko, a->owner, a->product) != 0) ||
	    (by_email && st_key3(&ke, a->email, a->product, a->name) != 0))
		return UL_EINVAL;
	if ((r = unix_free_for(t, a, &ku, &name)) != 0 ||
	    (r = index_free_for(t, DB_ACCT_UID, &kid, &key)) != 0 ||
	    (a->owner[0] != '\0' && (r = index_free_for(t, DB_OWNED, &ko, &name)) != 0))
		return r;
	if (old != NULL && (r = unindex(t, old)) != 0)
		return r;
	if ((!unix_is_name(a) &&
	     (r = st_put_raw(t, DB_ACCT_UNIX, &ku, name.buf, name.len)) != 0) ||
	    (r = st_put_raw(t, DB_ACCT_UID, &kid, key.buf, key.len)) != 0 ||
	    (a->owner[0] != '\0' &&
	     (r = st_put_raw(t, DB_OWNED, &ko, name.buf, name.len)) != 0) ||
	    (by_email && (r = st_put_raw(t, DB_ACCT_EMAIL, &ke, "", 0)) != 0))
		return r;
	ul_record_account_encode(&t->rec, a);
	return st_put_record(t, DB_ACCOUNTS, &key);
}

int
lmdb_account_create(struct ul_txn *t, const struct ul_account *a)
{
	struct ul_account old;
	int r = lmdb_account_get(t, a->product, a->name, &old);

	sodium_memzero(&old, sizeof(old));
	if (r == 0)
		return UL_EEXIST;
	if (r != UL_ENOTFOUND)
		return r;
	if (a->uid == 0)
		return UL_EINVAL;
	return account_put(t, NULL, a);
}

/* Runs change(new, arg) on the stored record of a and writes it back with
 * its indexes when it returns 0. */
static int
account_change(struct ul_txn *t, const struct ul_account *a,
    int (*change)(struct ul_account *n, const void *arg), const void *arg)
{
	struct ul_account old, n;
	int r = lmdb_account_get(t, a->product, a->name, &old);

	if (r == UL_ENOTFOUND)
		r = UL_ECONFLICT;
	n = old;
	if (r == 0)
		r = change(&n, arg);
	if (r == 0)
		r = account_put(t, &old, &n);
	sodium_memzero(&old, sizeof(old));
	sodium_memzero(&n, sizeof(n));
	return r;
}

struct link {
	const char *owner, *pwhash;
};

static int
link(struct ul_account *a, const void *arg)
{
	const struct link *l = arg;

	/* still legacy, unbanned, with the password the caller saw (L6) */
	if (a->owner[0] != '\0' || a->state == UL_ACCOUNT_BANNED ||
	    strcmp(a->pwhash, l->pwhash) != 0)
		return UL_ECONFLICT;
	snprintf(a->owner, sizeof(a->owner), "%s", l->owner);
	/* a migrated account without an email of its own takes its owner's */
	if (a->email[0] == '\0')
		snprintf(a->email, sizeof(a->email), "%s", l->owner);
	sodium_memzero(a->pwhash, sizeof(a->pwhash));   /* L5 */
	return 0;
}

int
lmdb_account_link(struct ul_txn *t, const struct ul_account *a,
    const char *owner)
{
	struct link l = {.owner = owner, .pwhash = a->pwhash};

	return owner[0] == '\0' ? UL_EINVAL : account_change(t, a, link, &l);
}

static int
unlink_owner(struct ul_account *a, const void *arg)
{
	if (a->owner[0] == '\0' || strcmp(a->owner, (const char *)arg) != 0)
		return UL_ECONFLICT;
	a->owner[0] = '\0';
	sodium_memzero(a->pwhash, sizeof(a->pwhash));
	return 0;
}

int
lmdb_account_unlink(struct ul_txn *t, const struct ul_account *a)
{
	return account_change(t, a, unlink_owner, a->owner);
}

static int
set_state(struct ul_account *a, const void *arg)
{
	/* L10: a ban is permanent */
	if (a->state == UL_ACCOUNT_BANNED)
		return UL_ECONFLICT;
	a->state = *(const enum ul_account_state *)arg;
	return 0;
}

int
lmdb_account_set_state(struct ul_txn *t, const struct ul_account *a,
    enum ul_account_state state)
{
	return account_change(t, a, set_state, &state);
}

struct legacy_password {
	const char *old, *hash;
};

static int
set_password(struct ul_account *a, const void *arg)
{
	const struct legacy_password *p = arg;

	/* L5: a linked account has no password of its own */
	if (a->owner[0] != '\0' || (p->old != NULL && strcmp(a->pwhash, p->old) != 0))
		return UL_ECONFLICT;
	memcpy(a->pwhash, p->hash, UL_HASH_STR_MAX);
	return 0;
}

int
lmdb_account_set_password(struct ul_txn *t, const struct ul_account *a,
    const char *old, const char hash[UL_HASH_STR_MAX])
{
	struct legacy_password p = {.old = old, .hash = hash};

	return account_change(t, a, set_password, &p);
}

struct move {
	const char *from, *to;
};

static int
move_email(struct ul_account *a, const void *arg)
{
	const struct move *m = arg;

	if (strcmp(a->owner, m->from) == 0)
		snprintf(a->owner, sizeof(a->owner), "%s", m->to);
	if (strcmp(a->email, m->from) == 0)
		snprintf(a->email, sizeof(a->email), "%s", m->to);
	return 0;
}

int
lmdb_account_move_email(struct ul_txn *t, const struct ul_account *a,
    const char *from, const char *to)
{
	struct move m = {.from = from, .to = to};

	return from[0] == '\0' || to[0] == '\0' ? UL_EINVAL
	    : account_change(t, a, move_email, &m);
}

int
lmdb_account_next(struct ul_txn *t, const char *product,
    struct ul_cursor *cur, struct ul_account *a)
{
	struct st_key prefix = {.len = 0};
	MDB_val k, v;
	int r;

	memset(a, 0, sizeof(*a));
	if (product[0] != '\0' && st_key_make(&prefix, product, "") != 0)
		return UL_EINVAL;
	r = st_cursor_next(t, DB_ACCOUNTS, cur, &prefix, &k, &v);
	return r != 0 ? r : ul_record_account_decode(v.mv_data, v.mv_size, a);
}

int
lmdb_owned_next(struct ul_txn *t, const char *email, struct ul_cursor *cur,
    struct ul_account *a)
{
	char name[UL_ACCOUNT_MAX + 1], product[UL_PRODUCT_MAX + 1];
	struct st_key prefix;
	MDB_val k, v;
	int r;

	memset(a, 0, sizeof(*a));
	if (st_key_make(&prefix, email, "") != 0)
		return UL_EINVAL;
	/* the key is email\0product, the value the account's name */
	r = st_cursor_next(t, DB_OWNED, cur, &prefix, &k, &v);
	if (r == 0)
		r = st_key_tail(&k, prefix.len, product, sizeof(product), NULL, 0);
	if (r == 0)
		r = index_value(&v, name, sizeof(name));
	return r != 0 ? r : lmdb_account_get(t, product, name, a);
}

/* ---- the uid counter ---- */

static const struct st_key next_uid_key = {.buf = "next_uid", .len = 8};

int
lmdb_next_uid(struct ul_txn *t, uint32_t *next)
{
	MDB_val v;
	int r = st_get(t, DB_META, &next_uid_key, &v);

	*next = 0;
	if (r == 0 && v.mv_size == 4)
		*next = st_get_be32(v.mv_data);
	return r == UL_ENOTFOUND ? 0 : r;
}

static int
set_next_uid(struct ul_txn *t, uint32_t next)
{
	uint8_t b[4];

	st_be32(b, next);
	return st_put_raw(t, DB_META, &next_uid_key, b, 4);
}

int
lmdb_uid_allocate(struct ul_txn *t, uint32_t min, uint32_t max,
    uint32_t *uid)
{
	uint32_t stored;
	uint64_t next;
	struct st_key ku;
	MDB_val v;
	int r = lmdb_next_uid(t, &stored);

	*uid = 0;
	if (r != 0)
		return r;
	for (next = stored > min ? stored : min; next <= max; next++) {
		ku = uid_key((uint32_t)next);
		r = st_get(t, DB_ACCT_UID, &ku, &v);
		if (r == UL_ENOTFOUND)
			break;
		if (r != 0)
			return r;
	}
	if (next > max)
		return UL_ENOSPC;
	*uid = (uint32_t)next;
	return set_next_uid(t, next + 1 <= UINT32_MAX ? (uint32_t)next + 1
	    : (uint32_t)next);
}

int
lmdb_uid_floor(struct ul_txn *t, uint32_t next)
{
	uint32_t stored;
	int r = lmdb_next_uid(t, &stored);

	return r != 0 || stored >= next ? r : set_next_uid(t, next);
}

/* ---- teammates (L7): a role per (account, user), found from either side ---- */

static int
role_of(const MDB_val *v, char role[UL_ROLE_MAX + 1])
{
	if (v->mv_size > UL_ROLE_MAX)
		return UL_ESTORE;
	memcpy(role, v->mv_data, v->mv_size);
	role[v->mv_size] = '\0';
	return 0;
}

int
lmdb_member_get(struct ul_txn *t, const char *product, const char *account,
    const char *email, char role[UL_ROLE_MAX + 1])
{
	struct st_key k;
	MDB_val v;
	int r;

	role[0] = '\0';
	if (st_key3(&k, product, account, email) != 0)
		return UL_ENOTFOUND;
	r = st_get(t, DB_MEMBERS, &k, &v);
	return r != 0 ? r : role_of(&v, role);
}

int
lmdb_member_set(struct ul_txn *t, const char *product, const char *account,
    const char *email, const char *role)
{
	struct st_key k, by;
	size_t n = strlen(role);
	int r;

	if (n == 0 || n > UL_ROLE_MAX || st_key3(&k, product, account, email) != 0 ||
	    st_key3(&by, email, product, account) != 0)
		return UL_EINVAL;
	r = st_put_raw(t, DB_MEMBERS, &k, role, n);
	return r != 0 ? r : st_put_raw(t, DB_MEMBERS_BY_EMAIL, &by, role, n);
}

int
lmdb_member_remove(struct ul_txn *t, const char *product,
    const char *account, const char *email)
{
	struct st_key k, by;
	int r;

	if (st_key3(&k, product, account, email) != 0 ||
	    st_key3(&by, email, product, account) != 0)
		return UL_EINVAL;
	r = st_del(t, DB_MEMBERS, &k);
	return r != 0 ? r : st_del(t, DB_MEMBERS_BY_EMAIL, &by);
}

int
lmdb_member_next(struct ul_txn *t, const char *product, const char *account,
    struct ul_cursor *cur, char email[UL_EMAIL_MAX + 1],
    char role[UL_ROLE_MAX + 1])
{
	struct st_key prefix;
	MDB_val k, v;
	int r;

	email[0] = role[0] = '\0';
	if (st_key3(&prefix, product, account, "") != 0)
		return UL_EINVAL;
	r = st_cursor_next(t, DB_MEMBERS, cur, &prefix, &k, &v);
	if (r == 0)
		r = st_key_tail(&k, prefix.len, email, UL_EMAIL_MAX + 1, NULL, 0);
	return r != 0 ? r : role_of(&v, role);
}

int
lmdb_membership_next(struct ul_txn *t, const char *email,
    struct ul_cursor *cur, char product[UL_PRODUCT_MAX + 1],
    char account[UL_ACCOUNT_MAX + 1], char role[UL_ROLE_MAX + 1])
{
	struct st_key prefix;
	MDB_val k, v;
	int r;

	product[0] = account[0] = role[0] = '\0';
	if (st_key_make(&prefix, email, "") != 0)
		return UL_EINVAL;
	r = st_cursor_next(t, DB_MEMBERS_BY_EMAIL, cur, &prefix, &k, &v);
	if (r == 0)
		r = st_key_tail(&k, prefix.len, product, UL_PRODUCT_MAX + 1, account,
		    UL_ACCOUNT_MAX + 1);
	return r != 0 ? r : role_of(&v, role);
}

/* ---- API keys (T8) ---- */

int
lmdb_apikey_get(struct ul_txn *t, const char *id, struct ul_apikey *k)
{
	struct st_key key;
	MDB_val v;
	int r;

	r = st_key_make(&key, id, NULL) != 0 ? UL_ENOTFOUND : 0;
	memset(k, 0, sizeof(*k));
	if (r != 0 || (r = st_get(t, DB_APIKEYS, &key, &v)) != 0)
		return r;
	return ul_record_apikey_decode(v.mv_data, v.mv_size, k);
}

static int
apikey_put(struct ul_txn *t, const struct ul_apikey *k)
{
	struct st_key key, by;
	int r;

	if (st_key_make(&key, k->id, NULL) != 0 ||
	    st_key_make(&by, k->email, k->id) != 0)
		return UL_EINVAL;
	r = st_put_raw(t, DB_APIKEYS_BY_EMAIL, &by, "", 0);
	if (r != 0)
		return r;
	ul_record_apikey_encode(&t->rec, k);
	return st_put_record(t, DB_APIKEYS, &key);
}

static int
apikey_unindex(struct ul_txn *t, const struct ul_apikey *k)
{
	struct st_key by;

	if (st_key_make(&by, k->email, k->id) != 0)
		return UL_EINVAL;
	return st_del(t, DB_APIKEYS_BY_EMAIL, &by);
}

int
lmdb_apikey_create(struct ul_txn *t, const struct ul_apikey *k)
{
	struct ul_apikey old;
	int r = lmdb_apikey_get(t, k->id, &old);

	sodium_memzero(&old, sizeof(old));
	if (r == 0)
		return UL_EEXIST;
	return r == UL_ENOTFOUND ? apikey_put(t, k) : r;
}

int
lmdb_apikey_revoke(struct ul_txn *t, const char *id)
{
	struct ul_apikey k;
	struct st_key key;
	int r = lmdb_apikey_get(t, id, &k);

	if (r == 0)
		r = apikey_unindex(t, &k);
	if (r == 0 && (r = st_key_make(&key, id, NULL)) == 0)
		r = st_del(t, DB_APIKEYS, &key);
	sodium_memzero(&k, sizeof(k));
	return r;
}

int
lmdb_apikey_move(struct ul_txn *t, const char *id, const char *email)
{
	struct ul_apikey k;
	int r = lmdb_apikey_get(t, id, &k);

	if (r == UL_ENOTFOUND)
		r = UL_ECONFLICT;
	if (r == 0)
		r = apikey_unindex(t, &k);
	if (r == 0) {
		snprintf(k.email, sizeof(k.email), "%s", email);
		r = apikey_put(t, &k);
	}
	sodium_memzero(&k, sizeof(k));
	return r;
}

int
lmdb_apikey_next(struct ul_txn *t, const char *email, struct ul_cursor *cur,
    struct ul_apikey *k)
{
	char id[UL_APIKEY_ID_MAX + 1];
	int r;

	memset(k, 0, sizeof(*k));
	r = st_next_id_of(t, DB_APIKEYS_BY_EMAIL, email, cur, id, sizeof(id));
	return r != 0 ? r : lmdb_apikey_get(t, id, k);
}

/* Runs each(t, a) on every stored account, in key order, until one
 * returns non-zero (the schema upgrades at open). */
int
st_accounts_each(struct ul_txn *t,
    int (*each)(struct ul_txn *t, const struct ul_account *a))
{
	struct ul_account a;
	MDB_cursor *c;
	MDB_val key, v;
	int rc = mdb_cursor_open(t->txn, t->st->dbi[DB_ACCOUNTS], &c), r = 0;

	if (rc != 0)
		return st_map_error(rc);
	for (rc = mdb_cursor_get(c, &key, &v, MDB_FIRST); rc == 0 && r == 0;
	     rc = mdb_cursor_get(c, &key, &v, MDB_NEXT)) {
		if ((r = ul_record_account_decode(v.mv_data, v.mv_size, &a)) == 0)
			r = each(t, &a);
	}
	mdb_cursor_close(c);
	sodium_memzero(&a, sizeof(a));
	if (r != 0)
		return r;
	return rc == MDB_NOTFOUND ? 0 : st_map_error(rc);
}

static int
drop_own_unix_name(struct ul_txn *t, const struct ul_account *a)
{
	struct st_key k;

	if (!unix_is_name(a) || st_key_make(&k, a->product, a->unix_user) != 0)
		return 0;
	return st_del(t, DB_ACCT_UNIX, &k);
}

/* Schema 4: the acct_unix entries of accounts whose Unix name is their
 * own name go; lmdb_account_by_unix finds those accounts by name. */
int
st_accounts_drop_own_unix_names(struct ul_txn *t)
{
	return st_accounts_each(t, drop_own_unix_name);
}
