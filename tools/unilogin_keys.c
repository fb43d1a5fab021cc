/* unilogin-keys USER: sshd's AuthorizedKeysCommand (K1).  Prints one
 * OpenSSH key line for every key of a unified user who may log in to the
 * product account USER of this host's product (owner and teammates, L7),
 * and nothing else.  It asks the helper as the NSS module does (no
 * secret, plain memory) and runs as an unprivileged user of its own
 * (AuthorizedKeysCommandUser).
 *
 * Fails closed: on any error (a bad argument or config, the helper
 * unreachable or late, an answer that is not a key line) it prints
 * nothing at all and exits non-zero; the lines are printed only once the
 * whole answer is in and checked. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client.h"
#include "common/conf.h"
#include "common/sshkey.h"
#include "common/util.h"
#include "unilogin/error.h"

#define DEFAULT_CONF SYSCONFDIR "/unilogin/unilogin.conf"
#define PROG "unilogin-keys"
#define PAGES_MAX 64

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

struct lines {
	char *buf;
	size_t len, cap;
};

static int
usage(void)
{
	fprintf(stderr, "usage: " PROG " [--config FILE] USER\n");
	return EXIT_USAGE;
}

/* [a-z_][a-z0-9_-]{0,31}, with '.' allowed as Debian allows it */
static bool
unix_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > UL_UNIX_USER_MAX || !((s[0] >= 'a' && s[0] <= 'z') ||
	    s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

/* Keeps one line of the answer, only when it is a key line we accept. */
static int
keep(struct lines *out, const char *line)
{
	struct ul_sshkey_info k;
	char why[256];
	size_t n = strlen(line);

	if (ul_sshkey_parse(line, n, &k, why, sizeof(why)) != 0) {
		fprintf(stderr, PROG ": the helper sent a line that is no key: %s\n", why);
		return UL_EPROTO;
	}
	if (out->len + n + 2 > out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 4096;
		char *p;

		while (cap < out->len + n + 2)
			cap *= 2;
		if ((p = realloc(out->buf, cap)) == NULL)
			return UL_ENOMEM;
		out->buf = p;
		out->cap = cap;
	}
	memcpy(out->buf + out->len, line, n);
	out->buf[out->len + n] = '\n';
	out->len += n + 1;
	return 0;
}

/* Every page of the answer into out; 0 or the first error. */
static int
fetch(struct ul_client *cl, const char *product, const char *user,
    struct lines *out)
{
	char after[1100] = "";

	for (int page = 0; page < PAGES_MAX; page++) {
		const char *next;
		int r;

		ul_client_begin(cl, UL_REQ_SSHKEYS);
		ul_msg_put_str(cl->req, UL_F_PRODUCT, product);
		ul_msg_put_str(cl->req, UL_F_UNIX_USER, user);
		if (after[0])
			ul_msg_put_str(cl->req, UL_F_AFTER, after);
		if ((r = ul_client_call(cl)) != 0)
			return r;
		for (unsigned i = 0; i < cl->rep->nfields; i++)
			if (cl->rep->fields[i].tag == UL_F_SSHKEY &&
			    (r = keep(out, ul_field_str(cl->rep, &cl->rep->fields[i]))) != 0)
				return r;
		next = ul_msg_str(cl->rep, UL_F_NEXT);
		if (next == NULL || next[0] == '\0')
			return 0;
		if (ul_strlcpy(after, next, sizeof(after)) != 0)
			return UL_EPROTO;
	}
	return UL_ETOOBIG;
}

int
main(int argc, char **argv)
{
	const char *conf_path = NULL, *user;
	struct lines out = {0};
	struct ul_client *cl = NULL;
	char err[UL_CONF_ERR_MAX];
	struct ul_conf conf;
	uid_t helper_uid = 0;
	int r, i = 1;

	if (argc > 2 && strcmp(argv[1], "--config") == 0) {
		conf_path = argv[2];
		i = 3;
	}
	if (argc != i + 1 || argv[i][0] == '-')
		return usage();
	user = argv[i];
	if (!unix_name(user)) {
		fprintf(stderr, PROG ": not a Unix user name\n");
		return EXIT_USAGE;
	}
	ul_conf_defaults(&conf);
	if (ul_conf_load(&conf, conf_path ? conf_path : DEFAULT_CONF,
	    conf_path == NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return EXIT_FAILED;
	}
	if (conf.product[0] == '\0') {
		fprintf(stderr, PROG ": no product in the config\n");
		return EXIT_FAILED;
	}
	if (ul_files_uid(conf.user, &helper_uid, NULL) != 0)
		helper_uid = 0;
	r = ul_client_new_ex(&cl, conf.socket, (int)conf.timeout * 1000, helper_uid,
	    false);
	if (r == 0)
		r = fetch(cl, conf.product, user, &out);
	ul_client_free(cl);
	if (r != 0) {
		/* nothing on stdout: sshd then offers no key of ours (fail closed) */
		fprintf(stderr, PROG ": %s: %s\n", user, ul_strerror(r));
		free(out.buf);
		return EXIT_FAILED;
	}
	if (out.len > 0 && fwrite(out.buf, 1, out.len, stdout) != out.len)
		r = UL_EIO;
	if (fflush(stdout) != 0)
		r = UL_EIO;
	free(out.buf);
	return r == 0 ? EXIT_OK : EXIT_FAILED;
}
