/* Unit tests for the store's environment and its plain records
 * (helper/store/lmdb/env.c, users.c, accounts.c): opening, the schema and
 * its upgrade, durability and transactions, counts, users as created,
 * paged and deleted, methods as an import restores them, products and
 * uid allocation.
 *
 * Each test opens a real store in a fresh mkdtemp directory.  The schema
 * tests alone reach past store.h to LMDB, to write the meta database the
 * way an older or a later unilogind would.  The users' intents are in
 * test_store_intents.c; accounts, teammates, keys and the export lines in
 * test_store_more.c; the audit log and host-local history in
 * test_store_history.c.
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

#include "helper/store/local.h"
#include "helper/store/record.h"
#include "helper/store/store.h"
#include "unilogin/error.h"

#include "tests/unit/store_fixture.h"
#include "tests/unit/store_raw.h"

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
	assert_int_equal(raw_schema(fx->dir), UL_TEST_SCHEMA);
}

static void
test_open_tightens_existing_dir(void **state)
{
	struct fixture *fx = *state;

	close_store(fx);
	assert_int_equal(chmod(fx->dir, 0755), 0);
	reopen(fx);
	assert_mode(fx->dir, NULL, 0700);
}

static void
test_open_refuses_newer_schema(void **state)
{
	struct fixture *fx = *state;
	MDB_env *env;
	MDB_txn *txn;

	close_store(fx);
	raw_begin(fx->dir, &env, &txn);
	raw_put_schema(txn, 99);
	raw_commit(env, txn);

	fx->err[0] = '\0';
	assert_int_not_equal(ul_store_open(&fx->st, &fx->conf, fx->err,
	    sizeof(fx->err)), 0);
	assert_null(fx->st);
	assert_non_null(strstr(fx->err, "newer"));
	/* and it left the store as it was */
	assert_int_equal(raw_schema(fx->dir), 99);
}

static void
test_open_refuses_file_as_dir(void **state)
{
	struct fixture *fx = *state;
	struct ul_store *st = NULL;
	char p[160];

	snprintf(p, sizeof(p), "%s/data.mdb", fx->dir);
	assert_int_equal(open_dir(fx, p, &st), UL_ESTORE);
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
	assert_int_equal(open_dir(fx, link, &st), UL_ESTORE);
	assert_null(st);
	unlink(link);
}

/* Walks every user, in pages of one per transaction (the cursor travels
 * as a client keeps it), into emails[] and ids[]; returns how many. */
static int
walk_users(struct fixture *fx, char emails[][UL_EMAIL_MAX + 1],
    char ids[][UL_USER_ID_MAX + 1], int max)
{
	struct ul_cursor cur = {.token = ""};
	struct ul_user u;
	int n = 0, r;

	for (;;) {
		struct ul_txn *t = begin(fx, false);

		r = ul_store_user_next(t, &cur, &u);
		ul_txn_abort(t);
		if (r != 0)
			break;
		assert_true(n < max);
		snprintf(emails[n], UL_EMAIL_MAX + 1, "%s", u.email);
		snprintf(ids[n], UL_USER_ID_MAX + 1, "%s", u.id);
		n++;
	}
	assert_int_equal(r, UL_ENOTFOUND);
	return n;
}

/* How often `email` is in emails[0..n). */
static int
times_in(char emails[][UL_EMAIL_MAX + 1], int n, const char *email)
{
	int k = 0;

	for (int i = 0; i < n; i++)
		k += strcmp(emails[i], email) == 0;
	return k;
}

