/* SSH public keys (K1) in the directory: uniSshKeyId=ID,ou=sshkeys, unique
 * by that name; the fingerprint unique fleet-wide by its claim entry
 * (ssh:FINGERPRINT), made before the key's entry and given back when the
 * key goes, so that two hosts adding one key for two users at once get
 * one winner (F1). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "helper/store/ldap/internal.h"
#include "unilogin/error.h"

#define ESC(n) ((n) * 3 + 1)
#define DN_MAX (UL_LDAP_DN_MAX + ESC(UL_SSHKEY_ID_MAX) + 32)
#define FP_MAX 53

static int
sshkey_dn(struct ul_store *st, const char *id, char dn[DN_MAX])
{
	char v[ESC(UL_SSHKEY_ID_MAX)];

	if (id == NULL || id[0] == '\0' || dir_dn_value(v, sizeof(v), id) != 0)
		return UL_EINVAL;
	snprintf(dn, DN_MAX, "uniSshKeyId=%s,ou=sshkeys,%s", v, st->base);
	return 0;
}

static void
read_sshkey(struct dir_session *s, LDAPMessage *e, struct ul_sshkey *k)
{
	char flag[8];

	memset(k, 0, sizeof(*k));
	dir_text(s, e, "uniSshKeyId", k->id, sizeof(k->id));
	dir_text(s, e, "uniOwnerEmail", k->email, sizeof(k->email));
	dir_text(s, e, "uniSshKeyType", k->type, sizeof(k->type));
	dir_text(s, e, "uniSshKeyBlob", k->blob, sizeof(k->blob));
	dir_text(s, e, "uniSshKeyComment", k->comment, sizeof(k->comment));
	dir_text(s, e, "uniSshKeyFingerprint", k->fingerprint,
	    sizeof(k->fingerprint));
	k->bits = (uint32_t)dir_int(s, e, "uniSshKeyBits");
	dir_text(s, e, "uniAutomation", flag, sizeof(flag));
	k->automation = strcmp(flag, "TRUE") == 0;
	dir_text(s, e, "uniProductName", k->product, sizeof(k->product));
	dir_text(s, e, "uniAccountName", k->account, sizeof(k->account));
	k->created = dir_int(s, e, "uniCreated");
	k->last_used = dir_int(s, e, "uniLastUsed");
}

/* The one key filter finds under base. */
static int
find_key(struct ul_txn *t, const char *base, int scope, const char *filter,
    struct ul_sshkey *k)
{
	LDAPMessage *res = NULL, *e;
	pthread_mutex_t *lock;
	struct dir_session *s = dir_lock_read(t, &lock);
	int r = dir_search_one(s, base, scope, filter, NULL, &res, &e);

	if (r == 0)
		read_sshkey(s, e, k);
	pthread_mutex_unlock(lock);
	dir_msgfree(res);
	return r;
}

int
dir_sshkey_get(struct ul_txn *t, const char *id, struct ul_sshkey *k)
{
	char dn[DN_MAX];

	memset(k, 0, sizeof(*k));
	if (sshkey_dn(t->st, id, dn) != 0)
		return UL_ENOTFOUND;
	return find_key(t, dn, LDAP_SCOPE_BASE, "(objectClass=uniSshKey)", k);
}

int
dir_sshkey_by_fingerprint(struct ul_txn *t, const char *fingerprint,
    struct ul_sshkey *k)
{
	char base[UL_LDAP_DN_MAX + 16], v[ESC(FP_MAX)], filter[sizeof(v) + 64];

	memset(k, 0, sizeof(*k));
	if (fingerprint == NULL || fingerprint[0] == '\0' ||
	    dir_filter_value(v, sizeof(v), fingerprint) != 0)
		return UL_ENOTFOUND;
	snprintf(base, sizeof(base), "ou=sshkeys,%s", t->st->base);
	snprintf(filter, sizeof(filter),
	    "(&(objectClass=uniSshKey)(uniSshKeyFingerprint=%s))", v);
	return find_key(t, base, LDAP_SCOPE_ONELEVEL, filter, k);
}

