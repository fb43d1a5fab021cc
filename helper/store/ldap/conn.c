/* Sessions to the directory: connect, TLS, bind, bounded by ldap_timeout,
 * with a message that says what failed and where (never a password). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "helper/store/ldap/internal.h"
#include "unilogin/error.h"

#define PASSWORD_MAX 256

int
dir_session_error(int rc, bool sent_write)
{
	switch (rc) {
	case LDAP_SUCCESS:
		return 0;
	case LDAP_TIMEOUT:
	case LDAP_SERVER_DOWN:
		/* an answer that never came: a write may have been applied */
		return sent_write ? UL_EUNKNOWN : UL_EUNREACHABLE;
	case LDAP_CONNECT_ERROR:
	case LDAP_UNAVAILABLE:
	case LDAP_BUSY:
		return UL_EUNREACHABLE;
	default:
		return UL_ESTORE;
	}
}

/* ldap_bind_password_file: the helper's user (or root) alone may read it;
 * a final newline is not part of the password. */
static int
read_password(const char *path, char pw[PASSWORD_MAX + 1], char *err,
    size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "ldap_bind_password_file %s: %s", path,
		    strerror(errno));
		return UL_ECONFIG;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		close(fd);
		snprintf(err, errlen, "ldap_bind_password_file %s: refused: it "
		    "must be a file of root or the helper's user, mode 0600 or "
		    "0400", path);
		return UL_ECONFIG;
	}
	n = read(fd, pw, PASSWORD_MAX + 1);
	close(fd);
	if (n < 0 || n > PASSWORD_MAX) {
		sodium_memzero(pw, PASSWORD_MAX + 1);
		snprintf(err, errlen, "ldap_bind_password_file %s: %s", path,
		    n < 0 ? strerror(errno) : "longer than 256 bytes");
		return UL_ECONFIG;
	}
	if (n > 0 && pw[n - 1] == '\n')
		n--;
	pw[n] = '\0';
	return 0;
}

static int
set_options(LDAP *ld, const struct ul_conf *conf)
{
	struct timeval tv = {.tv_sec = conf->ldap_timeout, .tv_usec = 0};
	int version = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;
	int rc;

	rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	if (rc == LDAP_SUCCESS)
		rc = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	if (rc == LDAP_SUCCESS)
		rc = ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
	/* a replica's referral never takes a write elsewhere (F2) */
	if (rc == LDAP_SUCCESS)
		rc = ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	if (rc == LDAP_SUCCESS && conf->ldap_tls_ca[0] != '\0')
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, conf->ldap_tls_ca);
	if (rc == LDAP_SUCCESS && conf->ldap_tls_cert[0] != '\0')
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CERTFILE, conf->ldap_tls_cert);
	if (rc == LDAP_SUCCESS && conf->ldap_tls_key[0] != '\0')
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_KEYFILE, conf->ldap_tls_key);
	if (rc == LDAP_SUCCESS)
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
	if (rc == LDAP_SUCCESS)
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
	return rc;
}

/* pw: the simple bind's password (NULL for SASL EXTERNAL). */
static int
bind_session(LDAP *ld, const char *dn, char *pw)
{
	static char none[1];
	struct berval cred = {0, none};

	/* EXTERNAL with an empty initial response (no authorization
	 * identity): without one, slapd's SASL asks for it, and the bind
	 * stops half-way (SASL bind in progress) */
	if (pw == NULL)
		return ldap_sasl_bind_s(ld, NULL, "EXTERNAL", &cred, NULL, NULL,
		    NULL);
	cred.bv_val = pw;
	cred.bv_len = strlen(pw);
	return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL,
	    NULL);
}

int
dir_session_open(struct dir_session *s, const struct ul_conf *conf,
    const char *what, const char *uri, char *err, size_t errlen)
{
	char pw[PASSWORD_MAX + 1];
	bool simple = conf->ldap_bind == UL_LDAP_BIND_SIMPLE;
	int rc, r;

	s->ld = NULL;
	s->gen++;
	s->what = what;
	s->uri = uri;
	s->timeout = conf->ldap_timeout;
	if (simple) {
		r = read_password(conf->ldap_bind_password_file, pw, err, errlen);
		if (r != 0)
			return r;
	}
	rc = ldap_initialize(&s->ld, uri);
	if (rc == LDAP_SUCCESS)
		rc = set_options(s->ld, conf);
	/* TLS on a plain ldap:// URI when the config names a CA */
	if (rc == LDAP_SUCCESS && conf->ldap_tls_ca[0] != '\0' &&
	    strncmp(uri, "ldap://", 7) == 0)
		rc = ldap_start_tls_s(s->ld, NULL, NULL);
	if (rc == LDAP_SUCCESS)
		rc = bind_session(s->ld, conf->ldap_bind_dn, simple ? pw : NULL);
	sodium_memzero(pw, sizeof(pw));
	if (rc == LDAP_SUCCESS)
		return 0;
	r = dir_session_error(rc, false);
	snprintf(err, errlen, "%s %s: %s (%s)", what, uri,
	    r == UL_EUNREACHABLE ? "unreachable" : "refused the helper's bind",
	    ldap_err2string(rc));
	dir_session_close(s);
	return r;
}

void
dir_session_close(struct dir_session *s)
{
	if (s->ld != NULL)
		ldap_unbind_ext_s(s->ld, NULL, NULL);
	s->ld = NULL;
	s->gen++;
}
