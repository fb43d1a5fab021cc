/* S3 failure counters in the directory (uniFailKey=HASH,ou=failures):
 * counted by increment with post-read under an assertion "below the limit
 * and not locked out", so that any number of hosts counting at once lose
 * no failure and lock out exactly once (F1). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/store/ldap/internal.h"
#include "unilogin/error.h"

#define DN_MAX (UL_LDAP_DN_MAX + 128)
#define TRIES 64    /* each lost round means another host's try counted */

/* The key (a normalised email) never names an entry as it is: a hash of
 * it does. */
static void
counter_dn(struct ul_store *st, const char *key, char dn[DN_MAX],
    char hex[65])
{
	uint8_t h[32];

	crypto_generichash(h, sizeof(h), (const uint8_t *)key, strlen(key),
	    (const uint8_t *)"unilogin S3", 11);
	sodium_bin2hex(hex, 65, h, sizeof(h));
	snprintf(dn, DN_MAX, "uniFailKey=%s,ou=failures,%s", hex, st->base);
}

#define COUNTER_FILTER "(objectClass=uniFailureCounter)"

void
dir_failure_query(struct ul_store *st, const char *key, struct dir_query *q)
{
	char dn[DN_MAX], hex[65];

	counter_dn(st, key, dn, hex);
	(void)dir_query_set(q, dn, LDAP_SCOPE_BASE, COUNTER_FILTER, NULL);
}

/* t: a prefetch may hold it (NULL: ask) */
static int
read_counter(struct ul_txn *t, struct dir_session *s, const char *dn,
    struct ul_failures *f)
{
	LDAPMessage *res = NULL, *e;
	struct dir_query q;
	int r = dir_query_set(&q, dn, LDAP_SCOPE_BASE, COUNTER_FILTER, NULL);

	if (r == 0)
		r = dir_search_q(t, s, &q, &res, &e);

	memset(f, 0, sizeof(*f));
	if (r == 0) {
		f->count = (uint32_t)dir_int(s, e, "uniFailCount");
		f->last = dir_int(s, e, "uniFailLast");
		f->locked_out_until = dir_int(s, e, "uniLockedOutUntil");
	}
	dir_msgfree(res);
	return r;
}

int
dir_failures_get(struct ul_txn *t, const char *key, struct ul_failures *f)
{
	char dn[DN_MAX], hex[65];
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	counter_dn(t->st, key, dn, hex);
	s = dir_lock_read(t, &lock);
	r = read_counter(t, s, dn, f);
	pthread_mutex_unlock(lock);
	/* read on the provider (a write transaction): a reset of this key
	 * later in it has nothing to delete */
	if (t->write && r == UL_ENOTFOUND)
		memcpy(t->no_counter, hex, sizeof(t->no_counter));
	else if (t->write)
		t->no_counter[0] = '\0';
	return r;
}

static int
ensure_counter(struct dir_session *s, const char *dn, const char *hex)
{
	struct dir_mods b;
	int r;

	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_ADD, "objectClass", "uniFailureCounter");
	dir_mods_text(&b, LDAP_MOD_ADD, "uniFailKey", hex);
	dir_mods_int(&b, LDAP_MOD_ADD, "uniFailCount", 0);
	dir_mods_int(&b, LDAP_MOD_ADD, "uniFailLast", 0);
	dir_mods_int(&b, LDAP_MOD_ADD, "uniLockedOutUntil", 0);
	r = dir_add(s, dn, dir_mods_list(&b));
	return r == UL_EEXIST ? 0 : r;
}

/* One round: the increment below the limit, else the try that reaches it
 * (count to 0, locked out), else: locked out already, or another host
 * moved the count meanwhile (UL_ECONFLICT: go again). */
static int
count_once(struct dir_session *s, const char *dn, uint32_t limit,
    uint32_t seconds, int64_t now, struct ul_failures *f)
{
	char assertion[128], *post[] = {"uniFailCount", NULL};
	struct dir_mods b;
	int64_t after = 0;
	int r;

	snprintf(assertion, sizeof(assertion),
	    "(&(uniFailCount<=%" PRId64 ")(uniLockedOutUntil<=%" PRId64 "))",
	    (int64_t)limit - 2, now);
	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_INCREMENT, "uniFailCount", "1");
	dir_mods_int(&b, LDAP_MOD_REPLACE, "uniFailLast", now);
	r = dir_modify(s, dn, dir_mods_list(&b), assertion, post, &after);
	if (r == 0) {
		*f = (struct ul_failures){(uint32_t)after, now, 0};
		return 0;
	}
	if (r != UL_ECONFLICT)
		return r;
	snprintf(assertion, sizeof(assertion),
	    "(&(uniFailCount>=%" PRId64 ")(uniLockedOutUntil<=%" PRId64 "))",
	    (int64_t)limit - 1, now);
	dir_mods_init(&b);
	dir_mods_int(&b, LDAP_MOD_REPLACE, "uniFailCount", 0);
	dir_mods_int(&b, LDAP_MOD_REPLACE, "uniFailLast", now);
	dir_mods_int(&b, LDAP_MOD_REPLACE, "uniLockedOutUntil", now + seconds);
	r = dir_modify(s, dn, dir_mods_list(&b), assertion, NULL, NULL);
	if (r == 0) {
		*f = (struct ul_failures){0, now, now + seconds};
		return 0;
	}
	if (r != UL_ECONFLICT)
		return r;
	r = read_counter(NULL, s, dn, f);
	if (r == 0 && f->locked_out_until > now)
		r = UL_ELOCKEDOUT;
	else if (r == 0)
		r = UL_ECONFLICT;
	memset(f, 0, sizeof(*f));
	return r;
}

