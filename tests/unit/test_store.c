/* Unit tests for helper/store/lmdb/store.c and helper/store/lmdb/store_accounts.c: the LMDB
 * store of users, products, accounts and their indexes, uid allocation,
 * failure counters, the audit log and counts.
 *
 * Each test opens a real store in a fresh mkdtemp directory.  The schema
 * test alone reaches past store.h to LMDB, to write a newer schema number
 * the way a later unilogind would.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "helper/store/store.h"
#include "unilogin/error.h"

#include "tests/unit/store_fixture.h"

static struct ul_user
user(const char *email)
{
	struct ul_user u;

	memset(&u, 0, sizeof(u));
	snprintf(u.email, sizeof(u.email), "%s", email);
	snprintf(u.pwhash, sizeof(u.pwhash), "$argon2id$v=19$m=8,t=1,p=1$x$y");
	u.confirmed = true;
	u.created = 1700000000;
	u.pw_changed = 1700000001;
	memset(u.confirm.hash, 0xab, sizeof(u.confirm.hash));
	u.confirm.expires = 1700003600;
	return u;
}

static struct ul_account
account(const char *product, const char *name, const char *unix_user,
    uint32_t uid, const char *owner)
{
	struct ul_account a;

	memset(&a, 0, sizeof(a));
	snprintf(a.product, sizeof(a.product), "%s", product);
	snprintf(a.name, sizeof(a.name), "%s", name);
	snprintf(a.unix_user, sizeof(a.unix_user), "%s", unix_user);
	a.uid = uid;
	snprintf(a.owner, sizeof(a.owner), "%s", owner);
	snprintf(a.friendly_name, sizeof(a.friendly_name), "%s's account", name);
	a.created = 1700000000;
	return a;
}

static void
put_account(struct fixture *fx, const struct ul_account *a)
{
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_account_put(t, a), 0);
	assert_int_equal(ul_txn_commit(t), 0);
}

/* The put must be refused with UL_EEXIST; the transaction is aborted. */
static void
put_account_clash(struct fixture *fx, const struct ul_account *a)
{
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_account_put(t, a), UL_EEXIST);
	ul_txn_abort(t);
}

static void
assert_mode(const char *dir, const char *name, mode_t want)
{
	char p[160];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s%s", dir, name ? "/" : "", name ? name : "");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, want);
}

/* ---- opening ---- */

static void
test_open_creates_private_dir_and_files(void **state)
{
	struct fixture *fx = *state;

	assert_mode(fx->dir, NULL, 0700);
	assert_mode(fx->dir, "data.mdb", 0600);
	assert_mode(fx->dir, "lock.mdb", 0600);
}

static void
test_open_tightens_existing_dir(void **state)
{
	struct fixture *fx = *state;

	ul_store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(chmod(fx->dir, 0755), 0);
	reopen(fx);
	assert_mode(fx->dir, NULL, 0700);
}

static void
test_open_refuses_newer_schema(void **state)
{
	struct fixture *fx = *state;
	uint8_t b[4] = {0, 0, 0, 99};
	MDB_val k = {.mv_size = 6, .mv_data = "schema"};
	MDB_val v = {.mv_size = 4, .mv_data = b};
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;

	ul_store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, fx->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	fx->err[0] = '\0';
	assert_int_not_equal(ul_store_open(&fx->st, fx->dir, fx->err,
	    sizeof(fx->err)), 0);
	assert_null(fx->st);
	assert_non_null(strstr(fx->err, "newer"));
}

static void
test_open_refuses_file_as_dir(void **state)
{
	struct fixture *fx = *state;
	struct ul_store *st = NULL;
	char p[160];

	snprintf(p, sizeof(p), "%s/data.mdb", fx->dir);
	assert_int_equal(ul_store_open(&st, p, fx->err, sizeof(fx->err)),
	    UL_ESTORE);
	assert_null(st);
}

static void
test_open_refuses_symlinked_dir(void **state)
{
	struct fixture *fx = *state;
	struct ul_store *st = NULL;
	char link[160];

	snprintf(link, sizeof(link), "%s/link", fx->root);
	assert_int_equal(symlink(fx->dir, link), 0);
	assert_int_equal(ul_store_open(&st, link, fx->err, sizeof(fx->err)),
	    UL_ESTORE);
	assert_null(st);
	unlink(link);
}

