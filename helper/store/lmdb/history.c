/* The LMDB backend's audit log (S8), and the host-local state of
 * store/local.h: session history (L11) and remembered hosts (T7); then
 * the retention of history. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "helper/store/lmdb/internal.h"
#include "unilogin/error.h"

static struct st_key
seq_key(uint64_t seq)
{
	struct st_key k = {.len = 8};

	st_be64((uint8_t *)k.buf, seq);
	return k;
}

/* ---- audit ---- */

int
lmdb_audit_append(struct ul_txn *t, const struct ul_audit *e)
{
	MDB_cursor *c;
	MDB_val k, v;
	uint8_t key[8];
	uint64_t seq = 1;
	int rc;

	rc = mdb_cursor_open(t->txn, t->st->dbi[DB_AUDIT], &c);
	if (rc != 0)
		return st_map_error(rc);
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == 8)
		seq = st_get_be64(k.mv_data) + 1;
	st_be64(key, seq);
	if (ul_record_audit_encode(&t->rec, e) != 0) {
		mdb_cursor_close(c);
		return UL_ETOOBIG;
	}
	k = (MDB_val){.mv_size = 8, .mv_data = key};
	v = (MDB_val){.mv_size = t->rec.len, .mv_data = t->rec.buf};
	rc = mdb_cursor_put(c, &k, &v, MDB_APPEND);
	mdb_cursor_close(c);
	return st_map_error(rc);
}

int
lmdb_audit_next(struct ul_txn *t, int64_t since, struct ul_cursor *cur,
    struct ul_audit *e)
{
	MDB_val k, v;
	int r;

	memset(e, 0, sizeof(*e));
	for (;;) {
		r = st_cursor_next(t, DB_AUDIT, cur, NULL, &k, &v);
		if (r != 0)
			return r;
		if (k.mv_size != 8)
			return UL_ESTORE;
		r = ul_record_audit_decode(v.mv_data, v.mv_size, e);
		if (r != 0 || e->time >= since)
			return r;
	}
}

/* ---- sessions (L11) ---- */

/* Session ids come from a counter in meta, never from the last record:
 * an id is never given twice, even after every session was pruned. */
int
lmdb_local_session_open(struct ul_txn *t, struct ul_session *s)
{
	static const struct st_key counter = {.buf = "next_session", .len = 12};
	struct st_key next, k;
	MDB_val v;
	int r = st_get(t, DB_META, &counter, &v);

	if (r != 0 && r != UL_ENOTFOUND)
		return r;
	s->id = r == 0 && v.mv_size == 8 ? st_get_be64(v.mv_data) : 1;
	next = seq_key(s->id + 1);
	r = st_put_raw(t, DB_META, &counter, next.buf, next.len);
	if (r != 0)
		return r;
	k = seq_key(s->id);
	ul_record_session_encode(&t->rec, s);
	return st_put_record(t, DB_SESSIONS, &k);
}

int
lmdb_local_session_get(struct ul_txn *t, uint64_t id, struct ul_session *s)
{
	struct st_key k = seq_key(id);
	MDB_val v;
	int r;

	memset(s, 0, sizeof(*s));
	r = st_get(t, DB_SESSIONS, &k, &v);
	return r != 0 ? r : ul_record_session_decode(v.mv_data, v.mv_size, s);
}

int
lmdb_local_session_close(struct ul_txn *t, uint64_t id, int64_t now)
{
	struct st_key k = seq_key(id);
	struct ul_session s;
	int r = lmdb_local_session_get(t, id, &s);

	if (r != 0 || s.ended != 0)
		return r;
	s.ended = now;
	ul_record_session_encode(&t->rec, &s);
	return st_put_record(t, DB_SESSIONS, &k);
}

int
lmdb_local_session_next(struct ul_txn *t, struct ul_cursor *cur,
    struct ul_session *s)
{
	MDB_val k, v;
	int r;

	memset(s, 0, sizeof(*s));
	r = st_cursor_next(t, DB_SESSIONS, cur, NULL, &k, &v);
	if (r != 0)
		return r;
	if (k.mv_size != 8)
		return UL_ESTORE;
	return ul_record_session_decode(v.mv_data, v.mv_size, s);
}

/* ---- remembered hosts (T7) ---- */

/* the value: when (8 bytes) and epoch (4 bytes), big-endian */
int
lmdb_local_remember_get(struct ul_txn *t, const char *email, const char *host,
    int64_t *when, uint32_t *epoch)
{
	struct st_key k;
	MDB_val v;
	int r;

	*when = 0;
	*epoch = 0;
	if (st_key_make(&k, email, host) != 0)
		return UL_ENOTFOUND;
	r = st_get(t, DB_REMEMBER, &k, &v);
	if (r != 0)
		return r;
	if (v.mv_size != 12)
		return UL_ESTORE;
	*when = (int64_t)st_get_be64(v.mv_data);
	*epoch = st_get_be32((const uint8_t *)v.mv_data + 8);
	return 0;
}

int
lmdb_local_remember_put(struct ul_txn *t, const char *email, const char *host,
    int64_t when, uint32_t epoch)
{
	struct st_key k;
	uint8_t b[12];

	if (st_key_make(&k, email, host) != 0)
		return UL_EINVAL;
	st_be64(b, (uint64_t)when);
	st_be32(b + 8, epoch);
	return st_put_raw(t, DB_REMEMBER, &k, b, sizeof(b));
}

int
lmdb_local_remember_forget(struct ul_txn *t, const char *email)
{
	struct st_key prefix;

	if (st_key_make(&prefix, email, "") != 0)
		return UL_EINVAL;
	return st_del_prefix(t, DB_REMEMBER, &prefix);
}

/* ---- retention (L11, S8) ---- */

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
st_history_prune(struct ul_txn *t, int64_t sessions_before,
    int64_t audit_before, unsigned max, unsigned *removed)
{
	int r;

	*removed = 0;
	r = prune_front(t, DB_SESSIONS, sessions_before, max, removed);
	return r != 0 ? r : prune_front(t, DB_AUDIT, audit_before, max, removed);
}
