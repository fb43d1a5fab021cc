/* Unit tests for the store's teammates (L7) and API keys (T8)
 * (helper/store/lmdb/accounts.c), for the paging token that every list
 * of the store reads back from a client, and for the export lines of
 * helper/rules/export.c.
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

#include <cmocka.h>

#include "helper/rules/export.h"
#include "helper/store/local.h"
#include "helper/store/store.h"
#include "unilogin/error.h"

#include "tests/unit/store_fixture.h"

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
	char unix_user[16];
	struct ul_account a;

	snprintf(unix_user, sizeof(unix_user), "u%u", uid);
	a = new_account(product, name, unix_user, uid, "");
	memset(a.pwhash, 0, sizeof(a.pwhash));
	snprintf(a.email, sizeof(a.email), "%s", email);
	return a;
}

/* ---- teammates (L7) ---- */

/* member_next of an account from the start, as "email=role ". */
static void
members_of(struct ul_txn *t, const char *product, const char *account_name,
    char *out, size_t n)
{
	char email[UL_EMAIL_MAX + 1], role[UL_ROLE_MAX + 1];
	struct ul_cursor cur = {.token = ""};
	size_t len = 0;

	out[0] = '\0';
	while (ul_store_member_next(t, product, account_name, &cur, email,
	    role) == 0) {
		len += (size_t)snprintf(out + len, n - len, "%s=%s ", email, role);
		assert_true(len < n);
	}
}

/* membership_next of a user from the start, as "product/account=role ". */
static void
memberships_of(struct ul_txn *t, const char *email, char *out, size_t n)
{
	char product[UL_PRODUCT_MAX + 1], acct[UL_ACCOUNT_MAX + 1];
	char role[UL_ROLE_MAX + 1];
	struct ul_cursor cur = {.token = ""};
	size_t len = 0;

	out[0] = '\0';
	while (ul_store_membership_next(t, email, &cur, product, acct, role) == 0) {
		len += (size_t)snprintf(out + len, n - len, "%s/%s=%s ", product, acct,
		    role);
		assert_true(len < n);
	}
}

static void
test_member_set_get_replace(void **state)
{
	struct fixture *fx = *state;
	char role[UL_ROLE_MAX + 1], out[256];
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_member_set(t, "shop", "acme", "ann@x.org",
	    "member"), 0);
	commit(t);
	t = begin(fx, true);
	assert_int_equal(ul_store_member_get(t, "shop", "acme", "ann@x.org", role), 0);
	assert_string_equal(role, "member");
	assert_int_equal(ul_store_member_get(t, "shop", "acme", "bob@x.org", role),
	    UL_ENOTFOUND);
	assert_string_equal(role, "");
	assert_int_equal(ul_store_member_get(t, "tools", "acme", "ann@x.org", role),
	    UL_ENOTFOUND);
	/* a new role replaces the old one, on both sides */
	assert_int_equal(ul_store_member_set(t, "shop", "acme", "ann@x.org",
	    "billing"), 0);
	assert_int_equal(ul_store_member_get(t, "shop", "acme", "ann@x.org", role), 0);
	assert_string_equal(role, "billing");
	memberships_of(t, "ann@x.org", out, sizeof(out));
	assert_string_equal(out, "shop/acme=billing ");
	members_of(t, "shop", "acme", out, sizeof(out));
	assert_string_equal(out, "ann@x.org=billing ");
	ul_txn_abort(t);
}

