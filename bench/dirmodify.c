/* dirmodify: one provider modify done raw with libldap, the baseline of
 * bench/run's fleet rows (section 8).  Built only for `make bench`; never
 * installed, never part of make check.
 *
 *   dirmodify URI BIND_DN PASSWORD_FILE BASE EMAIL N
 *
 * Binds to the provider at URI as the helper identity BIND_DN (simple
 * bind, the password read from PASSWORD_FILE, never from argv), finds the
 * user entry of EMAIL under BASE (not timed) and does N single-entry
 * modifies of it, each what a LOGIN_CODE's TOTP step writes (store/ldap's
 * dir_totp_accept): a replace of uniTotpLastStep by the next step under
 * an assertion (RFC 4528) that the stored step is below it and the mail
 * is the user's, sent and its result awaited synchronously.  Prints the
 * ns of each modify (send to result) as JSON, and how many failed. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldap.h>

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
die(const char *what, int rc)
{
	fprintf(stderr, "dirmodify: %s: %s\n", what, ldap_err2string(rc));
	exit(1);
}

/* The DN of EMAIL's entry and its current step (0 when it has none). */
static char *
find_user(LDAP *ld, const char *base, const char *email, int64_t *step)
{
	char filter[512], *attrs[] = {"uniTotpLastStep", NULL}, *dn;
	LDAPMessage *res = NULL, *e;
	struct berval **v;
	int rc;

	snprintf(filter, sizeof(filter), "(&(objectClass=uniUser)(mail=%s))", email);
	rc = ldap_search_ext_s(ld, base, LDAP_SCOPE_SUBTREE, filter, attrs, 0,
	    NULL, NULL, NULL, 1, &res);
	if (rc != LDAP_SUCCESS)
		die("search", rc);
	if ((e = ldap_first_entry(ld, res)) == NULL) {
		fprintf(stderr, "dirmodify: no user %s under %s\n", email, base);
		exit(1);
	}
	dn = ldap_get_dn(ld, e);
	*step = 0;
	if ((v = ldap_get_values_len(ld, e, "uniTotpLastStep")) != NULL) {
		if (v[0] != NULL && v[0]->bv_len < 32) {
			char s[32];

			memcpy(s, v[0]->bv_val, v[0]->bv_len);
			s[v[0]->bv_len] = '\0';
			*step = strtoll(s, NULL, 10);
		}
		ldap_value_free_len(v);
	}
	ldap_msgfree(res);
	return dn;
}

int
main(int argc, char **argv)
{
	char pw[256], value[32], assertion[600], *vals[2] = {value, NULL};
	LDAPMod mod = {.mod_op = LDAP_MOD_REPLACE, .mod_type = "uniTotpLastStep",
	    .mod_values = vals};
	LDAPMod *mods[2] = {&mod, NULL};
	struct berval cred;
	int64_t step, *ns;
	int version = LDAP_VERSION3, rc, fail = 0;
	long n;
	LDAP *ld;
	FILE *f;
	char *dn;

	if (argc != 7 || (n = strtol(argv[6], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: dirmodify URI BIND_DN PASSWORD_FILE BASE EMAIL N\n");
		return 2;
	}
	if ((f = fopen(argv[3], "r")) == NULL || fgets(pw, sizeof(pw), f) == NULL) {
		perror(argv[3]);
		return 1;
	}
	fclose(f);
	pw[strcspn(pw, "\n")] = '\0';
	if ((rc = ldap_initialize(&ld, argv[1])) != LDAP_SUCCESS)
		die("initialize", rc);
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	cred.bv_val = pw;
	cred.bv_len = strlen(pw);
	rc = ldap_sasl_bind_s(ld, argv[2], LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	memset(pw, 0, sizeof(pw));
	if (rc != LDAP_SUCCESS)
		die("bind", rc);
	dn = find_user(ld, argv[4], argv[5], &step);
	if ((ns = calloc((size_t)n, sizeof(*ns))) == NULL)
		return 1;
	for (long i = 0; i < n; i++) {
		LDAPControl *ctrl = NULL, *ctrls[2] = {NULL, NULL};
		int64_t t;

		step++;
		snprintf(value, sizeof(value), "%" PRId64, step);
		snprintf(assertion, sizeof(assertion),
		    "(&(|(uniTotpLastStep<=%" PRId64 ")(!(uniTotpLastStep=*)))(mail=%s))",
		    step - 1, argv[5]);
		t = now_ns();
		rc = ldap_create_assertion_control(ld, assertion, 1, &ctrl);
		if (rc != LDAP_SUCCESS)
			die("assertion", rc);
		ctrls[0] = ctrl;
		rc = ldap_modify_ext_s(ld, dn, mods, ctrls, NULL);
		ns[i] = now_ns() - t;
		ldap_control_free(ctrl);
		if (rc != LDAP_SUCCESS) {
			if (fail++ == 0)
				fprintf(stderr, "dirmodify: modify: %s\n", ldap_err2string(rc));
		}
	}
	printf("{\"n\":%ld,\"fail\":%d,\"ns\":[", n, fail);
	for (long i = 0; i < n; i++)
		printf("%s%" PRId64, i ? "," : "", ns[i]);
	printf("]}\n");
	ldap_memfree(dn);
	free(ns);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return 0;
}