/* Schema 1 had no user_ids index, and a user could have no id. */
static void
test_open_upgrades_schema_1(void **state)
{
	struct fixture *fx = *state;
	static const char *emails[] = {"cy@x.org", "ann@x.org", "bo@x.org"};
	char seen[8][UL_EMAIL_MAX + 1], ids[8][UL_USER_ID_MAX + 1];
	struct ul_user old = new_user("old@x.org"), u;
	struct ul_record *rec = test_calloc(1, sizeof(*rec));
	MDB_val k = {.mv_size = strlen(old.email), .mv_data = old.email}, v;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	struct ul_txn *t;
	char id[UL_USER_ID_MAX + 1];

	for (int i = 0; i < 3; i++)
		(void)create_user(fx, emails[i]);
	close_store(fx);
	raw_begin(fx->dir, &env, &txn);
	assert_int_equal(mdb_dbi_open(txn, "user_ids", 0, &dbi), 0);
	assert_int_equal(mdb_drop(txn, dbi, 1), 0);
	old.id[0] = '\0';
	assert_int_equal(ul_record_user_encode(rec, &old), 0);
	v = (MDB_val){.mv_size = rec->len, .mv_data = rec->buf};
	assert_int_equal(mdb_dbi_open(txn, "users", 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	raw_put_schema(txn, 1);
	raw_commit(env, txn);
	test_free(rec);

	reopen(fx);
	close_store(fx);
	assert_int_equal(raw_schema(fx->dir), UL_TEST_SCHEMA);
	reopen(fx);
	assert_int_equal(walk_users(fx, seen, ids, 8), 4);
	for (int i = 0; i < 3; i++)
		assert_int_equal(times_in(seen, 4, emails[i]), 1);
	assert_int_equal(times_in(seen, 4, "old@x.org"), 1);
	/* the user without an id got one, kept from then on */
	u = get_user(fx, "old@x.org");
	assert_int_equal(strlen(u.id), 32);
	snprintf(id, sizeof(id), "%s", u.id);
	reopen(fx);
	u = get_user(fx, "old@x.org");
	assert_string_equal(u.id, id);
	/* and intents know it by that id */
	t = begin(fx, true);
	assert_int_equal(ul_store_user_set_locked(t, &u, true), 0);
	commit(t);
	assert_true(get_user(fx, "old@x.org").locked);
}

/* ---- durability and transactions ---- */


static void
test_data_survives_reopen(void **state)
{
	struct fixture *fx = *state;
	struct ul_user u = create_user(fx, "ann@x.org");
	struct ul_account a = new_account("shop", "ann", "shop_ann", 7001,
	    "ann@x.org");
	struct ul_failures f;
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_failure_count(t, "bo@x.org", 5, 900, 100, &f), 0);
	commit(t);
	create_account(fx, &a);
	reopen(fx);
	t = begin(fx, false);
	assert_int_equal(ul_store_user_get(t, "ann@x.org", &u), 0);
	assert_string_equal(u.pwhash, "$argon2id$v=19$m=8,t=1,p=1$x$y");
	assert_int_equal(ul_store_account_by_uid(t, 7001, &a), 0);
	assert_string_equal(a.unix_user, "shop_ann");
	assert_int_equal(ul_store_failures_get(t, "bo@x.org", &f), 0);
	assert_int_equal(f.count, 1);
	ul_txn_abort(t);
}

static void
test_abort_leaves_nothing(void **state)
{
	struct fixture *fx = *state;
	struct ul_user u = new_user("ann@x.org");
	struct ul_account a = new_account("shop", "ann", "shop_ann", 7001,
	    "ann@x.org");
	struct ul_audit e = audit_event(100, "login", 0);
	struct ul_product p = {.name = "shop"};
	struct ul_store_counts c;
	struct ul_failures f;
	struct ul_cursor cur = {.token = ""};
	struct ul_txn *t = begin(fx, true);
	uint32_t uid;

	assert_int_equal(ul_store_user_create(t, &u), 0);
	assert_int_equal(ul_store_product_create(t, &p), 0);
	assert_int_equal(ul_store_account_create(t, &a), 0);
	assert_int_equal(ul_store_audit_append(t, &e), 0);
	assert_int_equal(ul_store_uid_allocate(t, 5000, 5009, &uid), 0);
	assert_int_equal(ul_store_failure_count(t, "ann@x.org", 5, 900, 100, &f), 0);
	/* the transaction sees its own intents */
	assert_int_equal(ul_store_user_get(t, "ann@x.org", &u), 0);
	ul_txn_abort(t);

	t = begin(fx, true);
	assert_int_equal(ul_store_user_get(t, "ann@x.org", &u), UL_ENOTFOUND);
	assert_int_equal(ul_store_user_next(t, &cur, &u), UL_ENOTFOUND);
	assert_int_equal(ul_store_account_by_unix(t, "shop", "shop_ann", &a),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_account_by_uid(t, 7001, &a), UL_ENOTFOUND);
	assert_int_equal(ul_store_failures_get(t, "ann@x.org", &f), UL_ENOTFOUND);
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
	struct ul_user u = new_user("ann@x.org");
	struct ul_failures f;
	struct ul_txn *t = begin(fx, false);

	assert_int_not_equal(ul_store_user_create(t, &u), 0);
	assert_int_not_equal(ul_store_failure_count(t, "ann@x.org", 5, 900, 100,
	    &f), 0);
	ul_txn_abort(t);
	t = begin(fx, true);
	assert_int_equal(ul_store_user_get(t, "ann@x.org", &u), UL_ENOTFOUND);
	assert_int_equal(ul_store_failures_get(t, "ann@x.org", &f), UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_counts(void **state)
{
	struct fixture *fx = *state;
	struct ul_product p = {.name = "shop"};
	struct ul_store_counts c;
	struct ul_txn *t;

	(void)create_user(fx, "ann@x.org");
	(void)create_user(fx, "bo@x.org");
	t = begin(fx, true);
	assert_int_equal(ul_store_product_create(t, &p), 0);
	commit(t);
	for (uint32_t i = 0; i < 4; i++) {
		char name[16];
		struct ul_account a;

		snprintf(name, sizeof(name), "a%u", i);
		a = new_account("shop", name, name, 7001 + i, "");
		create_account(fx, &a);
	}
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

/* ---- users as created ---- */

static void
test_user_create_get_roundtrip(void **state)
{
	struct fixture *fx = *state;
	struct ul_user in = new_user("ann@example.org"), out;
	char waiting[UL_EMAIL_MAX + 1];
	struct ul_txn *t = begin(fx, true);

	/* import restores every field as given */
	snprintf(in.pending_email, sizeof(in.pending_email), "ann@new.example");
	in.locked = true;
	fill(in.confirm.hash, sizeof(in.confirm.hash), 1);
	in.confirm.expires = 1700003600;
	in.reset.expires = -5;
	in.totp_step = 56666666;
	in.tfa_changed = 1700000002;
	in.next_method_id = 3;
	fill(in.recovery, sizeof(in.recovery), 2);
	in.recovery_unused = 0x2f1;
	fill(in.sms.hash, sizeof(in.sms.hash), 3);
	in.sms.expires = 1700000300;
	in.sms_window = 1700000000;
	in.sms_sent = 2;
	assert_int_equal(ul_store_user_create(t, &in), 0);
	commit(t);

	t = begin(fx, false);
	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(ul_store_user_get(t, "ann@example.org", &out), 0);
	assert_memory_equal(&out, &in, sizeof(in));
	/* the pending email was claimed with it (U6) */
	assert_int_equal(ul_store_pending_get(t, "ann@new.example", waiting), 0);
	assert_string_equal(waiting, "ann@example.org");
	ul_txn_abort(t);
}

static void
test_user_get_unknown_is_notfound(void **state)
{
	struct fixture *fx = *state;
	struct ul_user out;
	char waiting[UL_EMAIL_MAX + 1];
	struct ul_txn *t = begin(fx, false);

	memset(&out, 0x55, sizeof(out));
	assert_int_equal(ul_store_user_get(t, "nobody@example.org", &out),
	    UL_ENOTFOUND);
	assert_true(all_zero(&out, sizeof(out)));
	memset(waiting, 0x55, sizeof(waiting));
	assert_int_equal(ul_store_pending_get(t, "nobody@example.org", waiting),
	    UL_ENOTFOUND);
	assert_string_equal(waiting, "");
	ul_txn_abort(t);
}

/* The create must be refused with `want`; the transaction commits, and
 * the store must be as it was. */
static void
create_refused(struct fixture *fx, const struct ul_user *u, int want)
{
	struct ul_store_counts before, after;
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_counts(t, &before), 0);
	assert_int_equal(ul_store_user_create(t, u), want);
	commit(t);
	t = begin(fx, false);
	assert_int_equal(ul_store_counts(t, &after), 0);
	ul_txn_abort(t);
	assert_int_equal(after.users, before.users);
}

static void
test_user_create_refuses_taken_email(void **state)
{
	struct fixture *fx = *state;
	struct ul_user first = create_user(fx, "ann@x.org");
	struct ul_user again = new_user("ann@x.org"), now;

	snprintf(again.pwhash, sizeof(again.pwhash), "$argon2id$other");
	create_refused(fx, &again, UL_EEXIST);
	now = get_user(fx, "ann@x.org");
	assert_memory_equal(&now, &first, sizeof(now));
}

static void
test_user_create_refuses_pending_email(void **state)
{
	struct fixture *fx = *state;
	struct ul_user ann = create_user(fx, "ann@x.org");
	struct ul_user bo = new_user("bo@x.org");
	struct ul_code code = {.expires = 1700086400};
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_user_set_pending(t, &ann, "bo@x.org", &code), 0);
	commit(t);
	/* ann waits to move to bo@x.org: nobody else may take it (U6) */
	create_refused(fx, &bo, UL_EEXIST);
	t = begin(fx, false);
	assert_int_equal(ul_store_user_get(t, "bo@x.org", &bo), UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_user_create_refuses_duplicate_id(void **state)
{
	struct fixture *fx = *state;
	struct ul_user ann = create_user(fx, "ann@x.org");
	struct ul_user bo = new_user("bo@x.org");
	struct ul_txn *t;

	snprintf(bo.id, sizeof(bo.id), "%s", ann.id);
	create_refused(fx, &bo, UL_EEXIST);
	t = begin(fx, false);
	assert_int_equal(ul_store_user_get(t, "bo@x.org", &bo), UL_ENOTFOUND);
	ul_txn_abort(t);
	/* ann is still found by her id: the walk gives her */
	{
		char seen[4][UL_EMAIL_MAX + 1], ids[4][UL_USER_ID_MAX + 1];

		assert_int_equal(walk_users(fx, seen, ids, 4), 1);
		assert_string_equal(seen[0], "ann@x.org");
	}
}

static void
test_user_create_refuses_empty_id_or_email(void **state)
{
	struct fixture *fx = *state;
	struct ul_user u = new_user("ann@x.org");

	u.id[0] = '\0';
	create_refused(fx, &u, UL_EINVAL);
	u = new_user("");
	create_refused(fx, &u, UL_EINVAL);
}

static void
test_user_next_walks_every_user_once(void **state)
{
	struct fixture *fx = *state;
	static const char *emails[] = {"kim@x.org", "ann@x.org", "zed@x.org",
	    "bo@x.org", "ann@x.or", "ann@x.orgg", "cy@y.org", "a@b.c"};
	char seen[16][UL_EMAIL_MAX + 1], ids[16][UL_USER_ID_MAX + 1];
	int n;

	for (int i = 0; i < 8; i++)
		(void)create_user(fx, emails[i]);
	n = walk_users(fx, seen, ids, 16);
	assert_int_equal(n, 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(times_in(seen, n, emails[i]), 1);
}

/* Pages hold stable keys: a user whose email moves between two pages is
 * given once, neither twice nor never. */
static void
test_user_next_is_stable_when_emails_move(void **state)
{
	struct fixture *fx = *state;
	static const char *emails[] = {"c@x.org", "a@x.org", "e@x.org",
	    "b@x.org", "d@x.org", "f@x.org"};
	struct ul_cursor cur = {.token = ""};
	struct ul_code code = {.expires = 1700086400};
	char seen_ids[6][UL_USER_ID_MAX + 1];
	struct ul_user u, all[6];
	int n = 0, r;

	for (int i = 0; i < 6; i++)
		all[i] = create_user(fx, emails[i]);
	for (;;) {
		struct ul_txn *t = begin(fx, false);

		r = ul_store_user_next(t, &cur, &u);
		ul_txn_abort(t);
		if (r != 0)
			break;
		assert_true(n < 6);
		snprintf(seen_ids[n++], UL_USER_ID_MAX + 1, "%s", u.id);
		if (n != 3)
			continue;
		/* after the third: move every user to an email that sorts
		 * before or after its old one, alternately */
		for (int i = 0; i < 6; i++) {
			char to[UL_EMAIL_MAX + 1];
			struct ul_txn *w = begin(fx, true);

			snprintf(to, sizeof(to), "%c%.32s", i % 2 ? '0' : 'z',
			    all[i].email);
			assert_int_equal(ul_store_user_get(w, all[i].email, &u), 0);
			assert_int_equal(ul_store_user_set_pending(w, &u, to, &code), 0);
			assert_int_equal(ul_store_user_get(w, all[i].email, &u), 0);
			assert_int_equal(ul_store_user_move(w, &u, to), 0);
			commit(w);
		}
	}
	assert_int_equal(r, UL_ENOTFOUND);
	assert_int_equal(n, 6);
	for (int i = 0; i < 6; i++) {
		int k = 0;

		for (int j = 0; j < n; j++)
			k += strcmp(seen_ids[j], all[i].id) == 0;
		assert_int_equal(k, 1);
	}
}

/* A token comes back from a client: a bad one is refused, never read. */
static void
test_user_next_refuses_garbage_cursor(void **state)
{
	struct fixture *fx = *state;
	struct ul_cursor bad[5];
	struct ul_user u;
	struct ul_txn *t;

	(void)create_user(fx, "ann@x.org");
	memset(bad, 0, sizeof(bad));
	snprintf(bad[0].token, sizeof(bad[0].token), "616");        /* odd */
	snprintf(bad[1].token, sizeof(bad[1].token), "61zz");       /* not hex */
	snprintf(bad[2].token, sizeof(bad[2].token), "ann@x.org");
	memset(bad[3].token, '6', UL_CURSOR_MAX);                   /* 550 bytes */
	memset(bad[4].token, 'f', sizeof(bad[4].token));            /* no NUL */
	t = begin(fx, false);
	for (int i = 0; i < 5; i++) {
		memset(&u, 0x5a, sizeof(u));
		assert_int_equal(ul_store_user_next(t, &bad[i], &u), UL_EINVAL);
		assert_true(all_zero(&u, sizeof(u)));
	}
	/* a well-formed token of a key that is not there goes on after it */
	{
		struct ul_cursor ok = {.token = "00"};

		assert_int_equal(ul_store_user_next(t, &ok, &u), 0);
		assert_string_equal(u.email, "ann@x.org");
		assert_int_equal(ul_store_user_next(t, &ok, &u), UL_ENOTFOUND);
	}
	ul_txn_abort(t);
}

/* U7's last step: the record, its methods, its pending claim and its id
 * go; the email and the id are free again. */
static void
test_user_delete_frees_email_and_id(void **state)
{
	struct fixture *fx = *state;
	struct ul_user ann = create_user(fx, "ann@x.org"), again, same_id;
	struct ul_method m = {.id = 1, .kind = UL_METHOD_TOTP, .digits = 6};
	struct ul_code code = {.expires = 1700086400};
	char seen[4][UL_EMAIL_MAX + 1], ids[4][UL_USER_ID_MAX + 1], w[256];
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_method_add(t, &ann, &m, 100), 0);
	assert_int_equal(ul_store_user_set_pending(t, &ann, "ann2@x.org", &code), 0);
	commit(t);
	ann = get_user(fx, "ann@x.org");
	(void)create_user(fx, "bo@x.org");

	t = begin(fx, true);
	assert_int_equal(ul_store_user_delete(t, &ann), 0);
	commit(t);
	t = begin(fx, true);
	assert_int_equal(ul_store_user_get(t, "ann@x.org", &again), UL_ENOTFOUND);
	assert_int_equal(ul_store_method_get(t, "ann@x.org", 1, &m), UL_ENOTFOUND);
	assert_int_equal(ul_store_pending_get(t, "ann2@x.org", w), UL_ENOTFOUND);
	/* gone: a second delete of that snapshot finds nothing to delete */
	assert_int_equal(ul_store_user_delete(t, &ann), UL_ECONFLICT);
	ul_txn_abort(t);
	assert_int_equal(walk_users(fx, seen, ids, 4), 1);
	assert_string_equal(seen[0], "bo@x.org");

	/* the email, the pending email and the id can be taken again */
	again = create_user(fx, "ann@x.org");
	assert_string_not_equal(again.id, ann.id);
	assert_int_equal(again.next_method_id, 0);
	(void)create_user(fx, "ann2@x.org");
	same_id = new_user("cy@x.org");
	snprintf(same_id.id, sizeof(same_id.id), "%s", ann.id);
	t = begin(fx, true);
	assert_int_equal(ul_store_user_create(t, &same_id), 0);
	commit(t);
	assert_int_equal(walk_users(fx, seen, ids, 4), 4);
}

/* A method as an import restores it. */
static struct ul_method
stored_method(uint32_t id)
{
	struct ul_method m;

	memset(&m, 0, sizeof(m));
	m.id = id;
	m.kind = UL_METHOD_TOTP;
	m.active = id % 2 == 1;
	m.digits = 7;
	fill(m.seed_box, sizeof(m.seed_box), (uint8_t)id);
	m.created = 1700000000 + id;
	return m;
}

/* ids sort as numbers (256 after 2), and a user's walk never strays into
 * another user's methods, even one whose email extends this one's */
static void
test_method_next_walks_one_user_in_id_order(void **state)
{
	struct fixture *fx = *state;
	static const char *others[] = {"ann@x.or", "ann@x.orgg", "bob@x.org"};
	uint32_t ids[] = {256, 1, 2, 70000}, after = 0, seen[8];
	struct ul_method m, got;
	size_t n = 0;
	struct ul_txn *t;

	(void)create_user(fx, "ann@x.org");
	for (int i = 0; i < 3; i++)
		(void)create_user(fx, others[i]);
	t = begin(fx, true);
	for (size_t i = 0; i < 4; i++) {
		m = stored_method(ids[i]);
		assert_int_equal(ul_store_method_restore(t, "ann@x.org", &m), 0);
	}
	m = stored_method(5);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ul_store_method_restore(t, others[i], &m), 0);
	/* a restore does not replace, and needs its user */
	assert_int_equal(ul_store_method_restore(t, "ann@x.org", &m), 0);
	assert_int_equal(ul_store_method_restore(t, "ann@x.org", &m), UL_EEXIST);
	assert_int_equal(ul_store_method_restore(t, "carl@x.org", &m),
	    UL_ECONFLICT);
	while (ul_store_method_next(t, "ann@x.org", &after, &got) == 0) {
		assert_true(n < 8);
		seen[n++] = got.id;
		assert_int_equal(after, got.id);
	}
	assert_int_equal(n, 5);
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 2);
	assert_int_equal(seen[2], 5);
	assert_int_equal(seen[3], 256);
	assert_int_equal(seen[4], 70000);
	after = 0;
	assert_int_equal(ul_store_method_next(t, "ann@x.or", &after, &got), 0);
	assert_int_equal(got.id, 5);
	assert_int_equal(ul_store_method_next(t, "ann@x.or", &after, &got),
	    UL_ENOTFOUND);
	after = 0;
	assert_int_equal(ul_store_method_next(t, "carl@x.org", &after, &got),
	    UL_ENOTFOUND);
	ul_txn_abort(t);
}

/* ---- products ---- */

static void
test_product_create_get_next(void **state)
{
	struct fixture *fx = *state;
	struct ul_product p = {.name = "shop", .display_name = "The Shop",
	    .created = 42}, q = {.name = "blog"}, again = {.name = "shop",
	    .display_name = "Another"}, out;
	struct ul_cursor cur = {.token = ""};
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_product_create(t, &p), 0);
	assert_int_equal(ul_store_product_create(t, &q), 0);
	assert_int_equal(ul_store_product_create(t, &again), UL_EEXIST);
	commit(t);
	t = begin(fx, false);
	assert_int_equal(ul_store_product_get(t, "shop", &out), 0);
	assert_string_equal(out.display_name, "The Shop");
	assert_int_equal(out.created, 42);
	assert_int_equal(ul_store_product_next(t, &cur, &out), 0);
	assert_string_equal(out.name, "blog");
	assert_int_equal(ul_store_product_next(t, &cur, &out), 0);
	assert_string_equal(out.name, "shop");
	assert_int_equal(ul_store_product_next(t, &cur, &out), UL_ENOTFOUND);
	assert_int_equal(ul_store_product_get(t, "none", &out), UL_ENOTFOUND);
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
	commit(t);
	t = begin(fx, true);
	assert_int_equal(ul_store_uid_allocate(t, 5000, 5009, &uid), 0);
	assert_int_equal(uid, 5002);
	ul_txn_abort(t);
}

static void
test_uid_allocate_skips_used(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a = new_account("shop", "ann", "shop_ann", 5001, "");
	struct ul_account b = new_account("blog", "bo", "blog_bo", 5002, "");
	struct ul_txn *t;
	uint32_t uid;

	create_account(fx, &a);
	create_account(fx, &b);
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
	struct ul_account a = new_account("shop", "ann", "shop_ann", 5002, "");
	struct ul_txn *t;
	uint32_t uid;

	create_account(fx, &a);
	t = begin(fx, true);
	assert_int_equal(ul_store_uid_allocate(t, 5000, 5002, &uid), 0);
	assert_int_equal(uid, 5000);
	assert_int_equal(ul_store_uid_allocate(t, 5000, 5002, &uid), 0);
	assert_int_equal(uid, 5001);
	uid = 99;
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

static void
test_uid_floor_only_moves_forward(void **state)
{
	struct fixture *fx = *state;
	uint32_t next = 99, uid = 0;
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_next_uid(t, &next), 0);
	assert_int_equal(next, 0);                  /* unset */
	assert_int_equal(ul_store_uid_floor(t, 900000042), 0);
	commit(t);

	t = begin(fx, true);
	assert_int_equal(ul_store_next_uid(t, &next), 0);
	assert_int_equal(next, 900000042);
	/* allocation starts from the counter and moves it on */
	assert_int_equal(ul_store_uid_allocate(t, 900000000, 999999999, &uid), 0);
	assert_int_equal(uid, 900000042);
	assert_int_equal(ul_store_next_uid(t, &next), 0);
	assert_int_equal(next, 900000043);
	/* an import's lower floor does not move it back */
	assert_int_equal(ul_store_uid_floor(t, 5), 0);
	assert_int_equal(ul_store_next_uid(t, &next), 0);
	assert_int_equal(next, 900000043);
	assert_int_equal(ul_store_uid_floor(t, UINT32_MAX), 0);
	assert_int_equal(ul_store_next_uid(t, &next), 0);
	assert_int_equal(next, UINT32_MAX);
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
		T(test_open_upgrades_schema_1),
		T(test_data_survives_reopen),
		T(test_abort_leaves_nothing),
		T(test_read_txn_cannot_write),
		T(test_counts),
		T(test_user_create_get_roundtrip),
		T(test_user_get_unknown_is_notfound),
		T(test_user_create_refuses_taken_email),
		T(test_user_create_refuses_pending_email),
		T(test_user_create_refuses_duplicate_id),
		T(test_user_create_refuses_empty_id_or_email),
		T(test_user_next_walks_every_user_once),
		T(test_user_next_is_stable_when_emails_move),
		T(test_user_next_refuses_garbage_cursor),
		T(test_user_delete_frees_email_and_id),
		T(test_method_next_walks_one_user_in_id_order),
		T(test_product_create_get_next),
		T(test_uid_allocate_increases),
		T(test_uid_allocate_skips_used),
		T(test_uid_allocate_exhausted_is_enospc),
		T(test_uid_allocate_stays_in_range),
		T(test_uid_floor_only_moves_forward),
	};

	/* No umask help: the store must set its modes itself. */
	umask(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
