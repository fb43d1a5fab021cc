/* Password hashing with argon2id (U3). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/rules/kdf.h"

/* How many hashes and verifies ran: STATUS shows it, so that a test can
 * see that a wrong email costs one argon2id like a wrong password (S1). */
static _Atomic unsigned long runs;

unsigned long
ul_kdf_runs(void)
{
	return runs;
}
#include "unilogin/error.h"

int
ul_kdf_hash(const struct ul_conf *c, const char *password,
    char out[UL_HASH_STR_MAX])
{
	memset(out, 0, UL_HASH_STR_MAX);
	runs++;
	if (crypto_pwhash_str_alg(out, password, strlen(password), c->kdf_opslimit,
		c->kdf_memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return UL_ENOMEM;
	return 0;
}

int
ul_kdf_verify(const char *hash, const char *password)
{
	if (hash[0] == '\0')
		return UL_EAUTH;
	runs++;
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0
	    ? 0 : UL_EAUTH;
}

bool
ul_kdf_needs_rehash(const struct ul_conf *c, const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, c->kdf_opslimit,
	    c->kdf_memlimit) != 0;
}

bool
ul_kdf_hash_allowed(const struct ul_conf *c, const char *hash)
{
	unsigned long m, t, p;
	int used = 0;

	(void)c;
	if (sscanf(hash, "$argon2id$v=19$m=%lu,t=%lu,p=%lu$%n", &m, &t, &p, &used) != 3 ||
	    used == 0 || p != 1 || t < 1 || m < 8 ||
	    t > crypto_pwhash_OPSLIMIT_SENSITIVE ||
	    m > crypto_pwhash_MEMLIMIT_SENSITIVE / 1024)
		return false;
	/* the salt and the tag, in unpadded base64 */
	for (const char *s = hash + used; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '+' && *s != '/' && *s != '$')
			return false;
	return strchr(hash + used, '$') != NULL;
}
