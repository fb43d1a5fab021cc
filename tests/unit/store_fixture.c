/* What the store's unit tests share: a real store per test, and the
 * records and steps the tests start from. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "helper/store/backend.h"
#include "unilogin/error.h"
#include "tests/unit/store_fixture.h"

/* The store under test: LMDB in fx->dir, or, when UL_TEST_STORE_CONF
 * names a config (tests/fleet/store.sh: store = ldap on the loopback
 * fleet), that directory backend, emptied first by the command
 * UL_TEST_STORE_RESET; it is opened directly (backend.h). */
static int
open_store(struct fixture *fx)
{
	const char *conf = getenv("UL_TEST_STORE_CONF");

	if (conf == NULL || conf[0] == '\0')
		return ul_store_open(&fx->st, &fx->conf, fx->err, sizeof(fx->err));
#ifdef UL_WITH_LDAP
	if (ul_conf_load(&fx->conf, conf, false, fx->err, sizeof(fx->err)) != 0)
		return -1;
	return ul_store_ldap_open(&fx->st, &fx->conf, fx->err, sizeof(fx->err));
#else
	snprintf(fx->err, sizeof(fx->err), "built without LDAP");
	return -1;
#endif
}

int
setup(void **state)
{
	const char *reset = getenv("UL_TEST_STORE_RESET");

	struct fixture *fx;

	/* the store wipes with libsodium and draws ids from it */
	if (sodium_init() < 0)
		return -1;
	fx = test_calloc(1, sizeof(*fx));
	snprintf(fx->root, sizeof(fx->root), "/tmp/ul-store-XXXXXX");
	if (mkdtemp(fx->root) == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/store", fx->root);
	ul_conf_defaults(&fx->conf);
	snprintf(fx->conf.state_dir, sizeof(fx->conf.state_dir), "%s", fx->dir);
	if (reset != NULL && reset[0] != '\0' && system(reset) != 0) {
		fprintf(stderr, "store: %s failed\n", reset);
		return -1;
	}
	if (open_store(fx) != 0) {
		fprintf(stderr, "store: %s\n", fx->err);
		return -1;
	}
	*state = fx;
	return 0;
}

static void
remove_in(const char *dir, const char *name)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	unlink(p);
}

int
teardown(void **state)
{
	struct fixture *fx = *state;

	ul_store_close(fx->st);
	remove_in(fx->dir, "data.mdb");
	remove_in(fx->dir, "lock.mdb");
	rmdir(fx->dir);
	rmdir(fx->root);
	test_free(fx);
	return 0;
}

struct ul_txn *
begin(struct fixture *fx, bool write)
{
	struct ul_txn *t = NULL;

	assert_int_equal(ul_txn_begin(fx->st, write, &t), 0);
	assert_non_null(t);
	return t;
}

void
commit(struct ul_txn *t)
{
	assert_int_equal(ul_txn_commit(t), 0);
}

void
close_store(struct fixture *fx)
{
	ul_store_close(fx->st);
	fx->st = NULL;
}

void
reopen(struct fixture *fx)
{
	close_store(fx);
	assert_int_equal(open_store(fx), 0);
}

int
open_dir(struct fixture *fx, const char *dir, struct ul_store **st)
{
	struct ul_conf c = fx->conf;

	snprintf(c.state_dir, sizeof(c.state_dir), "%s", dir);
	return ul_store_open(st, &c, fx->err, sizeof(fx->err));
}

void
fill(void *p, size_t n, uint8_t seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7);
}

bool
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

struct ul_user
new_user(const char *email)
{
	static unsigned serial;
	struct ul_user u;

	memset(&u, 0, sizeof(u));
	snprintf(u.email, sizeof(u.email), "%s", email);
	snprintf(u.id, sizeof(u.id), "%032x", ++serial);
	snprintf(u.pwhash, sizeof(u.pwhash), "$argon2id$v=19$m=8,t=1,p=1$x$y");
	u.confirmed = true;
	u.created = 1700000000;
	u.pw_changed = 1700000001;
	u.remember_epoch = 5;
	return u;
}

struct ul_user
get_user(struct fixture *fx, const char *email)
{
	struct ul_txn *t = begin(fx, false);
	struct ul_user u;

	assert_int_equal(ul_store_user_get(t, email, &u), 0);
	ul_txn_abort(t);
	return u;
}

struct ul_user
create_user(struct fixture *fx, const char *email)
{
	struct ul_user u = new_user(email);
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_user_create(t, &u), 0);
	commit(t);
	return get_user(fx, email);
}

struct ul_account
new_account(const char *product, const char *name, const char *unix_user,
    uint32_t uid, const char *owner)
{
	struct ul_account a;

	memset(&a, 0, sizeof(a));
	snprintf(a.product, sizeof(a.product), "%s", product);
	snprintf(a.name, sizeof(a.name), "%s", name);
	snprintf(a.unix_user, sizeof(a.unix_user), "%s", unix_user);
	a.uid = uid;
	snprintf(a.owner, sizeof(a.owner), "%s", owner);
	if (owner[0] == '\0')
		snprintf(a.pwhash, sizeof(a.pwhash), "$argon2id$legacy-%s", name);
	snprintf(a.friendly_name, sizeof(a.friendly_name), "%s's account", name);
	a.created = 1700000000;
	return a;
}

void
create_account(struct fixture *fx, const struct ul_account *a)
{
	struct ul_txn *t = begin(fx, true);

	assert_int_equal(ul_store_account_create(t, a), 0);
	commit(t);
}

struct ul_account
get_account(struct fixture *fx, const char *product, const char *name)
{
	struct ul_txn *t = begin(fx, false);
	struct ul_account a;

	assert_int_equal(ul_store_account_get(t, product, name, &a), 0);
	ul_txn_abort(t);
	return a;
}

struct ul_audit
audit_event(int64_t time, const char *event, int result)
{
	struct ul_audit e;

	memset(&e, 0, sizeof(e));
	e.time = time;
	snprintf(e.event, sizeof(e.event), "%s", event);
	snprintf(e.email, sizeof(e.email), "ann@x.org");
	snprintf(e.product, sizeof(e.product), "shop");
	snprintf(e.rhost, sizeof(e.rhost), "192.0.2.1");
	e.result = result;
	return e;
}

void
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
	commit(t);
}