/* ---- users ---- */

static void
test_user_put_get_roundtrip(void **state)
{
	struct fixture *fx = *state;
	struct ul_user in = user("ann@example.org"), out;
	struct ul_txn *t = begin(fx, true);

	snprintf(in.pending_email, sizeof(in.pending_email), "ann@new.example");
	in.locked = true;
	in.reset.expires = -5;
	assert_int_equal(ul_store_user_put(t, &in), 0);
	assert_int_equal(ul_txn_commit(t), 0);

	t = begin(fx, false);
	assert_int_equal(ul_store_user_get(t, "ann@example.org", &out), 0);
	ul_txn_abort(t);
	assert_string_equal(out.email, in.email);
	assert_string_equal(out.pwhash, in.pwhash);
	assert_string_equal(out.pending_email, "ann@new.example");
	assert_true(out.confirmed);
	assert_true(out.locked);
	assert_int_equal(out.created, in.created);
	assert_int_equal(out.pw_changed, in.pw_changed);
	assert_memory_equal(out.confirm.hash, in.confirm.hash, UL_CODE_HASH_BYTES);
	assert_int_equal(out.confirm.expires, in.confirm.expires);
	assert_int_equal(out.reset.expires, -5);
}

static void
test_user_get_unknown_is_notfound(void **state)
{
	struct fixture *fx = *state;
	struct ul_user out;
	struct ul_txn *t = begin(fx, false);

	memset(&out, 0x55, sizeof(out));
	assert_int_equal(ul_store_user_get(t, "nobody@example.org", &out),
	    UL_ENOTFOUND);
	assert_string_equal(out.email, "");
	ul_txn_abort(t);
}

static void
test_user_put_replaces(void **state)
{
	struct fixture *fx = *state;
	struct ul_user u = user("ann@example.org"), out;
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_user_put(t, &u), 0);
	u.pwhash[0] = '\0';
	u.confirmed = false;
	assert_int_equal(ul_store_user_put(t, &u), 0);
	assert_int_equal(ul_store_user_get(t, "ann@example.org", &out), 0);
	assert_string_equal(out.pwhash, "");
	assert_false(out.confirmed);
	ul_txn_abort(t);
}

static void
test_user_next_walks_in_order(void **state)
{
	struct fixture *fx = *state;
	static const char *emails[] = {"cy@x.org", "ann@x.org", "bo@x.org"};
	static const char *want[] = {"ann@x.org", "bo@x.org", "cy@x.org"};
	char last[UL_EMAIL_MAX + 1] = "";
	struct ul_user u;
	struct ul_txn *t = begin(fx, true);

	for (int i = 0; i < 3; i++) {
		u = user(emails[i]);
		assert_int_equal(ul_store_user_put(t, &u), 0);
	}
	/* the cursor is a copy, as the handlers keep it: the output is
	 * zeroed on entry */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ul_store_user_next(t, last, &u), 0);
		assert_string_equal(u.email, want[i]);
		snprintf(last, sizeof(last), "%s", u.email);
	}
	assert_int_equal(ul_store_user_next(t, last, &u), UL_ENOTFOUND);
	/* after a name that is not stored: the next one that is */
	assert_int_equal(ul_store_user_next(t, "b", &u), 0);
	assert_string_equal(u.email, "bo@x.org");
	ul_txn_abort(t);
}

static void
test_user_del(void **state)
{
	struct fixture *fx = *state;
	struct ul_user u = user("ann@example.org");
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_user_put(t, &u), 0);
	assert_int_equal(ul_txn_commit(t), 0);
	t = begin(fx, true);
	assert_int_equal(ul_store_user_del(t, "ann@example.org"), 0);
	assert_int_equal(ul_txn_commit(t), 0);
	t = begin(fx, false);
	assert_int_equal(ul_store_user_get(t, "ann@example.org", &u),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_user_next(t, "", &u), UL_ENOTFOUND);
	ul_txn_abort(t);
}

/* ---- products ---- */

