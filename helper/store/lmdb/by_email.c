/* The LMDB backend's accounts by their own email (L2, L4, U6), and the
 * schema 3 upgrade of that index.
 *
 * Schema 3: acct_email holds only the accounts whose own email is not
 * their owner's.  A linked account's email is its owner's (L2) and U6
 * moves both, so at scale nearly every entry was one that `owned` (owner
 * \0product -> name) already names; ul_store_account_with_email finds
 * those through `owned` and merges both walks in acct_email's order
 * (email\0product\0name), so its answers are the ones schema 2 gave. */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "helper/store/lmdb/internal.h"
#include "unilogin/error.h"

/* LMDB's default order of keys: bytes, then the shorter first. */
static int
key_cmp(const void *a, size_t na, const void *b, size_t nb)
{
	int c = memcmp(a, b, na < nb ? na : nb);

	return c != 0 ? c : na < nb ? -1 : na > nb;
}

/* The first component of the tail of `from` after plen bytes. */
static int
from_product(const struct st_key *from, size_t plen, char *out, size_t n)
{
	size_t len = from->len > plen ? strnlen(from->buf + plen, from->len - plen)
	    : 0;

	if (len >= n)
		return UL_EINVAL;
	memcpy(out, from->buf + plen, len);
	out[len] = '\0';
	return 0;
}

/* The next account (in email\0product\0name order, after `from`) that
 * `email` owns and whose own email is `email`; its key in *key. */
static int
owned_after(struct ul_txn *t, const char *email, const struct st_key *prefix,
    const struct st_key *from, bool strict, struct st_key *key,
    struct ul_account *a)
{
	char product[UL_PRODUCT_MAX + 1], name[UL_ACCOUNT_MAX + 1];
	struct st_key at;
	MDB_val k, v;
	bool after = false;
	int r, c;

	if (from_product(from, prefix->len, product, sizeof(product)) != 0 ||
	    st_key_make(&at, email, product) != 0)
		return UL_EINVAL;
	while ((r = st_seek_after(t, DB_OWNED, &at, after, prefix->buf,
	    prefix->len, &k, &v)) == 0) {
		r = UL_ESTORE;
		if (k.mv_size > sizeof(at.buf) || v.mv_size >= sizeof(name))
			break;
		memcpy(at.buf, k.mv_data, k.mv_size);
		at.len = k.mv_size;
		after = true;
		memcpy(name, v.mv_data, v.mv_size);
		name[v.mv_size] = '\0';
		if (st_key_tail(&k, prefix->len, product, sizeof(product), NULL,
		    0) != 0 || st_key3(key, email, product, name) != 0)
			break;
		c = key_cmp(key->buf, key->len, from->buf, from->len);
		if (c < 0 || (c == 0 && strict))
			continue;
		r = lmdb_account_get(t, product, name, a);
		if (r == 0 && strcmp(a->email, email) == 0)
			return 0;
		/* another email (listed by acct_email, if any), or a dangling
		 * entry: not this list's */
		if (r != 0 && r != UL_ENOTFOUND)
			break;
	}
	sodium_memzero(a, sizeof(*a));
	return r;
}

int
lmdb_account_with_email(struct ul_txn *t, const char *email,
    struct ul_cursor *cur, struct ul_account *a)
{
	char product[UL_PRODUCT_MAX + 1], name[UL_ACCOUNT_MAX + 1];
	struct st_key prefix, from, owned_key;
	struct ul_account owned;
	bool strict = true;
	MDB_val k, v;
	int re, ro, r;

	memset(a, 0, sizeof(*a));
	if (st_key_make(&prefix, email, "") != 0 ||
	    (r = st_cursor_key(cur, &from)) != 0)
		return UL_EINVAL;
	/* a token from elsewhere (another list) starts the prefix */
	if (from.len < prefix.len || memcmp(from.buf, prefix.buf, prefix.len) != 0) {
		from = prefix;
		strict = false;
	}
	re = st_seek_after(t, DB_ACCT_EMAIL, &from, strict, prefix.buf, prefix.len,
	    &k, &v);
	ro = owned_after(t, email, &prefix, &from, strict, &owned_key, &owned);
	if ((re != 0 && re != UL_ENOTFOUND) || (ro != 0 && ro != UL_ENOTFOUND)) {
		sodium_memzero(&owned, sizeof(owned));
		return re != 0 && re != UL_ENOTFOUND ? re : ro;
	}
	if (ro == 0 && (re != 0 ||
	    key_cmp(owned_key.buf, owned_key.len, k.mv_data, k.mv_size) < 0)) {
		*a = owned;
		sodium_memzero(&owned, sizeof(owned));
		st_cursor_set(cur, owned_key.buf, owned_key.len);
		return 0;
	}
	sodium_memzero(&owned, sizeof(owned));
	if (re != 0)
		return re;
	st_cursor_set(cur, k.mv_data, k.mv_size);
	r = st_key_tail(&k, prefix.len, product, sizeof(product), name,
	    sizeof(name));
	return r != 0 ? r : lmdb_account_get(t, product, name, a);
}

static int
drop_owner_email(struct ul_txn *t, const struct ul_account *a)
{
	struct st_key k;

	if (a->email[0] == '\0' || strcmp(a->email, a->owner) != 0 ||
	    st_key3(&k, a->email, a->product, a->name) != 0)
		return 0;
	return st_del(t, DB_ACCT_EMAIL, &k);
}

/* Schema 3: the acct_email entries of accounts whose email is their
 * owner's go; `owned` finds those accounts. */
int
st_accounts_drop_owner_emails(struct ul_txn *t)
{
	return st_accounts_each(t, drop_owner_email);
}
