/* Tests of helper/rules/kdf.c: the gate holds hashes to its permits however
 * many threads ask at once (the KDF pool has twice kdf_parallel workers, the
 * memory bound is kdf_parallel x KDF memory), and the strings hash and
 * verify as libsodium's own (U3). */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/conf.h"
#include "helper/rules/kdf.h"
#include "unilogin/error.h"

#define THREADS 8
#define ROUNDS 3

static struct ul_conf conf;
static pthread_barrier_t start;
static char hash[UL_HASH_STR_MAX];

static void *
verifier(void *arg)
{
	int *fails = arg;

	pthread_barrier_wait(&start);
	for (int i = 0; i < ROUNDS; i++)
		*fails += ul_kdf_verify(hash, "right password") != 0;
	return NULL;
}

/* THREADS threads verify at once; the most that ran together. */
static unsigned
storm(void)
{
	pthread_t t[THREADS];
	int fails[THREADS] = {0};

	(void)ul_kdf_peak(true);
	assert_int_equal(pthread_barrier_init(&start, NULL, THREADS), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, verifier, &fails[i]), 0);
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(fails[i], 0);
	}
	pthread_barrier_destroy(&start);
	return ul_kdf_peak(true);
}

static void
test_gate_holds_hashes_to_its_permits(void **state)
{
	(void)state;
	ul_kdf_gate(2);
	assert_in_range(storm(), 1, 2);
	ul_kdf_gate(1);
	assert_int_equal(storm(), 1);
	ul_kdf_gate(0);
	/* without a gate nothing waits: shown, not asserted (the scheduler
	 * decides how many overlap) */
	print_message("# without the gate, %u of %d verifies ran at once\n", storm(),
	    THREADS);
}

static void
test_strings_are_libsodiums(void **state)
{
	char ours[UL_HASH_STR_MAX], theirs[crypto_pwhash_STRBYTES];

	(void)state;
	/* ours verify with libsodium ... */
	assert_int_equal(ul_kdf_hash(&conf, "pw one", ours), 0);
	assert_memory_equal(ours, "$argon2id$v=19$", 15);
	assert_int_equal(crypto_pwhash_str_verify(ours, "pw one", 6), 0);
	assert_int_not_equal(crypto_pwhash_str_verify(ours, "pw onE", 6), 0);
	/* ... and libsodium's with ours */
	assert_int_equal(crypto_pwhash_str_alg(theirs, "pw two", 6, conf.kdf_opslimit,
	    conf.kdf_memlimit, crypto_pwhash_ALG_ARGON2ID13), 0);
	assert_int_equal(ul_kdf_verify(theirs, "pw two"), 0);
	assert_int_equal(ul_kdf_verify(theirs, "pw tw0"), UL_EAUTH);
	assert_int_equal(ul_kdf_verify("", ""), UL_EAUTH);
	assert_false(ul_kdf_needs_rehash(&conf, theirs));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings_are_libsodiums),
		cmocka_unit_test(test_gate_holds_hashes_to_its_permits),
	};

	if (sodium_init() < 0)
		return 1;
	ul_conf_defaults(&conf);
	conf.kdf_opslimit = 1;
	conf.kdf_memlimit = 8u << 20;
	if (ul_kdf_hash(&conf, "right password", hash) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
