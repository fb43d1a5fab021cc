/* store = ldap, at open: the replica and the provider answer and take the
 * helper's bind, the base entry is there, and unilogin's own entries under
 * it exist (made here when missing: the containers and cn=fleet with the
 * schema version).  A directory whose entries are newer than this helper
 * knows is refused.
 *
 * The operations this version has are in dir_ops (store.c); ul_store_open
 * refuses a backend whose table is not complete, rather than run a helper
 * that would answer some requests and not others. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper/store/ldap/internal.h"
#include "unilogin/error.h"

#define ADD_VALUES(type, values) \
	{.mod_op = LDAP_MOD_ADD, .mod_type = (type), .mod_vals.modv_strvals = (values)}

static const char *const containers[] = {
	"users", "products", "apikeys", "claims", "failures", "meta", "members",
	"sshkeys",
};

/* The base entry on s: 0, or why not. */
static int
check_base(struct dir_session *s, const char *base, char *err, size_t errlen)
{
	char *attrs[] = {LDAP_NO_ATTRS, NULL};
	LDAPMessage *res = NULL;
	int rc;

	rc = ldap_search_ext_s(s->ld, base, LDAP_SCOPE_BASE, "(objectClass=*)",
	    attrs, 0, NULL, NULL, NULL, 1, &res);
	dir_msgfree(res);
	if (rc == LDAP_SUCCESS)
		return 0;
	if (rc == LDAP_NO_SUCH_OBJECT) {
		snprintf(err, errlen, "%s %s: ldap_base %s: no such entry (the "
		    "base entry is the administrator's: see base.ldif in "
		    "examples/ldap/)", s->what, s->uri, base);
		return UL_ESTORE;
	}
	snprintf(err, errlen, "%s %s: reading ldap_base %s: %s", s->what, s->uri,
	    base, ldap_err2string(rc));
	return dir_session_error(rc, false);
}

/* An add that may find its entry there already (0 then too). */
static int
add_entry(struct dir_session *s, const char *dn, LDAPMod **mods, char *err,
    size_t errlen)
{
	int rc = ldap_add_ext_s(s->ld, dn, mods, NULL, NULL);

	if (rc == LDAP_SUCCESS || rc == LDAP_ALREADY_EXISTS)
		return 0;
	if (rc == LDAP_UNDEFINED_TYPE || rc == LDAP_INVALID_SYNTAX ||
	    rc == LDAP_OBJECT_CLASS_VIOLATION)
		snprintf(err, errlen, "provider %s: adding %s: %s (is "
		    "unilogin.schema loaded? see examples/ldap/)", s->uri, dn,
		    ldap_err2string(rc));
	else
		snprintf(err, errlen, "provider %s: adding %s: %s", s->uri, dn,
		    ldap_err2string(rc));
	return dir_session_error(rc, true);
}

static int
add_containers(struct dir_session *s, const char *base, char *err,
    size_t errlen)
{
	char dn[UL_LDAP_DN_MAX + 32];
	char *oc[] = {"organizationalUnit", NULL};
	char *ou[] = {NULL, NULL};
	LDAPMod m_oc = ADD_VALUES("objectClass", oc);
	LDAPMod m_ou = ADD_VALUES("ou", ou);
	LDAPMod *mods[] = {&m_oc, &m_ou, NULL};
	int r;

	for (size_t i = 0; i < sizeof(containers) / sizeof(containers[0]); i++) {
		snprintf(dn, sizeof(dn), "ou=%s,%s", containers[i], base);
		ou[0] = (char *)containers[i];
		r = add_entry(s, dn, mods, err, errlen);
		if (r != 0)
			return r;
	}
	return 0;
}

/* cn=fleet,ou=meta: made with this helper's schema version when missing;
 * a newer one is refused. */
