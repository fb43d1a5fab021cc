/* The store's files by hand (store_raw.h). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <lmdb.h>

#include "tests/unit/store_raw.h"

void
raw_begin(const char *dir, MDB_env **env, MDB_txn **txn)
{
	assert_int_equal(mdb_env_create(env), 0);
	assert_int_equal(mdb_env_set_maxdbs(*env, 32), 0);
	assert_int_equal(mdb_env_open(*env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(*env, NULL, 0, txn), 0);
}

void
raw_commit(MDB_env *env, MDB_txn *txn)
{
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

void
raw_put_schema(MDB_txn *txn, uint32_t version)
{
	uint8_t b[4] = {(uint8_t)(version >> 24), (uint8_t)(version >> 16),
	    (uint8_t)(version >> 8), (uint8_t)version};
	MDB_val k = {.mv_size = 6, .mv_data = "schema"};
	MDB_val v = {.mv_size = 4, .mv_data = b};
	MDB_dbi dbi;

	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
}

uint32_t
raw_schema(const char *dir)
{
	MDB_val k = {.mv_size = 6, .mv_data = "schema"}, v;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	const uint8_t *b;
	uint32_t version;

	raw_begin(dir, &env, &txn);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
	assert_int_equal(v.mv_size, 4);
	b = v.mv_data;
	version = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
	    ((uint32_t)b[2] << 8) | b[3];
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return version;
}

void
raw_keys(const char *dir, const char *db, char *out, size_t n)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_dbi dbi;
	MDB_val k, v;
	size_t len = 0;
	int rc;

	out[0] = '\0';
	raw_begin(dir, &env, &txn);
	assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
	assert_int_equal(mdb_cursor_open(txn, dbi, &c), 0);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		assert_true(len + k.mv_size + 2 <= n);
		for (size_t i = 0; i < k.mv_size; i++) {
			char ch = ((const char *)k.mv_data)[i];

			out[len++] = ch == '\0' ? '|' : ch;
		}
		out[len++] = ' ';
		out[len] = '\0';
	}
	assert_int_equal(rc, MDB_NOTFOUND);
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}
