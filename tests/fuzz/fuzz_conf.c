/* Fuzz target: the unilogin.conf parser, through ul_conf_parse() (the same
 * line loop and rules as ul_conf_load(), without the file).  What it
 * accepts must hold within every key's bounds; what it refuses must say
 * where, as "NAME:LINE: message" or "NAME: message".
 *
 * With UL_FUZZ_CONF_FILE set in the environment, each input is also
 * written to a file and read with ul_conf_load(): the two must agree on
 * the result, the message and every value (slower; for checking that the
 * file and the buffer are read alike). */
#include "config.h"

#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/conf.h"
#include "tests/fuzz/fuzz.h"
#include "unilogin/error.h"

#define NAME "fuzz.conf"

static char file_path[4096];    /* "" unless comparing with ul_conf_load */

static void
remove_file(void)
{
	if (file_path[0] != '\0')
		unlink(file_path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	(void)argc;
	(void)argv;
	if (getenv("UL_FUZZ_CONF_FILE") == NULL)
		return 0;
	snprintf(file_path, sizeof(file_path), "%s/ul-fuzz-conf-XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	fd = mkstemp(file_path);
	if (fd < 0)
		abort();
	close(fd);
	atexit(remove_file);
	return 0;
}

static bool
terminated(const char *s, size_t size)
{
	return memchr(s, 0, size) != NULL;
}

static bool
valid_name(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

/* The strings of an accepted config, each within its array and as its
 * key's type demands ("" is a default that no line can set). */
static void
check_strings(const struct ul_conf *c)
{
	const char *paths[] = {c->socket, c->state_dir, c->delivery_command,
	    c->home_template, c->shell};
	const char *names[] = {c->product, c->admin_group, c->user, c->issuer};

	FUZZ_CHECK(terminated(c->product, sizeof(c->product)));
	FUZZ_CHECK(terminated(c->socket, sizeof(c->socket)));
	FUZZ_CHECK(terminated(c->state_dir, sizeof(c->state_dir)));
	FUZZ_CHECK(terminated(c->kdf, sizeof(c->kdf)));
	FUZZ_CHECK(terminated(c->delivery_command, sizeof(c->delivery_command)));
	FUZZ_CHECK(terminated(c->admin_group, sizeof(c->admin_group)));
	FUZZ_CHECK(terminated(c->user, sizeof(c->user)));
	FUZZ_CHECK(terminated(c->home_template, sizeof(c->home_template)));
	FUZZ_CHECK(terminated(c->shell, sizeof(c->shell)));
	FUZZ_CHECK(terminated(c->issuer, sizeof(c->issuer)));
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		FUZZ_CHECK(paths[i][0] == '\0' || paths[i][0] == '/');
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		FUZZ_CHECK(valid_name(names[i]));
}

/* The numbers of an accepted config, each within its key's bounds. */
static void
check_numbers(const struct ul_conf *c)
{
	unsigned long long ops;
	size_t mem;

	FUZZ_CHECK((c->kdf_parallel >= 1 && c->kdf_parallel <= 256) ||
	    c->kdf_parallel == (unsigned)sysconf(_SC_NPROCESSORS_ONLN));
	FUZZ_CHECK(c->lockout_attempts >= 1 && c->lockout_attempts <= 1000);
	FUZZ_CHECK(c->lockout_seconds >= 1 && c->lockout_seconds <= 86400 * 30);
	FUZZ_CHECK(c->totp_window <= 10);
	FUZZ_CHECK(c->totp_digits >= 6 && c->totp_digits <= 8);
	FUZZ_CHECK(c->remember_days <= 3650);
	FUZZ_CHECK(c->timeout >= 1 && c->timeout <= 600);
	FUZZ_CHECK(c->uid_min >= 1000 && c->uid_min <= c->uid_max);
	FUZZ_CHECK(c->uid_max <= 4294967294UL);
	FUZZ_CHECK(c->nss_timeout >= 1 && c->nss_timeout <= 60);
	FUZZ_CHECK(c->session_days >= 1 && c->session_days <= 36500);
	FUZZ_CHECK(c->audit_days >= 1 && c->audit_days <= 36500);
	FUZZ_CHECK(strstr(c->home_template, "%u") != NULL);
	/* the kdf as written reads back to the limits in force */
	FUZZ_CHECK(ul_conf_parse_kdf(c->kdf, &ops, &mem) == 0);
	FUZZ_CHECK(ops == c->kdf_opslimit && mem == c->kdf_memlimit);
}

/* ul_conf_load() on the same bytes gives the same answer. */
static void
check_file_agrees(const uint8_t *data, size_t size, int r,
    const struct ul_conf *c, const char *err)
{
	char ferr[UL_CONF_ERR_MAX], want[UL_CONF_ERR_MAX];
	struct ul_conf fc;
	int fd, fr;

	fd = open(file_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
	FUZZ_CHECK(fchmod(fd, 0600) == 0 && close(fd) == 0);
	ul_conf_defaults(&fc);
	memset(ferr, 0, sizeof(ferr));
	fr = ul_conf_load(&fc, file_path, false, ferr, sizeof(ferr));
	FUZZ_CHECK(fr == r);
	FUZZ_CHECK(memcmp(&fc, c, sizeof(fc)) == 0);
	if (r != 0) {
		/* the same message with the path for the name */
		FUZZ_CHECK(strncmp(err, NAME, strlen(NAME)) == 0);
		snprintf(want, sizeof(want), "%s%s", file_path, err + strlen(NAME));
		FUZZ_CHECK(strcmp(ferr, want) == 0 ||
		    strlen(want) >= sizeof(ferr) - 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ul_conf c, again;
	char err[UL_CONF_ERR_MAX], err2[UL_CONF_ERR_MAX];
	int r;

	ul_conf_defaults(&c);
	memset(err, 'x', sizeof(err));
	r = ul_conf_parse(&c, NAME, (const char *)data, size, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == UL_ECONFIG);
	if (r == 0) {
		check_strings(&c);
		check_numbers(&c);
	} else {
		FUZZ_CHECK(terminated(err, sizeof(err)));
		FUZZ_CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0);
	}
	/* the same text reads the same way twice */
	ul_conf_defaults(&again);
	FUZZ_CHECK(ul_conf_parse(&again, NAME, (const char *)data, size, err2,
	    sizeof(err2)) == r);
	FUZZ_CHECK(memcmp(&again, &c, sizeof(c)) == 0);
	if (file_path[0] != '\0')
		check_file_agrees(data, size, r, &c, err);
	return 0;
}