static int
check_fleet_entry(struct dir_session *s, const char *base, char *err,
    size_t errlen)
{
	char dn[UL_LDAP_DN_MAX + 32], version[16];
	char *oc[] = {"uniMeta", NULL}, *cn[] = {"fleet", NULL};
	char *ver[] = {version, NULL}, *attrs[] = {"uniSchemaVersion", NULL};
	LDAPMod m_oc = ADD_VALUES("objectClass", oc);
	LDAPMod m_cn = ADD_VALUES("cn", cn);
	LDAPMod m_v = ADD_VALUES("uniSchemaVersion", ver);
	LDAPMod *mods[] = {&m_oc, &m_cn, &m_v, NULL};
	LDAPMessage *res = NULL, *e;
	struct berval **vals;
	long found = 0;
	int rc, r;

	snprintf(dn, sizeof(dn), "cn=fleet,ou=meta,%s", base);
	snprintf(version, sizeof(version), "%d", UL_LDAP_SCHEMA);
	r = add_entry(s, dn, mods, err, errlen);
	if (r != 0)
		return r;
	rc = ldap_search_ext_s(s->ld, dn, LDAP_SCOPE_BASE, "(objectClass=uniMeta)",
	    attrs, 0, NULL, NULL, NULL, 1, &res);
	e = rc == LDAP_SUCCESS ? ldap_first_entry(s->ld, res) : NULL;
	vals = e ? ldap_get_values_len(s->ld, e, "uniSchemaVersion") : NULL;
	if (vals != NULL && vals[0] != NULL && vals[0]->bv_len < 16) {
		char text[16];

		memcpy(text, vals[0]->bv_val, vals[0]->bv_len);
		text[vals[0]->bv_len] = '\0';
		found = strtol(text, NULL, 10);
	}
	dir_values_free(vals);
	dir_msgfree(res);
	if (rc != LDAP_SUCCESS) {
		snprintf(err, errlen, "provider %s: reading %s: %s", s->uri, dn,
		    ldap_err2string(rc));
		return dir_session_error(rc, false);
	}
	if (found > UL_LDAP_SCHEMA) {
		snprintf(err, errlen, "provider %s: the fleet's entries have "
		    "schema version %ld, newer than this helper knows (%d): "
		    "upgrade unilogind", s->uri, found, UL_LDAP_SCHEMA);
		return UL_ESTORE;
	}
	return 0;
}

/* The first helper of a fleet records its keys' fingerprint (an add
 * asserting there is none yet: two first helpers at once, one wins);
 * every other helper must hold keys with a recorded fingerprint. */
int
dir_keys_check(struct ul_store *st, const char *fingerprint, char *err,
    size_t errlen)
{
	char dn[UL_LDAP_DN_MAX + 32], *attrs[] = {"uniKeyFingerprint", NULL};
	LDAPMessage *res = NULL, *e;
	struct berval **v = NULL;
	struct dir_mods b;
	bool found = false;
	int r;

	snprintf(dn, sizeof(dn), "cn=fleet,ou=meta,%s", st->base);
	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniKeyFingerprint", fingerprint);
	pthread_mutex_lock(&st->provider_lock);
	r = dir_modify(&st->provider, dn, dir_mods_list(&b),
	    "(!(uniKeyFingerprint=*))", NULL, NULL);
	if (r == UL_ECONFLICT)
		r = dir_search_one(&st->provider, dn, LDAP_SCOPE_BASE,
		    "(objectClass=uniMeta)", attrs, &res, &e);
	else
		e = NULL;
	if (r == 0 && e != NULL) {
		v = ldap_get_values_len(st->provider.ld, e, "uniKeyFingerprint");
		for (int i = 0; v != NULL && v[i] != NULL; i++)
			found = found || (v[i]->bv_len == strlen(fingerprint) &&
			    memcmp(v[i]->bv_val, fingerprint, v[i]->bv_len) == 0);
		if (!found) {
			snprintf(err, errlen, "this helper's keys file (%s) is not "
			    "the fleet's (%.*s, recorded under %s): copy the "
			    "fleet's keys file into state_dir (0600) and start "
			    "again", fingerprint, v && v[0] ? (int)v[0]->bv_len : 0,
			    v && v[0] ? v[0]->bv_val : "", st->base);
			r = UL_ECONFLICT;
		}
	} else if (r != 0) {
		snprintf(err, errlen, "provider %s: the fleet key rule: %s",
		    st->write_uri, ul_strerror(r));
	}
	pthread_mutex_unlock(&st->provider_lock);
	dir_values_free(v);
	dir_msgfree(res);
	return r;
}

