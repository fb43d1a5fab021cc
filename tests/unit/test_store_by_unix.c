/* Unit tests for the accounts by their Unix name (helper/store/lmdb/
 * accounts.c, schema 4): an account whose Unix name is its own name holds
 * that name without an acct_unix entry, an account with another Unix name
 * keeps its entry, every claim on a Unix name is still unique per product
 * whichever way it is held, and a schema 3 store (an entry for every
 * account) is upgraded in place to the same answers.
 *
 * Each test opens a real store in a fresh mkdtemp directory; the index
 * checks read and write its files with the LMDB API (store_raw.h), with
 * the store closed.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lmdb.h>

#include "helper/store/store.h"
#include "unilogin/error.h"

#include "tests/unit/store_fixture.h"
#include "tests/unit/store_raw.h"

static int
try_create(struct fixture *fx, const struct ul_account *a)
{
	struct ul_txn *t = begin(fx, true);
	int r = ul_store_account_create(t, a);

	commit(t);
	return r;
}

/* The name of the account holding (product, unix_user), or the error. */
static const char *
by_unix(struct fixture *fx, const char *product, const char *unix_user,
    char *out, size_t n)
{
	struct ul_account a;
	struct ul_txn *t = begin(fx, false);
	int r = ul_store_account_by_unix(t, product, unix_user, &a);

	ul_txn_abort(t);
	if (r != 0)
		snprintf(out, n, "%s", ul_strerror(r));
	else if (strcmp(a.unix_user, unix_user) != 0)
		snprintf(out, n, "%s (Unix name %s)", a.name, a.unix_user);
	else
		snprintf(out, n, "%s", a.name);
	return out;
}

#define assert_by_unix(fx, product, unix_user, want) do { \
		char got_[640]; \
		assert_string_equal(by_unix(fx, product, unix_user, got_, \
		    sizeof(got_)), want); \
	} while (0)

static void
acct_unix_keys(struct fixture *fx, char *out, size_t n)
{
	close_store(fx);
	raw_keys(fx->dir, "acct_unix", out, n);
	reopen(fx);
}

/* shop/ann and blog/ann are Unix users ann (each product names its own
 * users); shop/bo is shop_bo, blog/dan is eve. */
static void
create_mixed(struct fixture *fx)
{
	struct ul_account a[] = {
		new_account("shop", "ann", "ann", 7001, ""),
		new_account("shop", "bo", "shop_bo", 7002, ""),
		new_account("blog", "ann", "ann", 7003, ""),
		new_account("blog", "dan", "eve", 7004, ""),
	};

	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
		create_account(fx, &a[i]);
}

#define MIXED_KEYS "blog|eve shop|shop_bo "

static void
assert_mixed_answers(struct fixture *fx)
{
	assert_by_unix(fx, "shop", "ann", "ann");
	assert_by_unix(fx, "blog", "ann", "ann");
	assert_by_unix(fx, "shop", "shop_bo", "bo");
	assert_by_unix(fx, "blog", "eve", "dan");
	/* an account's name is no Unix name of it unless it says so */
	assert_by_unix(fx, "shop", "bo", ul_strerror(UL_ENOTFOUND));
	assert_by_unix(fx, "blog", "dan", ul_strerror(UL_ENOTFOUND));
	assert_by_unix(fx, "shop", "eve", ul_strerror(UL_ENOTFOUND));
	assert_by_unix(fx, "wiki", "ann", ul_strerror(UL_ENOTFOUND));
}

static void
test_fresh_store_writes_entries_only_for_other_names(void **state)
{
	struct fixture *fx = *state;
	char keys[512];

	create_mixed(fx);
	acct_unix_keys(fx, keys, sizeof(keys));
	assert_string_equal(keys, MIXED_KEYS);
	assert_mixed_answers(fx);
}

/* A Unix name held by an account of that name refuses a second holder,
 * and a Unix name held by an entry refuses an account of that name. */
