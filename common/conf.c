/* The unilogin.conf parser: a table of keys, each with its type and bounds.
 * An unknown key, a bad value or a repeated key is an error with FILE:LINE. */
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

#include "common/conf.h"
#include "unilogin/error.h"

#define LINE_MAX_LEN 4096

enum key_type { K_STR, K_PATH, K_NAME, K_UINT, K_BOOL, K_KDF, K_SSH_KEYS, K_URI,
	K_DN, K_STORE, K_BIND, K_ROLE, K_ADDRS };

struct key {
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size;                /* of the char array, for strings */
	unsigned long min, max;     /* for numbers */
};

#define STR(f, t) #f, t, offsetof(struct ul_conf, f), sizeof(((struct ul_conf *)0)->f), 0, 0
#define NUM(f, lo, hi) #f, K_UINT, offsetof(struct ul_conf, f), sizeof(((struct ul_conf *)0)->f), lo, hi

static const struct key keys[] = {
	{STR(product, K_NAME)},
	{STR(socket, K_PATH)},
	{STR(state_dir, K_PATH)},
	{"kdf", K_KDF, 0, 0, 0, 0},
	{NUM(kdf_parallel, 1, 256)},
	{NUM(lockout_attempts, 1, 1000)},
	{NUM(lockout_seconds, 1, 86400 * 30)},
	{"tfa_required", K_BOOL, offsetof(struct ul_conf, tfa_required), 0, 0, 0},
	{NUM(totp_window, 0, 10)},
	{NUM(totp_digits, 6, 8)},
	{NUM(remember_days, 0, 3650)},
	{STR(delivery_command, K_PATH)},
	{STR(admin_group, K_NAME)},
	{NUM(timeout, 1, 600)},
	{STR(user, K_NAME)},
	{NUM(uid_min, 1000, 4294967294UL)},
	{NUM(uid_max, 1000, 4294967294UL)},
	{STR(home_template, K_PATH)},
	{STR(shell, K_PATH)},
	{NUM(nss_timeout, 1, 60)},
	{NUM(session_days, 1, 36500)},
	{NUM(audit_days, 1, 36500)},
	{STR(issuer, K_NAME)},
	{NUM(rate_burst, 1, 100000)},
	{NUM(rate_per_minute, 1, 100000)},
	{"ssh_keys", K_SSH_KEYS, offsetof(struct ul_conf, ssh_keys), 0, 0, 0},
	{"ssh_automation_keys", K_BOOL, offsetof(struct ul_conf, ssh_automation_keys),
	    0, 0, 0},
	{STR(ssh_service, K_NAME)},
	{STR(keys_user, K_NAME)},
	{"store", K_STORE, offsetof(struct ul_conf, store), 0, 0, 0},
	{STR(ldap_read_uri, K_URI)},
	{STR(ldap_write_uri, K_URI)},
	{STR(ldap_base, K_DN)},
	{"ldap_bind", K_BIND, offsetof(struct ul_conf, ldap_bind), 0, 0, 0},
	{STR(ldap_bind_dn, K_DN)},
	{STR(ldap_bind_password_file, K_PATH)},
	{STR(ldap_tls_ca, K_PATH)},
	{STR(ldap_tls_cert, K_PATH)},
	{STR(ldap_tls_key, K_PATH)},
	{NUM(ldap_timeout, 1, 60)},
	{"role", K_ROLE, offsetof(struct ul_conf, role), 0, 0, 0},
	{STR(verifiers, K_ADDRS)},
	{STR(verifier_listen, K_ADDRS)},
	{STR(tls_ca, K_PATH)},
	{STR(tls_cert, K_PATH)},
	{STR(tls_key, K_PATH)},
	{STR(tls_crl, K_PATH)},
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return UL_ECONFIG;
}

