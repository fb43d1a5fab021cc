/* The store on LMDB (with store_accounts.c, the only files that include lmdb.h).
 *
 * Databases: meta (schema, counters), users (email -> user), products,
 * accounts (product\0name -> account), and the indexes acct_unix
 * (product\0unix_user -> name), acct_uid (uid -> product\0name), owned
 * (email\0product -> name), plus audit (sequence -> event) and failures
 * (email -> S3 counter), methods (email\0id -> two-factor method), remember
 * (email\0host -> time), apikeys (id -> key) and apikeys_by_email.
 * The environment is opened without MDB_NOSYNC and MDB_WRITEMAP, so a
 * commit is on disk when it returns and a full disk is an error (S7). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "helper/store/lmdb/store_internal.h"
#include "unilogin/error.h"

static const char *const db_names[DB_COUNT] = {
	"meta", "users", "products", "accounts", "acct_unix", "acct_uid",
	"owned", "audit", "failures", "methods", "remember", "apikeys",
	"apikeys_by_email", "members", "members_by_email", "sessions", "pending", "acct_email",
};

int
st_map_error(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case MDB_NOTFOUND:
		return UL_ENOTFOUND;
	case MDB_KEYEXIST:
		return UL_EEXIST;
	case MDB_MAP_FULL:
	case ENOSPC:
	case EDQUOT:
		return UL_ENOSPC;
	case ENOMEM:
		return UL_ENOMEM;
	default:
		return UL_ESTORE;
	}
}

int
st_key_make(struct st_key *k, const char *a, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;

	if (la + 1 + lb > sizeof(k->buf) || (la == 0 && b == NULL))
		return UL_EINVAL;
	memcpy(k->buf, a, la);
	k->len = la;
	if (b != NULL) {
		k->buf[la] = '\0';
		memcpy(k->buf + la + 1, b, lb);
		k->len = la + 1 + lb;
	}
	return 0;
}

MDB_val
st_val_of(const struct st_key *k)
{
	return (MDB_val){.mv_size = k->len, .mv_data = (void *)k->buf};
}


/* "a\0b\0c" */
int
st_key3(struct st_key *k, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);

	if (la + lb + lc + 2 > sizeof(k->buf) || la == 0 || lb == 0)
		return UL_EINVAL;
	memcpy(k->buf, a, la);
	k->buf[la] = '\0';
	memcpy(k->buf + la + 1, b, lb);
	k->buf[la + 1 + lb] = '\0';
	memcpy(k->buf + la + lb + 2, c, lc);
	k->len = la + lb + lc + 2;
	return 0;
}

void
st_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

uint32_t
st_get_be32(const uint8_t *b)
{
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
	    ((uint32_t)b[2] << 8) | b[3];
}


static int
ensure_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return UL_ESTORE;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return UL_ESTORE;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %u, not by this helper", dir,
		    (unsigned)st.st_uid);
		return UL_ESTORE;
	}
	if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) != 0) {
		snprintf(err, errlen, "%s: chmod: %s", dir, strerror(errno));
		return UL_ESTORE;
	}
	return 0;
}

static int
check_schema(struct ul_store *st, MDB_txn *txn, char *err, size_t errlen)
{
	MDB_val k = {.mv_size = 6, .mv_data = "schema"}, v;
	uint8_t b[4];
	uint32_t have;
	int rc = mdb_get(txn, st->dbi[DB_META], &k, &v);

	if (rc == MDB_NOTFOUND) {
		b[0] = 0; b[1] = 0; b[2] = 0; b[3] = UL_STORE_SCHEMA;
		v = (MDB_val){.mv_size = 4, .mv_data = b};
		rc = mdb_put(txn, st->dbi[DB_META], &k, &v, 0);
		if (rc != 0)
			snprintf(err, errlen, "store: %s", mdb_strerror(rc));
		return st_map_error(rc);
	}
	if (rc != 0 || v.mv_size != 4) {
		snprintf(err, errlen, "store: cannot read its schema version");
		return UL_ESTORE;
	}
	memcpy(b, v.mv_data, 4);
	have = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
	    ((uint32_t)b[2] << 8) | b[3];
	if (have > UL_STORE_SCHEMA) {
		snprintf(err, errlen,
		    "store: schema %u is newer than this unilogind knows (%u); "
		    "refusing to open it", have, (unsigned)UL_STORE_SCHEMA);
		return UL_ESTORE;
	}
	return 0;
}

