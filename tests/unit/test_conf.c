/* Unit tests for common/conf.c: the unilogin.conf parser.
 *
 * The built-in defaults, every key read from a file, comments, and each
 * error the parser must give as "FILE:LINE: message".  Files are written
 * with mode 0644 in a fresh mkdtemp directory per test. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/conf.h"
#include "unilogin/error.h"

struct fixture {
	char dir[64];
	char path[128];
	struct ul_conf conf;
	char err[UL_CONF_ERR_MAX];
};

static int
setup(void **state)
{
	struct fixture *fx = test_calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/ul-conf-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/unilogin.conf", fx->dir);
	ul_conf_defaults(&fx->conf);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	struct dirent *e;
	char p[512];
	DIR *d = opendir(fx->dir);

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", fx->dir, e->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(fx->dir);
	test_free(fx);
	return 0;
}

/* Writes the config file with the given text and mode 0644. */
static void
write_conf(struct fixture *fx, const char *text)
{
	int fd = open(fx->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, 0644), 0);
	assert_int_equal(close(fd), 0);
}

static int
load(struct fixture *fx)
{
	fx->err[0] = '\0';
	return ul_conf_load(&fx->conf, fx->path, false, fx->err, sizeof(fx->err));
}

/* Loads text and expects UL_ECONFIG with "PATH:LINE: " then `msg` in it. */
static void
assert_load_error(struct fixture *fx, const char *text, unsigned line,
    const char *msg)
{
	char prefix[256];

	write_conf(fx, text);
	assert_int_equal(load(fx), UL_ECONFIG);
	snprintf(prefix, sizeof(prefix), "%s:%u: ", fx->path, line);
	assert_true(strncmp(fx->err, prefix, strlen(prefix)) == 0);
	assert_non_null(strstr(fx->err + strlen(prefix), msg));
}

/* ---- defaults ---- */

static void
test_defaults_paths_and_names(void **state)
{
	struct fixture *fx = *state;
	const struct ul_conf *c = &fx->conf;

	assert_string_equal(c->socket, "/run/unilogin/unilogin.sock");
	assert_string_equal(c->state_dir, "/var/lib/unilogin");
	assert_string_equal(c->user, "unilogin");
	assert_string_equal(c->home_template, "/home/%u");
	assert_string_equal(c->shell, "/bin/bash");
	assert_string_equal(c->product, "");
	assert_string_equal(c->delivery_command, "");
	assert_string_equal(c->admin_group, "");
}

static void
test_defaults_numbers(void **state)
{
	struct fixture *fx = *state;
	const struct ul_conf *c = &fx->conf;

	assert_int_equal(c->lockout_attempts, 5);
	assert_int_equal(c->lockout_seconds, 900);
	assert_true(c->tfa_required);
	assert_int_equal(c->totp_window, 1);
	assert_int_equal(c->totp_digits, 6);
	assert_int_equal(c->remember_days, 0);
	assert_int_equal(c->timeout, 10);
	assert_int_equal(c->uid_min, 900000000);
	assert_int_equal(c->uid_max, 999999999);
	assert_int_equal(c->nss_timeout, 1);
	assert_int_equal(c->session_days, 90);
	assert_int_equal(c->audit_days, 365);
	assert_true(c->kdf_parallel >= 1);
}

static void
test_defaults_kdf_moderate(void **state)
{
	struct fixture *fx = *state;

	assert_string_equal(fx->conf.kdf, "moderate");
	assert_true(fx->conf.kdf_opslimit == crypto_pwhash_OPSLIMIT_MODERATE);
	assert_true(fx->conf.kdf_memlimit == crypto_pwhash_MEMLIMIT_MODERATE);
}

static void
test_defaults_pass_check(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(ul_conf_check(&fx->conf, fx->err, sizeof(fx->err)), 0);
}

/* ---- reading files ---- */