static void
test_unix_name_claims_both_ways(void **state)
{
	struct fixture *fx = *state;
	struct ul_account cy = new_account("shop", "cy", "ann", 7010, "");
	struct ul_account eve = new_account("blog", "eve", "eve", 7011, "");
	struct ul_account eve2 = new_account("blog", "eve", "fay", 7012, "");
	struct ul_account gus = new_account("blog", "gus", "fay", 7013, "");
	struct ul_account fay = new_account("blog", "fay", "fay", 7014, "");
	char keys[512];

	create_mixed(fx);
	/* shop/ann holds "ann" with no entry */
	assert_int_equal(try_create(fx, &cy), UL_EEXIST);
	/* blog/dan holds "eve" by its entry */
	assert_int_equal(try_create(fx, &eve), UL_EEXIST);
	acct_unix_keys(fx, keys, sizeof(keys));
	assert_string_equal(keys, MIXED_KEYS);
	assert_by_unix(fx, "shop", "ann", "ann");
	assert_by_unix(fx, "blog", "eve", "dan");
	/* the refused ones claimed nothing: uids 7010 and 7011 are free */
	cy = new_account("shop", "cy", "cy", 7010, "");
	assert_int_equal(try_create(fx, &cy), 0);
	/* an account named eve with another Unix name: "eve" stays dan's */
	assert_int_equal(try_create(fx, &eve2), 0);
	assert_by_unix(fx, "blog", "eve", "dan");
	assert_by_unix(fx, "blog", "fay", "eve");
	/* "fay" is held by eve's entry, against an account and a name */
	assert_int_equal(try_create(fx, &gus), UL_EEXIST);
	assert_int_equal(try_create(fx, &fay), UL_EEXIST);
	acct_unix_keys(fx, keys, sizeof(keys));
	assert_string_equal(keys, "blog|eve blog|fay shop|shop_bo ");
}

/* A change of an account (a link) keeps how it holds its Unix name. */
static void
test_change_keeps_the_claim(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a, b;
	char keys[512];
	struct ul_txn *t;

	create_mixed(fx);
	a = get_account(fx, "shop", "ann");
	b = get_account(fx, "shop", "bo");
	t = begin(fx, true);
	assert_int_equal(ul_store_account_link(t, &a, "ann@x.org"), 0);
	assert_int_equal(ul_store_account_link(t, &b, "bo@x.org"), 0);
	commit(t);
	acct_unix_keys(fx, keys, sizeof(keys));
	assert_string_equal(keys, MIXED_KEYS);
	assert_mixed_answers(fx);
	a = new_account("shop", "zed", "ann", 7020, "");
	assert_int_equal(try_create(fx, &a), UL_EEXIST);
}

/* Schema 3 kept an acct_unix entry for every account. */
static void
test_open_upgrades_schema_3(void **state)
{
	static const char *keys3[] = {"shop\0ann", "blog\0ann"};
	struct fixture *fx = *state;
	char keys[512];
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;

	create_mixed(fx);
	close_store(fx);
	raw_begin(fx->dir, &env, &txn);
	assert_int_equal(mdb_dbi_open(txn, "acct_unix", 0, &dbi), 0);
	for (size_t i = 0; i < sizeof(keys3) / sizeof(keys3[0]); i++) {
		MDB_val k = {.mv_size = 8, .mv_data = (void *)keys3[i]};
		MDB_val v = {.mv_size = 3, .mv_data = "ann"};

		assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	}
	raw_put_schema(txn, 3);
	raw_commit(env, txn);
	raw_keys(fx->dir, "acct_unix", keys, sizeof(keys));
	assert_string_equal(keys, "blog|ann blog|eve shop|ann shop|shop_bo ");

	reopen(fx);
	close_store(fx);
	assert_int_equal(raw_schema(fx->dir), UL_TEST_SCHEMA);
	raw_keys(fx->dir, "acct_unix", keys, sizeof(keys));
	assert_string_equal(keys, MIXED_KEYS);
	reopen(fx);
	/* the answers schema 3 gave, and its claims */
	assert_mixed_answers(fx);
	{
		struct ul_account cy = new_account("shop", "cy", "ann", 7010, "");

		assert_int_equal(try_create(fx, &cy), UL_EEXIST);
	}
	/* a second open finds nothing more to do */
	reopen(fx);
	assert_mixed_answers(fx);
	acct_unix_keys(fx, keys, sizeof(keys));
	assert_string_equal(keys, MIXED_KEYS);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fresh_store_writes_entries_only_for_other_names),
		T(test_unix_name_claims_both_ways),
		T(test_change_keeps_the_claim),
		T(test_open_upgrades_schema_3),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
