/* Unit tests for what the store counts and keeps over time
 * (helper/store/lmdb/users.c, history.c): the failure counters (S3), the
 * audit log (S8), the host-local state of helper/store/local.h (session
 * history, L11; remembered hosts, T7) and the upkeep that prunes them.
 *
 * Each test opens a real store in a fresh mkdtemp directory.
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

#include "helper/store/local.h"
#include "helper/store/store.h"
#include "unilogin/error.h"

#include "tests/unit/store_fixture.h"


/* ---- failure counters (S3) ---- */

static struct ul_failures
failures_of(struct fixture *fx, const char *key, int want)
{
	struct ul_failures f;
	struct ul_txn *t = begin(fx, false);

	assert_int_equal(ul_store_failures_get(t, key, &f), want);
	ul_txn_abort(t);
	return f;
}

/* One failure counted in its own transaction; the return of the count. */
static int
count_one(struct fixture *fx, const char *key, int64_t now,
    struct ul_failures *f)
{
	struct ul_txn *t = begin(fx, true);
	int r = ul_store_failure_count(t, key, 3, 900, now, f);

	commit(t);
	return r;
}

static void
test_failure_count_locks_out_at_limit(void **state)
{
	struct fixture *fx = *state;
	struct ul_failures f;

	assert_int_equal(count_one(fx, "ann@x.org", 100, &f), 0);
	assert_int_equal(f.count, 1);
	assert_int_equal(f.last, 100);
	assert_int_equal(f.locked_out_until, 0);
	assert_int_equal(count_one(fx, "ann@x.org", 101, &f), 0);
	assert_int_equal(f.count, 2);
	/* another key counts apart */
	assert_int_equal(count_one(fx, "bo@x.org", 101, &f), 0);
	assert_int_equal(f.count, 1);
	/* the third reaches the limit: locked out, and the count starts again */
	assert_int_equal(count_one(fx, "ann@x.org", 102, &f), 0);
	assert_int_equal(f.count, 0);
	assert_int_equal(f.locked_out_until, 102 + 900);
	f = failures_of(fx, "ann@x.org", 0);
	assert_int_equal(f.count, 0);
	assert_int_equal(f.last, 102);
	assert_int_equal(f.locked_out_until, 1002);
	assert_int_equal(failures_of(fx, "bo@x.org", 0).count, 1);
}

static void
test_failure_count_while_locked_out_counts_nothing(void **state)
{
	struct fixture *fx = *state;
	struct ul_failures f;

	for (int i = 0; i < 3; i++)
		assert_int_equal(count_one(fx, "ann@x.org", 100 + i, &f), 0);
	assert_int_equal(count_one(fx, "ann@x.org", 500, &f), UL_ELOCKEDOUT);
	assert_int_equal(count_one(fx, "ann@x.org", 1001, &f), UL_ELOCKEDOUT);
	f = failures_of(fx, "ann@x.org", 0);
	assert_int_equal(f.count, 0);
	assert_int_equal(f.last, 102);
	assert_int_equal(f.locked_out_until, 1002);
	/* after the lockout, counting resumes from zero */
	assert_int_equal(count_one(fx, "ann@x.org", 1002, &f), 0);
	assert_int_equal(f.count, 1);
	assert_int_equal(f.last, 1002);
	assert_int_equal(failures_of(fx, "ann@x.org", 0).count, 1);
}

static void
test_failure_reset_not_while_locked_out(void **state)
{
	struct fixture *fx = *state;
	struct ul_failures f;
	struct ul_txn *t;

	assert_int_equal(count_one(fx, "ann@x.org", 100, &f), 0);
	assert_int_equal(count_one(fx, "ann@x.org", 101, &f), 0);
	t = begin(fx, true);
	assert_int_equal(ul_store_failure_reset(t, "ann@x.org", 102), 0);
	/* a key with no failures resets to nothing */
	assert_int_equal(ul_store_failure_reset(t, "nobody@x.org", 102), 0);
	commit(t);
	(void)failures_of(fx, "ann@x.org", UL_ENOTFOUND);
	/* the count started again: it takes three more to lock out */
	assert_int_equal(count_one(fx, "ann@x.org", 103, &f), 0);
	assert_int_equal(f.count, 1);
	assert_int_equal(count_one(fx, "ann@x.org", 104, &f), 0);
	assert_int_equal(count_one(fx, "ann@x.org", 105, &f), 0);
	assert_int_equal(f.locked_out_until, 1005);

	/* a success that raced with the lockout does not end it */
	t = begin(fx, true);
	assert_int_equal(ul_store_failure_reset(t, "ann@x.org", 106), UL_ELOCKEDOUT);
	commit(t);
	f = failures_of(fx, "ann@x.org", 0);
	assert_int_equal(f.locked_out_until, 1005);
	assert_int_equal(count_one(fx, "ann@x.org", 107, &f), UL_ELOCKEDOUT);
	t = begin(fx, true);
	assert_int_equal(ul_store_failure_reset(t, "ann@x.org", 1005), 0);
	commit(t);
	(void)failures_of(fx, "ann@x.org", UL_ENOTFOUND);
}