static void
test_product_put_get_next(void **state)
{
	struct fixture *fx = *state;
	struct ul_product p = {.name = "shop", .display_name = "The Shop",
	    .created = 42}, q = {.name = "blog"}, out;
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_product_put(t, &p), 0);
	assert_int_equal(ul_store_product_put(t, &q), 0);
	assert_int_equal(ul_store_product_get(t, "shop", &out), 0);
	assert_string_equal(out.display_name, "The Shop");
	assert_int_equal(out.created, 42);
	assert_int_equal(ul_store_product_next(t, "", &out), 0);
	assert_string_equal(out.name, "blog");
	assert_int_equal(ul_store_product_next(t, "blog", &out), 0);
	assert_string_equal(out.name, "shop");
	assert_int_equal(ul_store_product_next(t, "shop", &out), UL_ENOTFOUND);
	assert_int_equal(ul_store_product_get(t, "none", &out), UL_ENOTFOUND);
	ul_txn_abort(t);
}

/* ---- accounts and their indexes ---- */

static void
test_account_put_get_roundtrip(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a = account("shop", "ann", "shop_ann", 900000001,
	    "ann@x.org"), out;
	struct ul_txn *t;

	snprintf(a.parent, sizeof(a.parent), "team");
	snprintf(a.email, sizeof(a.email), "ann+shop@x.org");
	a.state = UL_ACCOUNT_SUSPENDED;
	put_account(fx, &a);
	t = begin(fx, false);
	assert_int_equal(ul_store_account_get(t, "shop", "ann", &out), 0);
	ul_txn_abort(t);
	assert_string_equal(out.unix_user, "shop_ann");
	assert_int_equal(out.uid, 900000001);
	assert_string_equal(out.owner, "ann@x.org");
	assert_string_equal(out.email, "ann+shop@x.org");
	assert_string_equal(out.parent, "team");
	assert_string_equal(out.friendly_name, "ann's account");
	assert_int_equal(out.state, UL_ACCOUNT_SUSPENDED);
}

