/* Products in the directory: uniProductName=NAME,ou=products, unique by
 * that name (an add of a taken name fails: UL_EEXIST). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "helper/store/ldap/internal.h"
#include "unilogin/error.h"

#define DN_MAX (UL_LDAP_DN_MAX + 128)

static int
product_dn(struct ul_store *st, const char *name, char dn[DN_MAX])
{
	char v[UL_PRODUCT_MAX * 3 + 1];

	if (dir_dn_value(v, sizeof(v), name) != 0)
		return UL_EINVAL;
	snprintf(dn, DN_MAX, "uniProductName=%s,ou=products,%s", v, st->base);
	return 0;
}

int
dir_product_get(struct ul_txn *t, const char *name, struct ul_product *p)
{
	char dn[DN_MAX];
	LDAPMessage *res = NULL, *e;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r = product_dn(t->st, name, dn);

	memset(p, 0, sizeof(*p));
	if (r != 0)
		return r;
	s = dir_lock_read(t, &lock);
	r = dir_search_one(s, dn, LDAP_SCOPE_BASE, "(objectClass=uniProduct)",
	    NULL, &res, &e);
	if (r == 0) {
		dir_text(s, e, "uniProductName", p->name, sizeof(p->name));
		dir_text(s, e, "uniDisplayName", p->display_name,
		    sizeof(p->display_name));
		p->created = dir_int(s, e, "uniCreated");
	}
	pthread_mutex_unlock(lock);
	ldap_msgfree(res);
	return r;
}

int
dir_product_create(struct ul_txn *t, const struct ul_product *p)
{
	char dn[DN_MAX];
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r = product_dn(t->st, p->name, dn);

	if (r != 0)
		return r;
	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_ADD, "objectClass", "uniProduct");
	dir_mods_text(&b, LDAP_MOD_ADD, "uniProductName", p->name);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniDisplayName", p->display_name);
	dir_mods_int(&b, LDAP_MOD_ADD, "uniCreated", p->created);
	s = dir_lock_write(t, &lock);
	r = dir_add(s, dn, dir_mods_list(&b));
	pthread_mutex_unlock(lock);
	return r;
}
