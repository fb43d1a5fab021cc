/* Tests of helper/rules/kdf.c: the strings it makes verify with libsodium's
 * own crypto_pwhash_str_verify, and libsodium's verify with it (U3): the
 * hashes in every store stay valid whatever implementation hashes them. */
#include "config.h"

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

static struct ul_conf conf;

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
	};

	if (sodium_init() < 0)
		return 1;
	ul_conf_defaults(&conf);
	conf.kdf_opslimit = 1;
	conf.kdf_memlimit = 8u << 20;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
