/* Small helpers every room uses: clocks, I/O with a deadline, secrets. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "unilogin/error.h"

int64_t
ul_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
wait_for(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};

	for (;;) {
		int64_t left = deadline - ul_monotonic_ms();
		int r;

		if (left <= 0)
			return UL_ETIMEDOUT;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return UL_EIO;
	}
}

int
ul_write_all(int fd, const void *buf, size_t len, int64_t deadline)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = wait_for(fd, POLLOUT, deadline);

			if (r != 0)
				return r;
			continue;
		}
		return UL_EIO;
	}
	return 0;
}

int
ul_read_full(int fd, void *buf, size_t len, int64_t deadline)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = recv(fd, p, len, MSG_DONTWAIT);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0)
			return UL_EIO;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			int r = wait_for(fd, POLLIN, deadline);

			if (r != 0)
				return r;
			continue;
		}
		return UL_EIO;
	}
	return 0;
}

void
ul_wipe_str(char *s)
{
	if (s != NULL)
		sodium_memzero(s, strlen(s));
}

void
ul_free_secret(char *s)
{
	ul_wipe_str(s);
	free(s);
}

int
ul_strlcpy(char *dst, const char *src, size_t n)
{
	size_t len = strlen(src);

	if (len >= n)
		return UL_ETOOBIG;
	memcpy(dst, src, len + 1);
	return 0;
}

int
ul_files_uid(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd pwbuf, *pw;
	char buf[4096];
	FILE *f = fopen("/etc/passwd", "re");
	int r = UL_ENOTFOUND;

	if (f == NULL)
		return UL_ENOTFOUND;
	while (fgetpwent_r(f, &pwbuf, buf, sizeof(buf), &pw) == 0)
		if (strcmp(pw->pw_name, user) == 0) {
			*uid = pw->pw_uid;
			if (gid)
				*gid = pw->pw_gid;
			r = 0;
			break;
		}
	fclose(f);
	return r;
}

int
ul_files_gid(const char *group, gid_t *gid)
{
	struct group grbuf, *gr;
	char buf[16384];
	FILE *f = fopen("/etc/group", "re");
	int r = UL_ENOTFOUND;

	if (f == NULL)
		return UL_ENOTFOUND;
	while (fgetgrent_r(f, &grbuf, buf, sizeof(buf), &gr) == 0)
		if (strcmp(gr->gr_name, group) == 0) {
			*gid = gr->gr_gid;
			r = 0;
			break;
		}
	fclose(f);
	return r;
}

/* The uids and names of /etc/passwd and the gids and names of /etc/group,
 * sorted, kept until either file changes (an import asks for every account
 * it brings: one stat of each file instead of a parse of both). */
