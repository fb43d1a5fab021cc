/* Unit tests for helper/core/email.c and helper/rules/keys.c: email addresses as
 * user keys, and the helper's key file and single-use codes (C1, C2).
 *
 * The key file tests work in a fresh mkdtemp directory. */
#include "config.h"

#include <fcntl.h>
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
#include <sodium.h>

#include "helper/core/email.h"
#include "helper/rules/codes.h"
#include "helper/rules/keys.h"
#include "unilogin/error.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* ---- email ---- */

static void
assert_email(const char *in, const char *want)
{
	char out[UL_EMAIL_MAX + 1];

	assert_int_equal(ul_email_normalise(in, out), 0);
	assert_string_equal(out, want);
}

static void
assert_email_refused(const char *in)
{
	char out[UL_EMAIL_MAX + 1];

	assert_int_equal(ul_email_normalise(in, out), UL_EINVAL);
}

static void
test_email_trims_and_lowers(void **state)
{
	(void)state;
	assert_email("ann@example.org", "ann@example.org");
	assert_email("  Ann.Lee@Example.ORG\t\n", "ann.lee@example.org");
	assert_email("A+B@X.Y", "a+b@x.y");
}

static void
test_email_refuses_no_at(void **state)
{
	(void)state;
	assert_email_refused("ann.example.org");
}

static void
test_email_refuses_two_at(void **state)
{
	(void)state;
	assert_email_refused("ann@bo@example.org");
}

static void
test_email_refuses_empty_parts(void **state)
{
	(void)state;
	assert_email_refused("@example.org");
	assert_email_refused("ann@");
	assert_email_refused("");
	assert_email_refused("   ");
}

static void
test_email_refuses_domain_without_dot(void **state)
{
	(void)state;
	assert_email_refused("ann@localhost");
	/* a dot in the local part does not count */
	assert_email_refused("ann.lee@localhost");
}

static void
test_email_refuses_trailing_dot(void **state)
{
	(void)state;
	assert_email_refused("ann@example.org.");
}

static void
test_email_refuses_control_and_space(void **state)
{
	(void)state;
	assert_email_refused("ann\x01@example.org");
	assert_email_refused("ann@exa\nmple.org");
	assert_email_refused("ann@example.org\x7f");
	assert_email_refused("ann lee@example.org");
}

/* An address of n bytes: local part, '@', then "d...d.org". */
static void
long_address(char *buf, size_t n)
{
	memset(buf, 'a', 64);
	buf[64] = '@';
	memset(buf + 65, 'd', n - 65 - 4);
	memcpy(buf + n - 4, ".org", 5);
}

static void
test_email_length_bound(void **state)
{
	char in[UL_EMAIL_MAX + 2], out[UL_EMAIL_MAX + 1];

	(void)state;
	long_address(in, UL_EMAIL_MAX);
	assert_int_equal(strlen(in), 254);
	assert_int_equal(ul_email_normalise(in, out), 0);
	assert_string_equal(out, in);
	long_address(in, UL_EMAIL_MAX + 1);
	assert_int_equal(strlen(in), 255);
	assert_int_equal(ul_email_normalise(in, out), UL_EINVAL);
}

/* STYLE.md habit 4, outputs set only on success: every refusal leaves
 * `out` empty, one found part-way through the address (a control
 * character) as much as one found at the end (no dot). */
static void
test_email_refusal_leaves_output_empty(void **state)
{
	char out[UL_EMAIL_MAX + 1];

	(void)state;
	memset(out, 'z', sizeof(out));
	assert_int_equal(ul_email_normalise("ann@localhost", out), UL_EINVAL);
	assert_int_equal(out[0], '\0');
	memset(out, 'z', sizeof(out));
	assert_int_equal(ul_email_normalise("ann\x01@example.org", out), UL_EINVAL);
	assert_int_equal(out[0], '\0');
}

/* ---- codes ---- */

static void
assert_code_format(const char *c)
{
	assert_int_equal(strlen(c), UL_CODE_TEXT_MAX - 1);
	for (int i = 0; i < UL_CODE_TEXT_MAX - 1; i++) {
		if (i == 5)
			assert_int_equal(c[i], '-');
		else
			assert_non_null(strchr(crockford, c[i]));
	}
}

static void
test_code_new_format(void **state)
{
	char c[UL_CODE_TEXT_MAX], d[UL_CODE_TEXT_MAX];

	(void)state;
	for (int i = 0; i < 200; i++) {
		ul_code_new(c);
		assert_code_format(c);
	}
	ul_code_new(d);
	/* 50 random bits: two equal codes mean no randomness */
	assert_string_not_equal(c, d);
}