static void
test_member_set_refuses_bad_role(void **state)
{
	struct fixture *fx = *state;
	char big[UL_ROLE_MAX + 2], role[UL_ROLE_MAX + 1];
	struct ul_txn *t = begin(fx, true);

	memset(big, 'r', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(ul_store_member_set(t, "shop", "acme", "ann@x.org", ""),
	    UL_EINVAL);
	assert_int_equal(ul_store_member_set(t, "shop", "acme", "ann@x.org", big),
	    UL_EINVAL);
	assert_int_equal(ul_store_member_get(t, "shop", "acme", "ann@x.org", role),
	    UL_ENOTFOUND);
	big[UL_ROLE_MAX] = '\0';    /* exactly UL_ROLE_MAX fits */
	assert_int_equal(ul_store_member_set(t, "shop", "acme", "ann@x.org", big), 0);
	assert_int_equal(ul_store_member_get(t, "shop", "acme", "ann@x.org", role), 0);
	assert_string_equal(role, big);
	ul_txn_abort(t);
}

static void
test_member_next_per_account(void **state)
{
	struct fixture *fx = *state;
	char email[UL_EMAIL_MAX + 1], role[UL_ROLE_MAX + 1], out[256];
	struct ul_cursor cur = {.token = ""};
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_member_set(t, "shop", "acme", "carl@x.org", "c"), 0);
	assert_int_equal(ul_store_member_set(t, "shop", "acme", "ann@x.org", "a"), 0);
	assert_int_equal(ul_store_member_set(t, "shop", "acme", "bob@x.org", "b"), 0);
	/* accounts whose names extend "acme", and the same name elsewhere */
	assert_int_equal(ul_store_member_set(t, "shop", "acme2", "dan@x.org", "d"), 0);
	assert_int_equal(ul_store_member_set(t, "shopx", "acme", "eve@x.org", "e"), 0);
	commit(t);
	t = begin(fx, false);
	members_of(t, "shop", "acme", out, sizeof(out));
	assert_string_equal(out, "ann@x.org=a bob@x.org=b carl@x.org=c ");
	members_of(t, "shop", "nobody", out, sizeof(out));
	assert_string_equal(out, "");
	/* a page ends in one transaction and the next begins in another */
	assert_int_equal(ul_store_member_next(t, "shop", "acme", &cur, email,
	    role), 0);
	ul_txn_abort(t);
	t = begin(fx, false);
	assert_int_equal(ul_store_member_next(t, "shop", "acme", &cur, email,
	    role), 0);
	assert_string_equal(email, "bob@x.org");
	assert_string_equal(role, "b");
	ul_txn_abort(t);
}

static void
test_membership_next_per_user(void **state)
{
	struct fixture *fx = *state;
	char out[256];
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_member_set(t, "tools", "t1", "ann@x.org", "r3"), 0);
	assert_int_equal(ul_store_member_set(t, "shop", "s2", "ann@x.org", "r2"), 0);
	assert_int_equal(ul_store_member_set(t, "shop", "s1", "ann@x.org", "r1"), 0);
	assert_int_equal(ul_store_member_set(t, "shop", "s1", "ann@x.orgg", "x"), 0);
	assert_int_equal(ul_store_member_set(t, "shop", "s1", "bob@x.org", "x"), 0);
	memberships_of(t, "ann@x.org", out, sizeof(out));
	assert_string_equal(out, "shop/s1=r1 shop/s2=r2 tools/t1=r3 ");
	memberships_of(t, "carl@x.org", out, sizeof(out));
	assert_string_equal(out, "");
	ul_txn_abort(t);
}

static void
test_member_remove_removes_both_entries(void **state)
{
	struct fixture *fx = *state;
	char role[UL_ROLE_MAX + 1], out[256];
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_member_set(t, "shop", "acme", "ann@x.org", "a"), 0);
	assert_int_equal(ul_store_member_set(t, "shop", "acme", "bob@x.org", "b"), 0);
	assert_int_equal(ul_store_member_set(t, "shop", "beta", "ann@x.org", "c"), 0);
	assert_int_equal(ul_store_member_remove(t, "shop", "acme", "ann@x.org"), 0);
	/* ending a role that is not there is no error */
	assert_int_equal(ul_store_member_remove(t, "shop", "acme", "ann@x.org"), 0);
	assert_int_equal(ul_store_member_remove(t, "shop", "acme", "carl@x.org"), 0);
	commit(t);

	t = begin(fx, false);
	assert_int_equal(ul_store_member_get(t, "shop", "acme", "ann@x.org", role),
	    UL_ENOTFOUND);
	members_of(t, "shop", "acme", out, sizeof(out));
	assert_string_equal(out, "bob@x.org=b ");
	memberships_of(t, "ann@x.org", out, sizeof(out));
	assert_string_equal(out, "shop/beta=c ");
	memberships_of(t, "bob@x.org", out, sizeof(out));
	assert_string_equal(out, "shop/acme=b ");
	ul_txn_abort(t);
}

