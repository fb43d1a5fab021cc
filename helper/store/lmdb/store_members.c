/* The store's teammates (L7), session history (L11), pending email changes
 * (U6) and the retention of history (L11, S8). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "helper/store/lmdb/store_internal.h"
#include "unilogin/error.h"

static int
role_of(const MDB_val *v, char role[UL_ROLE_MAX + 1])
{
	if (v->mv_size > UL_ROLE_MAX)
		return UL_ESTORE;
	memcpy(role, v->mv_data, v->mv_size);
	role[v->mv_size] = '\0';
	return 0;
}

int
ul_store_member_get(struct ul_txn *t, const char *product, const char *account,
    const char *email, char role[UL_ROLE_MAX + 1])
{
	struct st_key k;
	MDB_val v;
	int r;

	role[0] = '\0';
	if (st_key3(&k, product, account, email) != 0)
		return UL_ENOTFOUND;
	r = st_get(t, DB_MEMBERS, &k, &v);
	return r != 0 ? r : role_of(&v, role);
}

int
ul_store_member_put(struct ul_txn *t, const char *product, const char *account,
    const char *email, const char *role)
{
	struct st_key k, by;
	size_t n = strlen(role);
	int r;

	if (n == 0 || n > UL_ROLE_MAX || st_key3(&k, product, account, email) != 0 ||
	    st_key3(&by, email, product, account) != 0)
		return UL_EINVAL;
	r = st_put_raw(t, DB_MEMBERS, &k, role, n);
	return r != 0 ? r : st_put_raw(t, DB_MEMBERS_BY_EMAIL, &by, role, n);
}

int
ul_store_member_del(struct ul_txn *t, const char *product, const char *account,
    const char *email)
{
	struct st_key k, by;
	int r;

	if (st_key3(&k, product, account, email) != 0 ||
	    st_key3(&by, email, product, account) != 0)
		return UL_EINVAL;
	r = st_del(t, DB_MEMBERS, &k);
	return r != 0 ? r : st_del(t, DB_MEMBERS_BY_EMAIL, &by);
}

/* The tail of a key after its prefix: into a (one part), or split at its
 * NUL into a and b (two parts). */
static int
tail(const MDB_val *k, size_t plen, char *a, size_t na, char *b, size_t nb)
{
	const char *p = (const char *)k->mv_data + plen;
	size_t n = k->mv_size - plen, la = strnlen(p, n);

	if (b == NULL) {
		if (la != n || n >= na)
			return UL_ESTORE;
		memcpy(a, p, n);
		a[n] = '\0';
		return 0;
	}
	if (la >= n || la >= na || n - la - 1 >= nb)
		return UL_ESTORE;
	memcpy(a, p, la);
	a[la] = '\0';
	memcpy(b, p + la + 1, n - la - 1);
	b[n - la - 1] = '\0';
	return 0;
}

int
ul_store_member_next(struct ul_txn *t, const char *product, const char *account,
    const char *after, char email[UL_EMAIL_MAX + 1], char role[UL_ROLE_MAX + 1])
{
	struct st_key from, prefix;
	MDB_val k, v;
	int r;

	if (st_key3(&from, product, account, after) != 0 ||
	    st_key3(&prefix, product, account, "") != 0)
		return UL_EINVAL;
	r = st_seek_after(t, DB_MEMBERS, &from, after[0] != '\0', prefix.buf,
	    prefix.len, &k, &v);
	if (r == 0)
		r = tail(&k, prefix.len, email, UL_EMAIL_MAX + 1, NULL, 0);
	return r != 0 ? r : role_of(&v, role);
}

int
ul_store_membership_next(struct ul_txn *t, const char *email,
    const char *after_product, const char *after_account,
    char product[UL_PRODUCT_MAX + 1], char account[UL_ACCOUNT_MAX + 1],
    char role[UL_ROLE_MAX + 1])
{
	struct st_key from, prefix;
	MDB_val k, v;
	int r;

	if (st_key_make(&prefix, email, "") != 0)
		return UL_EINVAL;
	if (after_product[0] == '\0')
		from = prefix;
	else if (st_key3(&from, email, after_product, after_account) != 0)
		return UL_EINVAL;
	r = st_seek_after(t, DB_MEMBERS_BY_EMAIL, &from, after_product[0] != '\0',
	    prefix.buf, prefix.len, &k, &v);
	if (r == 0)
		r = tail(&k, prefix.len, product, UL_PRODUCT_MAX + 1, account,
		    UL_ACCOUNT_MAX + 1);
	return r != 0 ? r : role_of(&v, role);
}

static struct st_key
id_key(uint64_t id)
{
	struct st_key k = {.len = 8};

	st_be32((uint8_t *)k.buf, (uint32_t)(id >> 32));
	st_be32((uint8_t *)k.buf + 4, (uint32_t)id);
	return k;
}

static uint64_t
id_of(const MDB_val *k)
{
	const uint8_t *b = k->mv_data;

	return ((uint64_t)st_get_be32(b) << 32) | st_get_be32(b + 4);
}