static int
open_dbs(struct ul_store *st, char *err, size_t errlen)
{
	MDB_txn *txn;
	int rc, r;

	rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc != 0) {
		snprintf(err, errlen, "store: %s", mdb_strerror(rc));
		return st_map_error(rc);
	}
	for (int i = 0; i < DB_COUNT; i++) {
		rc = mdb_dbi_open(txn, db_names[i], MDB_CREATE, &st->dbi[i]);
		if (rc != 0) {
			snprintf(err, errlen, "store: %s: %s", db_names[i],
			    mdb_strerror(rc));
			mdb_txn_abort(txn);
			return st_map_error(rc);
		}
	}
	r = check_schema(st, txn, err, errlen);
	if (r != 0) {
		mdb_txn_abort(txn);
		return r;
	}
	rc = mdb_txn_commit(txn);
	if (rc != 0)
		snprintf(err, errlen, "store: %s", mdb_strerror(rc));
	return st_map_error(rc);
}

int
ul_store_open(struct ul_store **out, const char *dir, char *err, size_t errlen)
{
	struct ul_store *st;
	int rc, r, dead;

	*out = NULL;
	r = ensure_dir(dir, err, errlen);
	if (r != 0)
		return r;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return UL_ENOMEM;
	rc = mdb_env_create(&st->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(st->env, DB_COUNT + 8);
	if (rc == 0)
		rc = mdb_env_set_mapsize(st->env, MAP_SIZE);
	if (rc == 0)
		rc = mdb_env_set_maxreaders(st->env, 512);
	/* MDB_NOTLS: read transactions are tied to their object, not to a
	 * thread, so handlers on the worker pool and the loop never collide. */
	if (rc == 0)
		rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0600);
	if (rc != 0) {
		snprintf(err, errlen, "store: %s: %s", dir, mdb_strerror(rc));
		if (st->env)
			mdb_env_close(st->env);
		free(st);
		return st_map_error(rc) == UL_ENOSPC ? UL_ENOSPC : UL_ESTORE;
	}
	(void)mdb_reader_check(st->env, &dead);
	r = open_dbs(st, err, errlen);
	if (r != 0) {
		mdb_env_close(st->env);
		free(st);
		return r;
	}
	snprintf(st->dir, sizeof(st->dir), "%s", dir);
	ul_store_reserve(st);
	*out = st;
	return 0;
}

bool
ul_store_disk_full(struct ul_store *st)
{
	struct statvfs v;

	return statvfs(st->dir, &v) == 0 &&
	    (uint64_t)v.f_bavail * v.f_frsize < UL_STORE_FREE_MIN;
}

int
ul_store_reserve(struct ul_store *st)
{
	char path[4200];
	MDB_envinfo info;
	MDB_stat stat;
	struct stat sb;
	off_t want;
	int fd, e;

	if (mdb_env_info(st->env, &info) != 0 || mdb_env_stat(st->env, &stat) != 0)
		return UL_ESTORE;
	want = (off_t)(info.me_last_pgno + 1) * stat.ms_psize + UL_STORE_RESERVE;
	snprintf(path, sizeof(path), "%s/data.mdb", st->dir);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return UL_ESTORE;
	/* only grow it, and only when less than half of the reserve is left */
	e = fstat(fd, &sb) != 0 ? errno
	    : sb.st_size >= want - UL_STORE_RESERVE / 2 ? 0
	    : posix_fallocate(fd, 0, want);
	close(fd);
	return e == 0 ? 0 : e == ENOSPC ? UL_ENOSPC : UL_ESTORE;
}

void
ul_store_close(struct ul_store *st)
{
	if (st == NULL)
		return;
	mdb_env_close(st->env);
	free(st);
}

