/* Single-use codes and keys (C1, C2): one alphabet (Crockford's base32),
 * one generator and one reader for every kind, and the keyed hash that is
 * all the store ever holds of them.
 *
 *   confirmation and reset codes  XXXXX-XXXXX     (10, upper case)
 *   recovery codes                xxxx-xxxx-xxxx  (12, lower case, never
 *                                                  all digits: it could pass
 *                                                  for a TOTP code)
 *   API keys                      ulk_<8>_<32>    (lower case) */
#ifndef UL_RULES_CODES_H
#define UL_RULES_CODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ul_keys;

#define UL_CODE_LEN 10              /* confirmation and reset codes */
#define UL_CODE_TEXT_MAX 12         /* "XXXXX-XXXXX" + NUL */
#define UL_RECOVERY_LEN 12
#define UL_RECOVERY_TEXT 15         /* "xxxx-xxxx-xxxx" + NUL */

/* n random characters of the alphabet (lower case when `lower`), never all
 * digits when `letter`; out holds n + 1 bytes. */
void ul_code_random(char *out, size_t n, bool lower, bool letter);

/* Reads a code as typed: case, hyphens, blanks and Crockford's look-alikes
 * (O -> 0, I and L -> 1) do not matter.  out gets exactly `len` canonical
 * characters (lower case when `lower`) and a NUL; UL_EINVAL (out wiped)
 * when the text cannot be such a code. */
int ul_code_read(const char *in, char *out, size_t len, bool lower)
    __attribute__((warn_unused_result));

/* A new confirmation or reset code, "XXXXX-XXXXX". */
void ul_code_new(char out[UL_CODE_TEXT_MAX]);
/* A typed confirmation or reset code, as its 10 canonical characters. */
int ul_code_normalise(const char *in, char out[UL_CODE_LEN + 1])
    __attribute__((warn_unused_result));

/* A new recovery code: text "xxxx-xxxx-xxxx", canon its 12 characters. */
void ul_recovery_new(char text[UL_RECOVERY_TEXT], char canon[UL_RECOVERY_LEN + 1]);

/* Keyed BLAKE2b of a (canonical) code or key for one purpose and one
 * subject (an email, a user id, a key id), C2: a code for one use cannot
 * pass for another. */
void ul_code_hash(const struct ul_keys *k, const char *purpose,
    const char *subject, const char *code, uint8_t out[32]);

#endif
