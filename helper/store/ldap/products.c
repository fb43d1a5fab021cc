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
	dir_msgfree(res);
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

/* Products in the order of their names; the cursor's token the last name
 * returned. */
int
dir_product_next(struct ul_txn *t, struct ul_cursor *cur, struct ul_product *p)
{
	static const struct dir_list_key lk = {NULL, "uniProductName", NULL};
	char base[DN_MAX], best[UL_PRODUCT_MAX + 1] = "";
	char *attrs[] = {"uniProductName", NULL};
	char after[DIR_CURSOR_KEY_MAX + 1];
	int r;

	memset(p, 0, sizeof(*p));
	if (dir_cursor_key(cur, after) != 0)
		return UL_EINVAL;
	snprintf(base, sizeof(base), "ou=products,%s", t->st->base);
	do {
		r = dir_list_next(t, base, LDAP_SCOPE_ONELEVEL,
		    "(objectClass=uniProduct)", attrs, &lk, after, best,
		    sizeof(best), NULL, 0);
		if (r == 0)
			r = dir_cursor_set(cur, best);
		if (r == 0)
			r = dir_product_get(t, best, p);
		memcpy(after, best, strlen(best) + 1);
	} while (r == UL_ENOTFOUND && best[0] != '\0');
	return r;
}

static int
count(struct dir_session *s, const char *base, int scope, const char *filter,
    uint64_t *n)
{
	char *attrs[] = {"1.1", NULL};
	LDAPMessage *res = NULL;
	int r = dir_search_all(s, base, scope, filter, attrs, &res);

	*n = r == 0 ? (uint64_t)ldap_count_entries(s->ld, res) : 0;
	dir_msgfree(res);
	return r == UL_ENOTFOUND ? 0 : r;
}

/* Users, products and accounts as the directory holds them; the audit
 * and the commits as this host's own store counts them. */
int
dir_counts(struct ul_txn *t, struct ul_store_counts *c)
{
	char users[DN_MAX], products[DN_MAX];
	struct ul_store_counts local;
	struct ul_txn *lt = NULL;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	memset(c, 0, sizeof(*c));
	snprintf(users, sizeof(users), "ou=users,%s", t->st->base);
	snprintf(products, sizeof(products), "ou=products,%s", t->st->base);
	s = dir_lock_read(t, &lock);
	r = count(s, users, LDAP_SCOPE_ONELEVEL, "(objectClass=uniUser)",
	    &c->users);
	if (r == 0)
		r = count(s, products, LDAP_SCOPE_ONELEVEL, "(objectClass=uniProduct)",
		    &c->products);
	if (r == 0)
		r = count(s, products, LDAP_SCOPE_SUBTREE, "(objectClass=uniAccount)",
		    &c->accounts);
	pthread_mutex_unlock(lock);
	if (r == 0 && t->st->local != NULL &&
	    (r = ul_txn_begin(t->st->local, false, &lt)) == 0) {
		r = ul_store_counts(lt, &local);
		ul_txn_abort(lt);
		c->audit = local.audit;
		c->commits = local.commits;
		c->batches = local.batches;
		c->batched = local.batched;
	}
	return r;
}