int
ul_txn_begin(struct ul_store *st, bool write, struct ul_txn **out)
{
	struct ul_txn *t;
	int rc;

	*out = NULL;
	t = malloc(sizeof(*t));
	if (t == NULL)
		return UL_ENOMEM;
	t->st = st;
	t->rec.len = 0;
	t->rec.error = 0;
	rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	if (rc != 0) {
		free(t);
		return st_map_error(rc);
	}
	*out = t;
	return 0;
}

static void
txn_free(struct ul_txn *t)
{
	ul_record_wipe(&t->rec);
	free(t);
}

int
ul_txn_commit(struct ul_txn *t)
{
	int rc = mdb_txn_commit(t->txn);

	txn_free(t);
	return st_map_error(rc);
}

void
ul_txn_abort(struct ul_txn *t)
{
	if (t == NULL)
		return;
	mdb_txn_abort(t->txn);
	txn_free(t);
}

int
st_get(struct ul_txn *t, int db, const struct st_key *k, MDB_val *v)
{
	MDB_val kv = st_val_of(k);

	return st_map_error(mdb_get(t->txn, t->st->dbi[db], &kv, v));
}

int
st_put_raw(struct ul_txn *t, int db, const struct st_key *k, const void *v, size_t n)
{
	MDB_val kv = st_val_of(k), vv = {.mv_size = n, .mv_data = (void *)v};

	return st_map_error(mdb_put(t->txn, t->st->dbi[db], &kv, &vv, 0));
}

int
st_put_record(struct ul_txn *t, int db, const struct st_key *k)
{
	if (t->rec.error != 0)
		return t->rec.error;
	return st_put_raw(t, db, k, t->rec.buf, t->rec.len);
}

int
st_del(struct ul_txn *t, int db, const struct st_key *k)
{
	MDB_val kv = st_val_of(k);
	int r = st_map_error(mdb_del(t->txn, t->st->dbi[db], &kv, NULL));

	return r == UL_ENOTFOUND ? 0 : r;
}

/* Positions a cursor at the first key after `from` (strictly after when
 * `strict`), within keys that start with `prefix` (of plen bytes). */
int
st_seek_after(struct ul_txn *t, int db, const struct st_key *from, bool strict,
    const char *prefix, size_t plen, MDB_val *k, MDB_val *v)
{
	MDB_cursor *c;
	int rc;

	rc = mdb_cursor_open(t->txn, t->st->dbi[db], &c);
	if (rc != 0)
		return st_map_error(rc);
	*k = st_val_of(from);
	rc = from->len ? mdb_cursor_get(c, k, v, MDB_SET_RANGE)
		       : mdb_cursor_get(c, k, v, MDB_FIRST);
	if (rc == 0 && strict && k->mv_size == from->len &&
	    memcmp(k->mv_data, from->buf, from->len) == 0)
		rc = mdb_cursor_get(c, k, v, MDB_NEXT);
	mdb_cursor_close(c);
	if (rc != 0)
		return st_map_error(rc);
	if (plen > 0 && (k->mv_size < plen || memcmp(k->mv_data, prefix, plen) != 0))
		return UL_ENOTFOUND;
	return 0;
}

/* ---- users ---- */

int
ul_store_user_get(struct ul_txn *t, const char *email, struct ul_user *u)
{
	struct st_key k;
	MDB_val v;
	int r;

	if (st_key_make(&k, email, NULL) != 0)
		return UL_ENOTFOUND;
	/* the key is built first: the caller may pass a field of *out */
	memset(u, 0, sizeof(*u));
	r = st_get(t, DB_USERS, &k, &v);
	if (r != 0)
		return r;
	return ul_record_user_decode(v.mv_data, v.mv_size, u);
}

int
ul_store_user_put(struct ul_txn *t, const struct ul_user *u)
{
	struct st_key k;
	int r = st_key_make(&k, u->email, NULL);

	if (r != 0)
		return r;
	ul_record_user_encode(&t->rec, u);
	return st_put_record(t, DB_USERS, &k);
}

