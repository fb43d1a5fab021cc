/* The helper's own secrets, and the single-use codes made with them (C1, C2).
 *
 * The key file `keys` in state_dir (0600, the helper's user, created on
 * first start) holds a key for hashing codes and keys (keyed BLAKE2b) and
 * a key for encrypting TOTP seeds at rest.  In memory the keys live in
 * guarded, locked pages. */
#ifndef UL_KEYS_H
#define UL_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define UL_KEY_BYTES 32
#define UL_CODE_LEN 10              /* Crockford base32 characters */
#define UL_CODE_TEXT_MAX 12         /* "XXXXX-XXXXX" + NUL */

struct ul_keys {
	uint8_t code[UL_KEY_BYTES];
	uint8_t seed[UL_KEY_BYTES];
};

int ul_keys_load(const char *state_dir, struct ul_keys **out, char *err,
    size_t errlen) __attribute__((warn_unused_result));
void ul_keys_free(struct ul_keys *k);

/* A new random code, written as "XXXXX-XXXXX". */
void ul_code_new(char out[UL_CODE_TEXT_MAX]);

/* Reads a confirmation or reset code as typed: case, hyphens and
 * Crockford's look-alikes (O->0, I/L->1) do not matter.  out gets the 10
 * canonical characters; UL_EINVAL when it cannot be such a code. */
int ul_code_normalise(const char *in, char out[UL_CODE_LEN + 1])
    __attribute__((warn_unused_result));

/* Keyed BLAKE2b of a (normalised) code or key for one purpose and one
 * subject (an email, a key id), C2: a code for one use cannot pass for
 * another. */
void ul_code_hash(const struct ul_keys *k, const char *purpose,
    const char *subject, const char *code, uint8_t out[32]);

#endif
