/* store.h and local.h as calls through the backend's table (backend.h):
 * ul_store_open picks the backend the config's `store` names; every other
 * function finds the table from the handle it is given. */
#include "config.h"

#include <stdio.h>

#include "helper/store/backend.h"
#include "unilogin/error.h"

static const struct ul_store_ops *
ops_of_store(struct ul_store *st)
{
	return ((const struct ul_store_head *)(const void *)st)->ops;
}

static const struct ul_store_ops *
ops_of_txn(struct ul_txn *t)
{
	return ops_of_store(((const struct ul_txn_head *)(const void *)t)->st);
}

#ifdef UL_WITH_LDAP
#define HAS_OP(ret, name, member, params, args) && ops->member != NULL

/* A backend is served only when it has every operation: a helper that
 * answered some requests and failed others would surprise everyone. */
static int
open_complete(int (*open_backend)(struct ul_store **, const struct ul_conf *,
    char *, size_t), struct ul_store **out, const struct ul_conf *conf,
    char *err, size_t errlen)
{
	const struct ul_store_ops *ops;
	int r = open_backend(out, conf, err, errlen);

	if (r != 0)
		return r;
	ops = ops_of_store(*out);
	if (true UL_STORE_OPS_BY_STORE(HAS_OP) UL_STORE_OPS_BY_TXN(HAS_OP)
	    UL_STORE_OPS_VOID(HAS_OP))
		return 0;
	snprintf(err, errlen, "store = %s: the directory is ready (provider %s, "
	    "replica %s), but this unilogind does not serve the whole store "
	    "from it yet: use store = lmdb", ops->name, conf->ldap_write_uri,
	    conf->ldap_read_uri);
	ops->close(*out);
	*out = NULL;
	return UL_ESTORE;
}
#endif

int
ul_store_open(struct ul_store **out, const struct ul_conf *conf, char *err,
    size_t errlen)
{
	*out = NULL;
	if (conf->store != UL_STORE_LDAP)
		return ul_store_lmdb_open(out, conf, err, errlen);
#ifdef UL_WITH_LDAP
	return open_complete(ul_store_ldap_open, out, conf, err, errlen);
#else
	snprintf(err, errlen, "store = ldap: this unilogind was built without "
	    "LDAP (configure --with-ldap; Debian: libldap-dev)");
	return UL_ECONFIG;
#endif
}

void
ul_store_close(struct ul_store *st)
{
	if (st != NULL)
		ops_of_store(st)->close(st);
}

void
ul_txn_abort(struct ul_txn *t)
{
	if (t != NULL)
		ops_of_txn(t)->txn_abort(t);
}

void
ul_store_prefetch(struct ul_txn *t, const struct ul_prefetch *p)
{
	ops_of_txn(t)->prefetch(t, p);
}

#define BY_STORE(ret, name, member, params, args) \
	ret name params { return ops_of_store(st)->member args; }
#define BY_TXN(ret, name, member, params, args) \
	ret name params { return ops_of_txn(t)->member args; }
UL_STORE_OPS_BY_STORE(BY_STORE)
UL_STORE_OPS_BY_TXN(BY_TXN)