void
ul_conf_defaults(struct ul_conf *c)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(c, 0, sizeof(*c));
	snprintf(c->socket, sizeof(c->socket), "%s", "/run/unilogin/unilogin.sock");
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", "/var/lib/unilogin");
	snprintf(c->kdf, sizeof(c->kdf), "%s", "moderate");
	c->kdf_opslimit = crypto_pwhash_OPSLIMIT_MODERATE;
	c->kdf_memlimit = crypto_pwhash_MEMLIMIT_MODERATE;
	c->kdf_parallel = cpus > 0 ? (unsigned)cpus : 1;
	c->lockout_attempts = 5;
	c->lockout_seconds = 900;
	c->tfa_required = true;
	c->totp_window = 1;
	c->totp_digits = 6;
	c->remember_days = 0;
	c->timeout = 10;
	snprintf(c->user, sizeof(c->user), "%s", "unilogin");
	c->uid_min = 900000000;
	c->uid_max = 999999999;
	snprintf(c->home_template, sizeof(c->home_template), "%s", "/home/%u");
	snprintf(c->shell, sizeof(c->shell), "%s", "/bin/bash");
	c->nss_timeout = 1;
	c->session_days = 90;
	c->audit_days = 365;
	snprintf(c->issuer, sizeof(c->issuer), "%s", "unilogin");
	c->rate_burst = 10;
	c->rate_per_minute = 10;
	c->ssh_keys = UL_SSH_KEYS_ALLOWED;
	c->ssh_automation_keys = false;
	snprintf(c->ssh_service, sizeof(c->ssh_service), "%s", "sshd");
	snprintf(c->keys_user, sizeof(c->keys_user), "%s", "unilogin-keys");
	c->store = UL_STORE_LMDB;
	snprintf(c->ldap_read_uri, sizeof(c->ldap_read_uri), "%s", "ldapi:///");
	c->ldap_bind = UL_LDAP_BIND_EXTERNAL;
	c->ldap_timeout = 1;
}

int
ul_conf_parse_kdf(const char *v, unsigned long long *ops, size_t *mem)
{
	unsigned long long o, m;
	char *end;

	if (strcmp(v, "interactive") == 0) {
		*ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
		return 0;
	}
	if (strcmp(v, "moderate") == 0) {
		*ops = crypto_pwhash_OPSLIMIT_MODERATE;
		*mem = crypto_pwhash_MEMLIMIT_MODERATE;
		return 0;
	}
	if (strcmp(v, "sensitive") == 0) {
		*ops = crypto_pwhash_OPSLIMIT_SENSITIVE;
		*mem = crypto_pwhash_MEMLIMIT_SENSITIVE;
		return 0;
	}
	if (!isdigit((unsigned char)v[0]))
		return UL_EINVAL;
	errno = 0;
	o = strtoull(v, &end, 10);
	if (errno != 0 || *end != ':' || !isdigit((unsigned char)end[1]))
		return UL_EINVAL;
	m = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return UL_EINVAL;
	if (o < crypto_pwhash_OPSLIMIT_MIN || o > 1000 || m < 1 || m > 65536)
		return UL_EINVAL;
	*ops = o;
	*mem = (size_t)m * 1024 * 1024;
	return 0;
}

static bool
valid_name(const char *v)
{
	if (*v == '\0')
		return false;
	for (; *v; v++)
		if (!isalnum((unsigned char)*v) && *v != '_' && *v != '-' && *v != '.')
			return false;
	return true;
}

/* An LDAP URI as the fleet keys take it: one URI, ldap://, ldaps:// or
 * ldapi://, printable, no space (libldap parses the rest when the helper
 * connects; the modules never link it). */
static bool
valid_uri(const char *v)
{
	if (strncmp(v, "ldap://", 7) != 0 && strncmp(v, "ldaps://", 8) != 0 &&
	    strncmp(v, "ldapi://", 8) != 0)
		return false;
	for (; *v; v++)
		if (!isgraph((unsigned char)*v))
			return false;
	return true;
}

/* A distinguished name as written: ATTR=VALUE[,ATTR=VALUE...], no control
 * character; the directory checks it further. */
static bool
valid_dn(const char *v)
{
	const char *eq = strchr(v, '=');

	if (eq == NULL || eq == v || !isalpha((unsigned char)v[0]))
		return false;
	for (; *v; v++)
		if (iscntrl((unsigned char)*v))
			return false;
	return true;
}

/* A key that takes one of a few words (store, ldap_bind, role): the
 * enum's values are the words' places. */
static int
set_choice(struct ul_conf *c, const struct key *k, const char *value,
    char *err, size_t errlen)
{
	static const char *const store_words[] = {"lmdb", "ldap", NULL};
	static const char *const bind_words[] = {"external", "simple", NULL};
	static const char *const role_words[] = {"standalone", "verifier", "host",
		NULL};
	const char *const *words = k->type == K_STORE ? store_words :
	    k->type == K_ROLE ? role_words : bind_words;

	for (int i = 0; words[i] != NULL; i++) {
		if (strcmp(value, words[i]) != 0)
			continue;
		if (k->type == K_STORE)
			c->store = (enum ul_store_kind)i;
		else if (k->type == K_ROLE)
			c->role = (enum ul_role)i;
		else
			c->ldap_bind = (enum ul_ldap_bind)i;
		return 0;
	}
	if (k->type == K_ROLE)
		return fail(err, errlen, "role: must be standalone, verifier or host");
	return fail(err, errlen, "%s: must be %s or %s", k->name, words[0],
	    words[1]);
}

