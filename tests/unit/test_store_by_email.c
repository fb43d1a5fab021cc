/* Unit tests for the accounts by their own email (helper/store/lmdb/
 * by_email.c): the list merges acct_email with the owner index in one
 * order, a fresh store writes no acct_email entry for an account whose
 * email is its owner's, and a schema 2 store (which wrote one for every
 * account with an email) is upgraded in place to the same answers.
 *
 * Each test opens a real store in a fresh mkdtemp directory; the schema
 * and index checks read and write its files with the LMDB API
 * (store_raw.h), with the store closed.
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

/* An account with its own email, linked to owner ("" for legacy). */
static struct ul_account
account(const char *product, const char *name, uint32_t uid,
    const char *email, const char *owner)
{
	char unix_user[16];
	struct ul_account a;

	snprintf(unix_user, sizeof(unix_user), "u%u", uid);
	a = new_account(product, name, unix_user, uid, owner);
	snprintf(a.email, sizeof(a.email), "%s", email);
	return a;
}

/* Walks account_with_email one page per transaction (the cursor travels
 * as a client keeps it) and writes "product/name " for each. */
static void
with_email(struct fixture *fx, const char *email, char *out, size_t n)
{
	struct ul_cursor cur = {.token = ""};
	struct ul_account a;
	size_t len = 0;
	int guard = 0, r;

	out[0] = '\0';
	for (;;) {
		struct ul_txn *t = begin(fx, false);

		r = ul_store_account_with_email(t, email, &cur, &a);
		ul_txn_abort(t);
		if (r != 0)
			break;
		assert_true(guard++ < 20);
		assert_string_equal(a.email, email);
		len += (size_t)snprintf(out + len, n - len, "%s/%s ", a.product, a.name);
		assert_true(len < n);
	}
	assert_int_equal(r, UL_ENOTFOUND);
}

/* The same list in one transaction. */
static void
with_email_one_txn(struct fixture *fx, const char *email, char *out, size_t n)
{
	struct ul_cursor cur = {.token = ""};
	struct ul_account a;
	struct ul_txn *t = begin(fx, false);
	size_t len = 0;
	int guard = 0;

	out[0] = '\0';
	while (ul_store_account_with_email(t, email, &cur, &a) == 0) {
		assert_true(guard++ < 20);
		len += (size_t)snprintf(out + len, n - len, "%s/%s ", a.product, a.name);
		assert_true(len < n);
	}
	ul_txn_abort(t);
}

static void
assert_with_email(struct fixture *fx, const char *email, const char *want)
{
	char out[512];

	with_email(fx, email, out, sizeof(out));
	assert_string_equal(out, want);
	with_email_one_txn(fx, email, out, sizeof(out));
	assert_string_equal(out, want);
}

/* The acct_email keys, read with the store closed. */
static void
acct_email_keys(struct fixture *fx, char *out, size_t n)
{
	close_store(fx);
	raw_keys(fx->dir, "acct_email", out, n);
	reopen(fx);
}

/* ann@x.org's accounts: two she owns (shop/a1, tools/t1), two legacy
 * (shop/a0, shop/a2), one bo owns (blog/b1); and bo's own shop/zz. */
static void
create_mixed(struct fixture *fx)
{
	struct ul_account a[] = {
		account("shop", "a1", 7001, "ann@x.org", "ann@x.org"),
		account("tools", "t1", 7002, "ann@x.org", "ann@x.org"),
		account("shop", "a0", 7003, "ann@x.org", ""),
		account("shop", "a2", 7004, "ann@x.org", ""),
		account("blog", "b1", 7005, "ann@x.org", "bo@x.org"),
		account("shop", "zz", 7006, "bo@x.org", "bo@x.org"),
		account("shop", "c", 7007, "ann@x.orgg", "ann@x.orgg"),
		account("shop", "legacy", 7008, "", ""),
	};

	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
		create_account(fx, &a[i]);
}

#define ANN_LIST "blog/b1 shop/a0 shop/a1 shop/a2 tools/t1 "
#define OTHERS_KEYS "ann@x.org|blog|b1 ann@x.org|shop|a0 ann@x.org|shop|a2 "

static void
test_with_email_merges_owned_accounts_in_order(void **state)
{
	struct fixture *fx = *state;

	create_mixed(fx);
	assert_with_email(fx, "ann@x.org", ANN_LIST);
	assert_with_email(fx, "bo@x.org", "shop/zz ");
	assert_with_email(fx, "ann@x.orgg", "shop/c ");
	assert_with_email(fx, "carl@x.org", "");
}