static void
test_failure_forget_removes_regardless(void **state)
{
	struct fixture *fx = *state;
	struct ul_failures f;
	struct ul_txn *t;

	for (int i = 0; i < 3; i++)
		assert_int_equal(count_one(fx, "ann@x.org", 100 + i, &f), 0);
	assert_int_equal(count_one(fx, "bo@x.org", 100, &f), 0);
	t = begin(fx, true);
	assert_int_equal(ul_store_failure_forget(t, "ann@x.org"), 0);
	assert_int_equal(ul_store_failure_forget(t, "nobody@x.org"), 0);
	commit(t);
	(void)failures_of(fx, "ann@x.org", UL_ENOTFOUND);
	assert_int_equal(failures_of(fx, "bo@x.org", 0).count, 1);
	/* no lockout left */
	assert_int_equal(count_one(fx, "ann@x.org", 103, &f), 0);
	assert_int_equal(f.count, 1);
}

/* A counter as the store would have it after its failures. */
static void
put_failures(struct ul_txn *t, const char *key, int n, int64_t last)
{
	struct ul_failures f;

	for (int i = 0; i < n; i++)
		assert_int_equal(ul_store_failure_count(t, key, 100, 60,
		    last - n + 1 + i, &f), 0);
	assert_int_equal(f.last, last);
}

static void
test_upkeep_prunes_old_failures_only(void **state)
{
	struct fixture *fx = *state;
	struct ul_failures f;
	struct ul_txn *t = begin(fx, true);
	unsigned removed = 99;

	put_failures(t, "a@x.org", 2, 100);        /* stale */
	put_failures(t, "b@x.org", 2, 120);        /* stale, right after a */
	put_failures(t, "c@x.org", 2, 500);        /* recent */
	put_failures(t, "e@x.org", 1, 110);        /* stale */
	/* locked out until 1100: kept while it is */
	for (int i = 0; i < 3; i++)
		assert_int_equal(ul_store_failure_count(t, "d@x.org", 3, 1000,
		    98 + i, &f), 0);
	commit(t);
	t = begin(fx, true);
	assert_int_equal(ul_store_upkeep(t, 200, INT64_MIN, INT64_MIN, 100,
	    &removed), 0);
	/* removed counts history records alone */
	assert_int_equal(removed, 0);
	commit(t);
	(void)failures_of(fx, "a@x.org", UL_ENOTFOUND);
	(void)failures_of(fx, "b@x.org", UL_ENOTFOUND);
	(void)failures_of(fx, "e@x.org", UL_ENOTFOUND);
	assert_int_equal(failures_of(fx, "c@x.org", 0).count, 2);
	assert_int_equal(failures_of(fx, "d@x.org", 0).locked_out_until, 1100);
}

static void
test_upkeep_failures_respect_max(void **state)
{
	struct fixture *fx = *state;
	static const char *keys[] = {"a@x.org", "b@x.org", "c@x.org"};
	struct ul_txn *t = begin(fx, true);
	unsigned removed;
	int left = 0;

	for (int i = 0; i < 3; i++)
		put_failures(t, keys[i], 1, 100);
	assert_int_equal(ul_store_upkeep(t, 200, INT64_MIN, INT64_MIN, 2,
	    &removed), 0);
	for (int i = 0; i < 3; i++) {
		struct ul_failures f;

		left += ul_store_failures_get(t, keys[i], &f) == 0;
	}
	assert_int_equal(left, 1);
	assert_int_equal(ul_store_upkeep(t, 200, INT64_MIN, INT64_MIN, 0,
	    &removed), 0);
	assert_int_equal(ul_store_upkeep(t, 200, INT64_MIN, INT64_MIN, 2,
	    &removed), 0);
	for (int i = 0; i < 3; i++) {
		struct ul_failures f;

		assert_int_equal(ul_store_failures_get(t, keys[i], &f), UL_ENOTFOUND);
	}
	ul_txn_abort(t);
}

