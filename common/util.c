/* Small helpers every room uses: clocks, I/O with a deadline, secrets. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

bool
ul_files_id_taken(uint32_t id)
{
	struct passwd pwbuf, *pw;
	struct group grbuf, *gr;
	char buf[16384];
	bool taken = false;
	FILE *f = fopen("/etc/passwd", "re");

	if (f != NULL) {
		while (!taken && fgetpwent_r(f, &pwbuf, buf, sizeof(buf), &pw) == 0)
			taken = pw->pw_uid == id;
		fclose(f);
	}
	if (!taken && (f = fopen("/etc/group", "re")) != NULL) {
		while (!taken && fgetgrent_r(f, &grbuf, buf, sizeof(buf), &gr) == 0)
			taken = gr->gr_gid == id;
		fclose(f);
	}
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
