/* The KDF worker's kept argon2 memory (kdfmem.c): libsodium's argon2 map
 * and unmap, in a KDF worker process, lend it one region kept between
 * hashes and wiped after each. */
#ifndef UL_KDFMEM_H
#define UL_KDFMEM_H

#include <stdbool.h>
#include <stddef.h>

/* A KDF worker lets the arena go after this long without a request. */
#define KDF_IDLE_MS 5000

struct ul_kdfmem_stats {
	unsigned long maps;         /* arenas mapped */
	unsigned long lends;        /* hashes that ran in one */
	unsigned long releases;     /* arenas let go */
	size_t held;                /* bytes held now (0: none) */
	const void *base;           /* where (the tests read it) */
};

/* From now on argon2's maps in this process get the arena (on), or the
 * C library's maps again (off: an arena held stays until released): only
 * a KDF worker (single-threaded) calls it, the unit tests and
 * bench/kdfarena. */
void ul_kdfmem_arm(bool on);
/* Unmaps the arena unless a hash holds it. */
void ul_kdfmem_release(void);
void ul_kdfmem_stats(struct ul_kdfmem_stats *s);

#endif