int
dir_failure_count(struct ul_txn *t, const char *key, uint32_t limit,
    uint32_t seconds, int64_t now, struct ul_failures *f)
{
	char dn[DN_MAX], hex[65];
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	memset(f, 0, sizeof(*f));
	counter_dn(t->st, key, dn, hex);
	t->no_counter[0] = '\0';
	s = dir_lock_write(t, &lock);
	r = ensure_counter(s, dn, hex);
	for (int i = 0; r == 0 && i < TRIES; i++) {
		r = count_once(s, dn, limit, seconds, now, f);
		/* a success on another host deleted the counter since it was
		 * made (failure_reset): made again, this failure counts in it */
		if (r == UL_ENOTFOUND && (r = ensure_counter(s, dn, hex)) == 0)
			r = UL_ECONFLICT;
		if (r != UL_ECONFLICT)
			break;
		r = i + 1 < TRIES ? 0 : UL_EBUSY;
	}
	pthread_mutex_unlock(lock);
	return r;
}

int
dir_failure_reset(struct ul_txn *t, const char *key, int64_t now)
{
	char dn[DN_MAX], hex[65], assertion[64];
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	counter_dn(t->st, key, dn, hex);
	/* none when this transaction read it: a failure another host counts
	 * since then is one counted after this success */
	if (strcmp(t->no_counter, hex) == 0)
		return 0;
	snprintf(assertion, sizeof(assertion), "(uniLockedOutUntil<=%" PRId64 ")",
	    now);
	/* the counter goes (as on LMDB), unless a lockout holds at now; a
	 * replica that still shows it holds no lockout past now either */
	s = dir_lock_write_asserted(t, &lock);
	r = dir_delete(s, dn, assertion);
	pthread_mutex_unlock(lock);
	if (r == UL_ENOTFOUND)
		return 0;
	return r == UL_ECONFLICT ? UL_ELOCKEDOUT : r;
}

int
dir_failure_forget(struct ul_txn *t, const char *key)
{
	char dn[DN_MAX], hex[65];
	pthread_mutex_t *lock;
	struct dir_session *s;
	int rc;

	counter_dn(t->st, key, dn, hex);
	s = dir_lock_write(t, &lock);
	s->gen++;
	rc = s->ld == NULL ? LDAP_SERVER_DOWN : ldap_delete_ext_s(s->ld, dn, NULL,
	    NULL);
	if (rc == LDAP_SUCCESS || rc == LDAP_NO_SUCH_OBJECT)
		rc = 0;
	else
		rc = s->ld == NULL ? UL_EUNREACHABLE : dir_result(s, rc, true);
	pthread_mutex_unlock(lock);
	return rc;
}

/* Upkeep: counters whose last failure is before `before` (and that hold
 * no lockout past it) go, each by a delete under the assertion that it is
 * still that old, so that a failure another host counts meanwhile is
 * never lost. */
int
dir_failures_prune(struct ul_txn *t, int64_t before, unsigned max)
{
	char base[DN_MAX], filter[160], assertion[64], *attrs[] = {"1.1", NULL};
	LDAPControl *ctrls[2] = {NULL, NULL};
	LDAPMessage *res = NULL, *e;
	pthread_mutex_t *lock;
	struct dir_session *s;
	unsigned n = 0;
	int rc, r = 0;

	if (before <= 0 || max == 0)
		return 0;
	snprintf(base, sizeof(base), "ou=failures,%s", t->st->base);
	snprintf(filter, sizeof(filter), "(&(objectClass=uniFailureCounter)"
	    "(uniFailLast<=%" PRId64 ")(uniLockedOutUntil<=%" PRId64 "))",
	    before - 1, before - 1);
	snprintf(assertion, sizeof(assertion), "(uniFailLast<=%" PRId64 ")",
	    before - 1);
	s = dir_lock_write(t, &lock);
	if (s->ld == NULL) {
		pthread_mutex_unlock(lock);
		return UL_EUNREACHABLE;
	}
	rc = ldap_search_ext_s(s->ld, base, LDAP_SCOPE_ONELEVEL, filter, attrs, 0,
	    NULL, NULL, NULL, (int)max, &res);
	if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED &&
	    rc != LDAP_NO_SUCH_OBJECT)
		r = dir_result(s, rc, false);
	if (r == 0 && ldap_create_assertion_control(s->ld, assertion, 1,
	    &ctrls[0]) != LDAP_SUCCESS)
		r = UL_ESTORE;
	for (e = r == 0 ? ldap_first_entry(s->ld, res) : NULL;
	    e != NULL && n < max; e = ldap_next_entry(s->ld, e), n++) {
		char *dn = ldap_get_dn(s->ld, e);

		s->gen++;
		rc = dn == NULL ? LDAP_OTHER :
		    ldap_delete_ext_s(s->ld, dn, ctrls, NULL);
		ldap_memfree(dn);
		/* counted again meanwhile, or gone: kept, or nothing to do */
		if (rc != LDAP_SUCCESS && rc != LDAP_ASSERTION_FAILED &&
		    rc != LDAP_NO_SUCH_OBJECT) {
			r = dir_result(s, rc, true);
			break;
		}
	}
	ldap_control_free(ctrls[0]);
	dir_msgfree(res);
	pthread_mutex_unlock(lock);
	return r;
}
