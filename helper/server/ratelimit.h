/* Token buckets, one per key (a uid today), in memory: host-local state
 * that no other host needs.  A key takes `burst` tokens at first and
 * `per_min` more a minute; a full table gives the slot of the key idle the
 * longest to a new one.  Used by the event loop only (no lock). */
#ifndef UL_RATELIMIT_H
#define UL_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct ul_ratelimit;

int ul_ratelimit_new(struct ul_ratelimit **out, unsigned burst,
    unsigned per_min, unsigned slots) __attribute__((warn_unused_result));
void ul_ratelimit_free(struct ul_ratelimit *rl);
/* The bucket keys: a caller's uid, or the person a uid-0 caller speaks
 * for (any of the strings may be NULL).  Keyed hashes (SipHash under a key
 * made at start), so that nobody can aim at another's bucket. */
uint64_t ul_rate_key_uid(uid_t uid);
uint64_t ul_rate_key_person(const char *service, const char *ruser,
    const char *rhost);

/* Takes one token of key's bucket at monotonic time now_ms; false when it
 * is empty. */
bool ul_ratelimit_take(struct ul_ratelimit *rl, uint64_t key, int64_t now_ms);

#endif
