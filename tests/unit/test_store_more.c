/* Unit tests for the store's newer parts (helper/store/lmdb/store_tfa.c,
 * helper/store/lmdb/store_members.c, the uid counter and account_with_email of
 * helper/store/lmdb/store_accounts.c) and for the export lines of helper/store/export.c.
 *
 * Each store test opens a real store in a fresh mkdtemp directory, as
 * tests/unit/test_store.c does; the export tests need no store.
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

#include "helper/store/export.h"
#include "helper/store/store.h"
#include "unilogin/error.h"

#include "tests/unit/store_fixture.h"

static void
fill(void *p, size_t n, uint8_t seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7);
}

static bool
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static struct ul_method
method(uint32_t id, enum ul_method_kind kind, const char *phone)
{
	struct ul_method m;

	memset(&m, 0, sizeof(m));
	m.id = id;
	m.kind = kind;
	m.active = id % 2 == 1;
	m.digits = 6 + id % 3;
	if (kind == UL_METHOD_TOTP)
		fill(m.seed_box, sizeof(m.seed_box), (uint8_t)id);
	snprintf(m.phone, sizeof(m.phone), "%s", phone);
	m.created = 1700000000 + id;
	m.last_used = 1700000100 + id;
	return m;
}

static struct ul_apikey
apikey(const char *id, const char *email)
{
	struct ul_apikey k;

	memset(&k, 0, sizeof(k));
	snprintf(k.id, sizeof(k.id), "%s", id);
	snprintf(k.email, sizeof(k.email), "%s", email);
	snprintf(k.product, sizeof(k.product), "shop");
	snprintf(k.account, sizeof(k.account), "acct-%s", id);
	fill(k.hash, sizeof(k.hash), (uint8_t)id[0]);
	k.created = 1700000000;
	k.expires = 1800000000;
	k.last_used = 1700000500;
	return k;
}

static struct ul_account
account(const char *product, const char *name, uint32_t uid, const char *email)
{
	struct ul_account a;

	memset(&a, 0, sizeof(a));
	snprintf(a.product, sizeof(a.product), "%s", product);
	snprintf(a.name, sizeof(a.name), "%s", name);
	snprintf(a.unix_user, sizeof(a.unix_user), "u%u", uid);
	a.uid = uid;
	snprintf(a.email, sizeof(a.email), "%s", email);
	snprintf(a.friendly_name, sizeof(a.friendly_name), "%s's account", name);
	a.created = 1700000000;
	return a;
}

static struct ul_session
session(const char *account_name, int64_t started, int64_t ended)
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
	s.ended = ended;
	s.opener_uid = 0;
	return s;
}

static struct ul_audit
audit_event(int64_t time)
{
	struct ul_audit e;

	memset(&e, 0, sizeof(e));
	e.time = time;
	snprintf(e.event, sizeof(e.event), "login");
	snprintf(e.email, sizeof(e.email), "ann@x.org");
	return e;
}

/* ---- two-factor methods ---- */

static void
test_method_put_get_roundtrip(void **state)
{
	struct fixture *fx = *state;
	struct ul_method m = method(1, UL_METHOD_TOTP, ""), got;
	struct ul_method s = method(2, UL_METHOD_SMS, "+15551234567");
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_method_put(t, "ann@x.org", &m), 0);
	assert_int_equal(ul_store_method_put(t, "ann@x.org", &s), 0);
	assert_int_equal(ul_txn_commit(t), 0);

	t = begin(fx, false);
	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(ul_store_method_get(t, "ann@x.org", 1, &got), 0);
	assert_memory_equal(&got, &m, sizeof(m));
	assert_int_equal(ul_store_method_get(t, "ann@x.org", 2, &got), 0);
	assert_memory_equal(&got, &s, sizeof(s));
	assert_string_equal(got.phone, "+15551234567");
	/* keyed by email and id: another id, another user, no user */
	assert_int_equal(ul_store_method_get(t, "ann@x.org", 3, &got), UL_ENOTFOUND);
	assert_true(all_zero(&got, sizeof(got)));
	assert_int_equal(ul_store_method_get(t, "bob@x.org", 1, &got), UL_ENOTFOUND);
	assert_int_equal(ul_store_method_get(t, "", 1, &got), UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_method_put_replaces(void **state)
{
	struct fixture *fx = *state;
	struct ul_method m = method(1, UL_METHOD_TOTP, ""), got;
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_method_put(t, "ann@x.org", &m), 0);
	m.active = !m.active;
	m.last_used = 1799999999;
	assert_int_equal(ul_store_method_put(t, "ann@x.org", &m), 0);
	assert_int_equal(ul_store_method_get(t, "ann@x.org", 1, &got), 0);
	assert_memory_equal(&got, &m, sizeof(m));
	assert_int_equal(ul_store_method_next(t, "ann@x.org", 1, &got), UL_ENOTFOUND);
	ul_txn_abort(t);
}

/* ids sort as numbers (256 after 2), and a user's walk never strays into
 * another user's methods, even one whose email extends this one's */
