/* Teammates (L7) in the directory: one entry per role,
 * mail=EMAIL+uniProductName=P+uniAccountName=A,ou=members (the name is
 * the key: one role per user and account), found by account or by user. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "helper/store/ldap/internal.h"
#include "unilogin/error.h"

#define ESC(n) ((n) * 3 + 1)
#define DN_MAX (UL_LDAP_DN_MAX + ESC(UL_EMAIL_MAX) + ESC(UL_PRODUCT_MAX) + \
	ESC(UL_ACCOUNT_MAX) + 64)
#define FILTER_MAX (ESC(UL_EMAIL_MAX) + ESC(UL_PRODUCT_MAX) + \
	ESC(UL_ACCOUNT_MAX) + 128)

static int
member_dn(struct ul_store *st, const char *product, const char *account,
    const char *email, char dn[DN_MAX])
{
	char e[ESC(UL_EMAIL_MAX)], p[ESC(UL_PRODUCT_MAX)], a[ESC(UL_ACCOUNT_MAX)];

	if (dir_dn_value(e, sizeof(e), email) != 0 ||
	    dir_dn_value(p, sizeof(p), product) != 0 ||
	    dir_dn_value(a, sizeof(a), account) != 0)
		return UL_EINVAL;
	snprintf(dn, DN_MAX, "mail=%s+uniProductName=%s+uniAccountName=%s,"
	    "ou=members,%s", e, p, a, st->base);
	return 0;
}

int
dir_member_get(struct ul_txn *t, const char *product, const char *account,
    const char *email, char role[UL_ROLE_MAX + 1])
{
	char dn[DN_MAX], *attrs[] = {"uniRole", NULL};
	LDAPMessage *res = NULL, *e;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r = member_dn(t->st, product, account, email, dn);

	role[0] = '\0';
	if (r != 0)
		return r;
	s = dir_lock_read(t, &lock);
	r = dir_search_one(s, dn, LDAP_SCOPE_BASE, "(objectClass=uniMember)", attrs,
	    &res, &e);
	if (r == 0)
		dir_text(s, e, "uniRole", role, UL_ROLE_MAX + 1);
	pthread_mutex_unlock(lock);
	dir_msgfree(res);
	return r;
}

/* The list of filter in ou=members after the cursor: the entry's role,
 * and its key as the cursor's token. */
static int
member_list(struct ul_txn *t, const char *filter,
    const struct dir_list_key *lk, struct ul_cursor *cur,
    char best[DIR_CURSOR_KEY_MAX + 1], char role[UL_ROLE_MAX + 1])
{
	char base[UL_LDAP_DN_MAX + 16], after[DIR_CURSOR_KEY_MAX + 1];
	char *attrs[] = {"mail", "uniProductName", "uniAccountName", "uniRole",
	    NULL};
	int r;

	if (dir_cursor_key(cur, after) != 0)
		return UL_EINVAL;
	snprintf(base, sizeof(base), "ou=members,%s", t->st->base);
	r = dir_list_next(t, base, LDAP_SCOPE_ONELEVEL, filter, attrs, lk,
	    after, best, DIR_CURSOR_KEY_MAX + 1, role, UL_ROLE_MAX + 1);
	return r == 0 ? dir_cursor_set(cur, best) : r;
}

int
dir_member_next(struct ul_txn *t, const char *product, const char *account,
    struct ul_cursor *cur, char email[UL_EMAIL_MAX + 1],
    char role[UL_ROLE_MAX + 1])
{
	static const struct dir_list_key lk = {NULL, "mail", "uniRole"};
	char p[ESC(UL_PRODUCT_MAX)], a[ESC(UL_ACCOUNT_MAX)], filter[FILTER_MAX];
	char key[DIR_CURSOR_KEY_MAX + 1];
	int r;

	email[0] = role[0] = '\0';
	if (dir_filter_value(p, sizeof(p), product) != 0 ||
	    dir_filter_value(a, sizeof(a), account) != 0)
		return UL_EINVAL;
	snprintf(filter, sizeof(filter), "(&(objectClass=uniMember)"
	    "(uniProductName=%s)(uniAccountName=%s))", p, a);
	r = member_list(t, filter, &lk, cur, key, role);
	if (r == 0 && strlen(key) > UL_EMAIL_MAX)
		r = UL_ESTORE;
	if (r == 0)
		memcpy(email, key, strlen(key) + 1);
	return r;
}

int
dir_membership_next(struct ul_txn *t, const char *email, struct ul_cursor *cur,
    char product[UL_PRODUCT_MAX + 1], char account[UL_ACCOUNT_MAX + 1],
    char role[UL_ROLE_MAX + 1])
{
	static const struct dir_list_key lk = {dir_key_account, NULL, "uniRole"};
	char v[ESC(UL_EMAIL_MAX)], filter[FILTER_MAX], key[DIR_CURSOR_KEY_MAX + 1];
	const char *tab;
	int r;

	product[0] = account[0] = role[0] = '\0';
	if (dir_filter_value(v, sizeof(v), email) != 0)
		return UL_EINVAL;
	snprintf(filter, sizeof(filter), "(&(objectClass=uniMember)(mail=%s))", v);
	r = member_list(t, filter, &lk, cur, key, role);
	tab = r == 0 ? strchr(key, '\t') : NULL;
	if (r == 0 && (tab == NULL || tab - key > UL_PRODUCT_MAX ||
	    strlen(tab + 1) > UL_ACCOUNT_MAX))
		return UL_ESTORE;
	if (r == 0) {
		memcpy(product, key, (size_t)(tab - key));
		product[tab - key] = '\0';
		memcpy(account, tab + 1, strlen(tab + 1) + 1);
	}
	return r;
}

/* Sets (or replaces) a role: an add, or, when the name is taken, a
 * replace of its role. */
int
dir_member_set(struct ul_txn *t, const char *product, const char *account,
    const char *email, const char *role)
{
	char dn[DN_MAX];
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	size_t n = strlen(role);
	int r = member_dn(t->st, product, account, email, dn);

	if (r != 0 || n == 0 || n > UL_ROLE_MAX)
		return UL_EINVAL;
	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_ADD, "objectClass", "uniMember");
	dir_mods_text(&b, LDAP_MOD_ADD, "mail", email);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniProductName", product);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniAccountName", account);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniRole", role);
	s = dir_lock_write(t, &lock);
	r = dir_mods_list(&b) ? dir_add(s, dn, dir_mods_list(&b)) : UL_ETOOBIG;
	if (r == UL_EEXIST) {
		dir_mods_init(&b);
		dir_mods_text(&b, LDAP_MOD_REPLACE, "uniRole", role);
		r = dir_modify(s, dn, dir_mods_list(&b), NULL, NULL, NULL);
	}
	pthread_mutex_unlock(lock);
	return r;
}

int
dir_member_remove(struct ul_txn *t, const char *product, const char *account,
    const char *email)
{
	char dn[DN_MAX];
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r = member_dn(t->st, product, account, email, dn);

	if (r != 0)
		return r;
	s = dir_lock_write(t, &lock);
	r = dir_delete(s, dn, NULL);
	pthread_mutex_unlock(lock);
	return r == UL_ENOTFOUND ? 0 : r;
}
