/* Tests of common/sshkey.c (K1): real keys of every accepted type (made
 * by ssh-keygen, with the fingerprints it prints), and hand-made blobs
 * that break one rule each: the inner type, the sizes, RSA below 2048
 * bits, a non-canonical mpint or base64, bytes left over, options, line
 * breaks and control characters, the length bounds; SSH_AUTH_INFO_0. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/sshkey.h"
#include "unilogin/error.h"

/* an ed25519 key and the fingerprint `ssh-keygen -lf` prints for it */
#define ED25519 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C7okWi0dh2l9GAJl"
#define ED25519_FP "SHA256:N1Mv+EP82dCI4G7F4zDbVsEcCX/3RcbW5EV+bGyLxI4"

static char why[256];

/* A blob of SSH strings (each given with its length), as base64. */
static void
blob_of(char *out, size_t n, const uint8_t *parts[], const size_t lens[], int count)
{
	uint8_t buf[4096];
	size_t len = 0;

	for (int i = 0; i < count; i++) {
		buf[len] = (uint8_t)(lens[i] >> 24);
		buf[len + 1] = (uint8_t)(lens[i] >> 16);
		buf[len + 2] = (uint8_t)(lens[i] >> 8);
		buf[len + 3] = (uint8_t)lens[i];
		memcpy(buf + len + 4, parts[i], lens[i]);
		len += 4 + lens[i];
	}
	sodium_bin2base64(out, n, buf, len, sodium_base64_VARIANT_ORIGINAL);
}

static int
parse(const char *line, struct ul_sshkey_info *k)
{
	return ul_sshkey_parse(line, strlen(line), k, why, sizeof(why));
}

static void
refused(const char *line, const char *reason)
{
	struct ul_sshkey_info k;

	assert_int_equal(parse(line, &k), UL_EBADKEY);
	if (strstr(why, reason) == NULL)
		fail_msg("[%s] not in [%s]", reason, why);
	assert_string_equal(k.fingerprint, "");
}

static void
test_ed25519_and_fingerprint(void **state)
{
	struct ul_sshkey_info k;

	(void)state;
	assert_int_equal(parse(ED25519 " alice@laptop", &k), 0);
	assert_string_equal(k.type, "ssh-ed25519");
	assert_string_equal(k.fingerprint, ED25519_FP);
	assert_string_equal(k.comment, "alice@laptop");
	assert_int_equal(k.bits, 256);
	assert_int_equal(parse("  " ED25519 "  two words  ", &k), 0);
	assert_string_equal(k.comment, "two words");
	assert_int_equal(parse(ED25519, &k), 0);
	assert_string_equal(k.comment, "");
}

static void
make_rsa(char *line, size_t n, unsigned bytes, uint8_t first, const char *type)
{
	static uint8_t mod[2100];
	const uint8_t e[] = {0x01, 0x00, 0x01};
	const uint8_t *parts[3] = {(const uint8_t *)"ssh-rsa", e, mod};
	size_t lens[3] = {7, sizeof(e), bytes};
	char b64[3000];

	memset(mod, 0xa5, sizeof(mod));
	mod[0] = first;
	blob_of(b64, sizeof(b64), parts, lens, 3);
	snprintf(line, n, "%s %s", type, b64);
}