/* HOST:PORT, one (verifier_listen) or a list split by commas or white
 * space (verifiers): a name or address of letters, digits, '.', '-', ':'
 * (IPv6 in brackets) and a port 1-65535. */
static bool
valid_addrs(const char *v, bool list)
{
	unsigned n = 0;

	while (*v) {
		const char *start = v, *colon = NULL;
		unsigned long port;
		char *end;

		while (*v && *v != ',' && !isspace((unsigned char)*v)) {
			if (*v == ':')
				colon = v;
			else if (!isalnum((unsigned char)*v) && !strchr(".-_[]", *v))
				return false;
			v++;
		}
		if (v == start) {
			v++;
			continue;
		}
		if (colon == NULL || colon == start || colon + 1 == v)
			return false;
		port = strtoul(colon + 1, &end, 10);
		if (end != v || port < 1 || port > 65535)
			return false;
		n++;
	}
	return n >= 1 && (list || n == 1);
}

static int
set_number(const struct key *k, void *field, const char *value, char *err,
    size_t errlen)
{
	unsigned long long n;
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)value[0]))
		return fail(err, errlen, "%s: not a number: %s", k->name, value);
	n = strtoull(value, &end, 10);
	if (errno != 0 || *end != '\0' || n < k->min || n > k->max)
		return fail(err, errlen, "%s: must be a number from %lu to %lu",
		    k->name, k->min, k->max);
	if (k->size == sizeof(uint32_t))
		*(uint32_t *)field = (uint32_t)n;
	else
		*(unsigned *)field = (unsigned)n;
	return 0;
}

static int
set_string(const struct key *k, char *field, const char *value, char *err,
    size_t errlen)
{
	if (strlen(value) >= k->size)
		return fail(err, errlen, "%s: value too long", k->name);
	if (k->type == K_PATH && value[0] != '/')
		return fail(err, errlen, "%s: must be an absolute path", k->name);
	if (k->type == K_NAME && !valid_name(value))
		return fail(err, errlen,
		    "%s: must be letters, digits, '_', '-' or '.'", k->name);
	if (k->type == K_URI && !valid_uri(value))
		return fail(err, errlen,
		    "%s: must be one ldap://, ldaps:// or ldapi:// URI", k->name);
	if (k->type == K_ADDRS && !valid_addrs(value, strcmp(k->name, "verifiers") == 0))
		return fail(err, errlen, "%s: must be %s", k->name,
		    strcmp(k->name, "verifiers") == 0
		    ? "HOST:PORT, or several split by commas"
		    : "one ADDRESS:PORT");
	if (k->type == K_DN && !valid_dn(value))
		return fail(err, errlen,
		    "%s: must be a distinguished name (e.g. dc=example,dc=net)",
		    k->name);
	memcpy(field, value, strlen(value) + 1);
	return 0;
}

int
ul_conf_set(struct ul_conf *c, const char *key, const char *value, char *err,
    size_t errlen)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key *k = &keys[i];
		void *field = (char *)c + k->offset;

		if (strcmp(k->name, key) != 0)
			continue;
		switch (k->type) {
		case K_STR:
		case K_PATH:
		case K_NAME:
		case K_URI:
		case K_DN:
		case K_ADDRS:
			return set_string(k, field, value, err, errlen);
		case K_STORE:
		case K_BIND:
		case K_ROLE:
			return set_choice(c, k, value, err, errlen);
		case K_UINT:
			return set_number(k, field, value, err, errlen);
		case K_BOOL:
			if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0)
				*(bool *)field = true;
			else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0)
				*(bool *)field = false;
			else
				return fail(err, errlen, "%s: must be yes or no", key);
			return 0;
		case K_KDF:
			if (strlen(value) >= sizeof(c->kdf) ||
			    ul_conf_parse_kdf(value, &c->kdf_opslimit, &c->kdf_memlimit) != 0)
				return fail(err, errlen,
				    "kdf: must be interactive, moderate, sensitive or "
				    "OPSLIMIT:MEMLIMIT_MIB (e.g. 2:64)");
			memcpy(c->kdf, value, strlen(value) + 1);
			return 0;
		case K_SSH_KEYS:
			if (strcmp(value, "allowed") == 0)
				c->ssh_keys = UL_SSH_KEYS_ALLOWED;
			else if (strcmp(value, "required") == 0)
				c->ssh_keys = UL_SSH_KEYS_REQUIRED;
			else if (strcmp(value, "off") == 0)
				c->ssh_keys = UL_SSH_KEYS_OFF;
			else
				return fail(err, errlen,
				    "ssh_keys: must be allowed, required or off");
			return 0;
		}
	}
	return fail(err, errlen, "unknown key: %s", key);
}