static void
test_code_new_normalises_to_itself(void **state)
{
	char c[UL_CODE_TEXT_MAX], n[UL_CODE_LEN + 1], want[UL_CODE_LEN + 1];

	(void)state;
	ul_code_new(c);
	memcpy(want, c, 5);
	memcpy(want + 5, c + 6, 5);
	want[10] = '\0';
	assert_int_equal(ul_code_normalise(c, n), 0);
	assert_string_equal(n, want);
}

static void
assert_code(const char *in, const char *want)
{
	char out[UL_CODE_LEN + 1];

	assert_int_equal(ul_code_normalise(in, out), 0);
	assert_string_equal(out, want);
}

static void
assert_code_refused(const char *in)
{
	char out[UL_CODE_LEN + 1];

	assert_int_equal(ul_code_normalise(in, out), UL_EINVAL);
}

static void
test_code_normalise_accepts_variants(void **state)
{
	(void)state;
	assert_code("ABCDE-FGHJK", "ABCDEFGHJK");
	assert_code("abcde-fghjk", "ABCDEFGHJK");
	assert_code("abcdefghjk", "ABCDEFGHJK");
	assert_code("0123456789", "0123456789");
}

static void
test_code_normalise_maps_lookalikes(void **state)
{
	(void)state;
	assert_code("OoIiL-l2345", "0011112345");
	assert_code("o1i1l-OILXY", "01111011XY");
}

static void
test_code_normalise_refuses(void **state)
{
	(void)state;
	assert_code_refused("ABCDE-FGHJ");           /* 9 */
	assert_code_refused("ABCDE-FGHJKM");         /* 11 */
	assert_code_refused("");
	assert_code_refused("ABCDE-FGHJU");          /* U is not Crockford */
	assert_code_refused("ABCDE-FGH*K");
}

/* ---- the key file and code hashes ---- */

struct fixture {
	char dir[64];
	char path[128];
	char err[512];
};

static int
setup(void **state)
{
	struct fixture *fx = test_calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/ul-keys-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/keys", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	unlink(fx->path);
	rmdir(fx->dir);
	test_free(fx);
	return 0;
}

static struct ul_keys *
load_keys(struct fixture *fx)
{
	struct ul_keys *k = NULL;

	assert_int_equal(ul_keys_load(fx->dir, &k, fx->err, sizeof(fx->err)), 0);
	assert_non_null(k);
	return k;
}

static void
test_keys_created_0600_64_bytes(void **state)
{
	struct fixture *fx = *state;
	struct ul_keys *k = load_keys(fx);
	struct stat st;

	assert_int_equal(stat(fx->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 64);
	assert_int_equal(st.st_uid, geteuid());
	ul_keys_free(k);
}

static void
test_keys_reload_reads_same_keys(void **state)
{
	struct fixture *fx = *state;
	struct ul_keys *k1 = load_keys(fx), *k2 = load_keys(fx);
	uint8_t h1[32], h2[32];

	ul_code_hash(k1, "confirm", "ann@x.org", "ABCDEFGHJK", h1);
	ul_code_hash(k2, "confirm", "ann@x.org", "ABCDEFGHJK", h2);
	assert_memory_equal(h1, h2, sizeof(h1));
	assert_memory_equal(k1->seed, k2->seed, UL_KEY_BYTES);
	ul_keys_free(k1);
	ul_keys_free(k2);
}

static void
test_keys_differ_per_store(void **state)
{
	struct fixture *fx = *state;
	struct ul_keys *k1 = load_keys(fx), *k2;
	uint8_t h1[32], h2[32];

	assert_int_equal(unlink(fx->path), 0);
	k2 = load_keys(fx);
	ul_code_hash(k1, "confirm", "ann@x.org", "ABCDEFGHJK", h1);
	ul_code_hash(k2, "confirm", "ann@x.org", "ABCDEFGHJK", h2);
	assert_memory_not_equal(h1, h2, sizeof(h1));
	ul_keys_free(k1);
	ul_keys_free(k2);
}

static void
test_keys_refuses_mode_0644(void **state)
{
	struct fixture *fx = *state;
	struct ul_keys *k = load_keys(fx);

	ul_keys_free(k);
	assert_int_equal(chmod(fx->path, 0644), 0);
	k = (struct ul_keys *)1;
	assert_int_equal(ul_keys_load(fx->dir, &k, fx->err, sizeof(fx->err)),
	    UL_ECONFIG);
	assert_null(k);
	assert_non_null(strstr(fx->err, fx->path));
	assert_non_null(strstr(fx->err, "0600"));
}

static void
test_keys_refuses_short_file(void **state)
{
	struct fixture *fx = *state;
	struct ul_keys *k = NULL;
	int fd = open(fx->path, O_WRONLY | O_CREAT | O_EXCL, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "short", 5), 5);
	close(fd);
	assert_int_equal(ul_keys_load(fx->dir, &k, fx->err, sizeof(fx->err)),
	    UL_ECONFIG);
	assert_null(k);
	assert_non_null(strstr(fx->err, "damaged"));
}

