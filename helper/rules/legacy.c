/* crypt(5) hashes from /etc/shadow, through libxcrypt: the system's own
 * crypt, which knows every method a Debian shadow file holds. */
#include "config.h"

#include <crypt.h>
#include <string.h>

#include <sodium.h>

#include "helper/rules/legacy.h"
#include "unilogin/error.h"

bool
ul_legacy_is_crypt(const char *hash)
{
	return hash[0] != '\0' && strncmp(hash, "$argon2", 7) != 0;
}

bool
ul_legacy_hash_usable(const char *hash)
{
	static const char *const methods[] = {"$y$", "$6$", "$5$", "$2b$", "$2y$",
	    "$2a$"};
	int r;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (strncmp(hash, methods[i], strlen(methods[i])) != 0)
			continue;
		/* libxcrypt calls SHA-256 "legacy" and a cheap bcrypt "too
		 * cheap": both still verify, and the first login replaces them
		 * with argon2id (U3); a malformed or disabled one never does */
		r = crypt_checksalt(hash);
		return r == CRYPT_SALT_OK || r == CRYPT_SALT_METHOD_LEGACY ||
		    r == CRYPT_SALT_TOO_CHEAP;
	}
	return false;
}

int
ul_legacy_verify(const char *hash, const char *password)
{
	/* struct crypt_data is 32 KiB: one per thread, in locked memory,
	 * made once (the KDF pool's threads live as long as the helper) */
	static _Thread_local struct crypt_data *data;
	const char *out;
	size_t n = strlen(hash);
	int r = UL_EAUTH;

	if (!ul_legacy_hash_usable(hash))
		return UL_EAUTH;
	if (data == NULL && (data = sodium_malloc(sizeof(*data))) == NULL)
		return UL_ENOMEM;
	memset(data, 0, sizeof(*data));
	out = crypt_r(password, hash, data);
	/* a failure is "*0" or "*1", never the hash itself */
	if (out != NULL && out[0] != '*' && strlen(out) == n &&
	    sodium_memcmp(out, hash, n) == 0)
		r = 0;
	sodium_memzero(data, sizeof(*data));
	return r;
}