static const char every_key[] =
	"product = shop\n"
	"socket = /tmp/u.sock\n"
	"state_dir = /srv/unilogin\n"
	"kdf = interactive\n"
	"kdf_parallel = 3\n"
	"lockout_attempts = 7\n"
	"lockout_seconds = 60\n"
	"tfa_required = no\n"
	"totp_window = 2\n"
	"totp_digits = 8\n"
	"remember_days = 30\n"
	"delivery_command = /usr/lib/unilogin/deliver\n"
	"admin_group = uladmin\n"
	"timeout = 20\n"
	"user = ulhelper\n"
	"uid_min = 5000\n"
	"uid_max = 6000\n"
	"home_template = /srv/home/%u\n"
	"shell = /bin/sh\n"
	"nss_timeout = 3\n"
	"session_days = 7\n"
	"audit_days = 30\n";

static void
test_load_every_key_strings(void **state)
{
	struct fixture *fx = *state;
	const struct ul_conf *c = &fx->conf;

	write_conf(fx, every_key);
	assert_int_equal(load(fx), 0);
	assert_string_equal(c->product, "shop");
	assert_string_equal(c->socket, "/tmp/u.sock");
	assert_string_equal(c->state_dir, "/srv/unilogin");
	assert_string_equal(c->kdf, "interactive");
	assert_string_equal(c->delivery_command, "/usr/lib/unilogin/deliver");
	assert_string_equal(c->admin_group, "uladmin");
	assert_string_equal(c->user, "ulhelper");
	assert_string_equal(c->home_template, "/srv/home/%u");
	assert_string_equal(c->shell, "/bin/sh");
}

static void
test_load_every_key_numbers(void **state)
{
	struct fixture *fx = *state;
	const struct ul_conf *c = &fx->conf;

	write_conf(fx, every_key);
	assert_int_equal(load(fx), 0);
	assert_true(c->kdf_opslimit == crypto_pwhash_OPSLIMIT_INTERACTIVE);
	assert_true(c->kdf_memlimit == crypto_pwhash_MEMLIMIT_INTERACTIVE);
	assert_int_equal(c->kdf_parallel, 3);
	assert_int_equal(c->lockout_attempts, 7);
	assert_int_equal(c->lockout_seconds, 60);
	assert_false(c->tfa_required);
	assert_int_equal(c->totp_window, 2);
	assert_int_equal(c->totp_digits, 8);
	assert_int_equal(c->remember_days, 30);
	assert_int_equal(c->timeout, 20);
	assert_int_equal(c->uid_min, 5000);
	assert_int_equal(c->uid_max, 6000);
	assert_int_equal(c->nss_timeout, 3);
	assert_int_equal(c->session_days, 7);
	assert_int_equal(c->audit_days, 30);
}

static void
test_load_comments_and_blank_lines(void **state)
{
	struct fixture *fx = *state;

	write_conf(fx,
	    "# unilogin.conf\n"
	    "\n"
	    "   \t\n"
	    "   # an indented comment = not a key\n"
	    "timeout = 42 # the answer\n"
	    "\tlockout_attempts\t=\t9\t\n"
	    "shell=/bin/zsh\n");
	assert_int_equal(load(fx), 0);
	assert_int_equal(fx->conf.timeout, 42);
	assert_int_equal(fx->conf.lockout_attempts, 9);
	assert_string_equal(fx->conf.shell, "/bin/zsh");
}

static void
test_load_hash_inside_value_is_kept(void **state)
{
	struct fixture *fx = *state;

	/* only a '#' after white space starts a comment */
	write_conf(fx, "delivery_command = /opt/bin/send#1 # comment\n");
	assert_int_equal(load(fx), 0);
	assert_string_equal(fx->conf.delivery_command, "/opt/bin/send#1");
}

static void
test_load_keeps_unset_keys(void **state)
{
	struct fixture *fx = *state;

	write_conf(fx, "timeout = 5\n");
	assert_int_equal(load(fx), 0);
	assert_int_equal(fx->conf.timeout, 5);
	assert_string_equal(fx->conf.socket, "/run/unilogin/unilogin.sock");
	assert_int_equal(fx->conf.lockout_attempts, 5);
}