struct file_stamp {
	bool present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

static struct {
	pthread_mutex_t lock;
	bool loaded;
	struct file_stamp pw, gr;
	uint32_t *ids;
	size_t n;
	char **names;
	size_t nnames;
} local_ids = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct file_stamp
stamp_of(const char *path)
{
	struct file_stamp s = {0};
	struct stat st;

	if (stat(path, &st) == 0)
		s = (struct file_stamp){.present = true, .dev = st.st_dev,
		    .ino = st.st_ino, .size = st.st_size, .mtime = st.st_mtim,
		    .ctime = st.st_ctim};
	return s;
}

static bool
same_stamp(const struct file_stamp *a, const struct file_stamp *b)
{
	return a->present == b->present && a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec && a->ctime.tv_sec == b->ctime.tv_sec &&
	    a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static int
cmp_id(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct id_list {
	uint32_t *ids;
	size_t n, cap;
	char **names;
	size_t nnames, capnames;
};

static void
free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static bool
add_name(struct id_list *l, const char *name)
{
	char *copy;

	if (l->nnames == l->capnames) {
		size_t c = l->capnames ? l->capnames * 2 : 64;
		char **p = realloc(l->names, c * sizeof(*p));

		if (p == NULL)
			return false;
		l->names = p;
		l->capnames = c;
	}
	if ((copy = strdup(name)) == NULL)
		return false;
	l->names[l->nnames++] = copy;
	return true;
}

static bool
add_id(uint32_t **ids, size_t *n, size_t *cap, uint32_t id)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		uint32_t *p = realloc(*ids, c * sizeof(*p));

		if (p == NULL)
			return false;
		*ids = p;
		*cap = c;
	}
	(*ids)[(*n)++] = id;
	return true;
}

/* Reads both files into local_ids (lock held); false when out of memory. */
static bool
load_local_ids(void)
{
	struct passwd pwbuf, *pw;
	struct group grbuf, *gr;
	char buf[16384];
	struct id_list l = {0};
	bool ok = true;
	FILE *f = fopen("/etc/passwd", "re");

	if (f != NULL) {
		while (ok && fgetpwent_r(f, &pwbuf, buf, sizeof(buf), &pw) == 0)
			ok = add_id(&l.ids, &l.n, &l.cap, pw->pw_uid) && add_name(&l, pw->pw_name);
		fclose(f);
	}
	if (ok && (f = fopen("/etc/group", "re")) != NULL) {
		while (ok && fgetgrent_r(f, &grbuf, buf, sizeof(buf), &gr) == 0)
			ok = add_id(&l.ids, &l.n, &l.cap, gr->gr_gid) && add_name(&l, gr->gr_name);
		fclose(f);
	}
	if (!ok) {
		free(l.ids);
		free_names(l.names, l.nnames);
		return false;
	}
	if (l.n > 0)
		qsort(l.ids, l.n, sizeof(*l.ids), cmp_id);
	if (l.nnames > 0)
		qsort(l.names, l.nnames, sizeof(*l.names), cmp_name);
	free(local_ids.ids);
	free_names(local_ids.names, local_ids.nnames);
	local_ids.ids = l.ids;
	local_ids.n = l.n;
	local_ids.names = l.names;
	local_ids.nnames = l.nnames;
	return true;
}

static _Thread_local bool files_held, files_seen;

void
ul_files_hold(bool on)
{
	files_held = on;
	files_seen = false;
}

/* local_ids as the files are now (lock held); false when out of memory. */
static bool
fresh_local_ids(void)
{
	struct file_stamp pw, gr;

	if (files_held && files_seen && local_ids.loaded)
		return true;
	files_seen = true;
	/* stamps before the read: a change during it is seen next time */
	pw = stamp_of("/etc/passwd");
	gr = stamp_of("/etc/group");
	if (!local_ids.loaded || !same_stamp(&pw, &local_ids.pw) ||
	    !same_stamp(&gr, &local_ids.gr)) {
		local_ids.loaded = load_local_ids();
		local_ids.pw = pw;
		local_ids.gr = gr;
	}
	return local_ids.loaded;
}

bool
ul_files_id_taken(uint32_t id)
{
	bool taken;

	pthread_mutex_lock(&local_ids.lock);
	/* out of memory: taken, so that no uid of a local user is handed out */
	taken = !fresh_local_ids() || (local_ids.n > 0 &&
	    bsearch(&id, local_ids.ids, local_ids.n, sizeof(id), cmp_id) != NULL);
	pthread_mutex_unlock(&local_ids.lock);
	return taken;
}

bool
ul_files_name_taken(const char *name)
{
	bool taken;

	pthread_mutex_lock(&local_ids.lock);
	taken = !fresh_local_ids() || (local_ids.nnames > 0 &&
	    bsearch(&name, local_ids.names, local_ids.nnames, sizeof(name),
	    cmp_name) != NULL);
	pthread_mutex_unlock(&local_ids.lock);
	return taken;
}

/* The length of the UTF-8 sequence at p (at most n bytes) and its code
 * point, or 0 when it is not one (overlong, surrogate, too big, cut). */
static size_t
utf8_at(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len = p[0] < 0xc2 ? 0 : p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 :
	    p[0] < 0xf5 ? 4 : 0;
	uint32_t v;

	if (len == 0 || len > n)
		return 0;
	v = p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

char *
ul_text_safe(const char *in, char *out, size_t n)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t left = strlen((const char *)p), j = 0;

	if (n == 0)
		return out;
	while (left > 0 && j + 1 < n) {
		uint32_t cp = 0;
		size_t len = p[0] < 0x80 ? 1 : utf8_at(p, left, &cp);
		bool bad = len == 0 || (len == 1 && (p[0] < 0x20 || p[0] == 0x7f)) ||
		    (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f ||
		    cp == 0x061c;

		if (bad || j + len >= n) {
			out[j++] = '?';
			len = len == 0 ? 1 : len;
		} else {
			memcpy(out + j, p, len);
			j += len;
		}
		p += len;
		left -= len;
	}
	out[j] = '\0';
	return out;
}
