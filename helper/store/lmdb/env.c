/* The LMDB backend's environment: open (with the schema check and the
 * upgrades), the disk reserve, transactions, and the primitives and key
 * helpers that the other files of the backend share. */
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

#include "helper/store/lmdb/internal.h"
#include "unilogin/error.h"

static const char *const db_names[DB_COUNT] = {
	"meta", "users", "products", "accounts", "acct_unix", "acct_uid",
	"owned", "audit", "failures", "methods", "remember", "apikeys",
	"apikeys_by_email", "members", "members_by_email", "sessions", "pending",
	"acct_email", "user_ids", "sshkeys", "sshkeys_by_email", "sshkey_fps",
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
put_schema(struct ul_store *st, MDB_txn *txn, uint32_t version)
{
	MDB_val k = {.mv_size = 6, .mv_data = "schema"}, v;
	uint8_t b[4];

	st_be32(b, version);
	v = (MDB_val){.mv_size = 4, .mv_data = b};
	return st_map_error(mdb_put(txn, st->dbi[DB_META], &k, &v, 0));
}

/* The schema of the store in txn: new stores get this helper's; an older
 * one is upgraded in place, inside the same transaction (so a crash leaves
 * the old store as it was); a newer one is refused. */
static int
check_schema(struct ul_store *st, MDB_txn *txn, char *err, size_t errlen)
{
	MDB_val k = {.mv_size = 6, .mv_data = "schema"}, v;
	struct ul_txn t = {.st = st, .txn = txn};
	uint32_t have;
	int rc = mdb_get(txn, st->dbi[DB_META], &k, &v), r;

	if (rc == MDB_NOTFOUND) {
		r = put_schema(st, txn, UL_STORE_SCHEMA);
		if (r != 0)
			snprintf(err, errlen, "store: %s", ul_strerror(r));
		return r;
	}
	if (rc != 0 || v.mv_size != 4) {
		snprintf(err, errlen, "store: cannot read its schema version");
		return UL_ESTORE;
	}
	have = st_get_be32(v.mv_data);
	if (have > UL_STORE_SCHEMA) {
		snprintf(err, errlen,
		    "store: schema %u is newer than this unilogind knows (%u); "
		    "refusing to open it", have, (unsigned)UL_STORE_SCHEMA);
		return UL_ESTORE;
	}
	r = 0;
	if (have < 2)
		r = st_users_index_ids(&t);
	if (r == 0 && have < 3)
		r = st_accounts_drop_owner_emails(&t);
	if (r == 0 && have < 4)
		r = st_accounts_drop_own_unix_names(&t);
	ul_record_wipe(&t.rec);
	if (r == 0 && have < UL_STORE_SCHEMA)
		r = put_schema(st, txn, UL_STORE_SCHEMA);
	if (r != 0)
		snprintf(err, errlen, "store: cannot upgrade schema %u to %u: %s",
		    have, (unsigned)UL_STORE_SCHEMA, ul_strerror(r));
	return r;
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

static int reserve(struct ul_store *st);

#define LMDB_OP(ret, name, member, params, args) .member = lmdb_##member,
static const struct ul_store_ops lmdb_ops = {
	.name = "lmdb",
	UL_STORE_OPS_BY_STORE(LMDB_OP)
	UL_STORE_OPS_BY_TXN(LMDB_OP)
	UL_STORE_OPS_VOID(LMDB_OP)
};
#undef LMDB_OP

int
ul_store_lmdb_open(struct ul_store **out, const struct ul_conf *conf, char *err,
    size_t errlen)
{
	const char *dir = conf->state_dir;
	struct ul_store *st;
	int rc, r, dead;

	*out = NULL;
	r = ensure_dir(dir, err, errlen);
	if (r != 0)
		return r;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return UL_ENOMEM;
	st->ops = &lmdb_ops;
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
	(void)reserve(st);
	if ((r = st_batcher_start(st)) != 0) {
		snprintf(err, errlen, "store: cannot start its commit thread");
		mdb_env_close(st->env);
		free(st);
		return r;
	}
	*out = st;
	return 0;
}

/* A full disk (S7): the store keeps RESERVE bytes allocated past its last
 * page, so that logins go on (their few writes fit there) while the file
 * system is full; changes are refused when less than FREE_MIN bytes are
 * free.  reserve() grows the reserve back when half of it is used (at open
 * and in the upkeep). */
#define RESERVE ((off_t)4 << 20)
#define FREE_MIN ((uint64_t)1 << 20)

/* One host: its keys file is the only one. */
int
lmdb_keys_check(struct ul_store *st, const char *fingerprint, char *err,
    size_t errlen)
{
	return 0;
}

int
lmdb_keys_rotated(struct ul_store *st, const char *from, const char *to)
{
	return 0;
}

/* One host is no fleet: its status, promotion and claims are nothing. */
int
lmdb_fleet_status(struct ul_store *st, const char *fingerprint,
    struct ul_fleet_status *out)
{
	return UL_ENOTFLEET;
}

int
lmdb_fleet_promote(struct ul_store *st, int64_t floor, int64_t *was,
    int64_t *now)
{
	return UL_ENOTFLEET;
}

int
lmdb_fleet_repair(struct ul_store *st, int64_t since, int64_t before,
    bool dry_run,
    void (*each)(void *arg, const struct ul_fleet_orphan *o), void *arg,
    unsigned *removed)
{
	return UL_ENOTFLEET;
}

bool
lmdb_space_low(struct ul_store *st)
{
	struct statvfs v;

	return statvfs(st->dir, &v) == 0 &&
	    (uint64_t)v.f_bavail * v.f_frsize < FREE_MIN;
}

static int
reserve(struct ul_store *st)
{
	char path[4200];
	MDB_envinfo info;
	MDB_stat stat;
	struct stat sb;
	off_t want;
	int fd, e;

	if (mdb_env_info(st->env, &info) != 0 || mdb_env_stat(st->env, &stat) != 0)
		return UL_ESTORE;
	want = (off_t)(info.me_last_pgno + 1) * stat.ms_psize + RESERVE;
	snprintf(path, sizeof(path), "%s/data.mdb", st->dir);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return UL_ESTORE;
	/* only grow it, and only when less than half of the reserve is left */
	e = fstat(fd, &sb) != 0 ? errno
	    : sb.st_size >= want - RESERVE / 2 ? 0
	    : posix_fallocate(fd, 0, want);
	close(fd);
	return e == 0 ? 0 : e == ENOSPC ? UL_ENOSPC : UL_ESTORE;
}

void
lmdb_close(struct ul_store *st)
{
	if (st == NULL)
		return;
	st_batcher_stop(st);
	mdb_env_close(st->env);
	free(st);
}

int
lmdb_txn_begin(struct ul_store *st, bool write, struct ul_txn **out)
{
	struct ul_txn *t;
	int rc;

	*out = NULL;
	t = malloc(sizeof(*t));
	if (t == NULL)
		return UL_ENOMEM;
	t->st = st;
	t->write = write;
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
lmdb_txn_commit(struct ul_txn *t)
{
	int rc = mdb_txn_commit(t->txn);

	if (rc == 0 && t->write)
		t->st->commits++;
	txn_free(t);
	return st_map_error(rc);
}

void
lmdb_txn_abort(struct ul_txn *t)
{
	if (t == NULL)
		return;
	mdb_txn_abort(t->txn);
	txn_free(t);
}

/* every read is in the map already */
void
lmdb_prefetch(struct ul_txn *t, const struct ul_prefetch *p)
{
	(void)t;
	(void)p;
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

void
st_be64(uint8_t *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

uint64_t
st_get_be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | b[i];
	return v;
}

int
st_key_tail(const MDB_val *k, size_t plen, char *a, size_t na, char *b,
    size_t nb)
{
	const char *p = (const char *)k->mv_data + plen;
	size_t n, la;

	if (k->mv_size < plen)
		return UL_ESTORE;
	n = k->mv_size - plen;
	la = strnlen(p, n);
	if (b == NULL) {
		if (la != n || n >= na)
			return UL_ESTORE;
		memcpy(a, p, n);
		a[n] = '\0';
		return 0;
	}
	if (la >= n || la >= na || n - la - 1 >= nb)
		return UL_ESTORE;
	memcpy(a, p, la);
	a[la] = '\0';
	memcpy(b, p + la + 1, n - la - 1);
	b[n - la - 1] = '\0';
	return 0;
}

int
st_cursor_key(const struct ul_cursor *cur, struct st_key *k)
{
	size_t n = strnlen(cur->token, sizeof(cur->token)), len = 0;

	k->len = 0;
	if (n == 0)
		return 0;
	if (n == sizeof(cur->token) || n % 2 != 0 || n / 2 > sizeof(k->buf) ||
	    sodium_hex2bin((uint8_t *)k->buf, sizeof(k->buf), cur->token, n, NULL,
		&len, NULL) != 0 || len != n / 2)
		return UL_EINVAL;
	k->len = len;
	return 0;
}

void
st_cursor_set(struct ul_cursor *cur, const void *key, size_t n)
{
	if (n * 2 + 1 > sizeof(cur->token))
		n = (sizeof(cur->token) - 1) / 2;
	sodium_bin2hex(cur->token, sizeof(cur->token), key, n);
}

int
st_cursor_next(struct ul_txn *t, int db, struct ul_cursor *cur,
    const struct st_key *prefix, MDB_val *k, MDB_val *v)
{
	static const struct st_key none = {.len = 0};
	struct st_key from;
	bool strict = true;
	int r = st_cursor_key(cur, &from);

	if (r != 0)
		return r;
	if (prefix == NULL)
		prefix = &none;
	/* a token from elsewhere (another product's list) starts the prefix */
	if (from.len < prefix->len || memcmp(from.buf, prefix->buf, prefix->len) != 0) {
		from = *prefix;
		strict = false;
	}
	r = st_seek_after(t, db, &from, strict, prefix->buf, prefix->len, k, v);
	if (r == 0)
		st_cursor_set(cur, k->mv_data, k->mv_size);
	return r;
}

int
lmdb_counts(struct ul_txn *t, struct ul_store_counts *c)
{
	MDB_stat s;
	int dbs[] = {DB_USERS, DB_PRODUCTS, DB_ACCOUNTS, DB_AUDIT};
	uint64_t *out[] = {&c->users, &c->products, &c->accounts, &c->audit};

	memset(c, 0, sizeof(*c));
	c->commits = t->st->commits;
	c->batches = t->st->batches;
	c->batched = t->st->batched;
	for (int i = 0; i < 4; i++) {
		int rc = mdb_stat(t->txn, t->st->dbi[dbs[i]], &s);

		if (rc != 0)
			return st_map_error(rc);
		*out[i] = s.ms_entries;
	}
	return 0;
}

int
lmdb_upkeep(struct ul_txn *t, int64_t failures_before,
    int64_t sessions_before, int64_t audit_before, unsigned max,
    unsigned *removed)
{
	unsigned gone = 0;
	int r, e;

	*removed = 0;
	r = st_failures_prune(t, failures_before, max, &gone);
	if (r == 0)
		r = st_history_prune(t, sessions_before, audit_before, max, removed);
	/* with the disk full the pruning still goes on: it frees pages */
	e = reserve(t->st);
	return r != 0 ? r : e;
}

int
st_next_id_of(struct ul_txn *t, int db, const char *email, struct ul_cursor *cur,
    char *id, size_t n)
{
	struct st_key prefix;
	MDB_val key, v;
	int r;

	id[0] = '\0';
	if (st_key_make(&prefix, email, "") != 0)
		return UL_EINVAL;
	r = st_cursor_next(t, db, cur, &prefix, &key, &v);
	return r != 0 ? r : st_key_tail(&key, prefix.len, id, n, NULL, 0);
}