int
ul_store_user_del(struct ul_txn *t, const char *email)
{
	struct st_key k;
	int r = st_key_make(&k, email, NULL);

	return r != 0 ? r : st_del(t, DB_USERS, &k);
}

int
ul_store_user_next(struct ul_txn *t, const char *after, struct ul_user *u)
{
	struct st_key from = {.len = 0};
	MDB_val k, v;
	int r;

	if (after[0] != '\0' && st_key_make(&from, after, NULL) != 0)
		return UL_EINVAL;
	memset(u, 0, sizeof(*u));
	r = st_seek_after(t, DB_USERS, &from, true, NULL, 0, &k, &v);
	if (r != 0)
		return r;
	return ul_record_user_decode(v.mv_data, v.mv_size, u);
}

/* ---- products ---- */

int
ul_store_product_get(struct ul_txn *t, const char *name, struct ul_product *p)
{
	struct st_key k;
	MDB_val v;
	int r;

	if (st_key_make(&k, name, NULL) != 0)
		return UL_ENOTFOUND;
	/* the key is built first: the caller may pass a field of *out */
	memset(p, 0, sizeof(*p));
	r = st_get(t, DB_PRODUCTS, &k, &v);
	return r != 0 ? r : ul_record_product_decode(v.mv_data, v.mv_size, p);
}

int
ul_store_product_put(struct ul_txn *t, const struct ul_product *p)
{
	struct st_key k;
	int r = st_key_make(&k, p->name, NULL);

	if (r != 0)
		return r;
	ul_record_product_encode(&t->rec, p);
	return st_put_record(t, DB_PRODUCTS, &k);
}

int
ul_store_product_next(struct ul_txn *t, const char *after, struct ul_product *p)
{
	struct st_key from = {.len = 0};
	MDB_val k, v;
	int r;

	if (after[0] != '\0' && st_key_make(&from, after, NULL) != 0)
		return UL_EINVAL;
	memset(p, 0, sizeof(*p));
	r = st_seek_after(t, DB_PRODUCTS, &from, true, NULL, 0, &k, &v);
	return r != 0 ? r : ul_record_product_decode(v.mv_data, v.mv_size, p);
}


/* ---- failure counters (S3) ---- */

int
ul_store_failures_get(struct ul_txn *t, const char *email, struct ul_failures *f)
{
	struct st_key k;
	MDB_val v;
	int r;

	if (st_key_make(&k, email, NULL) != 0)
		return UL_ENOTFOUND;
	/* the key is built first: the caller may pass a field of *out */
	memset(f, 0, sizeof(*f));
	r = st_get(t, DB_FAILURES, &k, &v);
	return r != 0 ? r : ul_record_failures_decode(v.mv_data, v.mv_size, f);
}

int
ul_store_failures_put(struct ul_txn *t, const char *email,
    const struct ul_failures *f)
{
	struct st_key k;

	if (st_key_make(&k, email, NULL) != 0)
		return UL_EINVAL;
	ul_record_failures_encode(&t->rec, f);
	return st_put_record(t, DB_FAILURES, &k);
}

int
ul_store_failures_del(struct ul_txn *t, const char *email)
{
	struct st_key k;

	if (st_key_make(&k, email, NULL) != 0)
		return UL_EINVAL;
	return st_del(t, DB_FAILURES, &k);
}

int
ul_store_failures_prune(struct ul_txn *t, int64_t before, unsigned max,
    unsigned *removed)
{
	MDB_cursor *c;
	MDB_val k, v;
	struct ul_failures f;
	int rc;

	*removed = 0;
	rc = mdb_cursor_open(t->txn, t->st->dbi[DB_FAILURES], &c);
	if (rc != 0)
		return st_map_error(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && *removed < max;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (ul_record_failures_decode(v.mv_data, v.mv_size, &f) == 0 &&
		    (f.last >= before || f.locked_out_until >= before))
			continue;
		rc = mdb_cursor_del(c, 0);
		if (rc != 0)
			break;
		(*removed)++;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : st_map_error(rc);
}