static void
test_rsa_sizes(void **state)
{
	struct ul_sshkey_info k;
	char line[4200];

	(void)state;
	/* 257 bytes with a leading zero: a 2048-bit positive modulus */
	{
		/* the byte after the zero must have its high bit set */
		static uint8_t mod[257];
		const uint8_t e[] = {0x01, 0x00, 0x01};
		const uint8_t *parts[3] = {(const uint8_t *)"ssh-rsa", e, mod};
		size_t lens[3] = {7, sizeof(e), sizeof(mod)};
		char b64[3000];

		memset(mod, 0xa5, sizeof(mod));
		mod[0] = 0;
		blob_of(b64, sizeof(b64), parts, lens, 3);
		snprintf(line, sizeof(line), "ssh-rsa %s", b64);
		assert_int_equal(parse(line, &k), 0);
		assert_int_equal(k.bits, 2048);
		mod[1] = 0x25;      /* a needless zero: not the one encoding */
		blob_of(b64, sizeof(b64), parts, lens, 3);
		snprintf(line, sizeof(line), "ssh-rsa %s", b64);
		refused(line, "modulus is not a valid number");
	}
	make_rsa(line, sizeof(line), 128, 0x65, "ssh-rsa");     /* 1023 bits */
	refused(line, "at least 2048 bits");
	make_rsa(line, sizeof(line), 256, 0xa5, "ssh-rsa");     /* negative */
	refused(line, "modulus is not a valid number");
	make_rsa(line, sizeof(line), 2050, 0x40, "ssh-rsa");    /* > 16384 */
	refused(line, "at most 16384 bits");
	make_rsa(line, sizeof(line), 257, 0x00, "ssh-ed25519");
	refused(line, "not of type ssh-ed25519");
}

static void
test_ecdsa_and_sk(void **state)
{
	struct ul_sshkey_info k;
	uint8_t point[133];
	const uint8_t *parts[4];
	size_t lens[4];
	char b64[600], line[800];

	(void)state;
	memset(point, 7, sizeof(point));
	point[0] = 4;
	parts[0] = (const uint8_t *)"ecdsa-sha2-nistp384";
	lens[0] = 19;
	parts[1] = (const uint8_t *)"nistp384";
	lens[1] = 8;
	parts[2] = point;
	lens[2] = 97;
	blob_of(b64, sizeof(b64), parts, lens, 3);
	snprintf(line, sizeof(line), "ecdsa-sha2-nistp384 %s", b64);
	assert_int_equal(parse(line, &k), 0);
	assert_int_equal(k.bits, 384);
	snprintf(line, sizeof(line), "ecdsa-sha2-nistp256 %s", b64);
	refused(line, "not of type ecdsa-sha2-nistp256");
	lens[2] = 65;       /* the point of another curve */
	blob_of(b64, sizeof(b64), parts, lens, 3);
	snprintf(line, sizeof(line), "ecdsa-sha2-nistp384 %s", b64);
	refused(line, "uncompressed point");
	/* a FIDO key: the point, then the application */
	parts[0] = (const uint8_t *)"sk-ecdsa-sha2-nistp256@openssh.com";
	lens[0] = strlen((const char *)parts[0]);
	parts[1] = (const uint8_t *)"nistp256";
	lens[1] = 8;
	lens[2] = 65;
	parts[3] = (const uint8_t *)"ssh:";
	lens[3] = 4;
	blob_of(b64, sizeof(b64), parts, lens, 4);
	snprintf(line, sizeof(line), "%s %s yubikey", (const char *)parts[0], b64);
	assert_int_equal(parse(line, &k), 0);
	assert_string_equal(k.type, "sk-ecdsa-sha2-nistp256@openssh.com");
	blob_of(b64, sizeof(b64), parts, lens, 3);     /* no application */
	snprintf(line, sizeof(line), "%s %s", (const char *)parts[0], b64);
	refused(line, "application");
	parts[0] = (const uint8_t *)"sk-ssh-ed25519@openssh.com";
	lens[0] = strlen((const char *)parts[0]);
	parts[1] = point;
	lens[1] = 32;
	parts[2] = (const uint8_t *)"ssh:";
	lens[2] = 4;
	blob_of(b64, sizeof(b64), parts, lens, 3);
	snprintf(line, sizeof(line), "%s %s", (const char *)parts[0], b64);
	assert_int_equal(parse(line, &k), 0);
	lens[1] = 31;
	blob_of(b64, sizeof(b64), parts, lens, 3);
	snprintf(line, sizeof(line), "%s %s", (const char *)parts[0], b64);
	refused(line, "32 bytes");
}