static void
test_fresh_store_writes_no_owner_entry(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a3 = account("wiki", "a3", 7009, "ann@x.org", "");
	struct ul_account a1;
	char keys[1024];
	struct ul_txn *t;

	create_mixed(fx);
	acct_email_keys(fx, keys, sizeof(keys));
	assert_string_equal(keys, OTHERS_KEYS);
	/* a legacy account linked to its own email leaves acct_email */
	create_account(fx, &a3);
	acct_email_keys(fx, keys, sizeof(keys));
	assert_non_null(strstr(keys, "ann@x.org|wiki|a3 "));
	t = begin(fx, true);
	assert_int_equal(ul_store_account_link(t, &a3, "ann@x.org"), 0);
	commit(t);
	acct_email_keys(fx, keys, sizeof(keys));
	assert_string_equal(keys, OTHERS_KEYS);
	assert_with_email(fx, "ann@x.org", "blog/b1 shop/a0 shop/a1 shop/a2 "
	    "tools/t1 wiki/a3 ");
	/* U6 moves owner and email together: still no entry; unlinked, it
	 * is listed by acct_email again */
	a1 = get_account(fx, "shop", "a1");
	t = begin(fx, true);
	assert_int_equal(ul_store_account_move_email(t, &a1, "ann@x.org",
	    "carl@x.org"), 0);
	commit(t);
	acct_email_keys(fx, keys, sizeof(keys));
	assert_string_equal(keys, OTHERS_KEYS);
	assert_with_email(fx, "carl@x.org", "shop/a1 ");
	a1 = get_account(fx, "shop", "a1");
	t = begin(fx, true);
	assert_int_equal(ul_store_account_unlink(t, &a1), 0);
	commit(t);
	acct_email_keys(fx, keys, sizeof(keys));
	assert_string_equal(keys, OTHERS_KEYS "carl@x.org|shop|a1 ");
	assert_with_email(fx, "carl@x.org", "shop/a1 ");
	assert_with_email(fx, "ann@x.org", "blog/b1 shop/a0 shop/a2 tools/t1 "
	    "wiki/a3 ");
}

/* Schema 2 kept an acct_email entry for every account with an email. */
static void
test_open_upgrades_schema_2(void **state)
{
	static const char *owners[] = {"ann@x.org\0shop\0a1", "ann@x.org\0tools\0t1",
	    "bo@x.org\0shop\0zz", "ann@x.orgg\0shop\0c"};
	static const size_t lens[] = {17, 18, 16, 17};
	struct fixture *fx = *state;
	MDB_val v = {.mv_size = 0, .mv_data = ""};
	char keys[1024];
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;

	create_mixed(fx);
	close_store(fx);
	raw_begin(fx->dir, &env, &txn);
	assert_int_equal(mdb_dbi_open(txn, "acct_email", 0, &dbi), 0);
	for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
		MDB_val k = {.mv_size = lens[i], .mv_data = (void *)owners[i]};

		assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	}
	raw_put_schema(txn, 2);
	raw_commit(env, txn);
	raw_keys(fx->dir, "acct_email", keys, sizeof(keys));
	assert_string_equal(keys, "ann@x.org|blog|b1 ann@x.org|shop|a0 "
	    "ann@x.org|shop|a1 ann@x.org|shop|a2 ann@x.org|tools|t1 "
	    "ann@x.orgg|shop|c bo@x.org|shop|zz ");

	reopen(fx);
	close_store(fx);
	assert_int_equal(raw_schema(fx->dir), UL_TEST_SCHEMA);
	raw_keys(fx->dir, "acct_email", keys, sizeof(keys));
	assert_string_equal(keys, OTHERS_KEYS);
	reopen(fx);
	/* the answers schema 2 gave */
	assert_with_email(fx, "ann@x.org", ANN_LIST);
	assert_with_email(fx, "bo@x.org", "shop/zz ");
	assert_with_email(fx, "ann@x.orgg", "shop/c ");
	/* and a second open finds nothing more to do */
	reopen(fx);
	assert_with_email(fx, "ann@x.org", ANN_LIST);
	acct_email_keys(fx, keys, sizeof(keys));
	assert_string_equal(keys, OTHERS_KEYS);
}

/* A token of the owner list (email\0product) starts after that product. */
static void
test_with_email_cursor_of_another_list(void **state)
{
	struct fixture *fx = *state;
	struct ul_cursor cur = {.token = ""};
	struct ul_account a;
	struct ul_txn *t;

	create_mixed(fx);
	t = begin(fx, false);
	assert_int_equal(ul_store_owned_next(t, "ann@x.org", &cur, &a), 0);
	assert_string_equal(a.product, "shop");
	assert_int_equal(ul_store_account_with_email(t, "ann@x.org", &cur, &a), 0);
	assert_string_equal(a.product, "shop");
	assert_string_equal(a.name, "a0");
	assert_int_equal(ul_store_account_with_email(t, "ann@x.org", &cur, &a), 0);
	assert_string_equal(a.name, "a1");
	cur = (struct ul_cursor){.token = ""};
	assert_int_equal(ul_store_owned_next(t, "bo@x.org", &cur, &a), 0);
	assert_int_equal(ul_store_account_with_email(t, "ann@x.org", &cur, &a), 0);
	assert_string_equal(a.product, "blog");
	ul_txn_abort(t);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_with_email_merges_owned_accounts_in_order),
		T(test_fresh_store_writes_no_owner_entry),
		T(test_open_upgrades_schema_2),
		T(test_with_email_cursor_of_another_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