/* ---- API keys (T8) ---- */

/* apikey_next of a user from the start, as "id id ". */
static void
keys_of(struct ul_txn *t, const char *email, char *out, size_t n)
{
	struct ul_cursor cur = {.token = ""};
	struct ul_apikey k;
	size_t len = 0;

	out[0] = '\0';
	while (ul_store_apikey_next(t, email, &cur, &k) == 0) {
		assert_string_equal(k.email, email);
		len += (size_t)snprintf(out + len, n - len, "%s ", k.id);
		assert_true(len < n);
	}
}

static void
test_apikey_create_get(void **state)
{
	struct fixture *fx = *state;
	struct ul_apikey k = apikey("k1", "ann@x.org"), again = apikey("k1",
	    "bob@x.org"), got;
	char out[64];
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_apikey_create(t, &k), 0);
	assert_int_equal(ul_store_apikey_create(t, &again), UL_EEXIST);
	commit(t);
	t = begin(fx, false);
	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(ul_store_apikey_get(t, "k1", &got), 0);
	assert_memory_equal(&got, &k, sizeof(k));
	keys_of(t, "bob@x.org", out, sizeof(out));
	assert_string_equal(out, "");
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
	struct ul_cursor cur = {.token = ""};
	char out[64];
	struct ul_txn *t = begin(fx, true);

	for (size_t i = 0; i < 5; i++)
		assert_int_equal(ul_store_apikey_create(t, &keys[i]), 0);
	assert_int_equal(ul_store_apikey_next(t, "ann@x.org", &cur, &got), 0);
	assert_memory_equal(&got, &keys[1], sizeof(got));
	keys_of(t, "ann@x.org", out, sizeof(out));
	assert_string_equal(out, "ka kc ke ");
	keys_of(t, "bob@x.org", out, sizeof(out));
	assert_string_equal(out, "kb ");
	keys_of(t, "carl@x.org", out, sizeof(out));
	assert_string_equal(out, "");
	ul_txn_abort(t);
}

static void
test_apikey_revoke_follows_index(void **state)
{
	struct fixture *fx = *state;
	struct ul_apikey a = apikey("ka", "ann@x.org"), b = apikey("kb", "ann@x.org");
	struct ul_apikey got;
	char out[64];
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_apikey_create(t, &a), 0);
	assert_int_equal(ul_store_apikey_create(t, &b), 0);
	assert_int_equal(ul_store_apikey_revoke(t, "ka"), 0);
	commit(t);

	t = begin(fx, true);
	assert_int_equal(ul_store_apikey_get(t, "ka", &got), UL_ENOTFOUND);
	keys_of(t, "ann@x.org", out, sizeof(out));
	assert_string_equal(out, "kb ");
	assert_int_equal(ul_store_apikey_revoke(t, "kb"), 0);
	keys_of(t, "ann@x.org", out, sizeof(out));
	assert_string_equal(out, "");
	assert_int_equal(ul_store_apikey_revoke(t, "kb"), UL_ENOTFOUND);
	assert_int_equal(ul_store_apikey_revoke(t, "never"), UL_ENOTFOUND);
	/* a revoked id can be given again */
	assert_int_equal(ul_store_apikey_create(t, &a), 0);
	ul_txn_abort(t);
}

/* U6: a key follows its user to the new email. */
static void
test_apikey_move(void **state)
{
	struct fixture *fx = *state;
	struct ul_apikey a = apikey("ka", "ann@x.org"), b = apikey("kb", "ann@x.org");
	struct ul_apikey got;
	char out[64];
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_apikey_create(t, &a), 0);
	assert_int_equal(ul_store_apikey_create(t, &b), 0);
	assert_int_equal(ul_store_apikey_move(t, "ka", "new@x.org"), 0);
	commit(t);
	t = begin(fx, false);
	assert_int_equal(ul_store_apikey_get(t, "ka", &got), 0);
	assert_string_equal(got.email, "new@x.org");
	assert_memory_equal(got.hash, a.hash, sizeof(a.hash));
	assert_string_equal(got.account, "acct-ka");
	keys_of(t, "ann@x.org", out, sizeof(out));
	assert_string_equal(out, "kb ");
	keys_of(t, "new@x.org", out, sizeof(out));
	assert_string_equal(out, "ka ");
	ul_txn_abort(t);
}