static void
test_method_next_walks_one_user_in_id_order(void **state)
{
	struct fixture *fx = *state;
	uint32_t ids[] = {256, 1, 2, 70000};
	struct ul_method m, got;
	uint32_t after = 0, seen[8];
	size_t n = 0;
	struct ul_txn *t = begin(fx, true);

	for (size_t i = 0; i < 4; i++) {
		m = method(ids[i], UL_METHOD_TOTP, "");
		assert_int_equal(ul_store_method_put(t, "ann@x.org", &m), 0);
	}
	m = method(5, UL_METHOD_SMS, "+15550000005");
	assert_int_equal(ul_store_method_put(t, "ann@x.or", &m), 0);
	assert_int_equal(ul_store_method_put(t, "ann@x.orgg", &m), 0);
	assert_int_equal(ul_store_method_put(t, "bob@x.org", &m), 0);
	while (ul_store_method_next(t, "ann@x.org", after, &got) == 0) {
		assert_true(n < 8);
		seen[n++] = got.id;
		after = got.id;
	}
	assert_int_equal(n, 4);
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 2);
	assert_int_equal(seen[2], 256);
	assert_int_equal(seen[3], 70000);
	assert_int_equal(ul_store_method_next(t, "ann@x.or", 0, &got), 0);
	assert_int_equal(got.id, 5);
	assert_int_equal(ul_store_method_next(t, "ann@x.or", 5, &got), UL_ENOTFOUND);
	assert_int_equal(ul_store_method_next(t, "carl@x.org", 0, &got), UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_method_del(void **state)
{
	struct fixture *fx = *state;
	struct ul_method m, got;
	struct ul_txn *t = begin(fx, true);

	for (uint32_t id = 1; id <= 3; id++) {
		m = method(id, UL_METHOD_TOTP, "");
		assert_int_equal(ul_store_method_put(t, "ann@x.org", &m), 0);
	}
	m = method(2, UL_METHOD_TOTP, "");
	assert_int_equal(ul_store_method_put(t, "bob@x.org", &m), 0);
	assert_int_equal(ul_store_method_del(t, "ann@x.org", 2), 0);
	assert_int_equal(ul_txn_commit(t), 0);

	t = begin(fx, false);
	assert_int_equal(ul_store_method_get(t, "ann@x.org", 2, &got), UL_ENOTFOUND);
	assert_int_equal(ul_store_method_next(t, "ann@x.org", 1, &got), 0);
	assert_int_equal(got.id, 3);
	/* only that user's method went */
	assert_int_equal(ul_store_method_get(t, "bob@x.org", 2, &got), 0);
	assert_int_equal(ul_store_method_get(t, "ann@x.org", 1, &got), 0);
	ul_txn_abort(t);
}

/* ---- remembered hosts ---- */

static void
test_remember_put_get(void **state)
{
	struct fixture *fx = *state;
	int64_t when = 99;
	uint32_t epoch = 99;
	struct ul_txn *t = begin(fx, true);

	/* a time beyond 32 bits, and one before 1970, come back whole */
	assert_int_equal(ul_store_remember_put(t, "ann@x.org", "203.0.113.7",
	    INT64_C(0x1234567890), 7), 0);
	assert_int_equal(ul_store_remember_put(t, "ann@x.org", "198.51.100.1", -5,
	    UINT32_MAX), 0);
	assert_int_equal(ul_txn_commit(t), 0);

	t = begin(fx, false);
	assert_int_equal(ul_store_remember_get(t, "ann@x.org", "203.0.113.7", &when,
	    &epoch), 0);
	assert_true(when == INT64_C(0x1234567890));
	assert_int_equal(epoch, 7);
	assert_int_equal(ul_store_remember_get(t, "ann@x.org", "198.51.100.1", &when,
	    &epoch), 0);
	assert_true(when == -5);
	assert_int_equal(epoch, UINT32_MAX);
	assert_int_equal(ul_store_remember_get(t, "ann@x.org", "192.0.2.1", &when,
	    &epoch), UL_ENOTFOUND);
	assert_true(when == 0);
	assert_int_equal(epoch, 0);
	assert_int_equal(ul_store_remember_get(t, "bob@x.org", "203.0.113.7", &when,
	    &epoch), UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_remember_put_moves_epoch(void **state)
{
	struct fixture *fx = *state;
	int64_t when;
	uint32_t epoch;
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_remember_put(t, "ann@x.org", "h", 100, 1), 0);
	assert_int_equal(ul_store_remember_put(t, "ann@x.org", "h", 200, 2), 0);
	assert_int_equal(ul_store_remember_get(t, "ann@x.org", "h", &when, &epoch), 0);
	assert_true(when == 200);
	assert_int_equal(epoch, 2);
	ul_txn_abort(t);
}

static void
test_remember_clear_only_that_user(void **state)
{
	struct fixture *fx = *state;
	const char *others[] = {"bob@x.org", "ann@x.or", "ann@x.orgg", "a@x.org"};
	int64_t when;
	uint32_t epoch;
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_remember_put(t, "ann@x.org", "h1", 100, 1), 0);
	assert_int_equal(ul_store_remember_put(t, "ann@x.org", "h2", 100, 1), 0);
	assert_int_equal(ul_store_remember_put(t, "ann@x.org", "h3", 100, 1), 0);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(ul_store_remember_put(t, others[i], "h1", 300, 3), 0);
	assert_int_equal(ul_store_remember_clear(t, "ann@x.org"), 0);
	assert_int_equal(ul_txn_commit(t), 0);

	t = begin(fx, false);
	assert_int_equal(ul_store_remember_get(t, "ann@x.org", "h1", &when, &epoch),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_remember_get(t, "ann@x.org", "h2", &when, &epoch),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_remember_get(t, "ann@x.org", "h3", &when, &epoch),
	    UL_ENOTFOUND);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(ul_store_remember_get(t, others[i], "h1", &when,
		    &epoch), 0);
		assert_true(when == 300);
	}
	ul_txn_abort(t);

	/* clearing a user with no host is no error */
	t = begin(fx, true);
	assert_int_equal(ul_store_remember_clear(t, "carl@x.org"), 0);
	assert_int_equal(ul_store_remember_clear(t, "ann@x.org"), 0);
	ul_txn_abort(t);
}

/* ---- API keys ---- */