/* The fleet keys together (INTERFACES.md, "Fleet"). */
static int
check_ldap(const struct ul_conf *c, char *err, size_t errlen)
{
	bool simple = c->ldap_bind == UL_LDAP_BIND_SIMPLE;

	if (c->store != UL_STORE_LDAP)
		return 0;
	/* a host (role = host) writes nothing to the directory (issue 16) */
	if (c->ldap_write_uri[0] == '\0' && c->role != UL_ROLE_HOST)
		return fail(err, errlen,
		    "store = ldap needs ldap_write_uri (the active provider)");
	if (c->ldap_base[0] == '\0')
		return fail(err, errlen,
		    "store = ldap needs ldap_base (the suffix of unilogin's entries)");
	if (simple && (c->ldap_bind_dn[0] == '\0' ||
	    c->ldap_bind_password_file[0] == '\0'))
		return fail(err, errlen, "ldap_bind = simple needs ldap_bind_dn "
		    "and ldap_bind_password_file");
	if (!simple && (c->ldap_bind_dn[0] != '\0' ||
	    c->ldap_bind_password_file[0] != '\0'))
		return fail(err, errlen, "ldap_bind_dn and ldap_bind_password_file "
		    "go with ldap_bind = simple (external takes neither)");
	if ((c->ldap_tls_cert[0] == '\0') != (c->ldap_tls_key[0] == '\0'))
		return fail(err, errlen,
		    "ldap_tls_cert and ldap_tls_key go together");
	/* a login makes several directory calls inside one request */
	if (c->ldap_timeout >= c->timeout)
		return fail(err, errlen, "ldap_timeout (%u) must be below timeout "
		    "(%u), so that PAM gets its answer in time",
		    c->ldap_timeout, c->timeout);
	return 0;
}

/* The roles' keys together (INTERFACES.md, "Fleet"). */
static int
check_role(const struct ul_conf *c, char *err, size_t errlen)
{
	bool tls = c->tls_ca[0] && c->tls_cert[0] && c->tls_key[0];

	switch (c->role) {
	case UL_ROLE_STANDALONE:
		if (c->verifiers[0] || c->verifier_listen[0])
			return fail(err, errlen, "verifiers and verifier_listen go "
			    "with role = host and role = verifier");
		if (c->tls_ca[0] || c->tls_cert[0] || c->tls_key[0] || c->tls_crl[0])
			return fail(err, errlen, "tls_ca, tls_cert, tls_key and tls_crl "
			    "go with role = host and role = verifier");
		return 0;
	case UL_ROLE_VERIFIER:
		if (c->verifier_listen[0] == '\0')
			return fail(err, errlen, "role = verifier needs verifier_listen "
			    "(ADDRESS:PORT to serve hosts on)");
		if (c->verifiers[0])
			return fail(err, errlen, "verifiers goes with role = host");
		break;
	case UL_ROLE_HOST:
		if (c->verifiers[0] == '\0')
			return fail(err, errlen, "role = host needs verifiers "
			    "(HOST:PORT of each verifier, tried in order)");
		if (c->verifier_listen[0])
			return fail(err, errlen, "verifier_listen goes with role = verifier");
		if (c->store != UL_STORE_LDAP)
			return fail(err, errlen, "role = host needs store = ldap "
			    "(it answers lookups from the fleet's replica)");
		if (c->tls_crl[0])
			return fail(err, errlen, "tls_crl goes with role = verifier "
			    "(the verifier checks the hosts' certificates)");
		break;
	}
	if (!tls)
		return fail(err, errlen, "role = %s needs tls_ca, tls_cert and "
		    "tls_key (host <-> verifier mutual TLS)",
		    c->role == UL_ROLE_HOST ? "host" : "verifier");
	return 0;
}

