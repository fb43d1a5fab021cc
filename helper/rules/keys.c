/* The helper's key file and the single-use codes made with it (C1, C2). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "helper/rules/keys.h"
#include "unilogin/error.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static int
read_keys(int fd, const char *path, struct ul_keys *k, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		snprintf(err, errlen,
		    "%s: must be a regular file of this helper's user, mode 0600", path);
		return UL_ECONFIG;
	}
	n = read(fd, k, sizeof(*k));
	if (n != (ssize_t)sizeof(*k) || st.st_size != (off_t)sizeof(*k)) {
		snprintf(err, errlen, "%s: damaged (expected %zu bytes)", path,
		    sizeof(*k));
		return UL_ECONFIG;
	}
	return 0;
}

static int
create_keys(const char *path, struct ul_keys *k, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return UL_EIO;
	}
	randombytes_buf(k, sizeof(*k));
	if (write(fd, k, sizeof(*k)) != (ssize_t)sizeof(*k) || fsync(fd) != 0) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		close(fd);
		unlink(path);
		return e == ENOSPC ? UL_ENOSPC : UL_EIO;
	}
	close(fd);
	return 0;
}

int
ul_keys_load(const char *state_dir, struct ul_keys **out, char *err,
    size_t errlen)
{
	char path[4200];
	struct ul_keys *k;
	int fd, r;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/keys", state_dir);
	k = sodium_malloc(sizeof(*k));
	if (k == NULL)
		return UL_ENOMEM;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		r = read_keys(fd, path, k, err, errlen);
		close(fd);
	} else if (errno == ENOENT) {
		r = create_keys(path, k, err, errlen);
	} else {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		r = UL_EIO;
	}
	if (r != 0) {
		sodium_free(k);
		return r;
	}
	sodium_mprotect_readonly(k);
	*out = k;
	return 0;
}

void
ul_keys_free(struct ul_keys *k)
{
	if (k != NULL)
		sodium_free(k);     /* wipes */
}

void
ul_code_new(char out[UL_CODE_TEXT_MAX])
{
	for (int i = 0, j = 0; i < UL_CODE_LEN; i++) {
		if (i == 5)
			out[j++] = '-';
		out[j++] = crockford[randombytes_uniform(32)];
		out[j] = '\0';
	}
}

int
ul_code_normalise(const char *in, char out[UL_CODE_LEN + 1])
{
	size_t n = 0;

	for (; *in; in++) {
		int c = toupper((unsigned char)*in);

		if (c == '-' || c == ' ')
			continue;
		if (c == 'O')
			c = '0';
		else if (c == 'I' || c == 'L')
			c = '1';
		if (strchr(crockford, c) == NULL || c == '\0' || n >= UL_CODE_LEN) {
			sodium_memzero(out, UL_CODE_LEN + 1);
			return UL_EINVAL;
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
	if (n != UL_CODE_LEN) {
		sodium_memzero(out, UL_CODE_LEN + 1);
		return UL_EINVAL;
	}
	return 0;
}

void
ul_code_hash(const struct ul_keys *k, const char *purpose, const char *subject,
    const char *code, uint8_t out[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, k->code, sizeof(k->code), 32);
	crypto_generichash_update(&st, (const uint8_t *)purpose, strlen(purpose) + 1);
	crypto_generichash_update(&st, (const uint8_t *)subject, strlen(subject) + 1);
	crypto_generichash_update(&st, (const uint8_t *)code, strlen(code));
	crypto_generichash_final(&st, out, 32);
	sodium_memzero(&st, sizeof(st));
}
