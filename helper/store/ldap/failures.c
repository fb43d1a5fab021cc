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

static int
read_counter(struct dir_session *s, const char *dn, struct ul_failures *f)
{
	LDAPMessage *res = NULL, *e;
	int r = dir_search_one(s, dn, LDAP_SCOPE_BASE,
	    "(objectClass=uniFailureCounter)", NULL, &res, &e);

	memset(f, 0, sizeof(*f));
	if (r == 0) {
		f->count = (uint32_t)dir_int(s, e, "uniFailCount");
		f->last = dir_int(s, e, "uniFailLast");
		f->locked_out_until = dir_int(s, e, "uniLockedOutUntil");
	}
	ldap_msgfree(res);
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
	r = read_counter(s, dn, f);
	pthread_mutex_unlock(lock);
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
	r = read_counter(s, dn, f);
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
	s = dir_lock_write(t, &lock);
	r = ensure_counter(s, dn, hex);
	for (int i = 0; r == 0 && i < TRIES; i++) {
		r = count_once(s, dn, limit, seconds, now, f);
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
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	counter_dn(t->st, key, dn, hex);
	snprintf(assertion, sizeof(assertion), "(uniLockedOutUntil<=%" PRId64 ")",
	    now);
	dir_mods_init(&b);
	dir_mods_int(&b, LDAP_MOD_REPLACE, "uniFailCount", 0);
	s = dir_lock_write(t, &lock);
	r = dir_modify(s, dn, dir_mods_list(&b), assertion, NULL, NULL);
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
	rc = s->ld == NULL ? LDAP_SERVER_DOWN : ldap_delete_ext_s(s->ld, dn, NULL,
	    NULL);
	if (rc == LDAP_SUCCESS || rc == LDAP_NO_SUCH_OBJECT)
		rc = 0;
	else
		rc = s->ld == NULL ? UL_EUNREACHABLE : dir_result(s, rc, true);
	pthread_mutex_unlock(lock);
	return rc;
}
