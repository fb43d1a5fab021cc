/* A fleet's own operations on the directory (INTERFACES.md, "Fleet"):
 *   fleet status  both servers reached, cn=fleet read (schema version,
 *                 key fingerprint, policy), the replica's lag from the
 *                 contextCSN values of ldap_base;
 *   fleet promote cn=step-floor,ou=meta (uniStepFloor): no TOTP step at
 *                 or below it is accepted (users.c, dir_totp_accept), so
 *                 that the steps a fenced provider accepted and never
 *                 passed on are not accepted again on the new one (T3),
 *                 and none gives a login through a provider other than
 *                 the one that wrote the floor last (its entryCSN);
 *   fleet repair  claims whose holder is gone or holds the value no more
 *                 (a crash between a claim and its entry), older than
 *                 the caller's `before`, removed under "still that claim".
 * Everything here reads and writes the provider, which holds the truth;
 * the replica is read only for what the status says about it. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helper/store/ldap/internal.h"
#include "unilogin/error.h"

#define META_DN_MAX (UL_LDAP_DN_MAX + 32)
#define POLICY_VALUE_MAX 64

/* ---- the policy (the "Decided": kdf, lockout, window, digits,
 * uid range) as KEY=VALUE lines ---- */

static unsigned
policy_lines(const struct ul_conf *c, char out[][POLICY_VALUE_MAX])
{
	unsigned n = 0;

	snprintf(out[n++], POLICY_VALUE_MAX, "kdf=%llu:%zu", c->kdf_opslimit,
	    c->kdf_memlimit >> 20);
	snprintf(out[n++], POLICY_VALUE_MAX, "lockout_attempts=%u",
	    c->lockout_attempts);
	snprintf(out[n++], POLICY_VALUE_MAX, "lockout_seconds=%u",
	    c->lockout_seconds);
	snprintf(out[n++], POLICY_VALUE_MAX, "totp_window=%u", c->totp_window);
	snprintf(out[n++], POLICY_VALUE_MAX, "totp_digits=%u", c->totp_digits);
	snprintf(out[n++], POLICY_VALUE_MAX, "uid_min=%" PRIu32, c->uid_min);
	snprintf(out[n++], POLICY_VALUE_MAX, "uid_max=%" PRIu32, c->uid_max);
	return n;
}

static void
fleet_dn(struct ul_store *st, const char *cn, char dn[META_DN_MAX])
{
	snprintf(dn, META_DN_MAX, "cn=%s,ou=meta,%s", cn, st->base);
}

/* The first helper's policy, added under "there is none yet" (a later
 * helper, or two first ones at once: the one recorded stays). */
int
dir_policy_record(struct dir_session *s, struct ul_store *st)
{
	char lines[UL_FLEET_POLICY_MAX][POLICY_VALUE_MAX], dn[META_DN_MAX];
	unsigned n = policy_lines(&st->conf, lines);
	struct dir_mods b;
	int r;

	fleet_dn(st, "fleet", dn);
	dir_mods_init(&b);
	for (unsigned i = 0; i < n; i++)
		dir_mods_text(&b, LDAP_MOD_ADD, "uniPolicy", lines[i]);
	r = dir_modify(s, dn, dir_mods_list(&b), "(!(uniPolicy=*))", NULL, NULL);
	return r == UL_ECONFLICT ? 0 : r;
}

/* Where this host's lines differ from the recorded values v. */
static void
policy_compare(struct ul_store *st, struct berval **v,
    struct ul_fleet_status *o)
{
	char here[UL_FLEET_POLICY_MAX][POLICY_VALUE_MAX];
	unsigned n = policy_lines(&st->conf, here);

	for (unsigned i = 0; i < n && o->ndiff < UL_FLEET_POLICY_MAX; i++) {
		size_t klen = strcspn(here[i], "=") + 1;     /* "key=" */
		const char *fleet = "(none)";
		char value[POLICY_VALUE_MAX];
		struct ul_fleet_policy_diff *d;

		for (int k = 0; v != NULL && v[k] != NULL; k++)
			if (v[k]->bv_len >= klen && v[k]->bv_len < sizeof(value) &&
			    memcmp(v[k]->bv_val, here[i], klen) == 0) {
				memcpy(value, v[k]->bv_val + klen, v[k]->bv_len - klen);
				value[v[k]->bv_len - klen] = '\0';
				fleet = value;
			}
		if (strcmp(fleet, here[i] + klen) == 0)
			continue;
		d = &o->diff[o->ndiff++];
		snprintf(d->key, sizeof(d->key), "%.*s", (int)(klen - 1), here[i]);
		snprintf(d->here, sizeof(d->here), "%s", here[i] + klen);
		snprintf(d->fleet, sizeof(d->fleet), "%s", fleet);
	}
}