/* keys rotate appends a seed key: 96 bytes load as two versions, the
 * first 64 bytes' fingerprint is the file's before; a part of a key is
 * damage. */
static void
test_keys_rotated_file_loads(void **state)
{
	struct fixture *fx = *state;
	struct ul_keys *k = load_keys(fx), *r = NULL;
	char before[UL_KEYS_FINGERPRINT_MAX + 1], fp[UL_KEYS_FINGERPRINT_MAX + 1];
	uint8_t more[UL_KEY_BYTES];
	int fd;

	ul_keys_fingerprint(k, before);
	assert_int_equal(ul_keys_versions(k), 1);
	ul_keys_free(k);
	randombytes_buf(more, sizeof(more));
	fd = open(fx->path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, more, sizeof(more)), (ssize_t)sizeof(more));
	close(fd);
	k = load_keys(fx);
	assert_int_equal(ul_keys_versions(k), 2);
	assert_memory_equal(ul_keys_seed(k, 2), more, sizeof(more));
	ul_keys_fingerprint(k, fp);
	assert_string_not_equal(fp, before);
	ul_keys_fingerprint_of(k, 1, fp);
	assert_string_equal(fp, before);
	ul_keys_free(k);
	fd = open(fx->path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, more, 5), 5);
	close(fd);
	assert_int_equal(ul_keys_load(fx->dir, &r, fx->err, sizeof(fx->err)),
	    UL_ECONFIG);
	assert_null(r);
	assert_non_null(strstr(fx->err, "damaged"));
}

static void
test_keys_refuses_symlink(void **state)
{
	struct fixture *fx = *state;
	struct ul_keys *k = NULL;
	char target[128];

	snprintf(target, sizeof(target), "%s/elsewhere", fx->dir);
	assert_int_equal(symlink(target, fx->path), 0);
	assert_int_not_equal(ul_keys_load(fx->dir, &k, fx->err, sizeof(fx->err)),
	    0);
	assert_null(k);
	/* and nothing was created through the link */
	assert_int_equal(access(target, F_OK), -1);
}

static void
test_code_hash_deterministic(void **state)
{
	struct fixture *fx = *state;
	struct ul_keys *k = load_keys(fx);
	uint8_t h1[32], h2[32], zero[32] = {0};

	ul_code_hash(k, "reset", "ann@x.org", "0123456789", h1);
	ul_code_hash(k, "reset", "ann@x.org", "0123456789", h2);
	assert_memory_equal(h1, h2, sizeof(h1));
	assert_memory_not_equal(h1, zero, sizeof(h1));
	ul_keys_free(k);
}

static void
test_code_hash_differs_per_purpose_subject_code(void **state)
{
	struct fixture *fx = *state;
	struct ul_keys *k = load_keys(fx);
	uint8_t base[32], h[32];

	ul_code_hash(k, "reset", "ann@x.org", "0123456789", base);
	ul_code_hash(k, "confirm", "ann@x.org", "0123456789", h);
	assert_memory_not_equal(base, h, sizeof(h));
	ul_code_hash(k, "reset", "bo@x.org", "0123456789", h);
	assert_memory_not_equal(base, h, sizeof(h));
	ul_code_hash(k, "reset", "ann@x.org", "0123456788", h);
	assert_memory_not_equal(base, h, sizeof(h));
	/* the parts are kept apart: moving a byte across a boundary counts */
	ul_code_hash(k, "rese", "tann@x.org", "0123456789", h);
	assert_memory_not_equal(base, h, sizeof(h));
	ul_keys_free(k);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_email_trims_and_lowers),
		cmocka_unit_test(test_email_refuses_no_at),
		cmocka_unit_test(test_email_refuses_two_at),
		cmocka_unit_test(test_email_refuses_empty_parts),
		cmocka_unit_test(test_email_refuses_domain_without_dot),
		cmocka_unit_test(test_email_refuses_trailing_dot),
		cmocka_unit_test(test_email_refuses_control_and_space),
		cmocka_unit_test(test_email_length_bound),
		cmocka_unit_test(test_email_refusal_leaves_output_empty),
		cmocka_unit_test(test_code_new_format),
		cmocka_unit_test(test_code_new_normalises_to_itself),
		cmocka_unit_test(test_code_normalise_accepts_variants),
		cmocka_unit_test(test_code_normalise_maps_lookalikes),
		cmocka_unit_test(test_code_normalise_refuses),
		T(test_keys_created_0600_64_bytes),
		T(test_keys_reload_reads_same_keys),
		T(test_keys_differ_per_store),
		T(test_keys_refuses_mode_0644),
		T(test_keys_refuses_short_file),
		T(test_keys_rotated_file_loads),
		T(test_keys_refuses_symlink),
		T(test_code_hash_deterministic),
		T(test_code_hash_differs_per_purpose_subject_code),
	};

	/* as unilogind's main() does: sodium_malloc needs it */
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