static void
test_load_bool_words(void **state)
{
	struct fixture *fx = *state;

	write_conf(fx, "tfa_required = false\n");
	assert_int_equal(load(fx), 0);
	assert_false(fx->conf.tfa_required);
	write_conf(fx, "tfa_required = true\n");
	assert_int_equal(load(fx), 0);
	assert_true(fx->conf.tfa_required);
	write_conf(fx, "tfa_required = yes\n");
	fx->conf.tfa_required = false;
	assert_int_equal(load(fx), 0);
	assert_true(fx->conf.tfa_required);
}

static void
test_load_kdf_ops_and_mib(void **state)
{
	struct fixture *fx = *state;

	write_conf(fx, "kdf = 2:16\n");
	assert_int_equal(load(fx), 0);
	assert_true(fx->conf.kdf_opslimit == 2);
	assert_true(fx->conf.kdf_memlimit == (size_t)16 * 1024 * 1024);
	assert_string_equal(fx->conf.kdf, "2:16");
}

/* ---- errors with FILE:LINE ---- */

static void
test_error_unknown_key(void **state)
{
	assert_load_error(*state, "timeout = 5\nfrobnicate = yes\n", 2,
	    "unknown key: frobnicate");
}

static void
test_error_bad_number(void **state)
{
	assert_load_error(*state, "timeout = ten\n", 1,
	    "timeout: not a number: ten");
	assert_load_error(*state, "\ntimeout = 5s\n", 2, "timeout: must be a number");
	assert_load_error(*state, "timeout = -5\n", 1, "timeout: not a number");
}

static void
test_error_number_out_of_range(void **state)
{
	assert_load_error(*state, "# digits\ntotp_digits = 9\n", 2,
	    "totp_digits: must be a number from 6 to 8");
	assert_load_error(*state, "timeout = 0\n", 1,
	    "timeout: must be a number from 1 to 600");
	assert_load_error(*state, "uid_max = 99999999999999999999999\n", 1,
	    "uid_max: must be a number");
}

static void
test_error_bad_bool(void **state)
{
	assert_load_error(*state, "tfa_required = maybe\n", 1,
	    "tfa_required: must be yes or no");
}

static void
test_error_bad_kdf(void **state)
{
	assert_load_error(*state, "kdf = fast\n", 1, "kdf: must be");
	assert_load_error(*state, "kdf = 2:\n", 1, "kdf: must be");
	assert_load_error(*state, "kdf = 2:0\n", 1, "kdf: must be");
}

static void
test_error_relative_socket(void **state)
{
	assert_load_error(*state, "\n\nsocket = run/unilogin.sock\n", 3,
	    "socket: must be an absolute path");
}

static void
test_error_repeated_key(void **state)
{
	assert_load_error(*state, "timeout = 5\n# again\ntimeout = 6\n", 3,
	    "timeout: given twice");
}

static void
test_error_missing_equals(void **state)
{
	assert_load_error(*state, "timeout 5\n", 1, "expected `key = value`");
}

static void
test_error_missing_value(void **state)
{
	assert_load_error(*state, "timeout =   # nothing\n", 1,
	    "timeout: missing value");
	assert_load_error(*state, "shell =\n", 1, "shell: missing value");
}

static void
test_error_line_too_long(void **state)
{
	struct fixture *fx = *state;
	char *text = test_malloc(6000);

	memcpy(text, "shell = /", 9);
	memset(text + 9, 'a', 5000);
	memcpy(text + 5009, "\n", 2);
	assert_load_error(fx, text, 1, "line too long");
	test_free(text);
}

static void
test_error_uid_min_above_max(void **state)
{
	struct fixture *fx = *state;

	write_conf(fx, "uid_min = 2000\nuid_max = 1000\n");
	assert_int_equal(load(fx), UL_ECONFIG);
	assert_true(strncmp(fx->err, fx->path, strlen(fx->path)) == 0);
	assert_non_null(strstr(fx->err, "uid_min must not be above uid_max"));
}

static void
test_uid_min_equal_max_is_fine(void **state)
{
	struct fixture *fx = *state;

	write_conf(fx, "uid_min = 2000\nuid_max = 2000\n");
	assert_int_equal(load(fx), 0);
}

static void
test_error_home_template_without_user(void **state)
{
	struct fixture *fx = *state;

	write_conf(fx, "home_template = /home/shared\n");
	assert_int_equal(load(fx), UL_ECONFIG);
	assert_non_null(strstr(fx->err, "home_template: must contain %u"));
}