/* cn=fleet as s shows it: version, key, policy. */
static int
read_fleet(struct dir_session *s, struct ul_store *st, const char *fingerprint,
    struct ul_fleet_status *o)
{
	char dn[META_DN_MAX];
	char *attrs[] = {"uniSchemaVersion", "uniKeyFingerprint", "uniPolicy", NULL};
	LDAPMessage *res = NULL, *e;
	struct berval **v;
	int r;

	fleet_dn(st, "fleet", dn);
	r = dir_search_one(s, dn, LDAP_SCOPE_BASE, "(objectClass=uniMeta)", attrs,
	    &res, &e);
	if (r == 0) {
		o->schema = dir_int(s, e, "uniSchemaVersion");
		dir_text(s, e, "uniKeyFingerprint", o->recorded_key,
		    sizeof(o->recorded_key));
		v = ldap_get_values_len(s->ld, e, "uniKeyFingerprint");
		for (int i = 0; v != NULL && v[i] != NULL; i++)
			o->key_matches = o->key_matches ||
			    (v[i]->bv_len == strlen(fingerprint) &&
			    memcmp(v[i]->bv_val, fingerprint, v[i]->bv_len) == 0);
		ldap_value_free_len(v);
		o->ndiff = 0;
		/* a host (role = host) applies none of the policy: its
		 * verifiers hash, count failures and check codes, so its own
		 * policy keys are not the fleet's to compare (issue 16) */
		if (st->conf.role != UL_ROLE_HOST) {
			v = ldap_get_values_len(s->ld, e, "uniPolicy");
			policy_compare(st, v, o);
			ldap_value_free_len(v);
		}
	}
	dir_msgfree(res);
	return r;
}

static void
say_why(char *out, size_t n, struct dir_session *s, int r)
{
	if (r == UL_EUNREACHABLE || r == UL_EUNKNOWN)
		snprintf(out, n, "unreachable: %s (no answer within ldap_timeout, "
		    "%u s)", s->uri, s->timeout);
	else if (r == UL_ENOTFOUND)
		snprintf(out, n, "unreachable: %s holds no cn=fleet,ou=meta under "
		    "ldap_base", s->uri);
	else
		snprintf(out, n, "unreachable: %s: %s", s->uri, ul_strerror(r));
}

/* A CSN's time (YYYYmmddHHMMSS.ffffffZ#...) in microseconds, -1 if none. */
static int64_t
csn_usec(const char *csn)
{
	struct tm tm;
	unsigned long frac = 0;
	char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(csn, "%Y%m%d%H%M%S", &tm);
	if (end == NULL)
		return -1;
	if (*end == '.')
		frac = strtoul(end + 1, NULL, 10);
	return (int64_t)timegm(&tm) * 1000000 + (int64_t)frac;
}

/* How far the replica's contextCSN values are behind the provider's:
 * for each server id the provider has, the time between its newest
 * change and the newest the replica holds (of that id, or of any when it
 * holds none of it), in ms rounded up: 0 only when the replica holds
 * everything.  -1 when the replica holds no CSN at all. */
static int64_t
lag_ms(char p[][64], int np, char c[][64], int nc)
{
	int64_t lag = 0, newest = -1;

	for (int i = 0; i < nc; i++)
		if (csn_usec(c[i]) > newest)
			newest = csn_usec(c[i]);
	for (int i = 0; i < np; i++) {
		size_t lp, lc;
		const char *sp = dir_csn_sid(p[i], &lp);
		int64_t have = newest, d;
		bool found = false, behind = true;

		for (int k = 0; k < nc && !found; k++) {
			const char *sc = dir_csn_sid(c[k], &lc);

			if (lp == lc && memcmp(sp, sc, lp) == 0) {
				found = true;
				have = csn_usec(c[k]);
				behind = strcmp(c[k], p[i]) < 0;
			}
		}
		if (!behind)
			continue;
		if (have < 0)
			return -1;
		d = (csn_usec(p[i]) - have + 999) / 1000;
		lag = d < 1 ? (lag > 1 ? lag : 1) : (d > lag ? d : lag);
	}
	return lag;
}

