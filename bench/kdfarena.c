/* kdfarena: how the helper's KDF workers hash: libsodium in memory kept
 * between hashes (helper/rules/kdfmem.c), not libargon2 over an arena nor
 * libsodium's own map per hash (issue 14, bench/RESULTS.md).
 *
 *   bench/kdfarena [N]     (`make bench-kdf`)
 *
 * Alternates N argon2id hashes at the `interactive` cost (64 MiB, t = 2,
 * one lane) of each: Debian's libargon2 (libargon2-dev) through argon2_ctx
 * with allocate_cbk/free_cbk handing it one arena mapped once, faulted in
 * and madvise(MADV_HUGEPAGE)d; libsodium's crypto_pwhash, which maps its
 * memory and unmaps it at every hash; and crypto_pwhash again with
 * kdfmem.c's kept region armed, as in a KDF worker (wiped after every
 * hash).  Prints the medians and their ratios, and whether libargon2 and
 * kdfmem.c left their memory wiped after the last hash. */
#include <argon2.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "helper/rules/kdfmem.h"

#define MEM_KIB 65536u
#define PASSES 2u

static void *arena;
static const size_t arena_size = (size_t)MEM_KIB << 10;

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int
arena_get(uint8_t **memory, size_t n)
{
	if (n > arena_size)
		return -1;
	*memory = arena;
	return 0;
}

static void
arena_put(uint8_t *memory, size_t n)
{
	(void)memory;
	(void)n;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 30;
	uint8_t out[32], salt[16] = {1};
	struct ul_kdfmem_stats ks;
	double *a, *b, *k;
	size_t dirty = 0, kdirty = 0;

	if (n < 1 || sodium_init() < 0)
		return 2;
	a = calloc((size_t)n, sizeof(*a));
	b = calloc((size_t)n, sizeof(*b));
	k = calloc((size_t)n, sizeof(*k));
	arena = mmap(NULL, arena_size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == NULL || b == NULL || k == NULL || arena == MAP_FAILED)
		return 1;
	(void)madvise(arena, arena_size, MADV_HUGEPAGE);
	memset(arena, 1, arena_size);
	for (int i = 0; i < n; i++) {
		argon2_context c = {.out = out, .outlen = sizeof(out),
		    .pwd = (uint8_t *)"password", .pwdlen = 8, .salt = salt,
		    .saltlen = sizeof(salt), .t_cost = PASSES, .m_cost = MEM_KIB,
		    .lanes = 1, .threads = 1, .version = ARGON2_VERSION_13,
		    .allocate_cbk = arena_get, .free_cbk = arena_put};
		double t = now();

		if (argon2_ctx(&c, Argon2_id) != ARGON2_OK)
			return 1;
		a[i] = now() - t;
		t = now();
		if (crypto_pwhash(out, sizeof(out), "password", 8, salt, PASSES,
			arena_size, crypto_pwhash_ALG_ARGON2ID13) != 0)
			return 1;
		b[i] = now() - t;
		ul_kdfmem_arm(true);
		t = now();
		if (crypto_pwhash(out, sizeof(out), "password", 8, salt, PASSES,
			arena_size, crypto_pwhash_ALG_ARGON2ID13) != 0)
			return 1;
		k[i] = now() - t;
		ul_kdfmem_arm(false);
	}
	ul_kdfmem_stats(&ks);
	for (size_t j = 0; ks.base != NULL && j < ks.held; j++)
		kdirty += ((const uint8_t *)ks.base)[j] != 0;
	for (size_t j = 0; j < arena_size; j++)
		dirty += ((const uint8_t *)arena)[j] != 0;
	qsort(a, (size_t)n, sizeof(*a), cmp);
	qsort(b, (size_t)n, sizeof(*b), cmp);
	qsort(k, (size_t)n, sizeof(*k), cmp);
	printf("argon2id 64 MiB t=2, median of %d: libargon2 over a kept arena %.1f ms, "
	    "libsodium %.1f ms: %.2f x; arena bytes left non-zero: %zu\n", n,
	    a[n / 2] * 1e3, b[n / 2] * 1e3, a[n / 2] / b[n / 2], dirty);
	printf("libsodium in kdfmem.c's kept region, wiped after each hash (%lu map(s) "
	    "for %lu hashes): %.1f ms, %.2f x of libsodium's own maps; bytes left "
	    "non-zero: %zu\n", ks.maps, ks.lends, k[n / 2] * 1e3, k[n / 2] / b[n / 2],
	    kdirty);
	return 0;
}
