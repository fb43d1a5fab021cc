/* `uniloginctl migrate`: files read as root (STYLE 9: O_NOFOLLOW, owner
 * and mode checked, bounded), and the authenticator formats. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tools/migrate_files.h"

static int file_fail(struct mig_file *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
file_fail(struct mig_file *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (f->err[0])
		return -1;
	n = snprintf(f->err, sizeof(f->err), "%s: ", f->path);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(f->err))
		vsnprintf(f->err + n, sizeof(f->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int
read_all(struct mig_file *f, int fd, size_t size)
{
	size_t got = 0;

	f->buf = f->secret ? sodium_malloc(size + 1) : malloc(size + 1);
	if (f->buf == NULL)
		return file_fail(f, "out of memory");
	while (got < size) {
		ssize_t n = read(fd, f->buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return file_fail(f, "cannot read it: %s", n < 0 ? strerror(errno)
			    : "it shrank while being read");
		got += (size_t)n;
	}
	f->buf[got] = '\0';
	f->len = got;
	return 0;
}

int
mig_file_load(struct mig_file *f, const char *path, uid_t owner,
    mode_t forbidden, size_t max, bool secret)
{
	struct stat st;
	int fd, r;

	memset(f, 0, sizeof(*f));
	f->path = path;
	f->secret = secret;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ELOOP ? file_fail(f, "a symbolic link: not read")
		    : file_fail(f, "%s", strerror(errno));
	if (fstat(fd, &st) != 0)
		r = file_fail(f, "%s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		r = file_fail(f, "not a regular file");
	else if (st.st_uid != owner)
		r = file_fail(f, "owned by uid %u, not by uid %u", (unsigned)st.st_uid,
		    (unsigned)owner);
	else if (st.st_mode & forbidden)
		r = file_fail(f, "mode %04o: %s", (unsigned)(st.st_mode & 07777),
		    forbidden & 044 ? "readable or writable by others" :
		    "writable by others");
	else if ((size_t)st.st_size > max)
		r = file_fail(f, "larger than %zu bytes", max);
	else
		r = read_all(f, fd, (size_t)st.st_size);
	close(fd);
	return r;
}

int
mig_file_open(struct mig_file *f, const char *path, uid_t owner,
    mode_t forbidden, size_t max, bool secret)
{
	int r = mig_file_load(f, path, owner, forbidden, max, secret);

	if (r != 0)
		fprintf(stderr, "%s\n", f->err);
	return r;
}

char *
mig_file_line(struct mig_file *f, unsigned *lineno)
{
	char *line, *nl;
	size_t n;

	if (f->buf == NULL || f->pos >= f->len || f->err[0])
		return NULL;
	line = f->buf + f->pos;
	nl = memchr(line, '\n', f->len - f->pos);
	n = nl ? (size_t)(nl - line) : f->len - f->pos;
	*lineno = ++f->lineno;
	if (n > MIG_LINE_MAX) {
		file_fail(f, "line %u: longer than %d bytes", f->lineno, MIG_LINE_MAX);
		return NULL;
	}
	if (memchr(line, '\0', n) != NULL) {
		file_fail(f, "line %u: holds a NUL byte", f->lineno);
		return NULL;
	}
	line[n] = '\0';
	f->pos += n + 1;
	return line;
}

void
mig_file_free(struct mig_file *f)
{
	if (f->buf != NULL && f->secret)
		sodium_free(f->buf);
	else
		free(f->buf);
	f->buf = NULL;
}

int
mig_file_close(struct mig_file *f)
{
	mig_file_free(f);
	if (f->err[0] == '\0')
		return 0;
	fprintf(stderr, "%s\n", f->err);
	return -1;
}

int
mig_split(char *s, char sep, char **out, int max)
{
	int n = 0;

	for (;;) {
		char *e = strchr(s, sep);

		if (n == max)
			return max + 1;
		out[n++] = s;
		if (e == NULL)
			return n;
		*e = '\0';
		s = e + 1;
	}
}

int
mig_words(char *s, char **out, int max)
{
	int n = 0;
	char *hash = strchr(s, '#');

	if (hash != NULL)
		*hash = '\0';
	for (char *save = NULL, *w = strtok_r(s, " \t\r", &save); w;
	     w = strtok_r(NULL, " \t\r", &save)) {
		if (n == max)
			return max + 1;
		out[n++] = w;
	}
	return n;
}

void
mig_say(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
}

int
mig_number(const char *s, uint32_t *out)
{
	unsigned long long v = 0;

	if (*s == '\0' || strlen(s) > 10)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}