int
dir_fleet_status(struct ul_store *st, const char *fingerprint,
    struct ul_fleet_status *o)
{
	struct ul_txn tw = {.st = st, .write = true, .began = dir_clock_ms()},
	    tr = {.st = st, .began = dir_clock_ms()};
	char pcsn[DIR_CSNS][64], ccsn[DIR_CSNS][64];
	pthread_mutex_t *lock;
	struct dir_session *s;
	int np = -1, nc = -1, r;

	memset(o, 0, sizeof(*o));
	o->lag_ms = -1;
	/* a host (role = host) neither writes nor reaches the provider */
	if (st->conf.role == UL_ROLE_HOST) {
		snprintf(o->provider_why, sizeof(o->provider_why), "not used "
		    "(role = host: its verifiers write)");
		goto replica;
	}
	s = dir_lock_write(&tw, &lock);
	/* a directory a helper older than the policy rule made: record */
	r = dir_policy_record(s, st);
	if (r == 0)
		r = read_fleet(s, st, fingerprint, o);
	if (r == 0) {
		char sid[DIR_SID_MAX];

		np = dir_context_csns(s, st->base, pcsn, DIR_CSNS);
		(void)dir_step_floor(NULL, s, st, &o->step_floor, sid);
	}
	o->provider_ok = r == 0;
	if (r != 0)
		say_why(o->provider_why, sizeof(o->provider_why), s, r);
	pthread_mutex_unlock(lock);
replica:
	s = dir_lock_read(&tr, &lock);
	nc = dir_context_csns(s, st->base, ccsn, DIR_CSNS);
	/* the provider away: what the replica knows of cn=fleet */
	r = nc < 0 ? UL_EUNREACHABLE : o->provider_ok ? 0 :
	    read_fleet(s, st, fingerprint, o);
	o->replica_ok = nc >= 0 && (r == 0 || r == UL_ENOTFOUND);
	if (!o->replica_ok)
		say_why(o->replica_why, sizeof(o->replica_why), s,
		    s->ld == NULL ? UL_EUNREACHABLE : r);
	pthread_mutex_unlock(lock);
	if (o->provider_ok && o->replica_ok && np >= 0)
		o->lag_ms = np == 0 ? 0 : lag_ms(pcsn, np, ccsn, nc);
	return 0;
}

/* ---- the step floor ----
 *
 * cn=step-floor is made (floor 0) by the fleet's first helper on the
 * provider it writes to, and written again by each promotion on the new
 * one: the server id in its entryCSN names the provider that was last
 * promoted.  A TOTP accept on another provider (the name moved, no
 * promotion yet) is not a login: the floor is not there yet (T3). */

static char *floor_attrs[] = {"uniStepFloor", "entryCSN", NULL};

void
dir_floor_query(struct ul_store *st, struct dir_query *q)
{
	char dn[META_DN_MAX];

	fleet_dn(st, "step-floor", dn);
	(void)dir_query_set(q, dn, LDAP_SCOPE_BASE, "(objectClass=uniMeta)",
	    floor_attrs);
}

int
dir_step_floor(struct ul_txn *t, struct dir_session *s, struct ul_store *st,
    int64_t *floor, char sid[DIR_SID_MAX])
{
	struct dir_query q;
	char csn[64];
	LDAPMessage *res = NULL, *e;
	const char *p;
	size_t len;
	int r;

	*floor = 0;
	sid[0] = '\0';
	dir_floor_query(st, &q);
	r = dir_search_q(t, s, &q, &res, &e);
	if (r == 0) {
		*floor = dir_int(s, e, "uniStepFloor");
		dir_text(s, e, "entryCSN", csn, sizeof(csn));
		p = dir_csn_sid(csn, &len);
		if (len < DIR_SID_MAX) {
			memcpy(sid, p, len);
			sid[len] = '\0';
		}
	}
	dir_msgfree(res);
	return r == UL_ENOTFOUND ? 0 : r;
}

bool
dir_csn_of(const char *csn, const char *sid)
{
	size_t len;
	const char *p = dir_csn_sid(csn, &len);

	return sid[0] == '\0' || (len == strlen(sid) && memcmp(p, sid, len) == 0);
}

