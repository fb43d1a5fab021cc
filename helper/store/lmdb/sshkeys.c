/* SSH keys (K1) in the LMDB backend: the key records, the index by user
 * and the fingerprint claim that makes a key one user's. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <lmdb.h>
#include <sodium.h>

#include "helper/store/lmdb/internal.h"
#include "unilogin/error.h"

int
lmdb_sshkey_get(struct ul_txn *t, const char *id, struct ul_sshkey *k)
{
	struct st_key key;
	MDB_val v;
	int r;

	memset(k, 0, sizeof(*k));
	if (id == NULL || id[0] == '\0' || st_key_make(&key, id, NULL) != 0)
		return UL_ENOTFOUND;
	if ((r = st_get(t, DB_SSHKEYS, &key, &v)) != 0)
		return r;
	return ul_record_sshkey_decode(v.mv_data, v.mv_size, k);
}

int
lmdb_sshkey_by_fingerprint(struct ul_txn *t, const char *fingerprint,
    struct ul_sshkey *k)
{
	char id[UL_SSHKEY_ID_MAX + 1];
	struct st_key key;
	MDB_val v;
	int r;

	memset(k, 0, sizeof(*k));
	if (fingerprint == NULL || fingerprint[0] == '\0' ||
	    st_key_make(&key, fingerprint, NULL) != 0)
		return UL_ENOTFOUND;
	if ((r = st_get(t, DB_SSHKEY_FPS, &key, &v)) != 0)
		return r;
	if (v.mv_size == 0 || v.mv_size > UL_SSHKEY_ID_MAX)
		return UL_ESTORE;
	memcpy(id, v.mv_data, v.mv_size);
	id[v.mv_size] = '\0';
	return lmdb_sshkey_get(t, id, k);
}

static int
sshkey_put(struct ul_txn *t, const struct ul_sshkey *k)
{
	struct st_key key, by;
	int r;

	if (st_key_make(&key, k->id, NULL) != 0 ||
	    st_key_make(&by, k->email, k->id) != 0)
		return UL_EINVAL;
	if ((r = st_put_raw(t, DB_SSHKEYS_BY_EMAIL, &by, "", 0)) != 0)
		return r;
	if ((r = ul_record_sshkey_encode(&t->rec, k)) != 0)
		return r;
	return st_put_record(t, DB_SSHKEYS, &key);
}

int
lmdb_sshkey_create(struct ul_txn *t, const struct ul_sshkey *k)
{
	struct ul_sshkey old;
	struct st_key fp;
	int r = lmdb_sshkey_get(t, k->id, &old);

	if (r == 0)
		return UL_EEXIST;
	if (r != UL_ENOTFOUND)
		return r;
	/* the claim, inside this write transaction: a fingerprint that any
	 * user holds is refused, whoever read what before */
	r = lmdb_sshkey_by_fingerprint(t, k->fingerprint, &old);
	if (r == 0)
		return UL_EEXIST;
	if (r != UL_ENOTFOUND)
		return r;
	if (k->fingerprint[0] == '\0' || st_key_make(&fp, k->fingerprint, NULL) != 0)
		return UL_EINVAL;
	if ((r = st_put_raw(t, DB_SSHKEY_FPS, &fp, k->id, strlen(k->id))) != 0)
		return r;
	return sshkey_put(t, k);
}

static int
sshkey_unindex(struct ul_txn *t, const struct ul_sshkey *k)
{
	struct st_key by;

	if (st_key_make(&by, k->email, k->id) != 0)
		return UL_EINVAL;
	return st_del(t, DB_SSHKEYS_BY_EMAIL, &by);
}

int
lmdb_sshkey_remove(struct ul_txn *t, const char *id)
{
	struct ul_sshkey k;
	struct st_key key, fp;
	int r = lmdb_sshkey_get(t, id, &k);

	if (r == 0)
		r = sshkey_unindex(t, &k);
	if (r == 0 && (r = st_key_make(&fp, k.fingerprint, NULL)) == 0)
		r = st_del(t, DB_SSHKEY_FPS, &fp);
	if (r == 0 && (r = st_key_make(&key, id, NULL)) == 0)
		r = st_del(t, DB_SSHKEYS, &key);
	return r;
}

int
lmdb_sshkey_move(struct ul_txn *t, const char *id, const char *email)
{
	struct ul_sshkey k;
	int r = lmdb_sshkey_get(t, id, &k);

	if (r == UL_ENOTFOUND)
		return UL_ECONFLICT;
	if (r == 0)
		r = sshkey_unindex(t, &k);
	if (r == 0) {
		snprintf(k.email, sizeof(k.email), "%s", email);
		r = sshkey_put(t, &k);
	}
	return r;
}

int
lmdb_sshkey_next(struct ul_txn *t, const char *email, struct ul_cursor *cur,
    struct ul_sshkey *k)
{
	char id[UL_SSHKEY_ID_MAX + 1];
	int r;

	memset(k, 0, sizeof(*k));
	r = st_next_id_of(t, DB_SSHKEYS_BY_EMAIL, email, cur, id, sizeof(id));
	return r != 0 ? r : lmdb_sshkey_get(t, id, k);
}
