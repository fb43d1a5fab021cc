/* Tests of the store's SSH keys (K1, helper/store/lmdb/sshkeys.c): the
 * fingerprint claim inside the write intent (a key belongs to one user,
 * also when two writers read "free" first), the index by user, removal
 * freeing the fingerprint, the move of U6, and a restart. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/store_fixture.h"
#include "unilogin/error.h"

static struct ul_sshkey
sshkey(const char *id, const char *email, const char *fp)
{
	struct ul_sshkey k;

	memset(&k, 0, sizeof(k));
	snprintf(k.id, sizeof(k.id), "%s", id);
	snprintf(k.email, sizeof(k.email), "%s", email);
	snprintf(k.type, sizeof(k.type), "ssh-ed25519");
	snprintf(k.blob, sizeof(k.blob), "AAAA%s", id);
	snprintf(k.fingerprint, sizeof(k.fingerprint), "SHA256:%s", fp);
	k.bits = 256;
	k.created = 1700000000;
	return k;
}

/* sshkey_next of a user from the start, as "id id ". */
static void
ids_of(struct fixture *fx, const char *email, char *out, size_t n)
{
	struct ul_txn *t = begin(fx, false);
	struct ul_cursor cur = {""};
	struct ul_sshkey k;
	size_t len = 0;

	out[0] = '\0';
	while (ul_store_sshkey_next(t, email, &cur, &k) == 0)
		len += (size_t)snprintf(out + len, n - len, "%s ", k.id);
	ul_txn_abort(t);
}

static void
test_claim_and_index(void **state)
{
	struct fixture *fx = *state;
	struct ul_sshkey a = sshkey("k1", "ann@x.org", "fpA"), b = sshkey("k2",
	    "ann@x.org", "fpB"), again = sshkey("k3", "bob@x.org", "fpA"), got;
	struct ul_txn *t = begin(fx, true);
	char ids[128];

	assert_int_equal(ul_store_sshkey_create(t, &a), 0);
	assert_int_equal(ul_store_sshkey_create(t, &b), 0);
	/* the same fingerprint for another user, and the same id: refused */
	assert_int_equal(ul_store_sshkey_create(t, &again), UL_EEXIST);
	again = sshkey("k1", "bob@x.org", "fpC");
	assert_int_equal(ul_store_sshkey_create(t, &again), UL_EEXIST);
	commit(t);
	ids_of(fx, "ann@x.org", ids, sizeof(ids));
	assert_string_equal(ids, "k1 k2 ");
	ids_of(fx, "bob@x.org", ids, sizeof(ids));
	assert_string_equal(ids, "");
	reopen(fx);
	t = begin(fx, false);
	assert_int_equal(ul_store_sshkey_by_fingerprint(t, "SHA256:fpA", &got), 0);
	assert_string_equal(got.id, "k1");
	assert_string_equal(got.email, "ann@x.org");
	assert_string_equal(got.blob, "AAAAk1");
	assert_int_equal(ul_store_sshkey_by_fingerprint(t, "SHA256:nope", &got),
	    UL_ENOTFOUND);
	ul_txn_abort(t);
}

/* Two writers that both read the fingerprint free: the second intent
 * checks it again inside its own transaction and is refused. */
static void
test_claim_checked_in_the_write(void **state)
{
	struct fixture *fx = *state;
	struct ul_sshkey a = sshkey("k1", "ann@x.org", "fpA"), b = sshkey("k2",
	    "bob@x.org", "fpA"), got;
	struct ul_txn *r1 = begin(fx, false), *t;

	assert_int_equal(ul_store_sshkey_by_fingerprint(r1, "SHA256:fpA", &got),
	    UL_ENOTFOUND);
	ul_txn_abort(r1);
	t = begin(fx, true);
	assert_int_equal(ul_store_sshkey_create(t, &a), 0);
	commit(t);
	t = begin(fx, true);
	assert_int_equal(ul_store_sshkey_create(t, &b), UL_EEXIST);
	ul_txn_abort(t);
	t = begin(fx, false);
	assert_int_equal(ul_store_sshkey_by_fingerprint(t, "SHA256:fpA", &got), 0);
	assert_string_equal(got.email, "ann@x.org");
	ul_txn_abort(t);
}

static void
test_remove_frees_and_move(void **state)
{
	struct fixture *fx = *state;
	struct ul_sshkey a = sshkey("k1", "ann@x.org", "fpA"), b = sshkey("k2",
	    "bob@x.org", "fpA"), got;
	struct ul_txn *t = begin(fx, true);
	char ids[128];

	assert_int_equal(ul_store_sshkey_create(t, &a), 0);
	assert_int_equal(ul_store_sshkey_move(t, "k1", "ann2@x.org"), 0);
	assert_int_equal(ul_store_sshkey_move(t, "nope", "ann2@x.org"), UL_ECONFLICT);
	commit(t);
	ids_of(fx, "ann@x.org", ids, sizeof(ids));
	assert_string_equal(ids, "");
	ids_of(fx, "ann2@x.org", ids, sizeof(ids));
	assert_string_equal(ids, "k1 ");
	t = begin(fx, true);
	assert_int_equal(ul_store_sshkey_remove(t, "k1"), 0);
	assert_int_equal(ul_store_sshkey_remove(t, "k1"), UL_ENOTFOUND);
	/* the fingerprint is free again */
	assert_int_equal(ul_store_sshkey_create(t, &b), 0);
	commit(t);
	t = begin(fx, false);
	assert_int_equal(ul_store_sshkey_get(t, "k1", &got), UL_ENOTFOUND);
	assert_int_equal(ul_store_sshkey_by_fingerprint(t, "SHA256:fpA", &got), 0);
	assert_string_equal(got.email, "bob@x.org");
	ul_txn_abort(t);
	ids_of(fx, "ann2@x.org", ids, sizeof(ids));
	assert_string_equal(ids, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_claim_and_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_checked_in_the_write, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_remove_frees_and_move, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