static void
test_apikey_put_get(void **state)
{
	struct fixture *fx = *state;
	struct ul_apikey k = apikey("k1", "ann@x.org"), got;
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_apikey_put(t, &k), 0);
	assert_int_equal(ul_txn_commit(t), 0);
	t = begin(fx, false);
	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(ul_store_apikey_get(t, "k1", &got), 0);
	assert_memory_equal(&got, &k, sizeof(k));
	assert_int_equal(ul_store_apikey_get(t, "k2", &got), UL_ENOTFOUND);
	assert_true(all_zero(&got, sizeof(got)));
	assert_int_equal(ul_store_apikey_get(t, "", &got), UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_apikey_next_by_email(void **state)
{
	struct fixture *fx = *state;
	struct ul_apikey keys[] = {
		apikey("kc", "ann@x.org"), apikey("ka", "ann@x.org"),
		apikey("kb", "bob@x.org"), apikey("kd", "ann@x.orgg"),
		apikey("ke", "ann@x.org"),
	}, got;
	struct ul_txn *t = begin(fx, true);

	for (size_t i = 0; i < 5; i++)
		assert_int_equal(ul_store_apikey_put(t, &keys[i]), 0);
	assert_int_equal(ul_store_apikey_next(t, "ann@x.org", "", &got), 0);
	assert_string_equal(got.id, "ka");
	assert_memory_equal(&got, &keys[1], sizeof(got));
	assert_int_equal(ul_store_apikey_next(t, "ann@x.org", "ka", &got), 0);
	assert_string_equal(got.id, "kc");
	assert_int_equal(ul_store_apikey_next(t, "ann@x.org", "kc", &got), 0);
	assert_string_equal(got.id, "ke");
	assert_int_equal(ul_store_apikey_next(t, "ann@x.org", "ke", &got),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_apikey_next(t, "bob@x.org", "", &got), 0);
	assert_string_equal(got.id, "kb");
	assert_string_equal(got.email, "bob@x.org");
	assert_int_equal(ul_store_apikey_next(t, "bob@x.org", "kb", &got),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_apikey_next(t, "carl@x.org", "", &got),
	    UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_apikey_del_follows_index(void **state)
{
	struct fixture *fx = *state;
	struct ul_apikey a = apikey("ka", "ann@x.org"), b = apikey("kb", "ann@x.org");
	struct ul_apikey got;
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_apikey_put(t, &a), 0);
	assert_int_equal(ul_store_apikey_put(t, &b), 0);
	assert_int_equal(ul_store_apikey_del(t, "ka"), 0);
	assert_int_equal(ul_txn_commit(t), 0);

	t = begin(fx, true);
	assert_int_equal(ul_store_apikey_get(t, "ka", &got), UL_ENOTFOUND);
	assert_int_equal(ul_store_apikey_next(t, "ann@x.org", "", &got), 0);
	assert_string_equal(got.id, "kb");
	assert_int_equal(ul_store_apikey_del(t, "kb"), 0);
	assert_int_equal(ul_store_apikey_next(t, "ann@x.org", "", &got),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_apikey_del(t, "kb"), UL_ENOTFOUND);
	assert_int_equal(ul_store_apikey_del(t, "never"), UL_ENOTFOUND);
	ul_txn_abort(t);
}

/* ---- teammates ---- */

static void
test_member_put_get_replace(void **state)
{
	struct fixture *fx = *state;
	char role[UL_ROLE_MAX + 1], product[UL_PRODUCT_MAX + 1];
	char acct[UL_ACCOUNT_MAX + 1];
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_member_put(t, "shop", "acme", "ann@x.org",
	    "member"), 0);
	assert_int_equal(ul_txn_commit(t), 0);
	t = begin(fx, true);
	assert_int_equal(ul_store_member_get(t, "shop", "acme", "ann@x.org", role), 0);
	assert_string_equal(role, "member");
	assert_int_equal(ul_store_member_get(t, "shop", "acme", "bob@x.org", role),
	    UL_ENOTFOUND);
	assert_string_equal(role, "");
	assert_int_equal(ul_store_member_get(t, "tools", "acme", "ann@x.org", role),
	    UL_ENOTFOUND);
	/* a new role replaces the old one, on both sides */
	assert_int_equal(ul_store_member_put(t, "shop", "acme", "ann@x.org",
	    "billing"), 0);
	assert_int_equal(ul_store_member_get(t, "shop", "acme", "ann@x.org", role), 0);
	assert_string_equal(role, "billing");
	assert_int_equal(ul_store_membership_next(t, "ann@x.org", "", "", product,
	    acct, role), 0);
	assert_string_equal(role, "billing");
	assert_int_equal(ul_store_membership_next(t, "ann@x.org", product, acct,
	    product, acct, role), UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_member_put_refuses_bad_role(void **state)
{
	struct fixture *fx = *state;
	char big[UL_ROLE_MAX + 2], role[UL_ROLE_MAX + 1];
	struct ul_txn *t = begin(fx, true);

	memset(big, 'r', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(ul_store_member_put(t, "shop", "acme", "ann@x.org", ""),
	    UL_EINVAL);
	assert_int_equal(ul_store_member_put(t, "shop", "acme", "ann@x.org", big),
	    UL_EINVAL);
	big[UL_ROLE_MAX] = '\0';    /* exactly UL_ROLE_MAX fits */
	assert_int_equal(ul_store_member_put(t, "shop", "acme", "ann@x.org", big), 0);
	assert_int_equal(ul_store_member_get(t, "shop", "acme", "ann@x.org", role), 0);
	assert_string_equal(role, big);
	ul_txn_abort(t);
}

static void
test_member_next_per_account(void **state)
{
	struct fixture *fx = *state;
	char email[UL_EMAIL_MAX + 1], role[UL_ROLE_MAX + 1];
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_member_put(t, "shop", "acme", "carl@x.org", "c"), 0);
	assert_int_equal(ul_store_member_put(t, "shop", "acme", "ann@x.org", "a"), 0);
	assert_int_equal(ul_store_member_put(t, "shop", "acme", "bob@x.org", "b"), 0);
	/* accounts whose names extend "acme", and the same name elsewhere */
	assert_int_equal(ul_store_member_put(t, "shop", "acme2", "dan@x.org", "d"), 0);
	assert_int_equal(ul_store_member_put(t, "shopx", "acme", "eve@x.org", "e"), 0);
	assert_int_equal(ul_store_member_next(t, "shop", "acme", "", email, role), 0);
	assert_string_equal(email, "ann@x.org");
	assert_string_equal(role, "a");
	assert_int_equal(ul_store_member_next(t, "shop", "acme", email, email, role), 0);
	assert_string_equal(email, "bob@x.org");
	assert_string_equal(role, "b");
	assert_int_equal(ul_store_member_next(t, "shop", "acme", email, email, role), 0);
	assert_string_equal(email, "carl@x.org");
	assert_string_equal(role, "c");
	assert_int_equal(ul_store_member_next(t, "shop", "acme", email, email, role),
	    UL_ENOTFOUND);
	assert_int_equal(ul_store_member_next(t, "shop", "nobody", "", email, role),
	    UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_membership_next_per_user(void **state)
{
	struct fixture *fx = *state;
	char product[UL_PRODUCT_MAX + 1], acct[UL_ACCOUNT_MAX + 1];
	char role[UL_ROLE_MAX + 1];
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_member_put(t, "tools", "t1", "ann@x.org", "r3"), 0);
	assert_int_equal(ul_store_member_put(t, "shop", "s2", "ann@x.org", "r2"), 0);
	assert_int_equal(ul_store_member_put(t, "shop", "s1", "ann@x.org", "r1"), 0);
	assert_int_equal(ul_store_member_put(t, "shop", "s1", "ann@x.orgg", "x"), 0);
	assert_int_equal(ul_store_member_put(t, "shop", "s1", "bob@x.org", "x"), 0);
	assert_int_equal(ul_store_membership_next(t, "ann@x.org", "", "", product,
	    acct, role), 0);
	assert_string_equal(product, "shop");
	assert_string_equal(acct, "s1");
	assert_string_equal(role, "r1");
	assert_int_equal(ul_store_membership_next(t, "ann@x.org", product, acct,
	    product, acct, role), 0);
	assert_string_equal(product, "shop");
	assert_string_equal(acct, "s2");
	assert_string_equal(role, "r2");
	assert_int_equal(ul_store_membership_next(t, "ann@x.org", product, acct,
	    product, acct, role), 0);
	assert_string_equal(product, "tools");
	assert_string_equal(acct, "t1");
	assert_string_equal(role, "r3");
	assert_int_equal(ul_store_membership_next(t, "ann@x.org", product, acct,
	    product, acct, role), UL_ENOTFOUND);
	assert_int_equal(ul_store_membership_next(t, "carl@x.org", "", "", product,
	    acct, role), UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_member_del_removes_both_entries(void **state)
{
	struct fixture *fx = *state;
	char email[UL_EMAIL_MAX + 1], role[UL_ROLE_MAX + 1];
	char product[UL_PRODUCT_MAX + 1], acct[UL_ACCOUNT_MAX + 1];
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_member_put(t, "shop", "acme", "ann@x.org", "a"), 0);
	assert_int_equal(ul_store_member_put(t, "shop", "acme", "bob@x.org", "b"), 0);
	assert_int_equal(ul_store_member_put(t, "shop", "beta", "ann@x.org", "c"), 0);
	assert_int_equal(ul_store_member_del(t, "shop", "acme", "ann@x.org"), 0);
	assert_int_equal(ul_txn_commit(t), 0);

	t = begin(fx, false);
	assert_int_equal(ul_store_member_get(t, "shop", "acme", "ann@x.org", role),
	    UL_ENOTFOUND);
	/* the account's side */
	assert_int_equal(ul_store_member_next(t, "shop", "acme", "", email, role), 0);
	assert_string_equal(email, "bob@x.org");
	assert_int_equal(ul_store_member_next(t, "shop", "acme", email, email, role),
	    UL_ENOTFOUND);
	/* the user's side */
	assert_int_equal(ul_store_membership_next(t, "ann@x.org", "", "", product,
	    acct, role), 0);
	assert_string_equal(acct, "beta");
	assert_string_equal(role, "c");
	assert_int_equal(ul_store_membership_next(t, "ann@x.org", product, acct,
	    product, acct, role), UL_ENOTFOUND);
	/* bob is still a member */
	assert_int_equal(ul_store_member_get(t, "shop", "acme", "bob@x.org", role), 0);
	assert_int_equal(ul_store_membership_next(t, "bob@x.org", "", "", product,
	    acct, role), 0);
	assert_string_equal(acct, "acme");
	ul_txn_abort(t);
}

/* ---- sessions ---- */

static void
test_session_add_increasing_ids(void **state)
{
	struct fixture *fx = *state;
	struct ul_session s;
	uint64_t last = 0;
	struct ul_txn *t = begin(fx, true);

	/* past 255 ids, so that byte order shows */
	for (int i = 0; i < 300; i++) {
		s = session("acme", 1000 + i, 0);
		assert_int_equal(ul_store_session_add(t, &s), 0);
		assert_true(s.id > last);
		last = s.id;
	}
	assert_int_equal(ul_txn_commit(t), 0);
	/* and after a commit: the counter lives in the store */
	t = begin(fx, true);
	s = session("acme", 5000, 0);
	assert_int_equal(ul_store_session_add(t, &s), 0);
	assert_true(s.id > last);
	ul_txn_abort(t);
}

static void
test_session_get_put(void **state)
{
	struct fixture *fx = *state;
	struct ul_session s = session("acme", 1000, 0), got;
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_session_add(t, &s), 0);
	assert_int_equal(ul_txn_commit(t), 0);

	t = begin(fx, true);
	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(ul_store_session_get(t, s.id, &got), 0);
	assert_memory_equal(&got, &s, sizeof(s));
	got.ended = 2000;
	assert_int_equal(ul_store_session_put(t, &got), 0);
	assert_int_equal(ul_txn_commit(t), 0);

	t = begin(fx, false);
	assert_int_equal(ul_store_session_get(t, s.id, &got), 0);
	assert_true(got.ended == 2000);
	assert_true(got.started == 1000);
	assert_string_equal(got.tty, "pts/3");
	assert_int_equal(ul_store_session_get(t, s.id + 1, &got), UL_ENOTFOUND);
	assert_true(all_zero(&got, sizeof(got)));
	ul_txn_abort(t);
}

static void
test_session_next_walks_in_order(void **state)
{
	struct fixture *fx = *state;
	struct ul_session s;
	uint64_t ids[5], cursor = 0;
	int n = 0;
	struct ul_txn *t = begin(fx, true);

	for (int i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "acct%d", i);
		s = session(name, 1000 + i, 0);
		assert_int_equal(ul_store_session_add(t, &s), 0);
		ids[i] = s.id;
	}
	while (ul_store_session_next(t, &cursor, &s) == 0) {
		char name[16];

		assert_true(n < 5);
		snprintf(name, sizeof(name), "acct%d", n);
		assert_true(cursor == ids[n]);
		assert_true(s.id == ids[n]);
		assert_string_equal(s.account, name);
		n++;
	}
	assert_int_equal(n, 5);
	/* from the middle */
	cursor = ids[2];
	assert_int_equal(ul_store_session_next(t, &cursor, &s), 0);
	assert_true(s.id == ids[3]);
	assert_true(cursor == ids[3]);
	ul_txn_abort(t);
}

/* ---- pending email changes ---- */

static void
test_pending_put_get_del(void **state)
{
	struct fixture *fx = *state;
	char old[UL_EMAIL_MAX + 1];
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_pending_put(t, "new@x.org", "ann@x.org"), 0);
	assert_int_equal(ul_store_pending_put(t, "other@x.org", "bob@x.org"), 0);
	assert_int_equal(ul_txn_commit(t), 0);

	t = begin(fx, true);
	assert_int_equal(ul_store_pending_get(t, "new@x.org", old), 0);
	assert_string_equal(old, "ann@x.org");
	assert_int_equal(ul_store_pending_get(t, "ann@x.org", old), UL_ENOTFOUND);
	assert_string_equal(old, "");
	assert_int_equal(ul_store_pending_del(t, "new@x.org"), 0);
	assert_int_equal(ul_store_pending_get(t, "new@x.org", old), UL_ENOTFOUND);
	assert_int_equal(ul_store_pending_get(t, "other@x.org", old), 0);
	assert_string_equal(old, "bob@x.org");
	/* a new request for the same address replaces the old one */
	assert_int_equal(ul_store_pending_put(t, "other@x.org", "carl@x.org"), 0);
	assert_int_equal(ul_store_pending_get(t, "other@x.org", old), 0);
	assert_string_equal(old, "carl@x.org");
	ul_txn_abort(t);
}

/* ---- accounts by their own email ---- */

/* Walks account_with_email and writes "product/name " for each. */
static void
with_email(struct ul_txn *t, const char *email, char *out, size_t n)
{
	char product[UL_PRODUCT_MAX + 1] = "", name[UL_ACCOUNT_MAX + 1] = "";
	struct ul_account a;
	size_t len = 0;
	int guard = 0;

	out[0] = '\0';
	while (ul_store_account_with_email(t, email, product, name, &a) == 0) {
		assert_true(guard++ < 20);
		assert_string_equal(a.email, email);
		len += (size_t)snprintf(out + len, n - len, "%s/%s ", a.product, a.name);
		assert_true(len < n);
		snprintf(product, sizeof(product), "%s", a.product);
		snprintf(name, sizeof(name), "%s", a.name);
	}
}

static void
test_account_with_email_finds_every_account(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a[] = {
		account("shop", "a2", 7001, "ann@x.org"),
		account("tools", "a1", 7002, "ann@x.org"),
		account("shop", "a1", 7003, "ann@x.org"),
		account("shop", "ann@x.org", 7004, "ann@x.org"),
		account("shop", "b", 7005, "bob@x.org"),
		account("shop", "c", 7006, "ann@x.orgg"),
		account("shop", "legacy", 7007, ""),
	};
	char out[512];
	struct ul_txn *t = begin(fx, true);

	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
		assert_int_equal(ul_store_account_put(t, &a[i]), 0);
	assert_int_equal(ul_txn_commit(t), 0);

	t = begin(fx, false);
	with_email(t, "ann@x.org", out, sizeof(out));
	assert_string_equal(out, "shop/a1 shop/a2 shop/ann@x.org tools/a1 ");
	with_email(t, "bob@x.org", out, sizeof(out));
	assert_string_equal(out, "shop/b ");
	with_email(t, "carl@x.org", out, sizeof(out));
	assert_string_equal(out, "");
	ul_txn_abort(t);
}

static void
test_account_with_email_follows_changes(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a1 = account("shop", "a1", 7001, "ann@x.org");
	struct ul_account a2 = account("shop", "a2", 7002, "ann@x.org");
	struct ul_account t1 = account("tools", "t1", 7003, "ann@x.org");
	char out[512];
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_account_put(t, &a1), 0);
	assert_int_equal(ul_store_account_put(t, &a2), 0);
	assert_int_equal(ul_store_account_put(t, &t1), 0);
	/* a2 moves to another email; t1 goes; a1 is put again unchanged */
	snprintf(a2.email, sizeof(a2.email), "carl@x.org");
	assert_int_equal(ul_store_account_put(t, &a2), 0);
	assert_int_equal(ul_store_account_del(t, "tools", "t1"), 0);
	assert_int_equal(ul_store_account_put(t, &a1), 0);
	assert_int_equal(ul_txn_commit(t), 0);

	t = begin(fx, true);
	with_email(t, "ann@x.org", out, sizeof(out));
	assert_string_equal(out, "shop/a1 ");
	with_email(t, "carl@x.org", out, sizeof(out));
	assert_string_equal(out, "shop/a2 ");
	/* an account that loses its email leaves the index */
	a1.email[0] = '\0';
	assert_int_equal(ul_store_account_put(t, &a1), 0);
	with_email(t, "ann@x.org", out, sizeof(out));
	assert_string_equal(out, "");
	ul_txn_abort(t);
}

/* ---- retention ---- */

static void
add_session(struct ul_txn *t, const char *name, int64_t started, int64_t ended)
{
	struct ul_session s = session(name, started, ended);

	assert_int_equal(ul_store_session_add(t, &s), 0);
}

static void
add_audit(struct ul_txn *t, int64_t time)
{
	struct ul_audit e = audit_event(time);

	assert_int_equal(ul_store_audit_append(t, &e), 0);
}

/* The accounts of the sessions left, in id order, as "a b c ". */
static void
sessions_left(struct ul_txn *t, char *out, size_t n)
{
	struct ul_session s;
	uint64_t cursor = 0;
	size_t len = 0;

	out[0] = '\0';
	while (ul_store_session_next(t, &cursor, &s) == 0) {
		len += (size_t)snprintf(out + len, n - len, "%s ", s.account);
		assert_true(len < n);
	}
}

static int
audit_left(struct ul_txn *t, int64_t *first)
{
	struct ul_audit e;
	uint64_t cursor = 0;
	int n = 0;

	while (ul_store_audit_next(t, 0, &cursor, &e) == 0) {
		if (n++ == 0)
			*first = e.time;
	}
	return n;
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
	assert_int_equal(ul_txn_commit(t), 0);

	t = begin(fx, true);
	assert_int_equal(ul_store_history_prune(t, 200, 200, 100, &removed), 0);
	assert_int_equal(removed, 3 + 2);
	assert_int_equal(ul_txn_commit(t), 0);

	t = begin(fx, false);
	sessions_left(t, left, sizeof(left));
	assert_string_equal(left, "open recent edge ");
	assert_int_equal(audit_left(t, &first), 2);
	assert_true(first == 300);
	ul_txn_abort(t);

	/* nothing more to go */
	t = begin(fx, true);
	assert_int_equal(ul_store_history_prune(t, 200, 200, 100, &removed), 0);
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
	assert_int_equal(ul_store_history_prune(t, 200, 200, 2, &removed), 0);
	assert_int_equal(removed, 2 + 2);
	sessions_left(t, left, sizeof(left));
	assert_string_equal(left, "s3 ");
	assert_int_equal(audit_left(t, &first), 1);
	assert_true(first == 120);
	assert_int_equal(ul_store_history_prune(t, 200, 200, 0, &removed), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(ul_store_history_prune(t, 200, 200, 2, &removed), 0);
	assert_int_equal(removed, 1 + 1);
	sessions_left(t, left, sizeof(left));
	assert_string_equal(left, "");
	assert_int_equal(audit_left(t, &first), 0);
	ul_txn_abort(t);
}

/* Repeated bounded calls must reach every old session: an open session at
 * the front (a host that never closed it) must not hide the rest. */
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
		assert_int_equal(ul_store_history_prune(t, 200, 200, 2, &removed), 0);
		assert_true(removed <= 2 * 2);
		total += removed;
	}
	sessions_left(t, left, sizeof(left));
	/* BUG: helper/store/lmdb/store_members.c prune_front() counts every session it
	 * looks at against `max`, the open ones it skips too, and every call
	 * starts again at the first session: with `max` or more open sessions
	 * at the front, no later session is ever pruned (the helper calls it
	 * with max 10000).  Here "old" stays: left is "open1 open2 old ". */
	assert_string_equal(left, "open1 open2 ");
	assert_int_equal(total, 1);
	ul_txn_abort(t);
}

