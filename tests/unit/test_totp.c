/* Tests of helper/rules/totp.c: the window and replay rule of ul_totp_match
 * (T3) against codes that liboath computes for the real clock, the sealed
 * seeds (bound to user and method), base32 and the Key URI (T2). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <liboath/oath.h>
#include <sodium.h>

#include "helper/rules/keys.h"
#include "helper/store/store.h"
#include "helper/rules/totp.h"
#include "unilogin/error.h"

static uint8_t seed[UL_TOTP_SEED_BYTES];

/* The code liboath computes for `when`, at `digits`. */
static void
code_at(time_t when, unsigned digits, char out[16])
{
	assert_int_equal(oath_totp_generate((const char *)seed, sizeof(seed), when,
	    UL_TOTP_PERIOD, 0, digits, out), OATH_OK);
}

static void
test_current_code_matches(void **state)
{
	time_t now = time(NULL);
	int64_t step;
	char code[16];

	(void)state;
	code_at(now, 6, code);
	assert_int_equal(ul_totp_match(seed, 6, 1, now, 0, code, &step), 0);
	assert_int_equal(step, ul_totp_step(now));
}

static void
test_two_steps_old_needs_a_wider_window(void **state)
{
	time_t now = time(NULL);
	int64_t step;
	char code[16];

	(void)state;
	code_at(now - 60, 7, code);
	assert_int_equal(ul_totp_match(seed, 7, 1, now, 0, code, &step), UL_EAUTH);
	assert_int_equal(ul_totp_match(seed, 7, 2, now, 0, code, &step), 0);
	assert_int_equal(step, ul_totp_step(now) - 2);
}

static void
test_a_step_is_accepted_once(void **state)
{
	time_t now = time(NULL);
	int64_t step, here = ul_totp_step(now);
	char code[16];

	(void)state;
	code_at(now, 8, code);
	assert_int_equal(ul_totp_match(seed, 8, 1, now, here, code, &step), UL_EAUTH);
	assert_int_equal(ul_totp_match(seed, 8, 1, now, here + 1, code, &step), UL_EAUTH);
	assert_int_equal(ul_totp_match(seed, 8, 1, now, here - 1, code, &step), 0);
}

static void
test_digits_are_exact(void **state)
{
	time_t now = time(NULL);
	int64_t step;
	char code[16];

	(void)state;
	code_at(now, 8, code);
	/* the 8-digit code's last 6 digits are the 6-digit code (RFC 4226) */
	assert_int_equal(ul_totp_match(seed, 6, 1, now, 0, code, &step), UL_EAUTH);
	assert_int_equal(ul_totp_match(seed, 6, 1, now, 0, code + 2, &step), 0);
	assert_int_equal(ul_totp_match(seed, 8, 1, now, 0, "", &step), UL_EAUTH);
	assert_int_equal(ul_totp_match(seed, 5, 1, now, 0, "12345", &step), UL_EAUTH);
}

static void
test_sealed_seed_opens_only_for_its_owner(void **state)
{
	struct ul_keys *k = sodium_malloc(sizeof(*k));
	uint8_t box[UL_SEED_BOX_BYTES], back[UL_TOTP_SEED_BYTES];

	(void)state;
	randombytes_buf(k, sizeof(*k));
	k->versions = 1;
	ul_totp_seal(k, "a@example.com", 1, seed, box);
	assert_int_equal(ul_totp_open(k, "a@example.com", 1, box, back), 0);
	assert_memory_equal(back, seed, sizeof(seed));
	assert_int_equal(ul_totp_open(k, "b@example.com", 1, box, back), UL_ESTORE);
	assert_int_equal(ul_totp_open(k, "a@example.com", 2, box, back), UL_ESTORE);
	box[30] ^= 1;
	assert_int_equal(ul_totp_open(k, "a@example.com", 1, box, back), UL_ESTORE);
	/* the clear seed is not in the box */
	assert_null(memmem(box, sizeof(box), seed, 8));
	sodium_free(k);
}

/* A rotation (keys rotate): a box sealed before opens with its version, a
 * new one is sealed with the newest, which the keys before it lack. */
static void
test_rotated_keys_open_old_boxes_and_seal_with_the_newest(void **state)
{
	struct ul_keys *k = sodium_malloc(sizeof(*k));
	uint8_t old_box[UL_SEED_BOX_BYTES], new_box[UL_SEED_BOX_BYTES];
	uint8_t back[UL_TOTP_SEED_BYTES];

	(void)state;
	randombytes_buf(k, sizeof(*k));
	k->versions = 1;
	ul_totp_seal(k, "a@example.com", 1, seed, old_box);
	k->versions = 3;
	assert_int_equal(ul_totp_open(k, "a@example.com", 1, old_box, back), 0);
	assert_memory_equal(back, seed, sizeof(seed));
	ul_totp_seal(k, "a@example.com", 1, seed, new_box);
	assert_int_equal(ul_totp_open(k, "a@example.com", 1, new_box, back), 0);
	k->versions = 2;
	assert_int_equal(ul_totp_open(k, "a@example.com", 1, new_box, back),
	    UL_ESTORE);
	/* a count past the file's bound reads no further than it */
	k->versions = 1000;
	assert_int_equal(ul_keys_versions(k), UL_KEYS_VERSIONS);
	assert_int_equal(ul_totp_open(k, "a@example.com", 1, old_box, back), 0);
	sodium_free(k);
}

static void
test_base32_and_uri(void **state)
{
	char b32[64], uri[512], want[512], *raw = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(ul_totp_base32(seed, b32, sizeof(b32)), 0);
	assert_int_equal(strlen(b32), 32);
	assert_int_equal(oath_base32_decode(b32, strlen(b32), &raw, &len), OATH_OK);
	assert_int_equal(len, sizeof(seed));
	assert_memory_equal(raw, seed, len);
	free(raw);
	assert_int_equal(ul_totp_uri("Acme Co", "a+b@example.com", b32, 7, uri,
	    sizeof(uri)), 0);
	snprintf(want, sizeof(want), "otpauth://totp/Acme%%20Co%%3Aa%%2Bb@example.com"
	    "?secret=%s&issuer=Acme%%20Co&algorithm=SHA1&digits=7&period=30", b32);
	assert_string_equal(uri, want);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_current_code_matches),
		cmocka_unit_test(test_two_steps_old_needs_a_wider_window),
		cmocka_unit_test(test_a_step_is_accepted_once),
		cmocka_unit_test(test_digits_are_exact),
		cmocka_unit_test(test_sealed_seed_opens_only_for_its_owner),
		cmocka_unit_test(test_rotated_keys_open_old_boxes_and_seal_with_the_newest),
		cmocka_unit_test(test_base32_and_uri),
	};

	if (sodium_init() < 0 || ul_totp_init() != 0)
		return 1;
	randombytes_buf(seed, sizeof(seed));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
