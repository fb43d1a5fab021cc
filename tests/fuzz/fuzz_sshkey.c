/* libFuzzer target: the SSH public key line parser (common/sshkey.c) and
 * the SSH_AUTH_INFO_0 reader.  Properties: no crash, leak or read past
 * the input; an accepted key has a known type, a canonical blob, a
 * fingerprint of the OpenSSH form and a printable comment; it parses
 * again to the same result from its own printed line (the line
 * unilogin-keys prints); a refusal says why and leaves nothing. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/sshkey.h"
#include "tests/fuzz/fuzz.h"
#include "unilogin/error.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	FUZZ_CHECK(sodium_init() >= 0);
	return 0;
}

static void
accepted(const struct ul_sshkey_info *k)
{
	struct ul_sshkey_info again;
	char line[UL_SSHKEY_LINE_MAX + 1], why[256];

	FUZZ_CHECK(k->type[0] != '\0' && k->blob[0] != '\0');
	FUZZ_CHECK(strncmp(k->fingerprint, "SHA256:", 7) == 0 &&
	    strlen(k->fingerprint) == 50);
	FUZZ_CHECK(strchr(k->comment, '\n') == NULL && strchr(k->comment, '\r') == NULL);
	FUZZ_CHECK(k->bits >= 256);
	snprintf(line, sizeof(line), "%s %s unilogin:x", k->type, k->blob);
	FUZZ_CHECK(ul_sshkey_parse(line, strlen(line), &again, why, sizeof(why)) == 0);
	FUZZ_CHECK(strcmp(again.fingerprint, k->fingerprint) == 0);
	FUZZ_CHECK(strcmp(again.blob, k->blob) == 0 && again.bits == k->bits);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ul_sshkey_info k;
	char why[256], key[UL_SSHKEY_LINE_MAX + 1];
	char *copy = malloc(size + 1);
	int r;

	FUZZ_CHECK(copy != NULL);
	memcpy(copy, data, size);
	copy[size] = '\0';
	/* the exact bytes, unterminated: the parser must stay inside them */
	r = ul_sshkey_parse((const char *)data, size, &k, why, sizeof(why));
	if (r == 0) {
		accepted(&k);
		FUZZ_CHECK(memchr(data, '\n', size) == NULL);
	} else {
		FUZZ_CHECK(r == UL_EBADKEY && why[0] != '\0');
		FUZZ_CHECK(k.type[0] == '\0' && k.fingerprint[0] == '\0');
	}
	if (ul_sshkey_from_auth_info(copy, key, sizeof(key)) == 0)
		FUZZ_CHECK(strchr(key, '\n') == NULL);
	free(copy);
	return 0;
}
