/* The store's product accounts with their indexes, uid allocation, the
 * audit log and counts. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "helper/store/lmdb/store_internal.h"
#include "unilogin/error.h"

static void
be64(uint8_t *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static uint64_t
get_be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | b[i];
	return v;
}

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
ul_store_account_get(struct ul_txn *t, const char *product, const char *name,
    struct ul_account *a)
{
	struct st_key k;
	MDB_val v;
	int r;

	if (st_key_make(&k, product, name) != 0)
		return UL_ENOTFOUND;
	/* the key is built first: the caller may pass a field of *out */
	memset(a, 0, sizeof(*a));
	r = st_get(t, DB_ACCOUNTS, &k, &v);
	return r != 0 ? r : ul_record_account_decode(v.mv_data, v.mv_size, a);
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
	return r != 0 ? r : ul_store_account_get(t, prod, name, a);
}

int
ul_store_account_by_unix(struct ul_txn *t, const char *product,
    const char *unix_user, struct ul_account *a)
{
	struct st_key k;

	if (st_key_make(&k, product, unix_user) != 0)
		return UL_ENOTFOUND;
	return account_via(t, DB_ACCT_UNIX, &k, product, a);
}

int
ul_store_account_owned(struct ul_txn *t, const char *email, const char *product,
    struct ul_account *a)
{
	struct st_key k;

	if (st_key_make(&k, email, product) != 0)
		return UL_ENOTFOUND;
	return account_via(t, DB_OWNED, &k, product, a);
}