static void
test_account_indexes_find_it(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a = account("shop", "ann", "shop_ann", 900000001,
	    "ann@x.org"), out;
	struct ul_txn *t;

	put_account(fx, &a);
	t = begin(fx, false);
	assert_int_equal(ul_store_account_by_unix(t, "shop", "shop_ann", &out), 0);
	assert_string_equal(out.name, "ann");
	assert_int_equal(ul_store_account_by_uid(t, 900000001, &out), 0);
	assert_string_equal(out.name, "ann");
	assert_string_equal(out.product, "shop");
	assert_int_equal(ul_store_account_owned(t, "ann@x.org", "shop", &out), 0);
	assert_string_equal(out.name, "ann");
	/* and nothing else */
	assert_int_equal(ul_store_account_by_unix(t, "blog", "shop_ann", &out),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_account_by_uid(t, 900000002, &out),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_account_owned(t, "bo@x.org", "shop", &out),
	    UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_account_legacy_accounts_share_no_owner(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a = account("shop", "old1", "shop_old1", 7001, "");
	struct ul_account b = account("shop", "old2", "shop_old2", 7002, "");
	struct ul_account out;
	struct ul_txn *t;

	/* "" is no owner: two legacy accounts of a product do not clash */
	put_account(fx, &a);
	put_account(fx, &b);
	t = begin(fx, false);
	assert_int_equal(ul_store_account_by_unix(t, "shop", "shop_old2", &out), 0);
	assert_string_equal(out.owner, "");
	assert_int_equal(ul_store_account_owned(t, "", "shop", &out),
	    UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_account_same_unix_user_is_eexist(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a = account("shop", "ann", "shop_x", 7001, "ann@x.org");
	struct ul_account b = account("shop", "bo", "shop_x", 7002, "bo@x.org");
	struct ul_account out;
	struct ul_txn *t;

	put_account(fx, &a);
	put_account_clash(fx, &b);
	t = begin(fx, false);
	assert_int_equal(ul_store_account_by_unix(t, "shop", "shop_x", &out), 0);
	assert_string_equal(out.name, "ann");
	assert_int_equal(ul_store_account_get(t, "shop", "bo", &out),
	    UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_account_same_uid_is_eexist(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a = account("shop", "ann", "shop_ann", 7001, "ann@x.org");
	struct ul_account b = account("blog", "bo", "blog_bo", 7001, "bo@x.org");
	struct ul_account out;
	struct ul_txn *t;

	put_account(fx, &a);
	put_account_clash(fx, &b);
	t = begin(fx, false);
	assert_int_equal(ul_store_account_by_uid(t, 7001, &out), 0);
	assert_string_equal(out.product, "shop");
	ul_txn_abort(t);
}

static void
test_account_same_owner_and_product_is_eexist(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a = account("shop", "ann", "shop_ann", 7001, "ann@x.org");
	struct ul_account b = account("shop", "ann2", "shop_ann2", 7002,
	    "ann@x.org");
	struct ul_account c = account("blog", "ann", "blog_ann", 7003,
	    "ann@x.org");

	put_account(fx, &a);
	put_account_clash(fx, &b);
	/* the same owner in another product is fine (L3: one per product) */
	put_account(fx, &c);
}

static void
test_account_put_moves_unix_index(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a = account("shop", "ann", "shop_old", 7001, "ann@x.org");
	struct ul_account b = account("shop", "bo", "shop_bo", 7002, "");
	struct ul_account out;
	struct ul_txn *t;

	put_account(fx, &a);
	snprintf(a.unix_user, sizeof(a.unix_user), "shop_new");
	put_account(fx, &a);
	t = begin(fx, false);
	assert_int_equal(ul_store_account_by_unix(t, "shop", "shop_old", &out),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_account_by_unix(t, "shop", "shop_new", &out), 0);
	assert_string_equal(out.name, "ann");
	ul_txn_abort(t);
	/* the old name is free for another account */
	snprintf(b.unix_user, sizeof(b.unix_user), "shop_old");
	put_account(fx, &b);
}

static void
test_account_put_moves_uid_and_owner_index(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a = account("shop", "ann", "shop_ann", 7001, "ann@x.org");
	struct ul_account out;
	struct ul_txn *t;

	put_account(fx, &a);
	a.uid = 7005;
	snprintf(a.owner, sizeof(a.owner), "bo@x.org");
	put_account(fx, &a);
	t = begin(fx, false);
	assert_int_equal(ul_store_account_by_uid(t, 7001, &out), UL_ENOTFOUND);
	assert_int_equal(ul_store_account_by_uid(t, 7005, &out), 0);
	assert_int_equal(ul_store_account_owned(t, "ann@x.org", "shop", &out),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_account_owned(t, "bo@x.org", "shop", &out), 0);
	ul_txn_abort(t);
}

static void
test_account_del_removes_indexes(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a = account("shop", "ann", "shop_ann", 7001, "ann@x.org");
	struct ul_account b = account("shop", "bo", "shop_ann", 7001, "ann@x.org");
	struct ul_account out;
	struct ul_txn *t;

	put_account(fx, &a);
	t = begin(fx, true);
	assert_int_equal(ul_store_account_del(t, "shop", "ann"), 0);
	assert_int_equal(ul_txn_commit(t), 0);
	t = begin(fx, false);
	assert_int_equal(ul_store_account_get(t, "shop", "ann", &out),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_account_by_unix(t, "shop", "shop_ann", &out),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_account_by_uid(t, 7001, &out), UL_ENOTFOUND);
	assert_int_equal(ul_store_account_owned(t, "ann@x.org", "shop", &out),
	    UL_ENOTFOUND);
	ul_txn_abort(t);
	/* every index value it held is free again */
	put_account(fx, &b);
}

static void
test_account_del_unknown_is_notfound(void **state)
{
	struct fixture *fx = *state;
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_account_del(t, "shop", "ghost"), UL_ENOTFOUND);
	ul_txn_abort(t);
}

/* Three products whose names share a prefix, to test the filter's edge. */
static void
put_walk_accounts(struct fixture *fx)
{
	struct ul_account a[] = {
		account("beta", "b1", "beta_b1", 7001, ""),
		account("alpha", "a2", "alpha_a2", 7002, ""),
		account("alphabet", "z1", "alphabet_z1", 7003, ""),
		account("alpha", "a1", "alpha_a1", 7004, ""),
	};

	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
		put_account(fx, &a[i]);
}

static void
test_account_next_walks_every_product(void **state)
{
	struct fixture *fx = *state;
	static const char *want[][2] = {
		{"alpha", "a1"}, {"alpha", "a2"}, {"alphabet", "z1"}, {"beta", "b1"},
	};
	char lp[UL_PRODUCT_MAX + 1] = "", ln[UL_ACCOUNT_MAX + 1] = "";
	struct ul_account a;
	struct ul_txn *t;

	put_walk_accounts(fx);
	t = begin(fx, false);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(ul_store_account_next(t, "", lp, ln, &a), 0);
		assert_string_equal(a.product, want[i][0]);
		assert_string_equal(a.name, want[i][1]);
		snprintf(lp, sizeof(lp), "%s", a.product);
		snprintf(ln, sizeof(ln), "%s", a.name);
	}
	assert_int_equal(ul_store_account_next(t, "", lp, ln, &a), UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_account_next_filters_product(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a;
	struct ul_txn *t;

	put_walk_accounts(fx);
	t = begin(fx, false);
	assert_int_equal(ul_store_account_next(t, "alpha", "", "", &a), 0);
	assert_string_equal(a.name, "a1");
	assert_int_equal(ul_store_account_next(t, "alpha", "", "a1", &a), 0);
	assert_string_equal(a.name, "a2");
	/* "alphabet" is another product, not more of "alpha" */
	assert_int_equal(ul_store_account_next(t, "alpha", "", "a2", &a),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_account_next(t, "beta", "", "", &a), 0);
	assert_string_equal(a.name, "b1");
	assert_int_equal(ul_store_account_next(t, "beta", "", "b1", &a),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_account_next(t, "gamma", "", "", &a),
	    UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_owned_next_lists_users_accounts(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a[] = {
		account("shop", "ann", "shop_ann", 7001, "ann@x.org"),
		account("blog", "ann", "blog_ann", 7002, "ann@x.org"),
		account("blog", "bo", "blog_bo", 7003, "bo@x.org"),
		account("wiki", "a", "wiki_a", 7004, "ann@x.org.uk"),
	};
	struct ul_account out;
	struct ul_txn *t;

	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
		put_account(fx, &a[i]);
	t = begin(fx, false);
	assert_int_equal(ul_store_owned_next(t, "ann@x.org", "", &out), 0);
	assert_string_equal(out.product, "blog");
	assert_string_equal(out.unix_user, "blog_ann");
	assert_int_equal(ul_store_owned_next(t, "ann@x.org", "blog", &out), 0);
	assert_string_equal(out.product, "shop");
	assert_int_equal(ul_store_owned_next(t, "ann@x.org", "shop", &out),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_owned_next(t, "cy@x.org", "", &out),
	    UL_ENOTFOUND);
	ul_txn_abort(t);
}

/* ---- uid allocation ---- */

static void
test_uid_allocate_increases(void **state)
{
	struct fixture *fx = *state;
	struct ul_txn *t = begin(fx, true);
	uint32_t uid;

	assert_int_equal(ul_store_uid_allocate(t, 5000, 5009, &uid), 0);
	assert_int_equal(uid, 5000);
	/* not used by any account yet, but handed out: never again */
	assert_int_equal(ul_store_uid_allocate(t, 5000, 5009, &uid), 0);
	assert_int_equal(uid, 5001);
	assert_int_equal(ul_txn_commit(t), 0);
	t = begin(fx, true);
	assert_int_equal(ul_store_uid_allocate(t, 5000, 5009, &uid), 0);
	assert_int_equal(uid, 5002);
	ul_txn_abort(t);
}

static void
test_uid_allocate_skips_used(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a = account("shop", "ann", "shop_ann", 5001, "");
	struct ul_account b = account("shop", "bo", "shop_bo", 5002, "");
	struct ul_txn *t;
	uint32_t uid;

	put_account(fx, &a);
	put_account(fx, &b);
	t = begin(fx, true);
	assert_int_equal(ul_store_uid_allocate(t, 5000, 5009, &uid), 0);
	assert_int_equal(uid, 5000);
	assert_int_equal(ul_store_uid_allocate(t, 5000, 5009, &uid), 0);
	assert_int_equal(uid, 5003);
	ul_txn_abort(t);
}

static void
test_uid_allocate_exhausted_is_enospc(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a = account("shop", "ann", "shop_ann", 5002, "");
	struct ul_txn *t;
	uint32_t uid;

	put_account(fx, &a);
	t = begin(fx, true);
	assert_int_equal(ul_store_uid_allocate(t, 5000, 5002, &uid), 0);
	assert_int_equal(uid, 5000);
	assert_int_equal(ul_store_uid_allocate(t, 5000, 5002, &uid), 0);
	assert_int_equal(uid, 5001);
	assert_int_equal(ul_store_uid_allocate(t, 5000, 5002, &uid), UL_ENOSPC);
	assert_int_equal(uid, 0);
	ul_txn_abort(t);
}

static void
test_uid_allocate_stays_in_range(void **state)
{
	struct fixture *fx = *state;
	struct ul_txn *t = begin(fx, true);
	uint32_t uid;

	assert_int_equal(ul_store_uid_allocate(t, 5000, 5009, &uid), 0);
	/* a raised minimum wins over an older, lower counter */
	assert_int_equal(ul_store_uid_allocate(t, 6000, 6009, &uid), 0);
	assert_int_equal(uid, 6000);
	assert_int_equal(ul_store_uid_allocate(t, 7000, 7000, &uid), 0);
	assert_int_equal(uid, 7000);
	assert_int_equal(ul_store_uid_allocate(t, 7000, 7000, &uid), UL_ENOSPC);
	ul_txn_abort(t);
}

/* ---- failure counters ---- */

static void
put_failures(struct ul_txn *t, const char *email, int64_t last, int64_t until)
{
	struct ul_failures f = {.count = 2, .last = last,
	    .locked_out_until = until};

	assert_int_equal(ul_store_failures_put(t, email, &f), 0);
}

static void
test_failures_put_get_del(void **state)
{
	struct fixture *fx = *state;
	struct ul_failures f = {.count = 3, .last = 100, .locked_out_until = 900};
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_failures_put(t, "ann@x.org", &f), 0);
	memset(&f, 0, sizeof(f));
	assert_int_equal(ul_store_failures_get(t, "ann@x.org", &f), 0);
	assert_int_equal(f.count, 3);
	assert_int_equal(f.last, 100);
	assert_int_equal(f.locked_out_until, 900);
	assert_int_equal(ul_store_failures_del(t, "ann@x.org"), 0);
	assert_int_equal(ul_store_failures_get(t, "ann@x.org", &f), UL_ENOTFOUND);
	assert_int_equal(f.count, 0);
	ul_txn_abort(t);
}

static void
test_failures_prune_old_only(void **state)
{
	struct fixture *fx = *state;
	struct ul_failures f;
	struct ul_txn *t = begin(fx, true);
	unsigned removed = 99;

	put_failures(t, "a@x.org", 100, 0);        /* stale */
	put_failures(t, "b@x.org", 120, 0);        /* stale, right after a */
	put_failures(t, "c@x.org", 500, 0);        /* recent */
	put_failures(t, "d@x.org", 100, 600);      /* still locked out */
	put_failures(t, "e@x.org", 110, 130);      /* stale */
	assert_int_equal(ul_store_failures_prune(t, 200, 100, &removed), 0);
	assert_int_equal(removed, 3);
	assert_int_equal(ul_store_failures_get(t, "a@x.org", &f), UL_ENOTFOUND);
	assert_int_equal(ul_store_failures_get(t, "b@x.org", &f), UL_ENOTFOUND);
	assert_int_equal(ul_store_failures_get(t, "e@x.org", &f), UL_ENOTFOUND);
	assert_int_equal(ul_store_failures_get(t, "c@x.org", &f), 0);
	assert_int_equal(ul_store_failures_get(t, "d@x.org", &f), 0);
	ul_txn_abort(t);
}

static void
test_failures_prune_respects_max(void **state)
{
	struct fixture *fx = *state;
	struct ul_failures f;
	struct ul_txn *t = begin(fx, true);
	unsigned removed = 99;

	put_failures(t, "a@x.org", 100, 0);
	put_failures(t, "b@x.org", 100, 0);
	put_failures(t, "c@x.org", 100, 0);
	assert_int_equal(ul_store_failures_prune(t, 200, 2, &removed), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(ul_store_failures_get(t, "c@x.org", &f), 0);
	assert_int_equal(ul_store_failures_prune(t, 200, 0, &removed), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(ul_store_failures_prune(t, 200, 2, &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(ul_store_failures_get(t, "c@x.org", &f), UL_ENOTFOUND);
	ul_txn_abort(t);
}

/* ---- audit ---- */

static struct ul_audit
audit_event(int64_t time, const char *event, int result)
{
	struct ul_audit e;

	memset(&e, 0, sizeof(e));
	e.time = time;
	snprintf(e.event, sizeof(e.event), "%s", event);
	snprintf(e.email, sizeof(e.email), "ann@x.org");
	snprintf(e.product, sizeof(e.product), "shop");
	snprintf(e.rhost, sizeof(e.rhost), "192.0.2.1");
	e.caller_uid = 0;
	e.result = result;
	return e;
}

static void
append_three_events(struct fixture *fx)
{
	struct ul_audit e[] = {
		audit_event(100, "login", 0),
		audit_event(200, "login", UL_EAUTH),
		audit_event(300, "user_add", 0),
	};
	struct ul_txn *t = begin(fx, true);

	for (int i = 0; i < 3; i++)
		assert_int_equal(ul_store_audit_append(t, &e[i]), 0);
	assert_int_equal(ul_txn_commit(t), 0);
}

static void
test_audit_append_and_walk(void **state)
{
	struct fixture *fx = *state;
	struct ul_audit e;
	uint64_t cursor = 0;
	struct ul_txn *t;

	append_three_events(fx);
	t = begin(fx, false);
	assert_int_equal(ul_store_audit_next(t, 0, &cursor, &e), 0);
	assert_int_equal(e.time, 100);
	assert_string_equal(e.event, "login");
	assert_string_equal(e.rhost, "192.0.2.1");
	assert_int_equal(ul_store_audit_next(t, 0, &cursor, &e), 0);
	assert_int_equal(e.time, 200);
	assert_int_equal(e.result, UL_EAUTH);
	assert_int_equal(ul_store_audit_next(t, 0, &cursor, &e), 0);
	assert_string_equal(e.event, "user_add");
	assert_int_equal(ul_store_audit_next(t, 0, &cursor, &e), UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_audit_since_filters(void **state)
{
	struct fixture *fx = *state;
	struct ul_audit e;
	uint64_t cursor = 0;
	struct ul_txn *t;

	append_three_events(fx);
	t = begin(fx, false);
	assert_int_equal(ul_store_audit_next(t, 150, &cursor, &e), 0);
	assert_int_equal(e.time, 200);
	assert_int_equal(ul_store_audit_next(t, 150, &cursor, &e), 0);
	assert_int_equal(e.time, 300);
	assert_int_equal(ul_store_audit_next(t, 150, &cursor, &e), UL_ENOTFOUND);
	cursor = 0;
	assert_int_equal(ul_store_audit_next(t, 301, &cursor, &e), UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_audit_continues_after_reopen(void **state)
{
	struct fixture *fx = *state;
	struct ul_audit e;
	uint64_t cursor = 0;
	struct ul_txn *t;

	append_three_events(fx);
	reopen(fx);
	append_three_events(fx);
	t = begin(fx, false);
	for (int i = 0; i < 6; i++)
		assert_int_equal(ul_store_audit_next(t, 0, &cursor, &e), 0);
	assert_int_equal(cursor, 6);
	assert_int_equal(ul_store_audit_next(t, 0, &cursor, &e), UL_ENOTFOUND);
	ul_txn_abort(t);
}

/* ---- counts, durability, transactions ---- */

static void
test_counts(void **state)
{
	struct fixture *fx = *state;
	struct ul_user u1 = user("ann@x.org"), u2 = user("bo@x.org");
	struct ul_product p = {.name = "shop"};
	struct ul_store_counts c;
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_user_put(t, &u1), 0);
	assert_int_equal(ul_store_user_put(t, &u2), 0);
	assert_int_equal(ul_store_product_put(t, &p), 0);
	assert_int_equal(ul_txn_commit(t), 0);
	put_walk_accounts(fx);
	append_three_events(fx);
	t = begin(fx, false);
	memset(&c, 0xff, sizeof(c));
	assert_int_equal(ul_store_counts(t, &c), 0);
	ul_txn_abort(t);
	assert_int_equal(c.users, 2);
	assert_int_equal(c.products, 1);
	assert_int_equal(c.accounts, 4);
	assert_int_equal(c.audit, 3);
}

static void
test_data_survives_reopen(void **state)
{
	struct fixture *fx = *state;
	struct ul_user u = user("ann@x.org");
	struct ul_account a = account("shop", "ann", "shop_ann", 7001, "ann@x.org");
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_user_put(t, &u), 0);
	assert_int_equal(ul_txn_commit(t), 0);
	put_account(fx, &a);
	reopen(fx);
	t = begin(fx, false);
	assert_int_equal(ul_store_user_get(t, "ann@x.org", &u), 0);
	assert_string_equal(u.pwhash, "$argon2id$v=19$m=8,t=1,p=1$x$y");
	assert_int_equal(ul_store_account_by_uid(t, 7001, &a), 0);
	assert_string_equal(a.unix_user, "shop_ann");
	ul_txn_abort(t);
}

static void
test_abort_leaves_nothing(void **state)
{
	struct fixture *fx = *state;
	struct ul_user u = user("ann@x.org");
	struct ul_account a = account("shop", "ann", "shop_ann", 7001, "ann@x.org");
	struct ul_audit e = audit_event(100, "login", 0);
	struct ul_store_counts c;
	struct ul_txn *t = begin(fx, true);
	uint32_t uid;

	assert_int_equal(ul_store_user_put(t, &u), 0);
	assert_int_equal(ul_store_account_put(t, &a), 0);
	assert_int_equal(ul_store_audit_append(t, &e), 0);
	assert_int_equal(ul_store_uid_allocate(t, 5000, 5009, &uid), 0);
	ul_txn_abort(t);

	t = begin(fx, true);
	assert_int_equal(ul_store_user_get(t, "ann@x.org", &u), UL_ENOTFOUND);
	assert_int_equal(ul_store_account_by_unix(t, "shop", "shop_ann", &a),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_account_by_uid(t, 7001, &a), UL_ENOTFOUND);
	assert_int_equal(ul_store_counts(t, &c), 0);
	assert_int_equal(c.users + c.products + c.accounts + c.audit, 0);
	/* the uid counter went back too */
	assert_int_equal(ul_store_uid_allocate(t, 5000, 5009, &uid), 0);
	assert_int_equal(uid, 5000);
	ul_txn_abort(t);
}

static void
test_read_txn_cannot_write(void **state)
{
	struct fixture *fx = *state;
	struct ul_user u = user("ann@x.org");
	struct ul_txn *t = begin(fx, false);

	assert_int_not_equal(ul_store_user_put(t, &u), 0);
	ul_txn_abort(t);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_creates_private_dir_and_files),
		T(test_open_tightens_existing_dir),
		T(test_open_refuses_newer_schema),
		T(test_open_refuses_file_as_dir),
		T(test_open_refuses_symlinked_dir),
		T(test_user_put_get_roundtrip),
		T(test_user_get_unknown_is_notfound),
		T(test_user_put_replaces),
		T(test_user_next_walks_in_order),
		T(test_user_del),
		T(test_product_put_get_next),
		T(test_account_put_get_roundtrip),
		T(test_account_indexes_find_it),
		T(test_account_legacy_accounts_share_no_owner),
		T(test_account_same_unix_user_is_eexist),
		T(test_account_same_uid_is_eexist),
		T(test_account_same_owner_and_product_is_eexist),
		T(test_account_put_moves_unix_index),
		T(test_account_put_moves_uid_and_owner_index),
		T(test_account_del_removes_indexes),
		T(test_account_del_unknown_is_notfound),
		T(test_account_next_walks_every_product),
		T(test_account_next_filters_product),
		T(test_owned_next_lists_users_accounts),
		T(test_uid_allocate_increases),
		T(test_uid_allocate_skips_used),
		T(test_uid_allocate_exhausted_is_enospc),
		T(test_uid_allocate_stays_in_range),
		T(test_failures_put_get_del),
		T(test_failures_prune_old_only),
		T(test_failures_prune_respects_max),
		T(test_audit_append_and_walk),
		T(test_audit_since_filters),
		T(test_audit_continues_after_reopen),
		T(test_counts),
		T(test_data_survives_reopen),
		T(test_abort_leaves_nothing),
		T(test_read_txn_cannot_write),
	};

	/* No umask help: the store must set its modes itself. */
	umask(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