/* ---- the uid counter ---- */

static void
test_next_uid_get_set(void **state)
{
	struct fixture *fx = *state;
	uint32_t next = 99, uid = 0;
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_next_uid(t, &next), 0);
	assert_int_equal(next, 0);                  /* unset */
	assert_int_equal(ul_store_set_next_uid(t, 900000042), 0);
	assert_int_equal(ul_txn_commit(t), 0);

	t = begin(fx, true);
	assert_int_equal(ul_store_next_uid(t, &next), 0);
	assert_int_equal(next, 900000042);
	/* allocation starts from the counter and moves it on */
	assert_int_equal(ul_store_uid_allocate(t, 900000000, 999999999, &uid), 0);
	assert_int_equal(uid, 900000042);
	assert_int_equal(ul_store_next_uid(t, &next), 0);
	assert_int_equal(next, 900000043);
	/* set may move it back (an import sets what the dump says) */
	assert_int_equal(ul_store_set_next_uid(t, 5), 0);
	assert_int_equal(ul_store_next_uid(t, &next), 0);
	assert_int_equal(next, 5);
	assert_int_equal(ul_store_set_next_uid(t, UINT32_MAX), 0);
	assert_int_equal(ul_store_next_uid(t, &next), 0);
	assert_int_equal(next, UINT32_MAX);
	ul_txn_abort(t);
}