int
ul_store_account_by_uid(struct ul_txn *t, uint32_t uid, struct ul_account *a)
{
	struct st_key k = uid_key(uid);
	char pn[UL_PRODUCT_MAX + 1 + UL_ACCOUNT_MAX + 1];
	MDB_val v;
	size_t plen;
	int r;

	memset(a, 0, sizeof(*a));
	r = st_get(t, DB_ACCT_UID, &k, &v);
	if (r == 0)
		r = index_value(&v, pn, sizeof(pn));
	if (r != 0)
		return r;
	plen = strnlen(pn, v.mv_size);
	if (plen >= v.mv_size)
		return UL_ESTORE;
	return ul_store_account_get(t, pn, pn + plen + 1, a);
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

/* Removes the index entries of the record as stored, before a put or del. */
static int
unindex(struct ul_txn *t, const struct ul_account *old)
{
	struct st_key k;
	int r;

	if (st_key_make(&k, old->product, old->unix_user) == 0 &&
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

int
ul_store_account_put(struct ul_txn *t, const struct ul_account *a)
{
	struct st_key key, name, ku, kid = uid_key(a->uid), ko;
	struct ul_account old;
	int r;

	if (st_key_make(&key, a->product, a->name) != 0 ||
	    st_key_make(&name, a->name, NULL) != 0 ||
	    st_key_make(&ku, a->product, a->unix_user) != 0)
		return UL_EINVAL;
	r = ul_store_account_get(t, a->product, a->name, &old);
	if (r == 0)
		r = unindex(t, &old);
	else if (r == UL_ENOTFOUND)
		r = 0;
	if (r != 0)
		return r;
	/* Each index names one account: a clash is UL_EEXIST and the caller
	 * aborts the transaction. */
	if ((r = index_free_for(t, DB_ACCT_UNIX, &ku, &name)) != 0 ||
	    (r = index_free_for(t, DB_ACCT_UID, &kid, &key)) != 0)
		return r;
	if ((r = st_put_raw(t, DB_ACCT_UNIX, &ku, name.buf, name.len)) != 0 ||
	    (r = st_put_raw(t, DB_ACCT_UID, &kid, key.buf, key.len)) != 0)
		return r;
	if (a->owner[0] != '\0') {
		if (st_key_make(&ko, a->owner, a->product) != 0)
			return UL_EINVAL;
		if ((r = index_free_for(t, DB_OWNED, &ko, &name)) != 0 ||
		    (r = st_put_raw(t, DB_OWNED, &ko, name.buf, name.len)) != 0)
			return r;
	}
	if (a->email[0] != '\0') {
		if (st_key3(&ko, a->email, a->product, a->name) != 0 ||
		    (r = st_put_raw(t, DB_ACCT_EMAIL, &ko, "", 0)) != 0)
			return r != 0 ? r : UL_EINVAL;
	}
	ul_record_account_encode(&t->rec, a);
	return st_put_record(t, DB_ACCOUNTS, &key);
}

int
ul_store_account_with_email(struct ul_txn *t, const char *email,
    const char *after_product, const char *after, struct ul_account *a)
{
	char product[UL_PRODUCT_MAX + 1], name[UL_ACCOUNT_MAX + 1];
	struct st_key from, prefix;
	const char *p;
	MDB_val k, v;
	size_t n, lp;
	int r;

	if (st_key_make(&prefix, email, "") != 0)
		return UL_EINVAL;
	if (after_product[0] == '\0')
		from = prefix;
	else if (st_key3(&from, email, after_product, after) != 0)
		return UL_EINVAL;
	memset(a, 0, sizeof(*a));
	r = st_seek_after(t, DB_ACCT_EMAIL, &from, after_product[0] != '\0',
	    prefix.buf, prefix.len, &k, &v);
	if (r != 0)
		return r;
	p = (const char *)k.mv_data + prefix.len;
	n = k.mv_size - prefix.len;
	lp = strnlen(p, n);
	if (lp >= n || lp > UL_PRODUCT_MAX || n - lp - 1 > UL_ACCOUNT_MAX)
		return UL_ESTORE;
	memcpy(product, p, lp);
	product[lp] = '\0';
	memcpy(name, p + lp + 1, n - lp - 1);
	name[n - lp - 1] = '\0';
	return ul_store_account_get(t, product, name, a);
}

int
ul_store_account_del(struct ul_txn *t, const char *product, const char *name)
{
	struct ul_account old;
	struct st_key k;
	int r = ul_store_account_get(t, product, name, &old);

	if (r != 0)
		return r;
	if ((r = unindex(t, &old)) != 0)
		return r;
	if (st_key_make(&k, product, name) != 0)
		return UL_EINVAL;
	return st_del(t, DB_ACCOUNTS, &k);
}

int
ul_store_account_next(struct ul_txn *t, const char *product,
    const char *after_product, const char *after, struct ul_account *a)
{
	struct st_key from = {.len = 0}, prefix = {.len = 0};
	MDB_val k, v;
	int r;

	if (product[0] != '\0') {
		if (st_key_make(&prefix, product, "") != 0)
			return UL_EINVAL;
		after_product = product;
	}
	if (after_product[0] != '\0' && st_key_make(&from, after_product, after) != 0)
		return UL_EINVAL;
	memset(a, 0, sizeof(*a));
	r = st_seek_after(t, DB_ACCOUNTS, &from, after[0] != '\0', prefix.buf,
	    prefix.len, &k, &v);
	return r != 0 ? r : ul_record_account_decode(v.mv_data, v.mv_size, a);
}

int
ul_store_owned_next(struct ul_txn *t, const char *email, const char *after,
    struct ul_account *a)
{
	struct st_key from, prefix;
	char name[UL_ACCOUNT_MAX + 1];
	const char *product;
	MDB_val k, v;
	int r;

	if (st_key_make(&from, email, after) != 0 ||
	    st_key_make(&prefix, email, "") != 0)
		return UL_EINVAL;
	memset(a, 0, sizeof(*a));
	r = st_seek_after(t, DB_OWNED, &from, after[0] != '\0', prefix.buf,
	    prefix.len, &k, &v);
	if (r == 0)
		r = index_value(&v, name, sizeof(name));
	if (r != 0)
		return r;
	/* the key is email\0product */
	if (k.mv_size <= prefix.len || k.mv_size - prefix.len > UL_PRODUCT_MAX)
		return UL_ESTORE;
	char pbuf[UL_PRODUCT_MAX + 1];
	memcpy(pbuf, (const char *)k.mv_data + prefix.len, k.mv_size - prefix.len);
	pbuf[k.mv_size - prefix.len] = '\0';
	product = pbuf;
	return ul_store_account_get(t, product, name, a);
}

int
ul_store_uid_allocate(struct ul_txn *t, uint32_t min, uint32_t max,
    uint32_t *uid)
{
	struct st_key k = {.buf = "next_uid", .len = 8}, ku;
	MDB_val v;
	uint8_t b[4];
	uint64_t next = min;
	int r;

	*uid = 0;
	r = st_get(t, DB_META, &k, &v);
	if (r == 0 && v.mv_size == 4 && st_get_be32(v.mv_data) > min)
		next = st_get_be32(v.mv_data);
	else if (r != 0 && r != UL_ENOTFOUND)
		return r;
	for (; next <= max; next++) {
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
	st_be32(b, (uint32_t)next + 1 > next ? (uint32_t)next + 1 : (uint32_t)next);
	return st_put_raw(t, DB_META, &k, b, 4);
}

int
ul_store_next_uid(struct ul_txn *t, uint32_t *next)
{
	struct st_key k = {.buf = "next_uid", .len = 8};
	MDB_val v;
	int r = st_get(t, DB_META, &k, &v);

	*next = 0;
	if (r == 0 && v.mv_size == 4)
		*next = st_get_be32(v.mv_data);
	return r == UL_ENOTFOUND ? 0 : r;
}

int
ul_store_set_next_uid(struct ul_txn *t, uint32_t next)
{
	struct st_key k = {.buf = "next_uid", .len = 8};
	uint8_t b[4];

	st_be32(b, next);
	return st_put_raw(t, DB_META, &k, b, 4);
}

int
ul_store_audit_append(struct ul_txn *t, const struct ul_audit *e)
{
	MDB_cursor *c;
	MDB_val k, v;
	uint8_t key[8];
	uint64_t seq = 1;
	int rc;

	rc = mdb_cursor_open(t->txn, t->st->dbi[DB_AUDIT], &c);
	if (rc != 0)
		return st_map_error(rc);
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == 8)
		seq = get_be64(k.mv_data) + 1;
	be64(key, seq);
	if (ul_record_audit_encode(&t->rec, e) != 0) {
		mdb_cursor_close(c);
		return UL_ETOOBIG;
	}
	k = (MDB_val){.mv_size = 8, .mv_data = key};
	v = (MDB_val){.mv_size = t->rec.len, .mv_data = t->rec.buf};
	rc = mdb_cursor_put(c, &k, &v, MDB_APPEND);
	mdb_cursor_close(c);
	return st_map_error(rc);
}

int
ul_store_audit_next(struct ul_txn *t, int64_t since, uint64_t *cursor,
    struct ul_audit *e)
{
	struct st_key from = {.len = 8};
	MDB_val k, v;
	int r;

	be64((uint8_t *)from.buf, *cursor + 1);
	for (;;) {
		r = st_seek_after(t, DB_AUDIT, &from, false, NULL, 0, &k, &v);
		if (r != 0)
			return r;
		if (k.mv_size != 8)
			return UL_ESTORE;
		*cursor = get_be64(k.mv_data);
		r = ul_record_audit_decode(v.mv_data, v.mv_size, e);
		if (r != 0 || e->time >= since)
			return r;
		be64((uint8_t *)from.buf, *cursor + 1);
	}
}

int
ul_store_counts(struct ul_txn *t, struct ul_store_counts *c)
{
	MDB_stat s;
	int dbs[] = {DB_USERS, DB_PRODUCTS, DB_ACCOUNTS, DB_AUDIT};
	uint64_t *out[] = {&c->users, &c->products, &c->accounts, &c->audit};

	for (int i = 0; i < 4; i++) {
		int rc = mdb_stat(t->txn, t->st->dbi[dbs[i]], &s);

		if (rc != 0)
			return st_map_error(rc);
		*out[i] = s.ms_entries;
	}
	return 0;
}
