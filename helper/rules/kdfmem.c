/* The KDF worker's kept argon2 memory (issue 14, item 3).
 *
 * libsodium maps its argon2 memory (64 MiB at `interactive`) with
 * MAP_POPULATE at the start of every hash and unmaps it at the end: the
 * kernel zeroes and maps 16,384 pages and takes them down again, about a
 * quarter of a hash's time on this project's VMs (bench/RESULTS.md).
 * libsodium has no allocator hook, and libargon2 (which has one) is 1.3 to
 * 1.7 times slower here.  So unilogind defines mmap and munmap, which the
 * dynamic linker resolves libsodium's calls to: every call goes on to the
 * C library's (dlsym RTLD_NEXT), except, in a KDF worker process once it
 * armed the arena, the one map shaped as argon2's (no address, anonymous,
 * private, read-write, MAP_POPULATE, at least ARENA_MIN bytes).  That one
 * gets the arena: mapped once, with huge pages where the kernel has them,
 * kept while the worker works and lent to one hash at a time.  Its unmap
 * wipes it (every byte zero again, as a fresh map would be) and keeps it;
 * the worker lets it go after KDF_IDLE_MS without a request
 * (ul_kdfmem_release), so that an idle helper at `sensitive` cost does not
 * pin kdf_parallel x 1 GiB.  The helper's own process never arms it. */
#define _GNU_SOURCE
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/types.h>

#include <sodium.h>

#include "helper/rules/kdfmem.h"

#define ARENA_MIN ((size_t)1 << 20)

typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int (*munmap_fn)(void *, size_t);

static struct {
	bool armed;                 /* a KDF worker: single-threaded */
	bool lent;                  /* to the hash that runs now */
	void *base;
	size_t len;
	struct ul_kdfmem_stats stats;
} arena;

static mmap_fn
real_mmap(void)
{
	static _Atomic(mmap_fn) fn;
	mmap_fn f = fn;

	if (f == NULL)
		fn = f = (mmap_fn)dlsym(RTLD_NEXT, "mmap");
	return f;
}

static munmap_fn
real_munmap(void)
{
	static _Atomic(munmap_fn) fn;
	munmap_fn f = fn;

	if (f == NULL)
		fn = f = (munmap_fn)dlsym(RTLD_NEXT, "munmap");
	return f;
}

static bool
argon2_shaped(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	const int want = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE;

	return addr == NULL && fd == -1 && off == 0 && len >= ARENA_MIN &&
	    prot == (PROT_READ | PROT_WRITE) && (flags & want) == want &&
	    (flags & (MAP_SHARED | MAP_FIXED)) == 0;
}

/* The arena of len bytes, mapped (and faulted in) when there is none of
 * that size: NULL when the map failed (the caller maps as libsodium
 * asked). */
static void *
arena_of(size_t len)
{
	void *p;

	if (arena.base != NULL && arena.len != len)
		ul_kdfmem_release();
	if (arena.base != NULL)
		return arena.base;
	p = real_mmap()(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* best effort: huge pages (fewer TLB misses while argon2 walks
	 * it), kept out of any core */
	(void)madvise(p, len, MADV_HUGEPAGE);
	(void)madvise(p, len, MADV_DONTDUMP);
	/* faulted in now, as MAP_POPULATE would: memory the machine does
	 * not have fails here, not in the middle of a hash (a kernel
	 * before 5.14 says EINVAL: argon2's first pass faults it in) */
#ifdef MADV_POPULATE_WRITE
	if (madvise(p, len, MADV_POPULATE_WRITE) != 0 && errno != EINVAL) {
		(void)real_munmap()(p, len);
		return NULL;
	}
#endif
	arena.base = p;
	arena.len = len;
	arena.stats.maps++;
	return p;
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p;

	if (arena.armed && !arena.lent &&
	    argon2_shaped(addr, len, prot, flags, fd, off) &&
	    (p = arena_of(len)) != NULL) {
		arena.lent = true;
		arena.stats.lends++;
		return p;
	}
	return real_mmap()(addr, len, prot, flags, fd, off);
}

int
munmap(void *addr, size_t len)
{
	if (arena.lent && addr == arena.base && len == arena.len) {
		sodium_memzero(addr, len);
		arena.lent = false;
		return 0;
	}
	return real_munmap()(addr, len);
}

void
ul_kdfmem_arm(bool on)
{
	arena.armed = on;
}

void
ul_kdfmem_release(void)
{
	if (arena.base == NULL || arena.lent)
		return;
	(void)real_munmap()(arena.base, arena.len);
	arena.base = NULL;
	arena.len = 0;
	arena.stats.releases++;
}

void
ul_kdfmem_stats(struct ul_kdfmem_stats *s)
{
	*s = arena.stats;
	s->held = arena.len;
	s->base = arena.base;
}