/* ---- export lines ---- */

/* line -> item -> line: the same struct, byte for byte, and the same line */
static void
roundtrip(const struct ul_item *item)
{
	char line[UL_EXPORT_LINE_MAX], again[UL_EXPORT_LINE_MAX], err[256] = "";
	struct ul_item *got = test_malloc(sizeof(*got));

	assert_int_equal(ul_export_line(item, line, sizeof(line)), 0);
	memset(got, 0x5a, sizeof(*got));
	if (ul_import_parse(line, got, err, sizeof(err)) != 0)
		fail_msg("%s: %s", line, err);
	assert_memory_equal(got, item, sizeof(*item));
	assert_int_equal(ul_export_line(got, again, sizeof(again)), 0);
	assert_string_equal(again, line);
	test_free(got);
}

static struct ul_item *
new_item(enum ul_item_kind kind)
{
	struct ul_item *item = test_calloc(1, sizeof(*item));

	item->kind = kind;
	return item;
}

static void
test_export_roundtrip_meta_product_member(void **state)
{
	struct ul_item *item = new_item(UL_ITEM_META);
	char line[UL_EXPORT_LINE_MAX];

	item->next_uid = 900000123;
	roundtrip(item);
	assert_int_equal(ul_export_line(item, line, sizeof(line)), 0);
	assert_string_equal(line, "{\"type\":\"meta\",\"next_uid\":900000123}");
	item->next_uid = 0;
	roundtrip(item);
	test_free(item);

	item = new_item(UL_ITEM_PRODUCT);
	snprintf(item->u.product.name, sizeof(item->u.product.name), "comms");
	/* what JSON must escape, and what it need not */
	snprintf(item->u.product.display_name, sizeof(item->u.product.display_name),
	    "Comms \"Cloud\" \\ / \t\x01 Dàve ✓");
	item->u.product.created = 1700000000;
	roundtrip(item);
	test_free(item);

	item = new_item(UL_ITEM_MEMBER);
	snprintf(item->email, sizeof(item->email), "ann@x.org");
	snprintf(item->product, sizeof(item->product), "shop");
	snprintf(item->account, sizeof(item->account), "acme corp/ann@x.org");
	snprintf(item->role, sizeof(item->role), "billing");
	roundtrip(item);
	test_free(item);
}

