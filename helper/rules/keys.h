/* The helper's own secrets (the codes made with them: rules/codes.h).
 *
 * The key file `keys` in state_dir (0600, the helper's user, created on
 * first start) holds a key for hashing codes and keys (keyed BLAKE2b) and
 * a key for encrypting TOTP seeds at rest.  In memory the keys live in
 * guarded, locked pages. */
#ifndef UL_KEYS_H
#define UL_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "unilogin/proto.h"

#define UL_KEY_BYTES 32

struct ul_keys {
	uint8_t code[UL_KEY_BYTES];
	uint8_t seed[UL_KEY_BYTES];
};

int ul_keys_load(const char *state_dir, struct ul_keys **out, char *err,
    size_t errlen) __attribute__((warn_unused_result));
void ul_keys_free(struct ul_keys *k);

/* What names the keys without giving them away: "blake2b:" and 64 hex
 * digits of a hash of both keys under a label of its own.  Equal on every
 * helper that holds the same keys file (a fleet's: `uniloginctl keys
 * fingerprint`). */
void ul_keys_fingerprint(const struct ul_keys *k,
    char out[UL_KEYS_FINGERPRINT_MAX + 1]);

#endif