/* ---- the paging token ---- */

/* Every list reads its token back from a client: a bad one is UL_EINVAL,
 * never a read past the token or a crash. */
static void
test_lists_refuse_garbage_cursors(void **state)
{
	struct fixture *fx = *state;
	struct ul_account a = account("shop", "ann", 7001, "ann@x.org");
	struct ul_apikey k = apikey("ka", "ann@x.org");
	struct ul_audit e = {.time = 100, .event = "login"};
	struct ul_session s = {.product = "shop", .started = 100};
	struct ul_product p = {.name = "shop"};
	char email[UL_EMAIL_MAX + 1], role[UL_ROLE_MAX + 1];
	char product[UL_PRODUCT_MAX + 1], acct[UL_ACCOUNT_MAX + 1];
	struct ul_cursor bad[5];
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_product_create(t, &p), 0);
	assert_int_equal(ul_store_account_create(t, &a), 0);
	assert_int_equal(ul_store_account_link(t, &a, "ann@x.org"), 0);
	assert_int_equal(ul_store_member_set(t, "shop", "ann", "bo@x.org", "m"), 0);
	assert_int_equal(ul_store_apikey_create(t, &k), 0);
	assert_int_equal(ul_store_audit_append(t, &e), 0);
	assert_int_equal(ul_local_session_open(t, &s), 0);
	commit(t);
	memset(bad, 0, sizeof(bad));
	snprintf(bad[0].token, sizeof(bad[0].token), "736");        /* odd */
	snprintf(bad[1].token, sizeof(bad[1].token), "73zz");       /* not hex */
	snprintf(bad[2].token, sizeof(bad[2].token), "shop");
	memset(bad[3].token, '7', UL_CURSOR_MAX);                   /* 550 bytes */
	memset(bad[4].token, 'f', sizeof(bad[4].token));            /* no NUL */
	t = begin(fx, false);
	for (int i = 0; i < 5; i++) {
		struct ul_cursor c = bad[i];

		assert_int_equal(ul_store_product_next(t, &c, &p), UL_EINVAL);
		assert_int_equal(ul_store_account_next(t, "", &c, &a), UL_EINVAL);
		assert_int_equal(ul_store_account_next(t, "shop", &c, &a), UL_EINVAL);
		assert_true(all_zero(&a, sizeof(a)));
		assert_int_equal(ul_store_account_with_email(t, "ann@x.org", &c, &a),
		    UL_EINVAL);
		assert_int_equal(ul_store_owned_next(t, "ann@x.org", &c, &a),
		    UL_EINVAL);
		assert_int_equal(ul_store_member_next(t, "shop", "ann", &c, email,
		    role), UL_EINVAL);
		assert_int_equal(ul_store_membership_next(t, "bo@x.org", &c, product,
		    acct, role), UL_EINVAL);
		assert_int_equal(ul_store_apikey_next(t, "ann@x.org", &c, &k),
		    UL_EINVAL);
		assert_int_equal(ul_store_audit_next(t, 0, &c, &e), UL_EINVAL);
		assert_int_equal(ul_local_session_next(t, &c, &s), UL_EINVAL);
	}
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
	/* a tokener that stops after the first value would accept both as
	 * the first object alone, and the second user would be lost */
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
		T(test_member_set_get_replace),
		T(test_member_set_refuses_bad_role),
		T(test_member_next_per_account),
		T(test_membership_next_per_user),
		T(test_member_remove_removes_both_entries),
		T(test_apikey_create_get),
		T(test_apikey_next_by_email),
		T(test_apikey_revoke_follows_index),
		T(test_apikey_move),
		T(test_lists_refuse_garbage_cursors),
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