/* ---- audit (S8) ---- */

static void
test_audit_append_and_walk(void **state)
{
	struct fixture *fx = *state;
	struct ul_audit e;
	struct ul_cursor cur = {.token = ""};
	struct ul_txn *t;

	append_three_events(fx);
	t = begin(fx, false);
	assert_int_equal(ul_store_audit_next(t, 0, &cur, &e), 0);
	assert_int_equal(e.time, 100);
	assert_string_equal(e.event, "login");
	assert_string_equal(e.rhost, "192.0.2.1");
	assert_int_equal(e.result, 0);
	assert_int_equal(ul_store_audit_next(t, 0, &cur, &e), 0);
	assert_int_equal(e.time, 200);
	assert_int_equal(e.result, UL_EAUTH);
	assert_int_equal(ul_store_audit_next(t, 0, &cur, &e), 0);
	assert_string_equal(e.event, "user_add");
	assert_int_equal(ul_store_audit_next(t, 0, &cur, &e), UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_audit_since_filters(void **state)
{
	struct fixture *fx = *state;
	struct ul_audit e;
	struct ul_cursor cur = {.token = ""};
	struct ul_txn *t;

	append_three_events(fx);
	t = begin(fx, false);
	assert_int_equal(ul_store_audit_next(t, 150, &cur, &e), 0);
	assert_int_equal(e.time, 200);
	assert_int_equal(ul_store_audit_next(t, 150, &cur, &e), 0);
	assert_int_equal(e.time, 300);
	assert_int_equal(ul_store_audit_next(t, 150, &cur, &e), UL_ENOTFOUND);
	cur = (struct ul_cursor){.token = ""};
	assert_int_equal(ul_store_audit_next(t, 301, &cur, &e), UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_audit_continues_after_reopen(void **state)
{
	struct fixture *fx = *state;
	static const int64_t want[] = {100, 200, 300, 100, 200, 300};
	struct ul_audit e;
	struct ul_cursor cur = {.token = ""}, mid;
	struct ul_txn *t;

	append_three_events(fx);
	t = begin(fx, false);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ul_store_audit_next(t, 0, &cur, &e), 0);
	ul_txn_abort(t);
	mid = cur;
	reopen(fx);
	append_three_events(fx);
	t = begin(fx, false);
	cur = (struct ul_cursor){.token = ""};
	for (int i = 0; i < 6; i++) {
		assert_int_equal(ul_store_audit_next(t, 0, &cur, &e), 0);
		assert_int_equal(e.time, want[i]);
	}
	assert_int_equal(ul_store_audit_next(t, 0, &cur, &e), UL_ENOTFOUND);
	/* a cursor from before the restart goes on with the new records */
	for (int i = 3; i < 6; i++)
		assert_int_equal(ul_store_audit_next(t, 0, &mid, &e), 0);
	assert_int_equal(ul_store_audit_next(t, 0, &mid, &e), UL_ENOTFOUND);
	ul_txn_abort(t);
}

/* ---- retention of history (L11, S8) ---- */

static void
add_session(struct ul_txn *t, const char *name, int64_t started, int64_t ended)
{
	struct ul_session s;

	memset(&s, 0, sizeof(s));
	snprintf(s.product, sizeof(s.product), "shop");
	snprintf(s.account, sizeof(s.account), "%s", name);
	s.started = started;
	assert_int_equal(ul_local_session_open(t, &s), 0);
	if (ended != 0)
		assert_int_equal(ul_local_session_close(t, s.id, ended), 0);
}

static void
add_audit(struct ul_txn *t, int64_t time)
{
	struct ul_audit e = audit_event(time, "login", 0);

	assert_int_equal(ul_store_audit_append(t, &e), 0);
}

/* The accounts of the sessions left, in id order, as "a b c ". */
static void
sessions_left(struct ul_txn *t, char *out, size_t n)
{
	struct ul_cursor cur = {.token = ""};
	struct ul_session s;
	size_t len = 0;

	out[0] = '\0';
	while (ul_local_session_next(t, &cur, &s) == 0) {
		len += (size_t)snprintf(out + len, n - len, "%s ", s.account);
		assert_true(len < n);
	}
}

static int
audit_left(struct ul_txn *t, int64_t *first)
{
	struct ul_cursor cur = {.token = ""};
	struct ul_audit e;
	int n = 0;

	while (ul_store_audit_next(t, 0, &cur, &e) == 0)
		if (n++ == 0)
			*first = e.time;
	return n;
}

/* the upkeep of history alone: no failure counter is old enough */
static int
prune(struct ul_txn *t, unsigned max, unsigned *removed)
{
	return ul_store_upkeep(t, INT64_MIN, 200, 200, max, removed);
}

static void
test_history_prune_old_only(void **state)
{
	struct fixture *fx = *state;
	char left[256];
	unsigned removed = 99;
	int64_t first = 0;
	struct ul_txn *t = begin(fx, true);

	add_session(t, "old1", 10, 100);        /* ended long ago */
	add_session(t, "open", 20, 0);          /* open, however old */
	add_session(t, "old2", 30, 150);        /* ended long ago */
	add_session(t, "recent", 40, 500);      /* ended recently */
	add_session(t, "old3", 50, 199);        /* just before the limit */
	add_session(t, "edge", 60, 200);        /* at the limit: stays */
	add_audit(t, 100);
	add_audit(t, 150);
	add_audit(t, 300);
	add_audit(t, 400);
	commit(t);

	t = begin(fx, true);
	assert_int_equal(prune(t, 100, &removed), 0);
	assert_int_equal(removed, 3 + 2);
	commit(t);

	t = begin(fx, false);
	sessions_left(t, left, sizeof(left));
	assert_string_equal(left, "open recent edge ");
	assert_int_equal(audit_left(t, &first), 2);
	assert_true(first == 300);
	ul_txn_abort(t);

	/* nothing more to go */
	t = begin(fx, true);
	assert_int_equal(prune(t, 100, &removed), 0);
	assert_int_equal(removed, 0);
	ul_txn_abort(t);
}

static void
test_history_prune_respects_max(void **state)
{
	struct fixture *fx = *state;
	char left[256];
	unsigned removed = 99;
	int64_t first = 0;
	struct ul_txn *t = begin(fx, true);

	add_session(t, "s1", 10, 100);
	add_session(t, "s2", 20, 100);
	add_session(t, "s3", 30, 100);
	add_audit(t, 100);
	add_audit(t, 110);
	add_audit(t, 120);
	assert_int_equal(prune(t, 2, &removed), 0);
	assert_int_equal(removed, 2 + 2);
	sessions_left(t, left, sizeof(left));
	assert_string_equal(left, "s3 ");
	assert_int_equal(audit_left(t, &first), 1);
	assert_true(first == 120);
	assert_int_equal(prune(t, 0, &removed), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(prune(t, 2, &removed), 0);
	assert_int_equal(removed, 1 + 1);
	sessions_left(t, left, sizeof(left));
	assert_string_equal(left, "");
	assert_int_equal(audit_left(t, &first), 0);
	ul_txn_abort(t);
}

/* Repeated bounded calls must reach every old session: open sessions at
 * the front (a host that never closed them) must not hide the rest. */
static void
test_history_prune_reaches_past_open_sessions(void **state)
{
	struct fixture *fx = *state;
	char left[256];
	unsigned removed = 0, total = 0;
	struct ul_txn *t = begin(fx, true);

	add_session(t, "open1", 10, 0);
	add_session(t, "open2", 20, 0);
	add_session(t, "old", 30, 100);
	for (int call = 0; call < 5; call++) {
		assert_int_equal(prune(t, 2, &removed), 0);
		assert_true(removed <= 2 * 2);
		total += removed;
	}
	sessions_left(t, left, sizeof(left));
	assert_string_equal(left, "open1 open2 ");
	assert_int_equal(total, 1);
	ul_txn_abort(t);
}

/* ---- sessions (local.h, L11) ---- */

static struct ul_session
session(const char *account_name, int64_t started)
{
	struct ul_session s;

	memset(&s, 0, sizeof(s));
	snprintf(s.product, sizeof(s.product), "shop");
	snprintf(s.account, sizeof(s.account), "%s", account_name);
	snprintf(s.email, sizeof(s.email), "ann@x.org");
	snprintf(s.host, sizeof(s.host), "host1");
	snprintf(s.service, sizeof(s.service), "sshd");
	snprintf(s.rhost, sizeof(s.rhost), "192.0.2.7");
	snprintf(s.tty, sizeof(s.tty), "pts/3");
	s.started = started;
	s.opener_uid = 1000;
	return s;
}

static void
test_session_open_gives_increasing_ids(void **state)
{
	struct fixture *fx = *state;
	struct ul_session s;
	uint64_t last = 0;
	unsigned removed;
	struct ul_txn *t = begin(fx, true);

	/* past 255 ids, so that byte order shows */
	for (int i = 0; i < 300; i++) {
		s = session("acme", 1000 + i);
		assert_int_equal(ul_local_session_open(t, &s), 0);
		assert_true(s.id > last);
		last = s.id;
		assert_int_equal(ul_local_session_close(t, s.id, 1000 + i), 0);
	}
	commit(t);
	/* the counter lives in the store: after a commit, and after every
	 * session was pruned, an id is never given again */
	t = begin(fx, true);
	assert_int_equal(ul_store_upkeep(t, INT64_MIN, INT64_MAX, INT64_MIN,
	    1000, &removed), 0);
	assert_int_equal(removed, 300);
	s = session("acme", 5000);
	assert_int_equal(ul_local_session_open(t, &s), 0);
	assert_true(s.id > last);
	ul_txn_abort(t);
}

static void
test_session_get_close(void **state)
{
	struct fixture *fx = *state;
	struct ul_session s = session("acme", 1000), got;
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_local_session_open(t, &s), 0);
	commit(t);

	t = begin(fx, true);
	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(ul_local_session_get(t, s.id, &got), 0);
	assert_memory_equal(&got, &s, sizeof(s));
	assert_int_equal(ul_local_session_close(t, s.id, 2000), 0);
	commit(t);

	/* a second close leaves the first end */
	t = begin(fx, true);
	assert_int_equal(ul_local_session_close(t, s.id, 3000), 0);
	assert_int_equal(ul_local_session_close(t, s.id + 1, 3000), UL_ENOTFOUND);
	commit(t);
	t = begin(fx, false);
	assert_int_equal(ul_local_session_get(t, s.id, &got), 0);
	assert_true(got.ended == 2000);
	assert_true(got.started == 1000);
	assert_string_equal(got.tty, "pts/3");
	assert_true(got.opener_uid == 1000);
	assert_int_equal(ul_local_session_get(t, s.id + 1, &got), UL_ENOTFOUND);
	assert_true(all_zero(&got, sizeof(got)));
	ul_txn_abort(t);
}

static void
test_session_next_walks_in_order(void **state)
{
	struct fixture *fx = *state;
	struct ul_cursor cur = {.token = ""}, mid = {.token = ""};
	struct ul_session s;
	uint64_t ids[5];
	int n = 0;
	struct ul_txn *t = begin(fx, true);

	for (int i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "acct%d", i);
		s = session(name, 1000 + i);
		assert_int_equal(ul_local_session_open(t, &s), 0);
		ids[i] = s.id;
	}
	commit(t);
	t = begin(fx, false);
	while (ul_local_session_next(t, &cur, &s) == 0) {
		char name[16];

		assert_true(n < 5);
		snprintf(name, sizeof(name), "acct%d", n);
		assert_true(s.id == ids[n]);
		assert_string_equal(s.account, name);
		if (n == 2)
			mid = cur;
		n++;
	}
	assert_int_equal(n, 5);
	/* from the middle, in another transaction */
	ul_txn_abort(t);
	t = begin(fx, false);
	assert_int_equal(ul_local_session_next(t, &mid, &s), 0);
	assert_true(s.id == ids[3]);
	ul_txn_abort(t);
}

/* ---- remembered hosts (local.h, T7) ---- */

static void
test_remember_put_get(void **state)
{
	struct fixture *fx = *state;
	int64_t when = 99;
	uint32_t epoch = 99;
	struct ul_txn *t = begin(fx, true);

	/* a time beyond 32 bits, and one before 1970, come back whole */
	assert_int_equal(ul_local_remember_put(t, "ann@x.org", "203.0.113.7",
	    INT64_C(0x1234567890), 7), 0);
	assert_int_equal(ul_local_remember_put(t, "ann@x.org", "198.51.100.1", -5,
	    UINT32_MAX), 0);
	commit(t);

	t = begin(fx, false);
	assert_int_equal(ul_local_remember_get(t, "ann@x.org", "203.0.113.7",
	    &when, &epoch), 0);
	assert_true(when == INT64_C(0x1234567890));
	assert_int_equal(epoch, 7);
	assert_int_equal(ul_local_remember_get(t, "ann@x.org", "198.51.100.1",
	    &when, &epoch), 0);
	assert_true(when == -5);
	assert_int_equal(epoch, UINT32_MAX);
	assert_int_equal(ul_local_remember_get(t, "ann@x.org", "192.0.2.1", &when,
	    &epoch), UL_ENOTFOUND);
	assert_true(when == 0);
	assert_int_equal(epoch, 0);
	assert_int_equal(ul_local_remember_get(t, "bob@x.org", "203.0.113.7",
	    &when, &epoch), UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_remember_put_replaces(void **state)
{
	struct fixture *fx = *state;
	int64_t when;
	uint32_t epoch;
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_local_remember_put(t, "ann@x.org", "h", 100, 1), 0);
	assert_int_equal(ul_local_remember_put(t, "ann@x.org", "h", 200, 2), 0);
	assert_int_equal(ul_local_remember_get(t, "ann@x.org", "h", &when,
	    &epoch), 0);
	assert_true(when == 200);
	assert_int_equal(epoch, 2);
	ul_txn_abort(t);
}

static void
test_remember_forget_only_that_user(void **state)
{
	struct fixture *fx = *state;
	const char *others[] = {"bob@x.org", "ann@x.or", "ann@x.orgg", "a@x.org"};
	int64_t when;
	uint32_t epoch;
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_local_remember_put(t, "ann@x.org", "h1", 100, 1), 0);
	assert_int_equal(ul_local_remember_put(t, "ann@x.org", "h2", 100, 1), 0);
	assert_int_equal(ul_local_remember_put(t, "ann@x.org", "h3", 100, 1), 0);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(ul_local_remember_put(t, others[i], "h1", 300, 3), 0);
	assert_int_equal(ul_local_remember_forget(t, "ann@x.org"), 0);
	commit(t);

	t = begin(fx, false);
	for (int i = 1; i <= 3; i++) {
		char host[4];

		snprintf(host, sizeof(host), "h%d", i);
		assert_int_equal(ul_local_remember_get(t, "ann@x.org", host, &when,
		    &epoch), UL_ENOTFOUND);
	}
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(ul_local_remember_get(t, others[i], "h1", &when,
		    &epoch), 0);
		assert_true(when == 300);
	}
	ul_txn_abort(t);

	/* forgetting a user with no host is no error */
	t = begin(fx, true);
	assert_int_equal(ul_local_remember_forget(t, "carl@x.org"), 0);
	assert_int_equal(ul_local_remember_forget(t, "ann@x.org"), 0);
	ul_txn_abort(t);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_failure_count_locks_out_at_limit),
		T(test_failure_count_while_locked_out_counts_nothing),
		T(test_failure_reset_not_while_locked_out),
		T(test_failure_forget_removes_regardless),
		T(test_upkeep_prunes_old_failures_only),
		T(test_upkeep_failures_respect_max),
		T(test_audit_append_and_walk),
		T(test_audit_since_filters),
		T(test_audit_continues_after_reopen),
		T(test_history_prune_old_only),
		T(test_history_prune_respects_max),
		T(test_history_prune_reaches_past_open_sessions),
		T(test_session_open_gives_increasing_ids),
		T(test_session_get_close),
		T(test_session_next_walks_in_order),
		T(test_remember_put_get),
		T(test_remember_put_replaces),
		T(test_remember_forget_only_that_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
