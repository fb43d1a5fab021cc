/* API keys (T8) in the directory: uniApiKeyId=ID,ou=apikeys, unique by
 * that name; the user's email in uniOwnerEmail (U6 moves it), the keyed
 * hash of the secret in its own attribute (uniApiKeyHash). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/store/ldap/internal.h"
#include "unilogin/error.h"

#define ESC(n) ((n) * 3 + 1)
#define DN_MAX (UL_LDAP_DN_MAX + ESC(UL_APIKEY_ID_MAX) + 32)

static int
apikey_dn(struct ul_store *st, const char *id, char dn[DN_MAX])
{
	char v[ESC(UL_APIKEY_ID_MAX)];

	if (id[0] == '\0' || dir_dn_value(v, sizeof(v), id) != 0)
		return UL_EINVAL;
	snprintf(dn, DN_MAX, "uniApiKeyId=%s,ou=apikeys,%s", v, st->base);
	return 0;
}

static void
read_apikey(struct dir_session *s, LDAPMessage *e, struct ul_apikey *k)
{
	struct berval **v = ldap_get_values_len(s->ld, e, "uniApiKeyHash");

	memset(k, 0, sizeof(*k));
	dir_text(s, e, "uniApiKeyId", k->id, sizeof(k->id));
	dir_text(s, e, "uniOwnerEmail", k->email, sizeof(k->email));
	dir_text(s, e, "uniProductName", k->product, sizeof(k->product));
	dir_text(s, e, "uniAccountName", k->account, sizeof(k->account));
	if (v != NULL && v[0] != NULL && v[0]->bv_len == sizeof(k->hash))
		memcpy(k->hash, v[0]->bv_val, sizeof(k->hash));
	dir_values_free(v);
	k->created = dir_int(s, e, "uniCreated");
	k->expires = dir_int(s, e, "uniExpires");
	k->last_used = dir_int(s, e, "uniLastUsed");
}

int
dir_apikey_get(struct ul_txn *t, const char *id, struct ul_apikey *k)
{
	char dn[DN_MAX];
	LDAPMessage *res = NULL, *e;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r = apikey_dn(t->st, id, dn);

	memset(k, 0, sizeof(*k));
	if (r != 0)
		return r == UL_EINVAL ? UL_ENOTFOUND : r;
	s = dir_lock_read(t, &lock);
	r = dir_search_one(s, dn, LDAP_SCOPE_BASE, "(objectClass=uniApiKey)",
	    NULL, &res, &e);
	if (r == 0)
		read_apikey(s, e, k);
	pthread_mutex_unlock(lock);
	dir_msgfree(res);
	return r;
}

static int
get_apikey(struct ul_txn *t, const char *id, void *k)
{
	return dir_apikey_get(t, id, k);
}

/* A user's keys in id order; the cursor's key the last id returned. */
int
dir_apikey_next(struct ul_txn *t, const char *email, struct ul_cursor *cur,
    struct ul_apikey *k)
{
	memset(k, 0, sizeof(*k));
	return dir_by_owner_next(t, "apikeys", "uniApiKey", "uniApiKeyId", email,
	    cur, get_apikey, k);
}

int
dir_apikey_create(struct ul_txn *t, const struct ul_apikey *k)
{
	char dn[DN_MAX];
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r = apikey_dn(t->st, k->id, dn);

	if (r != 0)
		return r;
	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_ADD, "objectClass", "uniApiKey");
	dir_mods_text(&b, LDAP_MOD_ADD, "uniApiKeyId", k->id);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniOwnerEmail", k->email);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniProductName", k->product);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniAccountName", k->account);
	dir_mods_bin(&b, LDAP_MOD_ADD, "uniApiKeyHash", k->hash, sizeof(k->hash));
	dir_mods_int(&b, LDAP_MOD_ADD, "uniCreated", k->created);
	dir_mods_int(&b, LDAP_MOD_ADD, "uniExpires", k->expires);
	dir_mods_int(&b, LDAP_MOD_ADD, "uniLastUsed", k->last_used);
	s = dir_lock_write(t, &lock);
	r = dir_mods_list(&b) ? dir_add(s, dn, dir_mods_list(&b)) : UL_ETOOBIG;
	pthread_mutex_unlock(lock);
	dir_mods_wipe(&b);
	return r;
}

int
dir_apikey_revoke(struct ul_txn *t, const char *id)
{
	char dn[DN_MAX];
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r = apikey_dn(t->st, id, dn);

	if (r != 0)
		return r == UL_EINVAL ? UL_ENOTFOUND : r;
	s = dir_lock_write(t, &lock);
	r = dir_delete(s, dn, NULL);
	pthread_mutex_unlock(lock);
	return r;
}

/* U6: one replace of the owner (UL_ECONFLICT when the key went). */
int
dir_apikey_move(struct ul_txn *t, const char *id, const char *email)
{
	char dn[DN_MAX];
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r = apikey_dn(t->st, id, dn);

	if (r != 0)
		return r == UL_EINVAL ? UL_ECONFLICT : r;
	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_REPLACE, "uniOwnerEmail", email);
	s = dir_lock_write(t, &lock);
	r = dir_modify(s, dn, dir_mods_list(&b), NULL, NULL, NULL);
	pthread_mutex_unlock(lock);
	return r == UL_ENOTFOUND ? UL_ECONFLICT : r;
}