static void
test_export_roundtrip_user(void **state)
{
	struct ul_item *item = new_item(UL_ITEM_USER);
	struct ul_user *u = &item->u.user;

	/* a minimal user: every other field zero, left out of the line */
	snprintf(u->email, sizeof(u->email), "ann@x.org");
	roundtrip(item);

	snprintf(u->id, sizeof(u->id), "0123456789abcdef0123456789abcdef");
	snprintf(u->pwhash, sizeof(u->pwhash),
	    "$argon2id$v=19$m=8192,t=1,p=1$OYJawS9PH6Y2SE/9UZSFBA$yXkaTqKaOkVl");
	u->confirmed = true;
	u->locked = true;
	u->created = 1700000000;
	u->pw_changed = -1;
	fill(u->confirm.hash, sizeof(u->confirm.hash), 1);
	u->confirm.expires = 1700086400;
	fill(u->reset.hash, sizeof(u->reset.hash), 2);
	u->reset.expires = 1700003600;
	snprintf(u->pending_email, sizeof(u->pending_email), "ann2@x.org");
	u->totp_step = INT64_MAX;
	u->tfa_changed = INT64_MIN;
	u->remember_epoch = UINT32_MAX;
	u->next_method_id = 3;
	fill(u->recovery, sizeof(u->recovery), 3);
	u->recovery_unused = 0x3ff;
	fill(u->sms.hash, sizeof(u->sms.hash), 4);
	u->sms.expires = 1700000300;
	u->sms_window = 1700000000;
	u->sms_sent = 2;
	roundtrip(item);
	test_free(item);
}