int
ul_conf_check(const struct ul_conf *c, char *err, size_t errlen)
{
	int r;

	if (c->uid_min > c->uid_max)
		return fail(err, errlen, "uid_min must not be above uid_max");
	if (strstr(c->home_template, "%u") == NULL)
		return fail(err, errlen, "home_template: must contain %%u");
	r = check_ldap(c, err, errlen);
	return r != 0 ? r : check_role(c, err, errlen);
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* One line: blank, a comment, or key = value (an inline comment starts at
 * a '#' after white space). */
static int
parse_line(struct ul_conf *c, char *line, unsigned char *seen, char *err,
    size_t errlen)
{
	char *eq, *key, *value, *hash;

	line = trim(line);
	if (*line == '\0' || *line == '#')
		return 0;
	for (hash = strchr(line, '#'); hash; hash = strchr(hash + 1, '#'))
		if (isspace((unsigned char)hash[-1])) {
			*hash = '\0';
			break;
		}
	eq = strchr(line, '=');
	if (eq == NULL)
		return fail(err, errlen, "expected `key = value`");
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (*value == '\0')
		return fail(err, errlen, "%s: missing value", key);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, key) == 0) {
			if (seen[i])
				return fail(err, errlen, "%s: given twice", key);
			seen[i] = 1;
		}
	return ul_conf_set(c, key, value, err, errlen);
}

/* A file read by root decides where secrets go: it must belong to root or
 * to us and be writable by no one else. */
static int
check_file(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(err, errlen, "%s: not a regular file", path);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return fail(err, errlen, "%s: refused: owned by uid %u", path,
		    (unsigned)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return fail(err, errlen, "%s: refused: writable by group or others",
		    path);
	return 0;
}

/* Where the lines come from: a file (read as fgets reads it) or a buffer
 * (cut the same way), so that both go through one loop and one set of
 * rules. */
struct line_source {
	FILE *file;
	const char *text;
	size_t left;
};

/* The next line into line[size]: at most size - 1 bytes, up to and with
 * its '\n', NUL-terminated, as fgets() would.  false at the end. */
static bool
next_line(struct line_source *src, char *line, size_t size)
{
	const char *nl;
	size_t n;

	if (src->file != NULL)
		return fgets(line, (int)size, src->file) != NULL;
	if (src->left == 0)
		return false;
	n = src->left < size - 1 ? src->left : size - 1;
	nl = memchr(src->text, '\n', n);
	if (nl != NULL)
		n = (size_t)(nl - src->text) + 1;
	memcpy(line, src->text, n);
	line[n] = '\0';
	src->text += n;
	src->left -= n;
	return true;
}

/* Every line of src over c; an error is "NAME:LINE: message". */
static int
parse_lines(struct ul_conf *c, const char *name, struct line_source *src,
    char *err, size_t errlen)
{
	unsigned char seen[sizeof(keys) / sizeof(keys[0])] = {0};
	char line[LINE_MAX_LEN + 2], msg[UL_CONF_ERR_MAX];
	unsigned lineno = 0;
	int r = 0;

	while (r == 0 && next_line(src, line, sizeof(line))) {
		lineno++;
		if (strlen(line) > LINE_MAX_LEN) {
			r = fail(err, errlen, "%s:%u: line too long", name, lineno);
			break;
		}
		r = parse_line(c, line, seen, msg, sizeof(msg));
		if (r != 0)
			fail(err, errlen, "%s:%u: %s", name, lineno, msg);
	}
	return r;
}

/* What no single line can check, once the whole text is read. */
static int
check_all(const struct ul_conf *c, const char *name, char *err, size_t errlen)
{
	char msg[UL_CONF_ERR_MAX];

	if (ul_conf_check(c, msg, sizeof(msg)) != 0)
		return fail(err, errlen, "%s: %s", name, msg);
	return 0;
}

int
ul_conf_parse(struct ul_conf *c, const char *name, const char *text,
    size_t len, char *err, size_t errlen)
{
	struct line_source src = {.file = NULL, .text = text, .left = len};
	int r;

	r = parse_lines(c, name, &src, err, errlen);
	if (r == 0)
		r = check_all(c, name, err, errlen);
	return r;
}

int
ul_conf_load(struct ul_conf *c, const char *path, bool missing_ok, char *err,
    size_t errlen)
{
	struct line_source src = {.file = NULL, .text = NULL, .left = 0};
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT && missing_ok)
			return 0;
		fail(err, errlen, "%s: %s", path, strerror(errno));
		return UL_EIO;
	}
	r = check_file(fd, path, err, errlen);
	if (r != 0) {
		close(fd);
		return r;
	}
	src.file = fdopen(fd, "r");
	if (src.file == NULL) {
		close(fd);
		fail(err, errlen, "%s: %s", path, strerror(errno));
		return UL_EIO;
	}
	r = parse_lines(c, path, &src, err, errlen);
	if (r == 0 && ferror(src.file)) {
		fail(err, errlen, "%s: read error", path);
		r = UL_EIO;
	}
	fclose(src.file);
	if (r == 0)
		r = check_all(c, path, err, errlen);
	return r;
}