static int
get_sshkey(struct ul_txn *t, const char *id, void *k)
{
	return dir_sshkey_get(t, id, k);
}

/* A user's keys in id order; the cursor's key the last id returned. */
int
dir_sshkey_next(struct ul_txn *t, const char *email, struct ul_cursor *cur,
    struct ul_sshkey *k)
{
	memset(k, 0, sizeof(*k));
	return dir_by_owner_next(t, "sshkeys", "uniSshKey", "uniSshKeyId", email,
	    cur, get_sshkey, k);
}

static void
fp_key(char key[FP_MAX + 8], const char *fingerprint)
{
	snprintf(key, FP_MAX + 8, "ssh:%s", fingerprint);
}

int
dir_sshkey_create(struct ul_txn *t, const struct ul_sshkey *k)
{
	char dn[DN_MAX], key[FP_MAX + 8];
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	LDAPMod **mods;
	int r = sshkey_dn(t->st, k->id, dn);

	if (r != 0 || k->fingerprint[0] == '\0' || k->email[0] == '\0')
		return UL_EINVAL;
	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_ADD, "objectClass", "uniSshKey");
	dir_mods_text(&b, LDAP_MOD_ADD, "uniSshKeyId", k->id);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniOwnerEmail", k->email);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniSshKeyType", k->type);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniSshKeyBlob", k->blob);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniSshKeyComment", k->comment);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniSshKeyFingerprint", k->fingerprint);
	dir_mods_int(&b, LDAP_MOD_ADD, "uniSshKeyBits", k->bits);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniAutomation",
	    k->automation ? "TRUE" : "FALSE");
	dir_mods_text(&b, LDAP_MOD_ADD, "uniProductName", k->product);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniAccountName", k->account);
	dir_mods_int(&b, LDAP_MOD_ADD, "uniCreated", k->created);
	dir_mods_int(&b, LDAP_MOD_ADD, "uniLastUsed", k->last_used);
	mods = dir_mods_list(&b);
	if (mods == NULL)
		return UL_ETOOBIG;
	fp_key(key, k->fingerprint);
	s = dir_lock_write(t, &lock);
	/* the fingerprint's claim first: any user's key of it refuses this */
	r = dir_claim(s, t->st, key, dn, (int64_t)time(NULL));
	if (r == 0) {
		r = dir_add(s, dn, mods);
		if (r != 0 && r != UL_EUNKNOWN)
			(void)dir_unclaim(s, t->st, key);
	}
	pthread_mutex_unlock(lock);
	return r;
}

int
dir_sshkey_remove(struct ul_txn *t, const char *id)
{
	char dn[DN_MAX], key[FP_MAX + 8], *attrs[] = {"uniSshKeyFingerprint", NULL};
	char fp[FP_MAX + 1] = "";
	LDAPMessage *res = NULL, *e;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	if (sshkey_dn(t->st, id, dn) != 0)
		return UL_ENOTFOUND;
	s = dir_lock_write(t, &lock);
	r = dir_search_one(s, dn, LDAP_SCOPE_BASE, "(objectClass=uniSshKey)",
	    attrs, &res, &e);
	if (r == 0)
		dir_text(s, e, "uniSshKeyFingerprint", fp, sizeof(fp));
	dir_msgfree(res);
	if (r == 0)
		r = dir_delete(s, dn, NULL);
	/* the key went: its fingerprint is free again */
	if (r == 0 && fp[0] != '\0') {
		fp_key(key, fp);
		r = dir_unclaim(s, t->st, key);
	}
	pthread_mutex_unlock(lock);
	return r;
}

/* U6: one replace of the owner (UL_ECONFLICT when the key went). */
int
dir_sshkey_move(struct ul_txn *t, const char *id, const char *email)
{
	char dn[DN_MAX];
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	if (sshkey_dn(t->st, id, dn) != 0)
		return UL_ECONFLICT;
	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_REPLACE, "uniOwnerEmail", email);
	s = dir_lock_write(t, &lock);
	r = dir_modify(s, dn, dir_mods_list(&b), NULL, NULL, NULL);
	pthread_mutex_unlock(lock);
	return r == UL_ENOTFOUND ? UL_ECONFLICT : r;
}