static void
test_export_roundtrip_method(void **state)
{
	struct ul_item *item = new_item(UL_ITEM_METHOD);

	snprintf(item->email, sizeof(item->email), "ann@x.org");
	item->u.method = method(1, UL_METHOD_TOTP, "");
	roundtrip(item);
	item->u.method = method(2, UL_METHOD_SMS, "+15551234567");
	roundtrip(item);
	test_free(item);
}

static void
test_export_roundtrip_account_apikey(void **state)
{
	struct ul_item *item = new_item(UL_ITEM_ACCOUNT);
	struct ul_account *a = &item->u.account;

	*a = account("shop", "ann@x.org", 900000007, "ann@x.org");
	snprintf(a->owner, sizeof(a->owner), "ann@x.org");
	snprintf(a->parent, sizeof(a->parent), "acme");
	snprintf(a->friendly_name, sizeof(a->friendly_name),
	    "Ann's \"first\" account \\o/ é");
	a->state = UL_ACCOUNT_BANNED;
	roundtrip(item);
	/* a legacy account, active: owner and state left out */
	*a = account("shop", "old", 900000008, "old@x.org");
	snprintf(a->pwhash, sizeof(a->pwhash), "$argon2id$v=19$m=8,t=1,p=1$x$y");
	roundtrip(item);
	test_free(item);

	item = new_item(UL_ITEM_APIKEY);
	item->u.apikey = apikey("25p510kk", "ann@x.org");
	roundtrip(item);
	item->u.apikey.expires = 0;
	item->u.apikey.last_used = 0;
	roundtrip(item);
	test_free(item);
}

static void
test_export_line_too_small(void **state)
{
	struct ul_item *item = new_item(UL_ITEM_META);
	char line[8];

	item->next_uid = 1;
	assert_int_equal(ul_export_line(item, line, sizeof(line)), UL_ETOOBIG);
	test_free(item);
}

/* ul_import_parse refuses the line, says why (needle), leaves no item. */
static void
refused(const char *line, const char *needle)
{
	struct ul_item *item = test_malloc(sizeof(*item));
	char err[256] = "";

	memset(item, 0x5a, sizeof(*item));
	if (ul_import_parse(line, item, err, sizeof(err)) != UL_EINVAL)
		fail_msg("accepted: %s", line);
	if (strstr(err, needle) == NULL)
		fail_msg("%s: message \"%s\" lacks \"%s\"", line, err, needle);
	assert_true(all_zero(item, sizeof(*item)));
	test_free(item);
}

static void
test_import_refuses_bad_json(void **state)
{
	refused("{\"type\":\"user\",\"email\":\"ann@x.org\"", "not JSON");
	refused("this is not json", "not JSON");
	refused("", "");
	refused("[\"type\",\"user\"]", "expected an object with a \"type\"");
	refused("{\"email\":\"ann@x.org\"}", "expected an object with a \"type\"");
	refused("{\"type\":7}", "expected an object with a \"type\"");
}

static void
test_import_refuses_unknown_type_and_field(void **state)
{
	refused("{\"type\":\"widget\"}", "unknown type \"widget\"");
	refused("{\"type\":\"users\",\"email\":\"ann@x.org\"}", "unknown type");
	refused("{\"type\":\"user\",\"email\":\"ann@x.org\",\"colour\":\"red\"}",
	    "unknown field \"colour\"");
	/* a field of another kind is unknown here */
	refused("{\"type\":\"product\",\"name\":\"p\",\"email\":\"ann@x.org\"}",
	    "unknown field \"email\"");
	refused("{\"type\":\"meta\",\"user\":\"ann@x.org\"}", "unknown field \"user\"");
}

static void
test_import_refuses_bad_base64(void **state)
{
	refused("{\"type\":\"user\",\"email\":\"ann@x.org\",\"confirm.hash\":\"!!not*b64\"}",
	    "confirm.hash: expected base64");
	/* right alphabet, wrong length (3 bytes for 32) */
	refused("{\"type\":\"user\",\"email\":\"ann@x.org\",\"reset.hash\":\"AAAA\"}",
	    "reset.hash: expected base64");
	/* one byte too many: 33 bytes */
	refused("{\"type\":\"apikey\",\"id\":\"k\",\"email\":\"ann@x.org\",\"hash\":"
	    "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", "hash: expected base64");
	refused("{\"type\":\"method\",\"user\":\"ann@x.org\",\"id\":1,\"seed_box\":7}",
	    "seed_box: expected base64");
}

