/* Small helpers every room uses: clocks, I/O with a deadline, secrets. */
#ifndef UL_UTIL_H
#define UL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Milliseconds on the monotonic clock, for deadlines. */
int64_t ul_monotonic_ms(void);

/* Write all of buf, or read exactly len bytes, before the deadline
 * (monotonic ms).  0, UL_ETIMEDOUT, or UL_EIO (peer gone or error). */
int ul_write_all(int fd, const void *buf, size_t len, int64_t deadline);
int ul_read_full(int fd, void *buf, size_t len, int64_t deadline);

/* Wipe a NUL-terminated secret in place; wipe and free a heap secret. */
void ul_wipe_str(char *s);
void ul_free_secret(char *s);
static inline void
ul_secret_cleanup(char **p)
{
	ul_free_secret(*p);
	*p = NULL;
}
/* A heap string that is wiped and freed when it goes out of scope. */
#define UL_SECRET __attribute__((cleanup(ul_secret_cleanup)))

/* Text from a client made safe for a log line, the store's history or a
 * terminal: copies in into out (n bytes, NUL included), every control
 * character (C0, DEL, C1, a tab, a newline), bidi override and invalid
 * UTF-8 byte as '?'.  Returns out. */
char *ul_text_safe(const char *in, char *out, size_t n);

/* Copies src into dst of size n; UL_ETOOBIG when it does not fit. */
int ul_strlcpy(char *dst, const char *src, size_t n);

/* Resolves a user from /etc/passwd only (no NSS: the helper must not ask
 * itself, S5).  0 or UL_ENOTFOUND. */
int ul_files_uid(const char *user, uid_t *uid, gid_t *gid);
int ul_files_gid(const char *group, gid_t *gid);
/* True when a user of /etc/passwd has this uid or a group of /etc/group
 * this gid; ..._name_taken for a user's or group's name.  Both read the
 * files again only when one changed (and answer true when memory ran out). */
bool ul_files_id_taken(uint32_t id);
bool ul_files_name_taken(const char *name);
/* ul_files_hold(true): until ul_files_hold(false), the calling thread's
 * questions look at the files once, at the first (an import batch: the
 * files as they were when the batch began, not two stat calls for each
 * of its accounts' uid and name). */
void ul_files_hold(bool on);

#define UL_STRINGIFY_(x) #x
#define UL_STRINGIFY(x) UL_STRINGIFY_(x)

#endif
