/* The helper's key file. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "helper/rules/keys.h"
#include "unilogin/error.h"

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
	/* code and seed keys, then the newer seed keys, nothing else */
	n = read(fd, k, UL_KEYS_FILE_MIN + sizeof(k->newer) + 1);
	if (n < UL_KEYS_FILE_MIN || (n - UL_KEYS_FILE_MIN) % UL_KEY_BYTES != 0 ||
	    n > (ssize_t)(UL_KEYS_FILE_MIN + sizeof(k->newer)) ||
	    st.st_size != (off_t)n) {
		snprintf(err, errlen, "%s: damaged (expected %d bytes and %d more "
		    "for each rotation, at most %d rotations)", path,
		    UL_KEYS_FILE_MIN, UL_KEY_BYTES, UL_KEYS_VERSIONS - 1);
		return UL_ECONFIG;
	}
	k->versions = 1 + (unsigned)((n - UL_KEYS_FILE_MIN) / UL_KEY_BYTES);
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
	randombytes_buf(k, UL_KEYS_FILE_MIN);
	k->versions = 1;
	if (write(fd, k, UL_KEYS_FILE_MIN) != UL_KEYS_FILE_MIN || fsync(fd) != 0) {
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


unsigned
ul_keys_versions(const struct ul_keys *k)
{
	return k->versions < 1 ? 1 : k->versions > UL_KEYS_VERSIONS ?
	    UL_KEYS_VERSIONS : k->versions;
}

const uint8_t *
ul_keys_seed(const struct ul_keys *k, unsigned v)
{
	if (v > ul_keys_versions(k))
		v = ul_keys_versions(k);
	return v <= 1 ? k->seed : k->newer[v - 2];
}

void
ul_keys_fingerprint(const struct ul_keys *k,
    char out[UL_KEYS_FINGERPRINT_MAX + 1])
{
	ul_keys_fingerprint_of(k, ul_keys_versions(k), out);
}

void
ul_keys_fingerprint_of(const struct ul_keys *k, unsigned versions,
    char out[UL_KEYS_FINGERPRINT_MAX + 1])
{
	/* a label of its own, so the fingerprint is no hash the keys are
	 * used for elsewhere */
	static const char label[] = "unilogin keys fingerprint v1";
	uint8_t hash[32];
	crypto_generichash_state s;

	crypto_generichash_init(&s, NULL, 0, sizeof(hash));
	crypto_generichash_update(&s, (const uint8_t *)label, sizeof(label) - 1);
	crypto_generichash_update(&s, k->code, sizeof(k->code));
	/* the file's bytes in order: one version hashes as it always did */
	for (unsigned v = 1; v <= versions && v <= ul_keys_versions(k); v++)
		crypto_generichash_update(&s, ul_keys_seed(k, v), UL_KEY_BYTES);
	crypto_generichash_final(&s, hash, sizeof(hash));
	sodium_memzero(&s, sizeof(s));
	memcpy(out, "blake2b:", 8);
	sodium_bin2hex(out + 8, UL_KEYS_FINGERPRINT_MAX + 1 - 8, hash, sizeof(hash));
}