static void
test_blob_shape(void **state)
{
	uint8_t pk[40];
	const uint8_t *parts[3] = {(const uint8_t *)"ssh-ed25519", pk, pk};
	size_t lens[3] = {11, 32, 1};
	char b64[200], line[300];

	(void)state;
	memset(pk, 1, sizeof(pk));
	blob_of(b64, sizeof(b64), parts, lens, 3);
	snprintf(line, sizeof(line), "ssh-ed25519 %s", b64);
	refused(line, "bytes too many");
	blob_of(b64, sizeof(b64), parts, lens, 1);
	snprintf(line, sizeof(line), "ssh-ed25519 %s", b64);
	refused(line, "32 bytes");
	refused("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C7okWi0dh2l9GAJ",
	    "base64");
	/* a blob whose base64 ends in padding: set its unused bits, and the
	 * same key would have a second spelling */
	{
		const uint8_t *sk[3] = {(const uint8_t *)"sk-ssh-ed25519@openssh.com", pk,
		    (const uint8_t *)"ssh:"};
		size_t sklens[3] = {26, 32, 4};
		struct ul_sshkey_info k;
		char *eq;

		blob_of(b64, sizeof(b64), sk, sklens, 3);
		snprintf(line, sizeof(line), "sk-ssh-ed25519@openssh.com %s", b64);
		assert_int_equal(parse(line, &k), 0);
		eq = strchr(line, '=');
		assert_non_null(eq);
		eq[-1] = eq[-1] == 'A' ? 'B' : (char)(eq[-1] + 1);
		refused(line, "base64");
	}
	refused("ssh-ed25519 AAAA", "cut short");
	refused("ssh-ed25519", "missing");
	refused("ssh-ed25519 !!!!", "base64");
}

static void
test_line_rules(void **state)
{
	char big[UL_SSHKEY_LINE_MAX + 100];

	(void)state;
	refused("command=\"/bin/sh\" " ED25519, "options before the key type");
	refused("no-pty " ED25519, "options before the key type");
	refused(ED25519 "\n" ED25519, "line break");
	refused(ED25519 " a\rb", "line break");
	refused(ED25519 " \033[2J", "control character");
	refused("", "no key");
	refused("   ", "no key");
	refused("ssh-dss AAAAB3NzaC1kc3M=", "unknown key type");
	refused("ssh-ed25519-cert-v01@openssh.com AAAA", "certificates");
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "ssh-rsa ", 8);
	refused(big, "too long");
	memset(big, 'x', 300);
	snprintf(big + 300, 100, "%s", "");
	{
		char line[1024];

		snprintf(line, sizeof(line), "%s %.*s", ED25519, 256, big);
		refused(line, "comment is too long");
	}
	/* an unterminated buffer: the parser reads len bytes only */
	{
		struct ul_sshkey_info k;
		char buf[sizeof(ED25519) + 8];

		memcpy(buf, ED25519 " trailing", sizeof(buf));
		assert_int_equal(ul_sshkey_parse(buf, strlen(ED25519), &k, why,
		    sizeof(why)), 0);
		assert_string_equal(k.comment, "");
	}
}

static void
test_auth_info(void **state)
{
	char key[UL_SSHKEY_LINE_MAX + 1];

	(void)state;
	assert_int_equal(ul_sshkey_from_auth_info("publickey " ED25519 "\n"
	    "keyboard-interactive/pam\n", key, sizeof(key)), 0);
	assert_string_equal(key, ED25519);
	assert_int_equal(ul_sshkey_from_auth_info("password\n", key, sizeof(key)),
	    UL_ENOTFOUND);
	assert_int_equal(ul_sshkey_from_auth_info("", key, sizeof(key)), UL_ENOTFOUND);
	assert_int_equal(ul_sshkey_from_auth_info("publickey \n", key, sizeof(key)),
	    UL_ENOTFOUND);
	assert_int_equal(ul_sshkey_from_auth_info("publickey " ED25519, key, 10),
	    UL_ENOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ed25519_and_fingerprint),
		cmocka_unit_test(test_rsa_sizes),
		cmocka_unit_test(test_ecdsa_and_sk),
		cmocka_unit_test(test_blob_shape),
		cmocka_unit_test(test_line_rules),
		cmocka_unit_test(test_auth_info),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