int
dir_floor_ensure(struct dir_session *s, struct ul_store *st)
{
	char dn[META_DN_MAX];
	struct dir_mods b;
	int r;

	fleet_dn(st, "step-floor", dn);
	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_ADD, "objectClass", "uniMeta");
	dir_mods_text(&b, LDAP_MOD_ADD, "cn", "step-floor");
	dir_mods_int(&b, LDAP_MOD_ADD, "uniStepFloor", 0);
	dir_mods_int(&b, LDAP_MOD_ADD, "uniCounter", 0);
	r = dir_add(s, dn, dir_mods_list(&b));
	return r == UL_EEXIST ? 0 : r;
}

int
dir_fleet_promote(struct ul_store *st, int64_t floor, int64_t *was,
    int64_t *now)
{
	struct ul_txn t = {.st = st, .write = true, .began = dir_clock_ms()};
	char dn[META_DN_MAX], assertion[64], sid[DIR_SID_MAX];
	pthread_mutex_t *lock;
	struct dir_session *s;
	struct dir_mods b;
	int r;

	*now = 0;
	fleet_dn(st, "step-floor", dn);
	s = dir_lock_write(&t, &lock);
	r = dir_floor_ensure(s, st);
	if (r == 0)
		r = dir_step_floor(NULL, s, st, was, sid);
	/* written even when it stays (a second promotion, or one back to a
	 * provider promoted before): its entryCSN then names this provider;
	 * raised, never lowered (tried again when another raised it) */
	for (int tries = 0; r == 0 && tries < 3; tries++) {
		int64_t target = *was > floor ? *was : floor;

		snprintf(assertion, sizeof(assertion), "(uniStepFloor<=%" PRId64 ")",
		    target);
		dir_mods_init(&b);
		dir_mods_int(&b, LDAP_MOD_REPLACE, "uniStepFloor", target);
		dir_mods_int(&b, LDAP_MOD_INCREMENT, "uniCounter", 1);
		r = dir_modify(s, dn, dir_mods_list(&b), assertion, NULL, NULL);
		if (r == 0) {
			*now = target;
			break;
		}
		if (r == UL_ECONFLICT)
			r = dir_step_floor(NULL, s, st, was, sid);
	}
	pthread_mutex_unlock(lock);
	return r;
}

/* ---- orphan claims ---- */

/* The attribute filter that says the holder still holds the claim's
 * value: "" for a kind this version does not know (never swept). */
static int
holds_filter(const char *claim, char *out, size_t n)
{
	char v[sizeof(((struct ul_fleet_orphan *)0)->claim) * 3];
	const char *value = strchr(claim, ':'), *attr2 = NULL, *attr;
	char part[sizeof(((struct ul_fleet_orphan *)0)->claim)];

	out[0] = '\0';
	if (value == NULL)
		return 0;
	value++;
	snprintf(part, sizeof(part), "%s", value);
	if (strncmp(claim, "mail:", 5) == 0) {
		attr = "mail";
		attr2 = "uniPendingEmail";
	} else if (strncmp(claim, "unix:", 5) == 0) {
		/* unix:PRODUCT:USER (a product name has no colon) */
		const char *user = strchr(value, ':');

		if (user == NULL)
			return 0;
		snprintf(part, sizeof(part), "%s", user + 1);
		attr = "uniUnixUser";
	} else if (strncmp(claim, "uid:", 4) == 0) {
		attr = "uniUid";
	} else if (strncmp(claim, "owner:", 6) == 0) {
		/* owner:EMAIL:PRODUCT (the product last: an email may hold
		 * a colon) */
		char *p = strrchr(part, ':');

		if (p == NULL)
			return 0;
		*p = '\0';
		attr = "uniOwnerEmail";
	} else if (strncmp(claim, "ssh:", 4) == 0) {
		attr = "uniSshKeyFingerprint";
	} else {
		return 0;
	}
	if (dir_filter_value(v, sizeof(v), part) != 0)
		return UL_EINVAL;
	if (attr2 != NULL)
		snprintf(out, n, "(|(%s=%s)(%s=%s))", attr, v, attr2, v);
	else
		snprintf(out, n, "(%s=%s)", attr, v);
	return 0;
}

struct claim_row {
	struct ul_fleet_orphan o;
	char dn[DIR_CLAIM_DN_MAX];
};

/* The claims made from `since` to before `before`, copied out of the
 * provider's answer (so that the checks after it take the lock one claim
 * at a time). */
static int
old_claims(struct ul_store *st, int64_t since, int64_t before,
    struct claim_row **out, size_t *count)
{
	struct ul_txn t = {.st = st, .write = true, .began = dir_clock_ms()};
	char base[UL_LDAP_DN_MAX + 16], filter[96];
	char *attrs[] = {"uniClaimName", "uniClaimHolder", "uniCreated", NULL};
	LDAPMessage *res = NULL, *e;
	pthread_mutex_t *lock;
	struct dir_session *s;
	struct claim_row *rows = NULL;
	size_t n = 0;
	int r;

