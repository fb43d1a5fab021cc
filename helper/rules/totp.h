/* TOTP (RFC 6238, SHA-1, 30 s) through liboath, and the seeds' life: made
 * from libsodium's random bytes, sealed at rest with XChaCha20-Poly1305
 * under the helper's seed key, bound to the user's id and the method id. */
#ifndef UL_TOTP_H
#define UL_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "helper/rules/keys.h"

#define UL_TOTP_SEED_BYTES 20
#define UL_TOTP_PERIOD 30

/* Call once at start (liboath). */
int ul_totp_init(void);

void ul_totp_new_seed(uint8_t seed[UL_TOTP_SEED_BYTES]);
void ul_totp_seal(const struct ul_keys *k, const char *user_id, uint32_t id,
    const uint8_t seed[UL_TOTP_SEED_BYTES], uint8_t box[60]);
/* UL_ESTORE when the box does not open (damaged, or not this user's). */
int ul_totp_open(const struct ul_keys *k, const char *user_id, uint32_t id,
    const uint8_t box[60], uint8_t seed[UL_TOTP_SEED_BYTES])
    __attribute__((warn_unused_result));

/* The time step of a unix time. */
int64_t ul_totp_step(int64_t now);

/* Looks for the step within now's step +- window, later than `after`, whose
 * code is `code` at exactly `digits` digits (compared in constant time).
 * 0 and *step, or UL_EAUTH. */
int ul_totp_match(const uint8_t seed[UL_TOTP_SEED_BYTES], unsigned digits,
    unsigned window, int64_t now, int64_t after, const char *code,
    int64_t *step) __attribute__((warn_unused_result));

/* The seed in base32 (for manual entry) and the Key URI
 * otpauth://totp/ISSUER:EMAIL?secret=...&issuer=...&digits=N&period=30. */
int ul_totp_base32(const uint8_t seed[UL_TOTP_SEED_BYTES], char *out, size_t n);
int ul_totp_uri(const char *issuer, const char *email, const char *secret,
    unsigned digits, char *out, size_t n);

#endif
