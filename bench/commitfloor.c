/* commitfloor: LOGIN_CODE's write done as a bare LMDB transaction, the
 * baseline of bench/run's "LOGIN_CODE p50 against a bare LMDB commit" row.
 * Built only for `make bench`; never installed, never part of make check.
 *
 *   commitfloor STORE DIR N
 *
 * Reads, from the helper's store STORE (read-only, while the helper runs),
 * how many users it holds and the largest user record and audit record:
 * a LOGIN_CODE rewrites one enrolled user (the largest kind of record) and
 * appends one audit event.  Then, in a fresh environment in DIR (the same
 * disk, the helper's defaults: no MDB_NOSYNC, no MDB_WRITEMAP), fills a
 * `users` DB with that many records of that size and does N write
 * transactions, each a put of one random user plus an MDB_APPEND to an
 * `audit` DB, then mdb_txn_commit, which fdatasyncs.  Prints the ns of
 * each transaction (begin to commit) as JSON.
 *
 * The bench is the one place outside helper/store/lmdb that includes
 * lmdb.h: the baseline has to be LMDB itself, not the store. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lmdb.h>

#define MAP_SIZE ((size_t)1 << 30)

struct sizes {
	size_t users, user_max, audit_max;
};

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
check(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "commitfloor: %s: %s\n", what, mdb_strerror(rc));
		exit(1);
	}
}

/* The entries of DB `name` and its largest value. */
static void
scan_db(MDB_txn *txn, const char *name, size_t *count, size_t *max)
{
	MDB_dbi dbi;
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	*count = 0;
	*max = 0;
	check(mdb_dbi_open(txn, name, 0, &dbi), name);
	check(mdb_cursor_open(txn, dbi, &c), "mdb_cursor_open");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		(*count)++;
		if (v.mv_size > *max)
			*max = v.mv_size;
	}
	mdb_cursor_close(c);
}

static struct sizes
store_sizes(const char *store)
{
	struct sizes s;
	MDB_env *env;
	MDB_txn *txn;
	size_t audits;

	check(mdb_env_create(&env), "mdb_env_create");
	check(mdb_env_set_maxdbs(env, 64), "mdb_env_set_maxdbs");
	check(mdb_env_set_mapsize(env, MAP_SIZE), "mdb_env_set_mapsize");
	check(mdb_env_open(env, store, MDB_RDONLY | MDB_NOTLS, 0600), store);
	check(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), "mdb_txn_begin");
	scan_db(txn, "users", &s.users, &s.user_max);
	scan_db(txn, "audit", &audits, &s.audit_max);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	if (s.audit_max == 0)
		s.audit_max = 64;
	return s;
}

/* Keys as the store's: u<i>@bench.example.com; audit: seq(be64). */
static MDB_val
user_key(char *buf, size_t n, size_t i)
{
	int len = snprintf(buf, n, "u%zu@bench.example.com", i);

	return (MDB_val){.mv_size = (size_t)len, .mv_data = buf};
}

static void
be64(uint8_t out[8], uint64_t x)
{
	for (int i = 7; i >= 0; i--, x >>= 8)
		out[i] = (uint8_t)x;
}

static void
fill(MDB_env *env, MDB_dbi users, const struct sizes *s, uint8_t *rec)
{
	MDB_txn *txn;
	char kb[64];

	check(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin");
	for (size_t i = 0; i < s->users; i++) {
		MDB_val k = user_key(kb, sizeof(kb), i);
		MDB_val v = {.mv_size = s->user_max, .mv_data = rec};

		rec[0] = (uint8_t)i;
		check(mdb_put(txn, users, &k, &v, 0), "fill");
	}
	check(mdb_txn_commit(txn), "fill commit");
}

static void
print_result(const struct sizes *s, const int64_t *v, unsigned n)
{
	printf("{\"users\":%zu,\"user_bytes\":%zu,\"audit_bytes\":%zu,\"ns\":[",
	    s->users, s->user_max, s->audit_max);
	for (unsigned i = 0; i < n; i++)
		printf("%s%" PRId64, i ? "," : "", v[i]);
	printf("]}\n");
}

int
main(int argc, char **argv)
{
	struct sizes s;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi users, audit;
	uint8_t *rec, *ev, seq[8];
	int64_t *v;
	unsigned n;

	if (argc != 4) {
		fprintf(stderr, "usage: commitfloor STORE DIR N\n");
		return 2;
	}
	n = (unsigned)atoi(argv[3]);
	s = store_sizes(argv[1]);
	if (s.users == 0 || n == 0) {
		fprintf(stderr, "commitfloor: %s holds no users\n", argv[1]);
		return 1;
	}
	rec = malloc(s.user_max);
	ev = malloc(s.audit_max);
	v = calloc(n, sizeof(*v));
	if (rec == NULL || ev == NULL || v == NULL)
		return 1;
	memset(rec, 0x5a, s.user_max);
	memset(ev, 0xa5, s.audit_max);
	check(mdb_env_create(&env), "mdb_env_create");
	check(mdb_env_set_maxdbs(env, 4), "mdb_env_set_maxdbs");
	check(mdb_env_set_mapsize(env, MAP_SIZE), "mdb_env_set_mapsize");
	check(mdb_env_open(env, argv[2], MDB_NOTLS, 0600), argv[2]);
	check(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin");
	check(mdb_dbi_open(txn, "users", MDB_CREATE, &users), "users");
	check(mdb_dbi_open(txn, "audit", MDB_CREATE, &audit), "audit");
	check(mdb_txn_commit(txn), "open commit");
	fill(env, users, &s, rec);
	srand(12345);
	for (unsigned i = 0; i < n; i++) {
		char kb[64];
		MDB_val k = user_key(kb, sizeof(kb), (size_t)rand() % s.users);
		MDB_val val = {.mv_size = s.user_max, .mv_data = rec};
		MDB_val ak = {.mv_size = 8, .mv_data = seq};
		MDB_val av = {.mv_size = s.audit_max, .mv_data = ev};
		int64_t t;

		rec[1] = (uint8_t)i;    /* a changed record, as a used code is */
		be64(seq, (uint64_t)i + 1);
		t = now_ns();
		check(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin");
		check(mdb_put(txn, users, &k, &val, 0), "put user");
		check(mdb_put(txn, audit, &ak, &av, MDB_APPEND), "append audit");
		check(mdb_txn_commit(txn), "mdb_txn_commit");
		v[i] = now_ns() - t;
	}
	mdb_env_close(env);
	print_result(&s, v, n);
	free(v);
	free(ev);
	free(rec);
	return 0;
}
