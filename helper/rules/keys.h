/* The helper's own secrets (the codes made with them: rules/codes.h).
 *
 * The key file `keys` in state_dir (0600, the helper's user, created on
 * first start) holds a key for hashing codes and keys (keyed BLAKE2b) and
 * a key for encrypting TOTP seeds at rest, 64 bytes; each rotation
 * (`uniloginctl keys rotate`) appends a newer seed key of 32 bytes, up to
 * UL_KEYS_VERSIONS in all.  The newest seals every new seed; a seed opens
 * with whichever version sealed it.  The code key stays: the hashes made
 * with it (recovery codes, API keys) live on.  In memory the keys live in
 * guarded, locked pages. */
#ifndef UL_KEYS_H
#define UL_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "unilogin/proto.h"

#define UL_KEY_BYTES 32

#define UL_KEYS_VERSIONS 16
#define UL_KEYS_FILE_MIN (2 * UL_KEY_BYTES)

struct ul_keys {
	uint8_t code[UL_KEY_BYTES];
	uint8_t seed[UL_KEY_BYTES];             /* version 1 */
	uint8_t newer[UL_KEYS_VERSIONS - 1][UL_KEY_BYTES];  /* 2, 3, ... */
	unsigned versions;                      /* seed keys: 1 + newer */
};

/* How many seed key versions k holds (1 to UL_KEYS_VERSIONS, whatever
 * versions says), and version v of them (1 = seed, the oldest). */
unsigned ul_keys_versions(const struct ul_keys *k);
const uint8_t *ul_keys_seed(const struct ul_keys *k, unsigned v);

int ul_keys_load(const char *state_dir, struct ul_keys **out, char *err,
    size_t errlen) __attribute__((warn_unused_result));
void ul_keys_free(struct ul_keys *k);

/* What names the keys without giving them away: "blake2b:" and 64 hex
 * digits of a hash of both keys under a label of its own.  Equal on every
 * helper that holds the same keys file (a fleet's: `uniloginctl keys
 * fingerprint`). */
void ul_keys_fingerprint(const struct ul_keys *k,
    char out[UL_KEYS_FINGERPRINT_MAX + 1]);
/* The fingerprint of the file as it was with its first `versions` seed
 * keys (before the later rotations): how a fleet that recorded it knows a
 * rotated file for its own. */
void ul_keys_fingerprint_of(const struct ul_keys *k, unsigned versions,
    char out[UL_KEYS_FINGERPRINT_MAX + 1]);

#endif