static void
test_import_refuses_unnormalised_email(void **state)
{
	refused("{\"type\":\"user\",\"email\":\"Ann@X.org\"}", "not a normalised email");
	refused("{\"type\":\"user\",\"email\":\" ann@x.org\"}", "not a normalised email");
	refused("{\"type\":\"user\",\"email\":\"not an email\"}", "not a normalised email");
	refused("{\"type\":\"user\"}", "not a normalised email");
	refused("{\"type\":\"method\",\"user\":\"ANN@x.org\",\"id\":1}",
	    "not a normalised email");
	refused("{\"type\":\"member\",\"user\":\"ann@X.ORG\",\"product\":\"p\","
	    "\"account\":\"a\",\"role\":\"r\"}", "not a normalised email");
	refused("{\"type\":\"apikey\",\"id\":\"k\",\"email\":\"ann@x.org \"}",
	    "not a normalised email");
}

/* n times 'x' */
static const char *
xs(char *buf, size_t n)
{
	memset(buf, 'x', n);
	buf[n] = '\0';
	return buf;
}

static void
test_import_refuses_too_long_fields(void **state)
{
	char line[1024], big[400];

	snprintf(line, sizeof(line), "{\"type\":\"user\",\"email\":\"%s@x.org\"}",
	    xs(big, 300));
	refused(line, "email: too long");
	snprintf(line, sizeof(line), "{\"type\":\"product\",\"name\":\"%s\"}",
	    xs(big, UL_PRODUCT_MAX + 1));
	refused(line, "name: too long");
	snprintf(line, sizeof(line), "{\"type\":\"member\",\"user\":\"ann@x.org\","
	    "\"product\":\"p\",\"account\":\"a\",\"role\":\"%s\"}",
	    xs(big, UL_ROLE_MAX + 1));
	refused(line, "role: too long");
	snprintf(line, sizeof(line), "{\"type\":\"method\",\"user\":\"ann@x.org\","
	    "\"id\":2,\"kind\":2,\"phone\":\"%s\"}", xs(big, UL_PHONE_MAX + 1));
	refused(line, "phone: too long");
	snprintf(line, sizeof(line), "{\"type\":\"user\",\"email\":\"ann@x.org\","
	    "\"id\":\"%s\"}", xs(big, UL_USER_ID_MAX + 1));
	refused(line, "id: too long");
	/* exactly the bound fits */
	snprintf(line, sizeof(line), "{\"type\":\"member\",\"user\":\"ann@x.org\","
	    "\"product\":\"%s\",\"account\":\"a\",\"role\":\"r\"}",
	    xs(big, UL_PRODUCT_MAX));
	{
		struct ul_item *item = test_malloc(sizeof(*item));
		char err[256] = "";

		assert_int_equal(ul_import_parse(line, item, err, sizeof(err)), 0);
		assert_string_equal(item->product, big);
		test_free(item);
	}
	/* a NUL inside a string would cut it short */
	refused("{\"type\":\"product\",\"name\":\"p\\u0000q\"}", "holds a NUL");
}

static void
test_import_refuses_bad_values(void **state)
{
	refused("{\"type\":\"product\",\"name\":\"p\",\"created\":\"yesterday\"}",
	    "created: expected an integer");
	refused("{\"type\":\"product\",\"name\":\"p\",\"created\":1.5}",
	    "created: expected an integer");
	refused("{\"type\":\"user\",\"email\":\"ann@x.org\",\"confirmed\":1}",
	    "confirmed: expected true or false");
	refused("{\"type\":\"meta\",\"next_uid\":-1}", "next_uid: out of range");
	refused("{\"type\":\"meta\",\"next_uid\":4294967296}", "next_uid: out of range");
	refused("{\"type\":\"account\",\"product\":\"p\",\"name\":\"a\","
	    "\"unix_user\":\"a\",\"state\":3}", "state: out of range");
	refused("{\"type\":\"account\",\"product\":\"p\",\"name\":\"a\"}",
	    "product, name and unix_user are needed");
	refused("{\"type\":\"product\"}", "no name");
	refused("{\"type\":\"member\",\"user\":\"ann@x.org\",\"product\":\"p\","
	    "\"account\":\"a\"}", "product, account and role are needed");
	refused("{\"type\":\"apikey\",\"email\":\"ann@x.org\"}", "no id");
}

/* One line holds one object: what follows it is damage (a lost newline
 * would otherwise drop the second record without a word). */
static void
test_import_refuses_trailing_data(void **state)
{
	/* BUG: helper/store/export.c ul_import_parse() uses
	 * json_tokener_parse_verbose(), which stops after the first JSON value
	 * and ignores the rest: both lines are accepted as the first object
	 * alone (the second user is silently lost on import). */
	refused("{\"type\":\"user\",\"email\":\"ann@x.org\"}"
	    "{\"type\":\"user\",\"email\":\"bob@x.org\"}", "");
	refused("{\"type\":\"product\",\"name\":\"p\"} garbage", "");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define P(f) cmocka_unit_test(f)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_method_put_get_roundtrip),
		T(test_method_put_replaces),
		T(test_method_next_walks_one_user_in_id_order),
		T(test_method_del),
		T(test_remember_put_get),
		T(test_remember_put_moves_epoch),
		T(test_remember_clear_only_that_user),
		T(test_apikey_put_get),
		T(test_apikey_next_by_email),
		T(test_apikey_del_follows_index),
		T(test_member_put_get_replace),
		T(test_member_put_refuses_bad_role),
		T(test_member_next_per_account),
		T(test_membership_next_per_user),
		T(test_member_del_removes_both_entries),
		T(test_session_add_increasing_ids),
		T(test_session_get_put),
		T(test_session_next_walks_in_order),
		T(test_pending_put_get_del),
		T(test_account_with_email_finds_every_account),
		T(test_account_with_email_follows_changes),
		T(test_history_prune_old_only),
		T(test_history_prune_respects_max),
		T(test_history_prune_reaches_past_open_sessions),
		T(test_next_uid_get_set),
		P(test_export_roundtrip_meta_product_member),
		P(test_export_roundtrip_user),
		P(test_export_roundtrip_method),
		P(test_export_roundtrip_account_apikey),
		P(test_export_line_too_small),
		P(test_import_refuses_bad_json),
		P(test_import_refuses_unknown_type_and_field),
		P(test_import_refuses_bad_base64),
		P(test_import_refuses_unnormalised_email),
		P(test_import_refuses_too_long_fields),
		P(test_import_refuses_bad_values),
		P(test_import_refuses_trailing_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
