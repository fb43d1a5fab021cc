/* Tests of helper/rules/kdf.c: the strings it makes verify with libsodium's
 * own crypto_pwhash_str_verify, and libsodium's verify with it (U3): the
 * hashes in every store stay valid whatever implementation hashes them.
 * And of kdfmem.c, the KDF worker's kept argon2 memory: one region lent to
 * every hash, all zero after each, let go on release, a new one for a new
 * cost, and hashes made in it and out of it verify both ways. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/conf.h"
#include "helper/rules/kdf.h"
#include "helper/rules/kdfmem.h"
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

static bool
all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	unsigned char acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= b[i];
	return acc == 0;
}

static void
test_arena_is_kept_wiped_and_let_go(void **state)
{
	char plain[UL_HASH_STR_MAX], kept[UL_HASH_STR_MAX];
	struct ul_kdfmem_stats s0, s1, s2, s3;
	struct ul_conf big = conf;

	(void)state;
	/* a hash of libsodium's own maps, before the arena */
	assert_int_equal(ul_kdf_hash(&conf, "pw three", plain), 0);
	ul_kdfmem_arm(true);
	ul_kdfmem_stats(&s0);
	assert_int_equal(s0.held, 0);
	/* it verifies in the arena, and a hash made there... */
	assert_int_equal(ul_kdf_verify(plain, "pw three"), 0);
	assert_int_equal(ul_kdf_verify(plain, "pw thre3"), UL_EAUTH);
	assert_int_equal(ul_kdf_hash(&conf, "pw four", kept), 0);
	ul_kdfmem_stats(&s1);
	assert_int_equal(s1.maps, s0.maps + 1);
	assert_int_equal(s1.lends, s0.lends + 3);
	assert_int_equal(s1.held, conf.kdf_memlimit);
	assert_non_null(s1.base);
	/* wiped after every hash, kept for the next */
	assert_true(all_zero(s1.base, s1.held));
	/* a new cost: a new arena, the old one let go */
	big.kdf_memlimit = 2 * conf.kdf_memlimit;
	assert_int_equal(ul_kdf_hash(&big, "pw five", plain), 0);
	ul_kdfmem_stats(&s2);
	assert_int_equal(s2.maps, s1.maps + 1);
	assert_int_equal(s2.releases, s1.releases + 1);
	assert_int_equal(s2.held, big.kdf_memlimit);
	ul_kdfmem_release();
	ul_kdfmem_stats(&s3);
	assert_int_equal(s3.held, 0);
	assert_null(s3.base);
	assert_int_equal(s3.releases, s2.releases + 1);
	/* ... verifies with libsodium's own maps */
	ul_kdfmem_arm(false);
	ul_kdfmem_release();
	assert_int_equal(crypto_pwhash_str_verify(kept, "pw four", 7), 0);
	assert_int_not_equal(crypto_pwhash_str_verify(kept, "pw fouR", 7), 0);
	assert_int_equal(crypto_pwhash_str_verify(plain, "pw five", 7), 0);
	ul_kdfmem_stats(&s0);
	assert_int_equal(s0.lends, s3.lends);
}

/* Only argon2's map gets the arena, and only one at a time; every other
 * map and unmap is the C library's. */
static void
test_arena_lends_only_argon2s_map(void **state)
{
	const int argon2 = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE;
	const size_t n = 2u << 20;
	struct ul_kdfmem_stats s0, s1;
	unsigned char *a, *b, *c;

	(void)state;
	ul_kdfmem_arm(true);
	ul_kdfmem_stats(&s0);
	c = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	a = mmap(NULL, n, PROT_READ | PROT_WRITE, argon2, -1, 0);
	b = mmap(NULL, n, PROT_READ | PROT_WRITE, argon2, -1, 0);
	assert_true(a != MAP_FAILED && b != MAP_FAILED && c != MAP_FAILED);
	ul_kdfmem_stats(&s1);
	assert_int_equal(s1.lends, s0.lends + 1);
	assert_ptr_equal(s1.base, a);
	assert_true(b != a && c != a);
	memset(a, 0xa5, n);
	memset(b, 0x5a, n);
	assert_int_equal(munmap(b, n), 0);
	assert_int_equal(munmap(c, n), 0);
	assert_int_equal(munmap(a, n), 0);
	/* a's pages are the arena's, kept and zero again */
	assert_true(all_zero(a, n));
	assert_ptr_equal(mmap(NULL, n, PROT_READ | PROT_WRITE, argon2, -1, 0), a);
	assert_int_equal(munmap(a, n), 0);
	ul_kdfmem_arm(false);
	ul_kdfmem_release();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings_are_libsodiums),
		cmocka_unit_test(test_arena_is_kept_wiped_and_let_go),
		cmocka_unit_test(test_arena_lends_only_argon2s_map),
	};

	if (sodium_init() < 0)
		return 1;
	ul_conf_defaults(&conf);
	conf.kdf_opslimit = 1;
	conf.kdf_memlimit = 8u << 20;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