static void
test_load_last_line_without_newline(void **state)
{
	struct fixture *fx = *state;

	write_conf(fx, "timeout = 5\naudit_days = 7");
	assert_int_equal(load(fx), 0);
	assert_int_equal(fx->conf.audit_days, 7);
}

/* ---- the file itself ---- */

static void
test_refuses_writable_file(void **state)
{
	struct fixture *fx = *state;

	write_conf(fx, "timeout = 5\n");
	assert_int_equal(chmod(fx->path, 0666), 0);
	assert_int_equal(load(fx), UL_ECONFIG);
	assert_non_null(strstr(fx->err, "writable by group or others"));
	assert_int_equal(fx->conf.timeout, 10);
	assert_int_equal(chmod(fx->path, 0620), 0);
	assert_int_equal(load(fx), UL_ECONFIG);
}

static void
test_missing_file_ok(void **state)
{
	struct fixture *fx = *state;
	char path[200];

	snprintf(path, sizeof(path), "%s/absent.conf", fx->dir);
	assert_int_equal(ul_conf_load(&fx->conf, path, true, fx->err,
	    sizeof(fx->err)), 0);
	assert_int_equal(fx->conf.timeout, 10);
}

static void
test_missing_file_not_ok(void **state)
{
	struct fixture *fx = *state;
	char path[200];

	snprintf(path, sizeof(path), "%s/absent.conf", fx->dir);
	fx->err[0] = '\0';
	assert_int_equal(ul_conf_load(&fx->conf, path, false, fx->err,
	    sizeof(fx->err)), UL_EIO);
	assert_true(strncmp(fx->err, path, strlen(path)) == 0);
}

/* ---- the pieces ---- */

static void
test_set_one_key(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(ul_conf_set(&fx->conf, "audit_days", "12", fx->err,
	    sizeof(fx->err)), 0);
	assert_int_equal(fx->conf.audit_days, 12);
	assert_int_equal(ul_conf_set(&fx->conf, "user", "bad name", fx->err,
	    sizeof(fx->err)), UL_ECONFIG);
	assert_string_equal(fx->conf.user, "unilogin");
}

static void
test_parse_kdf_names(void **state)
{
	unsigned long long ops = 0;
	size_t mem = 0;

	(void)state;
	assert_int_equal(ul_conf_parse_kdf("sensitive", &ops, &mem), 0);
	assert_true(ops == crypto_pwhash_OPSLIMIT_SENSITIVE);
	assert_true(mem == crypto_pwhash_MEMLIMIT_SENSITIVE);
	assert_int_equal(ul_conf_parse_kdf("2:16x", &ops, &mem), UL_EINVAL);
	assert_int_equal(ul_conf_parse_kdf(":16", &ops, &mem), UL_EINVAL);
	assert_int_equal(ul_conf_parse_kdf("0:16", &ops, &mem), UL_EINVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults_paths_and_names),
		T(test_defaults_numbers),
		T(test_defaults_kdf_moderate),
		T(test_defaults_pass_check),
		T(test_load_every_key_strings),
		T(test_load_every_key_numbers),
		T(test_load_comments_and_blank_lines),
		T(test_load_hash_inside_value_is_kept),
		T(test_load_keeps_unset_keys),
		T(test_load_bool_words),
		T(test_load_kdf_ops_and_mib),
		T(test_error_unknown_key),
		T(test_error_bad_number),
		T(test_error_number_out_of_range),
		T(test_error_bad_bool),
		T(test_error_bad_kdf),
		T(test_error_relative_socket),
		T(test_error_repeated_key),
		T(test_error_missing_equals),
		T(test_error_missing_value),
		T(test_error_line_too_long),
		T(test_error_uid_min_above_max),
		T(test_uid_min_equal_max_is_fine),
		T(test_error_home_template_without_user),
		T(test_load_last_line_without_newline),
		T(test_refuses_writable_file),
		T(test_missing_file_ok),
		T(test_missing_file_not_ok),
		T(test_set_one_key),
		T(test_parse_kdf_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
