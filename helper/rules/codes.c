/* Single-use codes and keys: the alphabet, the generator, the reader and
 * the keyed hash (C1, C2). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/rules/codes.h"
#include "helper/rules/keys.h"
#include "unilogin/error.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void
ul_code_random(char *out, size_t n, bool lower, bool letter)
{
	bool has_letter;

	do {
		has_letter = false;
		for (size_t i = 0; i < n; i++) {
			char ch = crockford[randombytes_uniform(32)];

			has_letter |= isalpha((unsigned char)ch) != 0;
			out[i] = lower ? (char)tolower((unsigned char)ch) : ch;
		}
		out[n] = '\0';
	} while (letter && !has_letter);
}

int
ul_code_read(const char *in, char *out, size_t len, bool lower)
{
	size_t n = 0;

	for (; *in; in++) {
		int ch = toupper((unsigned char)*in);

		if (ch == '-' || ch == ' ')
			continue;
		if (ch == 'O')
			ch = '0';
		else if (ch == 'I' || ch == 'L')
			ch = '1';
		if (n >= len || strchr(crockford, ch) == NULL) {
			sodium_memzero(out, len + 1);
			return UL_EINVAL;
		}
		out[n++] = (char)(lower ? tolower(ch) : ch);
	}
	out[n] = '\0';
	if (n != len) {
		sodium_memzero(out, len + 1);
		return UL_EINVAL;
	}
	return 0;
}

void
ul_code_new(char out[UL_CODE_TEXT_MAX])
{
	char canon[UL_CODE_LEN + 1];

	ul_code_random(canon, UL_CODE_LEN, false, false);
	snprintf(out, UL_CODE_TEXT_MAX, "%.5s-%.5s", canon, canon + 5);
	sodium_memzero(canon, sizeof(canon));
}

int
ul_code_normalise(const char *in, char out[UL_CODE_LEN + 1])
{
	return ul_code_read(in, out, UL_CODE_LEN, false);
}

void
ul_recovery_new(char text[UL_RECOVERY_TEXT], char canon[UL_RECOVERY_LEN + 1])
{
	ul_code_random(canon, UL_RECOVERY_LEN, true, true);
	snprintf(text, UL_RECOVERY_TEXT, "%.4s-%.4s-%.4s", canon, canon + 4,
	    canon + 8);
}

void
ul_code_hash(const struct ul_keys *k, const char *purpose, const char *subject,
    const char *code, uint8_t out[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, k->code, sizeof(k->code), 32);
	crypto_generichash_update(&st, (const uint8_t *)purpose, strlen(purpose) + 1);
	crypto_generichash_update(&st, (const uint8_t *)subject, strlen(subject) + 1);
	crypto_generichash_update(&st, (const uint8_t *)code, strlen(code));
	crypto_generichash_final(&st, out, 32);
	sodium_memzero(&st, sizeof(st));
}
