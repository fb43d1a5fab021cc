/* uids for new accounts from one fleet-wide counter (cn=next-uid,ou=meta,
 * uniCounter: the next uid to hand out), moved by increment with
 * post-read: any number of hosts allocating at once each get their own
 * value (L1a, F1).  A uid an account holds already is skipped. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "helper/store/ldap/internal.h"
#include "unilogin/error.h"

#define DN_MAX (UL_LDAP_DN_MAX + 64)
#define TRIES 64

static void
counter_dn(struct ul_store *st, char dn[DN_MAX])
{
	snprintf(dn, DN_MAX, "cn=next-uid,ou=meta,%s", st->base);
}

static int
ensure_counter(struct dir_session *s, const char *dn, uint32_t first)
{
	struct dir_mods b;
	int r;

	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_ADD, "objectClass", "uniMeta");
	dir_mods_text(&b, LDAP_MOD_ADD, "cn", "next-uid");
	dir_mods_int(&b, LDAP_MOD_ADD, "uniCounter", first);
	r = dir_add(s, dn, dir_mods_list(&b));
	return r == UL_EEXIST ? 0 : r;
}

/* The counter moves forward to at least `next` (never back). */
static int
counter_floor(struct dir_session *s, const char *dn, uint32_t next)
{
	char assertion[64];
	struct dir_mods b;
	int r;

	snprintf(assertion, sizeof(assertion), "(uniCounter<=%" PRIu32 ")",
	    next - 1);
	dir_mods_init(&b);
	dir_mods_int(&b, LDAP_MOD_REPLACE, "uniCounter", next);
	r = dir_modify(s, dn, dir_mods_list(&b), assertion, NULL, NULL);
	return r == UL_ECONFLICT ? 0 : r;     /* it was there already */
}

static int
uid_taken(struct dir_session *s, struct ul_store *st, uint32_t uid)
{
	char base[DN_MAX], filter[64], *attrs[] = {LDAP_NO_ATTRS, NULL};
	LDAPMessage *res = NULL, *e;
	int r;

	snprintf(base, sizeof(base), "ou=products,%s", st->base);
	snprintf(filter, sizeof(filter), "(&(objectClass=uniAccount)(uniUid=%"
	    PRIu32 "))", uid);
	r = dir_search_one(s, base, LDAP_SCOPE_SUBTREE, filter, attrs, &res, &e);
	dir_msgfree(res);
	return r == UL_ENOTFOUND ? 0 : r == 0 ? UL_EEXIST : r;
}

int
dir_uid_allocate(struct ul_txn *t, uint32_t min, uint32_t max, uint32_t *uid)
{
	char dn[DN_MAX], *post[] = {"uniCounter", NULL};
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int64_t after = 0;
	int r;

	*uid = 0;
	counter_dn(t->st, dn);
	s = dir_lock_write(t, &lock);
	r = ensure_counter(s, dn, min);
	for (int i = 0; r == 0 && i < TRIES; i++) {
		dir_mods_init(&b);
		dir_mods_text(&b, LDAP_MOD_INCREMENT, "uniCounter", "1");
		r = dir_modify(s, dn, dir_mods_list(&b), NULL, post, &after);
		if (r != 0)
			break;
		/* after the increment: the value handed out is the one before */
		if (after - 1 < min) {
			r = counter_floor(s, dn, min);
			continue;
		}
		if (after - 1 > max) {
			r = UL_ENOSPC;
			break;
		}
		r = uid_taken(s, t->st, (uint32_t)(after - 1));
		if (r == 0) {
			*uid = (uint32_t)(after - 1);
			break;
		}
		if (r == UL_EEXIST)
			r = i + 1 < TRIES ? 0 : UL_EBUSY;
	}
	pthread_mutex_unlock(lock);
	return r;
}

int
dir_uid_floor(struct ul_txn *t, uint32_t next)
{
	char dn[DN_MAX];
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	counter_dn(t->st, dn);
	s = dir_lock_write(t, &lock);
	r = ensure_counter(s, dn, next);
	if (r == 0)
		r = counter_floor(s, dn, next);
	pthread_mutex_unlock(lock);
	return r;
}

int
dir_next_uid(struct ul_txn *t, uint32_t *next)
{
	char dn[DN_MAX];
	LDAPMessage *res = NULL, *e;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	*next = 0;
	counter_dn(t->st, dn);
	s = dir_lock_read(t, &lock);
	r = dir_search_one(s, dn, LDAP_SCOPE_BASE, "(objectClass=uniMeta)", NULL,
	    &res, &e);
	if (r == 0)
		*next = (uint32_t)dir_int(s, e, "uniCounter");
	pthread_mutex_unlock(lock);
	dir_msgfree(res);
	return r == UL_ENOTFOUND ? 0 : r;
}