/* A rotated keys file of the fleet's: its fingerprint added, under "the
 * file it was made from is recorded" (and not yet this one: two helpers
 * starting with it at once add it once). */
int
dir_keys_rotated(struct ul_store *st, const char *from, const char *to)
{
	char dn[UL_LDAP_DN_MAX + 32], f[UL_KEYS_FINGERPRINT_MAX * 3 + 1];
	char t[UL_KEYS_FINGERPRINT_MAX * 3 + 1], assertion[sizeof(f) * 2 + 64];
	struct dir_mods b;
	int r;

	if (dir_filter_value(f, sizeof(f), from) != 0 ||
	    dir_filter_value(t, sizeof(t), to) != 0)
		return UL_EINVAL;
	snprintf(dn, sizeof(dn), "cn=fleet,ou=meta,%s", st->base);
	snprintf(assertion, sizeof(assertion),
	    "(&(uniKeyFingerprint=%s)(!(uniKeyFingerprint=%s)))", f, t);
	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniKeyFingerprint", to);
	pthread_mutex_lock(&st->provider_lock);
	r = dir_modify(&st->provider, dn, dir_mods_list(&b), assertion, NULL, NULL);
	pthread_mutex_unlock(&st->provider_lock);
	return r;
}

int
ul_store_ldap_open(struct ul_store **out, const struct ul_conf *conf,
    char *err, size_t errlen)
{
	struct ul_store *st = calloc(1, sizeof(*st));
	int r;

	*out = NULL;
	err[0] = '\0';
	if (st == NULL)
		return UL_ENOMEM;
	st->ops = &dir_ops;
	snprintf(st->base, sizeof(st->base), "%s", conf->ldap_base);
	/* a host (role = host) writes nothing to the directory: its
	 * "provider" session is one more to its replica, which refers any
	 * write elsewhere and applies none (issue 16) */
	snprintf(st->write_uri, sizeof(st->write_uri), "%s",
	    conf->role == UL_ROLE_HOST ? conf->ldap_read_uri : conf->ldap_write_uri);
	snprintf(st->read_uri, sizeof(st->read_uri), "%s", conf->ldap_read_uri);
	st->conf = *conf;
	pthread_mutex_init(&st->replica_lock, NULL);
	pthread_mutex_init(&st->provider_lock, NULL);
	r = dir_session_open(&st->provider, conf, "provider", st->write_uri,
	    err, errlen);
	if (r == 0)
		r = check_base(&st->provider, st->base, err, errlen);
	/* a host (role = host) writes nothing to the directory: a verifier
	 * made the entries (issue 16) */
	if (r == 0 && conf->role != UL_ROLE_HOST)
		r = add_containers(&st->provider, st->base, err, errlen);
	if (r == 0 && conf->role != UL_ROLE_HOST)
		r = check_fleet_entry(&st->provider, st->base, err, errlen);
	/* the first helper's policy, for fleet status to compare with, and
	 * the step floor (0) on the provider it writes to (a verifier
	 * records both; a host reads them) */
	if (r == 0 && conf->role != UL_ROLE_HOST && ((r = dir_policy_record(&st->provider, st)) != 0 ||
	    (r = dir_floor_ensure(&st->provider, st)) != 0))
		snprintf(err, errlen, "provider %s: recording the fleet's policy "
		    "and step floor under ldap_base: %s", st->write_uri,
		    ul_strerror(r));
	if (r == 0)
		r = dir_session_open(&st->replica, conf, "replica", st->read_uri,
		    err, errlen);
	if (r == 0)
		r = check_base(&st->replica, st->base, err, errlen);
	if (r == 0)
		r = dir_local_open(st, conf, err, errlen);
	if (r != 0) {
		dir_ops.close(st);
		return r;
	}
	*out = st;
	return 0;
}
