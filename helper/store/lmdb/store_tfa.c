/* The store's two-factor parts: methods (T1, T2), remembered hosts (T7)
 * and API keys (T8). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "helper/store/lmdb/store_internal.h"
#include "unilogin/error.h"

/* email\0 + a 4-byte big-endian id, so a user's methods sort by id */
static int
method_key(struct st_key *k, const char *email, uint32_t id)
{
	size_t n = strlen(email);

	if (n == 0 || n + 5 > sizeof(k->buf))
		return UL_EINVAL;
	memcpy(k->buf, email, n);
	k->buf[n] = '\0';
	st_be32((uint8_t *)k->buf + n + 1, id);
	k->len = n + 5;
	return 0;
}

int
ul_store_method_get(struct ul_txn *t, const char *email, uint32_t id,
    struct ul_method *m)
{
	struct st_key k;
	MDB_val v;
	int r;

	if (method_key(&k, email, id) != 0)
		return UL_ENOTFOUND;
	/* the key is built first: the caller may pass a field of *out */
	memset(m, 0, sizeof(*m));
	r = st_get(t, DB_METHODS, &k, &v);
	return r != 0 ? r : ul_record_method_decode(v.mv_data, v.mv_size, m);
}

int
ul_store_method_put(struct ul_txn *t, const char *email, const struct ul_method *m)
{
	struct st_key k;

	if (method_key(&k, email, m->id) != 0)
		return UL_EINVAL;
	ul_record_method_encode(&t->rec, m);
	return st_put_record(t, DB_METHODS, &k);
}

int
ul_store_method_del(struct ul_txn *t, const char *email, uint32_t id)
{
	struct st_key k;

	if (method_key(&k, email, id) != 0)
		return UL_EINVAL;
	return st_del(t, DB_METHODS, &k);
}

int
ul_store_method_next(struct ul_txn *t, const char *email, uint32_t after,
    struct ul_method *m)
{
	struct st_key from, prefix;
	MDB_val k, v;
	int r;

	if (method_key(&from, email, after) != 0 ||
	    st_key_make(&prefix, email, "") != 0)
		return UL_EINVAL;
	memset(m, 0, sizeof(*m));
	r = st_seek_after(t, DB_METHODS, &from, true, prefix.buf, prefix.len, &k, &v);
	return r != 0 ? r : ul_record_method_decode(v.mv_data, v.mv_size, m);
}

/* the value: when (8 bytes) and epoch (4 bytes), big-endian */
int
ul_store_remember_get(struct ul_txn *t, const char *email, const char *host,
    int64_t *when, uint32_t *epoch)
{
	const uint8_t *b;
	struct st_key k;
	MDB_val v;
	int r;

	*when = 0;
	*epoch = 0;
	if (st_key_make(&k, email, host) != 0)
		return UL_ENOTFOUND;
	r = st_get(t, DB_REMEMBER, &k, &v);
	if (r != 0)
		return r;
	if (v.mv_size != 12)
		return UL_ESTORE;
	b = v.mv_data;
	*when = (int64_t)(((uint64_t)st_get_be32(b) << 32) | st_get_be32(b + 4));
	*epoch = st_get_be32(b + 8);
	return 0;
}

int
ul_store_remember_put(struct ul_txn *t, const char *email, const char *host,
    int64_t when, uint32_t epoch)
{
	struct st_key k;
	uint8_t b[12];

	if (st_key_make(&k, email, host) != 0)
		return UL_EINVAL;
	st_be32(b, (uint32_t)((uint64_t)when >> 32));
	st_be32(b + 4, (uint32_t)when);
	st_be32(b + 8, epoch);
	return st_put_raw(t, DB_REMEMBER, &k, b, sizeof(b));
}

/* Deletes every key of db that starts with prefix. */
int
st_del_prefix(struct ul_txn *t, int db, const struct st_key *prefix)
{
	MDB_cursor *c;
	MDB_val k = st_val_of(prefix), v;
	int rc = mdb_cursor_open(t->txn, t->st->dbi[db], &c);

	if (rc != 0)
		return st_map_error(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	     rc == 0 && k.mv_size >= prefix->len &&
	     memcmp(k.mv_data, prefix->buf, prefix->len) == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT)) {
		rc = mdb_cursor_del(c, 0);
		if (rc != 0)
			break;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND || rc == EINVAL || rc == 0 ? 0 : st_map_error(rc);
}

int
ul_store_remember_clear(struct ul_txn *t, const char *email)
{
	struct st_key prefix;

	if (st_key_make(&prefix, email, "") != 0)
		return UL_EINVAL;
	return st_del_prefix(t, DB_REMEMBER, &prefix);
}

int
ul_store_apikey_get(struct ul_txn *t, const char *id, struct ul_apikey *k)
{
	struct st_key key;
	MDB_val v;
	int r;

	if (st_key_make(&key, id, NULL) != 0)
		return UL_ENOTFOUND;
	/* the key is built first: the caller may pass a field of *out */
	memset(k, 0, sizeof(*k));
	r = st_get(t, DB_APIKEYS, &key, &v);
	return r != 0 ? r : ul_record_apikey_decode(v.mv_data, v.mv_size, k);
}

int
ul_store_apikey_put(struct ul_txn *t, const struct ul_apikey *k)
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

int
ul_store_apikey_del(struct ul_txn *t, const char *id)
{
	struct ul_apikey k;
	struct st_key key, by;
	int r = ul_store_apikey_get(t, id, &k);

	if (r != 0)
		return r;
	if (st_key_make(&key, k.id, NULL) != 0 || st_key_make(&by, k.email, k.id) != 0)
		return UL_EINVAL;
	r = st_del(t, DB_APIKEYS_BY_EMAIL, &by);
	return r != 0 ? r : st_del(t, DB_APIKEYS, &key);
}

int
ul_store_apikey_next(struct ul_txn *t, const char *email, const char *after,
    struct ul_apikey *k)
{
	struct st_key from, prefix;
	char id[UL_APIKEY_ID_MAX + 1];
	MDB_val key, v;
	int r;

	if (st_key_make(&from, email, after) != 0 ||
	    st_key_make(&prefix, email, "") != 0)
		return UL_EINVAL;
	memset(k, 0, sizeof(*k));
	r = st_seek_after(t, DB_APIKEYS_BY_EMAIL, &from, after[0] != '\0',
	    prefix.buf, prefix.len, &key, &v);
	if (r != 0)
		return r;
	if (key.mv_size - prefix.len > UL_APIKEY_ID_MAX)
		return UL_ESTORE;
	memcpy(id, (const char *)key.mv_data + prefix.len, key.mv_size - prefix.len);
	id[key.mv_size - prefix.len] = '\0';
	return ul_store_apikey_get(t, id, k);
}