/* Session ids come from a counter in meta, never from the last record:
 * an id is never given twice, even after every session was pruned. */
int
ul_store_session_add(struct ul_txn *t, struct ul_session *s)
{
	struct st_key k = {.buf = "next_session", .len = 12}, next;
	MDB_val v;
	int r = st_get(t, DB_META, &k, &v);

	s->id = r == 0 && v.mv_size == 8 ? id_of(&v) : 1;
	if (r != 0 && r != UL_ENOTFOUND)
		return r;
	next = id_key(s->id + 1);
	r = st_put_raw(t, DB_META, &k, next.buf, next.len);
	return r != 0 ? r : ul_store_session_put(t, s);
}

int
ul_store_session_get(struct ul_txn *t, uint64_t id, struct ul_session *s)
{
	struct st_key k = id_key(id);
	MDB_val v;
	int r;

	memset(s, 0, sizeof(*s));
	r = st_get(t, DB_SESSIONS, &k, &v);
	return r != 0 ? r : ul_record_session_decode(v.mv_data, v.mv_size, s);
}

int
ul_store_session_put(struct ul_txn *t, const struct ul_session *s)
{
	struct st_key k = id_key(s->id);

	ul_record_session_encode(&t->rec, s);
	return st_put_record(t, DB_SESSIONS, &k);
}

int
ul_store_session_next(struct ul_txn *t, uint64_t *cursor, struct ul_session *s)
{
	struct st_key from = id_key(*cursor + 1);
	MDB_val k, v;
	int r;

	memset(s, 0, sizeof(*s));
	r = st_seek_after(t, DB_SESSIONS, &from, false, NULL, 0, &k, &v);
	if (r != 0)
		return r;
	if (k.mv_size != 8)
		return UL_ESTORE;
	*cursor = id_of(&k);
	return ul_record_session_decode(v.mv_data, v.mv_size, s);
}

int
ul_store_pending_get(struct ul_txn *t, const char *new_email,
    char old_email[UL_EMAIL_MAX + 1])
{
	struct st_key k;
	MDB_val v;
	int r;

	old_email[0] = '\0';
	if (st_key_make(&k, new_email, NULL) != 0)
		return UL_ENOTFOUND;
	r = st_get(t, DB_PENDING, &k, &v);
	if (r != 0)
		return r;
	if (v.mv_size > UL_EMAIL_MAX)
		return UL_ESTORE;
	memcpy(old_email, v.mv_data, v.mv_size);
	old_email[v.mv_size] = '\0';
	return 0;
}

int
ul_store_pending_put(struct ul_txn *t, const char *new_email,
    const char *old_email)
{
	struct st_key k;

	if (st_key_make(&k, new_email, NULL) != 0)
		return UL_EINVAL;
	return st_put_raw(t, DB_PENDING, &k, old_email, strlen(old_email));
}

int
ul_store_pending_del(struct ul_txn *t, const char *new_email)
{
	struct st_key k;

	if (st_key_make(&k, new_email, NULL) != 0)
		return UL_EINVAL;
	return st_del(t, DB_PENDING, &k);
}

/* Deletes records from the front of an id-keyed db (ids grow with time):
 * sessions that ended before `before` (one still open is kept, and passed
 * over), audit records from before it.  The walk stops at the first record
 * that started at or after `before`; `max` bounds the deletions. */
static int
prune_front(struct ul_txn *t, int db, int64_t before, unsigned max,
    unsigned *removed)
{
	MDB_cursor *c;
	MDB_val k, v;
	unsigned gone = 0;
	int rc = mdb_cursor_open(t->txn, t->st->dbi[db], &c);

	if (rc != 0)
		return st_map_error(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && gone < max;) {
		int64_t started, ended;

		if (db == DB_SESSIONS) {
			struct ul_session s;

			if (ul_record_session_decode(v.mv_data, v.mv_size, &s) != 0)
				break;
			started = s.started;
			ended = s.ended != 0 ? s.ended : INT64_MAX;
		} else {
			struct ul_audit a;

			if (ul_record_audit_decode(v.mv_data, v.mv_size, &a) != 0)
				break;
			started = ended = a.time;
		}
		if (started >= before)
			break;
		if (ended >= before) {
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
			continue;
		}
		rc = mdb_cursor_del(c, 0);
		if (rc != 0)
			break;
		gone++;
		rc = mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT);
	}
	mdb_cursor_close(c);
	*removed += gone;
	return rc == 0 || rc == MDB_NOTFOUND || rc == EINVAL ? 0 : st_map_error(rc);
}

int
ul_store_history_prune(struct ul_txn *t, int64_t sessions_before,
    int64_t audit_before, unsigned max, unsigned *removed)
{
	int r;

	*removed = 0;
	r = prune_front(t, DB_SESSIONS, sessions_before, max, removed);
	return r != 0 ? r : prune_front(t, DB_AUDIT, audit_before, max, removed);
}