	*out = NULL;
	*count = 0;
	snprintf(base, sizeof(base), "ou=claims,%s", st->base);
	snprintf(filter, sizeof(filter), "(&(objectClass=uniClaim)(uniCreated<=%"
	    PRId64 ")(uniCreated>=%" PRId64 "))", before - 1, since);
	s = dir_lock_write(&t, &lock);
	r = dir_search_all(s, base, LDAP_SCOPE_ONELEVEL, filter, attrs, &res);
	if (r == 0) {
		int total = ldap_count_entries(s->ld, res);

		rows = calloc(total > 0 ? (size_t)total : 1, sizeof(*rows));
		if (rows == NULL)
			r = UL_ENOMEM;
	}
	for (e = r == 0 ? ldap_first_entry(s->ld, res) : NULL; e != NULL;
	    e = ldap_next_entry(s->ld, e)) {
		char *dn = ldap_get_dn(s->ld, e);
		struct claim_row *row = &rows[n];

		if (dn == NULL || strlen(dn) >= sizeof(row->dn)) {
			ldap_memfree(dn);
			continue;
		}
		memcpy(row->dn, dn, strlen(dn) + 1);
		ldap_memfree(dn);
		dir_text(s, e, "uniClaimName", row->o.claim, sizeof(row->o.claim));
		dir_text(s, e, "uniClaimHolder", row->o.holder, sizeof(row->o.holder));
		row->o.created = dir_int(s, e, "uniCreated");
		n++;
	}
	pthread_mutex_unlock(lock);
	dir_msgfree(res);
	if (r != 0) {
		free(rows);
		return r == UL_ENOTFOUND ? 0 : r;
	}
	*out = rows;
	*count = n;
	return 0;
}

/* 1: an orphan, 0: held (or a holder that is no name: left alone), or
 * the directory's error (nothing decided). */
static int
is_orphan(struct dir_session *s, const struct claim_row *row)
{
	char filter[sizeof(row->o.claim) * 6 + 64];
	char *attrs[] = {LDAP_NO_ATTRS, NULL};
	LDAPMessage *res = NULL, *e;
	int r = holds_filter(row->o.claim, filter, sizeof(filter));

	if (r != 0 || filter[0] == '\0' || row->o.holder[0] == '\0')
		return 0;       /* unknown kind or no holder: left alone */
	r = dir_search_one(s, row->o.holder, LDAP_SCOPE_BASE, filter, attrs,
	    &res, &e);
	dir_msgfree(res);
	if (r == UL_ENOTFOUND)
		return 1;
	return r == UL_ESTORE ? 0 : r;
}

int
dir_fleet_repair(struct ul_store *st, int64_t since, int64_t before,
    bool dry_run,
    void (*each)(void *arg, const struct ul_fleet_orphan *o), void *arg,
    unsigned *removed)
{
	struct claim_row *rows;
	size_t n;
	int r = old_claims(st, since, before, &rows, &n);

	*removed = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct ul_txn t = {.st = st, .write = true, .began = dir_clock_ms()};
		char holder[sizeof(rows[i].o.holder) * 3];
		char assertion[sizeof(holder) + 96];
		pthread_mutex_t *lock;
		struct dir_session *s = dir_lock_write(&t, &lock);
		int orphan = is_orphan(s, &rows[i]);

		r = orphan < 0 ? orphan : 0;
		if (orphan == 1 && !dry_run) {
			/* still the claim read: the same holder, as old */
			r = dir_filter_value(holder, sizeof(holder), rows[i].o.holder);
			snprintf(assertion, sizeof(assertion),
			    "(&(uniCreated<=%" PRId64 ")(uniClaimHolder=%s))",
			    before - 1, holder);
			if (r == 0)
				r = dir_delete(s, rows[i].dn, assertion);
			if (r == UL_ENOTFOUND || r == UL_ECONFLICT) {
				orphan = 0;     /* gone, or made again meanwhile */
				r = 0;
			}
		}
		pthread_mutex_unlock(lock);
		if (r == 0 && orphan == 1) {
			(*removed)++;
			if (each != NULL)
				each(arg, &rows[i].o);
		}
	}
	free(rows);
	return r;
}
