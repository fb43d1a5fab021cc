/* The LMDB backend's users: the user record with its two-factor methods
 * (one entity: every intent below changes only it), the U6 pending index
 * and the S3 failure counters.  Each intent reads the record inside the
 * write transaction, checks its precondition there and writes it back. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/store/lmdb/internal.h"
#include "unilogin/error.h"

/* A method's last use, to the day (tfa list shows it). */
#define LAST_USED_GRAIN 86400

/* ---- records ---- */

static int
user_key(struct st_key *k, const char *email)
{
	return st_key_make(k, email, NULL) != 0 ? UL_ENOTFOUND : 0;
}

int
lmdb_user_get(struct ul_txn *t, const char *email, struct ul_user *u)
{
	struct st_key k;
	MDB_val v;
	int r;

	/* the key is built first: the caller may pass a field of *u */
	r = user_key(&k, email);
	memset(u, 0, sizeof(*u));
	if (r != 0 || (r = st_get(t, DB_USERS, &k, &v)) != 0)
		return r;
	r = ul_record_user_decode(v.mv_data, v.mv_size, u);
	if (r != 0)
		sodium_memzero(u, sizeof(*u));
	return r;
}

static int
user_put(struct ul_txn *t, const struct ul_user *u)
{
	struct st_key k;
	int r = st_key_make(&k, u->email, NULL);

	if (r != 0)
		return r;
	ul_record_user_encode(&t->rec, u);
	return st_put_record(t, DB_USERS, &k);
}

int
st_user_load(struct ul_txn *t, const struct ul_user *ref, struct ul_user *u)
{
	int r = lmdb_user_get(t, ref->email, u);

	if (r == UL_ENOTFOUND || (r == 0 && strcmp(u->id, ref->id) != 0))
		r = UL_ECONFLICT;   /* gone, or another user of that email now */
	if (r != 0)
		sodium_memzero(u, sizeof(*u));
	return r;
}

/* Runs change(u, arg) on the stored record of ref and writes it back when
 * it returns 0; the copy, which holds hashes, is wiped on every path. */
static int
user_change(struct ul_txn *t, const struct ul_user *ref,
    int (*change)(struct ul_user *u, const void *arg), const void *arg)
{
	struct ul_user u;
	int r = st_user_load(t, ref, &u);

	if (r == 0)
		r = change(&u, arg);
	if (r == 0)
		r = user_put(t, &u);
	sodium_memzero(&u, sizeof(u));
	return r;
}

int
lmdb_user_next(struct ul_txn *t, struct ul_cursor *cur, struct ul_user *u)
{
	char email[UL_EMAIL_MAX + 1];
	MDB_val k, v;
	int r;

	memset(u, 0, sizeof(*u));
	r = st_cursor_next(t, DB_USER_IDS, cur, NULL, &k, &v);
	if (r != 0)
		return r;
	if (v.mv_size == 0 || v.mv_size > UL_EMAIL_MAX)
		return UL_ESTORE;
	memcpy(email, v.mv_data, v.mv_size);
	email[v.mv_size] = '\0';
	r = lmdb_user_get(t, email, u);
	return r == UL_ENOTFOUND ? UL_ESTORE : r;
}

static int
id_put(struct ul_txn *t, const char *id, const char *email)
{
	struct st_key k;

	if (id[0] == '\0' || st_key_make(&k, id, NULL) != 0)
		return UL_EINVAL;
	return st_put_raw(t, DB_USER_IDS, &k, email, strlen(email));
}

static int
id_del(struct ul_txn *t, const char *id)
{
	struct st_key k;

	return st_key_make(&k, id, NULL) != 0 ? UL_EINVAL : st_del(t, DB_USER_IDS, &k);
}

/* Schema 2: every user is found by its id; a user made before ids were
 * kept everywhere (none has seeds or codes bound to an empty id) gets one. */
int
st_users_index_ids(struct ul_txn *t)
{
	struct st_key from = {.len = 0};
	struct ul_user u;
	MDB_val k, v;
	int r;

	while ((r = st_seek_after(t, DB_USERS, &from, from.len > 0, NULL, 0, &k,
	    &v)) == 0) {
		if (k.mv_size > sizeof(from.buf))
			return UL_ESTORE;
		memcpy(from.buf, k.mv_data, k.mv_size);
		from.len = k.mv_size;
		if ((r = ul_record_user_decode(v.mv_data, v.mv_size, &u)) != 0)
			break;
		if (u.id[0] == '\0') {
			uint8_t rnd[16];

			randombytes_buf(rnd, sizeof(rnd));
			sodium_bin2hex(u.id, sizeof(u.id), rnd, sizeof(rnd));
			r = user_put(t, &u);
		}
		if (r == 0)
			r = id_put(t, u.id, u.email);
		if (r != 0)
			break;
	}
	sodium_memzero(&u, sizeof(u));
	return r == UL_ENOTFOUND ? 0 : r;
}

/* ---- the U6 pending index ---- */

int
lmdb_pending_get(struct ul_txn *t, const char *new_email,
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

static int
pending_put(struct ul_txn *t, const char *new_email, const char *old_email)
{
	struct st_key k;

	if (st_key_make(&k, new_email, NULL) != 0)
		return UL_EINVAL;
	return st_put_raw(t, DB_PENDING, &k, old_email, strlen(old_email));
}

static int
pending_del(struct ul_txn *t, const char *new_email)
{
	struct st_key k;

	if (new_email[0] == '\0')
		return 0;
	if (st_key_make(&k, new_email, NULL) != 0)
		return UL_EINVAL;
	return st_del(t, DB_PENDING, &k);
}

/* ---- methods, part of their user ---- */

/* email\0 + a 4-byte big-endian id, so a user's methods sort by id */
static int
method_key(struct st_key *k, const char *email, uint32_t id)
{
	size_t n = strlen(email);

	if (n == 0 || n + 5 > sizeof(k->buf))
		return UL_EINVAL;
	memcpy(k->buf, email, n);
	k->buf[n] = '\0';
	st_be32((uint8_t *)k->buf + n + 1, id);
	k->len = n + 5;
	return 0;
}

int
lmdb_method_get(struct ul_txn *t, const char *email, uint32_t id,
    struct ul_method *m)
{
	struct st_key k;
	MDB_val v;
	int r;

	r = method_key(&k, email, id) != 0 ? UL_ENOTFOUND : 0;
	memset(m, 0, sizeof(*m));
	if (r != 0 || (r = st_get(t, DB_METHODS, &k, &v)) != 0)
		return r;
	return ul_record_method_decode(v.mv_data, v.mv_size, m);
}

static int
method_put(struct ul_txn *t, const char *email, const struct ul_method *m)
{
	struct st_key k;

	if (method_key(&k, email, m->id) != 0)
		return UL_EINVAL;
	ul_record_method_encode(&t->rec, m);
	return st_put_record(t, DB_METHODS, &k);
}

static int
method_del(struct ul_txn *t, const char *email, uint32_t id)
{
	struct st_key k;

	if (method_key(&k, email, id) != 0)
		return UL_EINVAL;
	return st_del(t, DB_METHODS, &k);
}

int
lmdb_method_next(struct ul_txn *t, const char *email, uint32_t *after,
    struct ul_method *m)
{
	struct st_key from, prefix;
	MDB_val k, v;
	int r;

	memset(m, 0, sizeof(*m));
	if (method_key(&from, email, *after) != 0 ||
	    st_key_make(&prefix, email, "") != 0)
		return UL_EINVAL;
	r = st_seek_after(t, DB_METHODS, &from, true, prefix.buf, prefix.len, &k, &v);
	if (r == 0)
		r = ul_record_method_decode(v.mv_data, v.mv_size, m);
	if (r == 0)
		*after = m->id;
	return r;
}

/* How many of u's methods are active. */
static int
active_methods(struct ul_txn *t, const char *email, unsigned *n)
{
	struct ul_method m;
	uint32_t after = 0;
	int r;

	*n = 0;
	while ((r = lmdb_method_next(t, email, &after, &m)) == 0)
		*n += m.active;
	sodium_memzero(&m, sizeof(m));
	return r == UL_ENOTFOUND ? 0 : r;
}

/* ---- intents ---- */

int
lmdb_user_create(struct ul_txn *t, const struct ul_user *u)
{
	char waiting[UL_EMAIL_MAX + 1];
	struct ul_user old;
	struct st_key k;
	MDB_val v;
	int r;

	if (u->email[0] == '\0' || u->id[0] == '\0' ||
	    st_key_make(&k, u->id, NULL) != 0)
		return UL_EINVAL;
	r = lmdb_user_get(t, u->email, &old);
	sodium_memzero(&old, sizeof(old));
	if (r == 0)
		return UL_EEXIST;
	if (r != UL_ENOTFOUND)
		return r;
	/* an email that another user waits to move to is taken too (U6) */
	r = lmdb_pending_get(t, u->email, waiting);
	if (r == 0)
		return UL_EEXIST;
	if (r != UL_ENOTFOUND)
		return r;
	r = st_get(t, DB_USER_IDS, &k, &v);
	if (r == 0)
		return UL_EEXIST;
	if (r != UL_ENOTFOUND)
		return r;
	if (u->pending_email[0] != '\0') {
		/* an import restores a pending change with its claim */
		r = lmdb_pending_get(t, u->pending_email, waiting);
		if (r == 0)
			return UL_EEXIST;
		if (r != UL_ENOTFOUND ||
		    (r = lmdb_user_get(t, u->pending_email, &old)) != UL_ENOTFOUND) {
			sodium_memzero(&old, sizeof(old));
			return r == 0 ? UL_EEXIST : r;
		}
		if ((r = pending_put(t, u->pending_email, u->email)) != 0)
			return r;
	}
	r = id_put(t, u->id, u->email);
	return r != 0 ? r : user_put(t, u);
}

struct consume {
	enum ul_code_kind kind;
	const uint8_t *hash;
	int64_t now;
};

/* U5: a reset code is any of the user's three slots; using one ends all. */
static int
consume_reset(struct ul_user *u, const struct consume *c)
{
	struct ul_code *slots[] = {&u->reset, &u->reset_more[0], &u->reset_more[1]};
	bool found = false;

	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		found |= slots[i]->expires > c->now &&
		    sodium_memcmp(slots[i]->hash, c->hash, UL_CODE_HASH_BYTES) == 0;
	if (!found)
		return UL_ECONFLICT;
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		sodium_memzero(slots[i], sizeof(*slots[i]));
	return 0;
}

static int
consume(struct ul_user *u, const void *arg)
{
	const struct consume *c = arg;
	struct ul_code *slot = c->kind == UL_CODE_CONFIRM ? &u->confirm
	    : c->kind == UL_CODE_SMS ? &u->sms : NULL;
	int found = -1;

	if (c->kind == UL_CODE_RESET)
		return consume_reset(u, c);
	if (slot != NULL) {
		if (slot->expires <= c->now ||
		    sodium_memcmp(slot->hash, c->hash, UL_CODE_HASH_BYTES) != 0)
			return UL_ECONFLICT;
		sodium_memzero(slot, sizeof(*slot));     /* single use */
		return 0;
	}
	if (c->kind != UL_CODE_RECOVERY)
		return UL_EINVAL;
	/* every slot is compared, so the time says nothing about which */
	for (int i = 0; i < UL_RECOVERY_CODES; i++)
		if (sodium_memcmp(u->recovery[i], c->hash, UL_CODE_HASH_BYTES) == 0 &&
		    (u->recovery_unused & (1u << i)) && found < 0)
			found = i;
	if (found < 0)
		return UL_ECONFLICT;
	u->recovery_unused &= ~(1u << found);
	return 0;
}

int
lmdb_code_consume(struct ul_txn *t, const struct ul_user *u,
    enum ul_code_kind kind, const uint8_t hash[UL_CODE_HASH_BYTES], int64_t now)
{
	struct consume c = {.kind = kind, .hash = hash, .now = now};

	return user_change(t, u, consume, &c);
}

struct issue {
	enum ul_code_kind kind;
	const struct ul_code *code;
	int64_t now, window;
	uint32_t max;
};

static int
issue(struct ul_user *u, const void *arg)
{
	const struct issue *i = arg;

	switch (i->kind) {
	case UL_CODE_CONFIRM:
		u->confirm = *i->code;
		return 0;
	case UL_CODE_RESET: {
		/* a free or spent slot, else the oldest */
		struct ul_code *slots[] = {&u->reset, &u->reset_more[0],
		    &u->reset_more[1]}, *pick = slots[0];

		for (size_t k = 0; k < sizeof(slots) / sizeof(slots[0]); k++)
			if (slots[k]->expires < pick->expires)
				pick = slots[k];
		*pick = *i->code;
		return 0;
	}
	case UL_CODE_SMS:
		if (i->now - u->sms_window >= i->window) {
			u->sms_window = i->now;
			u->sms_sent = 0;
		}
		if (u->sms_sent >= i->max)
			return UL_EBUSY;
		u->sms_sent++;
		u->sms = *i->code;
		return 0;
	default:
		return UL_EINVAL;
	}
}

int
lmdb_code_issue(struct ul_txn *t, const struct ul_user *u,
    enum ul_code_kind kind, const struct ul_code *code)
{
	struct issue i = {.kind = kind, .code = code};

	if (kind != UL_CODE_CONFIRM && kind != UL_CODE_RESET)
		return UL_EINVAL;
	return user_change(t, u, issue, &i);
}

int
lmdb_sms_issue(struct ul_txn *t, const struct ul_user *u,
    const struct ul_code *code, int64_t now, int64_t window, uint32_t max)
{
	struct issue i = {.kind = UL_CODE_SMS, .code = code, .now = now,
	    .window = window, .max = max};

	return user_change(t, u, issue, &i);
}

static int
set_recovery(struct ul_user *u, const void *arg)
{
	const uint8_t (*codes)[UL_CODE_HASH_BYTES] = arg;

	if (codes == NULL) {
		sodium_memzero(u->recovery, sizeof(u->recovery));
		u->recovery_unused = 0;
		return 0;
	}
	memcpy(u->recovery, codes, sizeof(u->recovery));
	u->recovery_unused = (1u << UL_RECOVERY_CODES) - 1;
	return 0;
}

int
lmdb_recovery_set(struct ul_txn *t, const struct ul_user *u,
    const uint8_t codes[UL_RECOVERY_CODES][UL_CODE_HASH_BYTES])
{
	return user_change(t, u, set_recovery, codes);
}

/* The method as stored, when it is in the state the caller found it. */
static int
method_load(struct ul_txn *t, const struct ul_user *u, uint32_t id, bool active,
    struct ul_method *m)
{
	int r = lmdb_method_get(t, u->email, id, m);

	if (r == UL_ENOTFOUND || (r == 0 && m->active != active))
		r = UL_ECONFLICT;   /* removed, or confirmed, meanwhile */
	return r;
}

/* Notes a method's use, to the day: a login the same day writes nothing
 * more (Performance: dirty only the pages a rule needs). */
static int
note_use(struct ul_txn *t, const char *email, struct ul_method *m, int64_t now)
{
	if (m->last_used != 0 && now - m->last_used < LAST_USED_GRAIN)
		return 0;
	m->last_used = now;
	return method_put(t, email, m);
}

int
lmdb_totp_accept(struct ul_txn *t, const struct ul_user *ref, uint32_t id,
    bool active, int64_t step, int64_t now)
{
	struct ul_method m;
	struct ul_user u;
	int r = st_user_load(t, ref, &u);

	if (r == 0)
		r = method_load(t, &u, id, active, &m);
	/* T3: a step once accepted, by any method, never again */
	if (r == 0 && step <= u.totp_step)
		r = UL_ECONFLICT;
	if (r == 0) {
		u.totp_step = step;
		r = user_put(t, &u);
	}
	if (r == 0)
		r = note_use(t, u.email, &m, now);
	sodium_memzero(&u, sizeof(u));
	sodium_memzero(&m, sizeof(m));
	return r;
}

int
lmdb_method_used(struct ul_txn *t, const struct ul_user *ref, uint32_t id,
    int64_t now)
{
	struct ul_method m;
	struct ul_user u;
	int r = st_user_load(t, ref, &u);

	if (r == 0 && (r = lmdb_method_get(t, u.email, id, &m)) == 0)
		r = note_use(t, u.email, &m, now);
	sodium_memzero(&u, sizeof(u));
	sodium_memzero(&m, sizeof(m));
	return r == UL_ENOTFOUND ? UL_ECONFLICT : r;
}

static int
confirm(struct ul_user *u, const void *arg)
{
	(void)arg;
	u->confirmed = true;
	return 0;
}

int
lmdb_user_confirm(struct ul_txn *t, const struct ul_user *u)
{
	return user_change(t, u, confirm, NULL);
}

struct password {
	const char *old, *hash;
	int64_t now;
};

static int
set_password(struct ul_user *u, const void *arg)
{
	const struct password *p = arg;

	if (p->old != NULL) {
		/* U3: a re-hash, only over the hash it was made from */
		if (strcmp(u->pwhash, p->old) != 0)
			return UL_ECONFLICT;
	} else {
		u->pw_changed = p->now;
		u->remember_epoch++;    /* T7: forgets every remembered host */
	}
	memcpy(u->pwhash, p->hash, UL_HASH_STR_MAX);
	return 0;
}

int
lmdb_user_set_password(struct ul_txn *t, const struct ul_user *u,
    const char hash[UL_HASH_STR_MAX], int64_t now)
{
	struct password p = {.hash = hash, .now = now};

	return user_change(t, u, set_password, &p);
}

int
lmdb_user_rehash(struct ul_txn *t, const struct ul_user *u,
    const char old[UL_HASH_STR_MAX], const char hash[UL_HASH_STR_MAX])
{
	struct password p = {.old = old, .hash = hash};

	return user_change(t, u, set_password, &p);
}

static int
set_locked(struct ul_user *u, const void *arg)
{
	u->locked = *(const bool *)arg;
	return 0;
}

int
lmdb_user_set_locked(struct ul_txn *t, const struct ul_user *u, bool locked)
{
	return user_change(t, u, set_locked, &locked);
}

/* T7: a two-factor change forgets every remembered host. */
static void
tfa_changed(struct ul_user *u, int64_t now)
{
	u->tfa_changed = now;
	u->remember_epoch++;
}

int
lmdb_method_add(struct ul_txn *t, const struct ul_user *ref,
    struct ul_method *m, int64_t now)
{
	struct ul_user u;
	int r = st_user_load(t, ref, &u);

	if (r == 0 && m->id != u.next_method_id + 1)
		r = UL_ECONFLICT;
	if (r == 0) {
		u.next_method_id = m->id;
		m->active = false;
		m->created = now;
		r = user_put(t, &u);
	}
	if (r == 0)
		r = method_put(t, u.email, m);
	sodium_memzero(&u, sizeof(u));
	return r;
}

int
lmdb_method_activate(struct ul_txn *t, const struct ul_user *ref,
    uint32_t id, int64_t now)
{
	struct ul_method m;
	struct ul_user u;
	int r = st_user_load(t, ref, &u);

	if (r == 0)
		r = method_load(t, &u, id, false, &m);
	if (r == 0) {
		m.active = true;
		r = method_put(t, u.email, &m);
	}
	if (r == 0) {
		tfa_changed(&u, now);
		r = user_put(t, &u);
	}
	sodium_memzero(&u, sizeof(u));
	sodium_memzero(&m, sizeof(m));
	return r;
}

int
lmdb_method_remove(struct ul_txn *t, const struct ul_user *ref, uint32_t id,
    int64_t now)
{
	struct ul_method m;
	struct ul_user u;
	uint32_t after = 0;
	unsigned active = 0;
	int r = st_user_load(t, ref, &u);

	if (r == 0 && id != 0) {
		r = lmdb_method_get(t, u.email, id, &m);
		if (r == 0)
			r = method_del(t, u.email, id);
	}
	while (r == 0 && id == 0 &&
	    (r = lmdb_method_next(t, u.email, &after, &m)) == 0)
		r = method_del(t, u.email, m.id);
	if (r == UL_ENOTFOUND && id == 0)
		r = 0;
	if (r == 0)
		r = active_methods(t, u.email, &active);
	if (r == 0 && active == 0) {
		/* no method left: the recovery codes and any SMS code go too */
		sodium_memzero(u.recovery, sizeof(u.recovery));
		u.recovery_unused = 0;
		sodium_memzero(&u.sms, sizeof(u.sms));
	}
	if (r == 0) {
		tfa_changed(&u, now);
		r = user_put(t, &u);
	}
	sodium_memzero(&u, sizeof(u));
	sodium_memzero(&m, sizeof(m));
	return r;
}

int
lmdb_method_restore(struct ul_txn *t, const char *email,
    const struct ul_method *m)
{
	struct ul_method old;
	struct ul_user u;
	int r = lmdb_user_get(t, email, &u);

	sodium_memzero(&u, sizeof(u));
	if (r == UL_ENOTFOUND)
		return UL_ECONFLICT;    /* a method needs its user first */
	if (r == 0 && (r = lmdb_method_get(t, email, m->id, &old)) == 0)
		r = UL_EEXIST;
	sodium_memzero(&old, sizeof(old));
	return r == UL_ENOTFOUND ? method_put(t, email, m) : r;
}

int
lmdb_user_set_pending(struct ul_txn *t, const struct ul_user *ref,
    const char *new_email, const struct ul_code *code)
{
	char waiting[UL_EMAIL_MAX + 1];
	struct ul_user u, other;
	int r = st_user_load(t, ref, &u);

	if (r == 0 && (r = lmdb_user_get(t, new_email, &other)) == 0)
		r = UL_EEXIST;
	else if (r == UL_ENOTFOUND)
		r = 0;
	sodium_memzero(&other, sizeof(other));
	if (r == 0 && (r = lmdb_pending_get(t, new_email, waiting)) == 0)
		r = strcmp(waiting, u.email) == 0 ? 0 : UL_EEXIST;
	else if (r == UL_ENOTFOUND)
		r = 0;
	/* the request made before ends */
	if (r == 0 && strcmp(u.pending_email, new_email) != 0)
		r = pending_del(t, u.pending_email);
	if (r == 0)
		r = pending_put(t, new_email, u.email);
	if (r == 0) {
		snprintf(u.pending_email, sizeof(u.pending_email), "%s", new_email);
		u.confirm = *code;
		r = user_put(t, &u);
	}
	sodium_memzero(&u, sizeof(u));
	return r;
}

static int
methods_move(struct ul_txn *t, const char *from, const char *to)
{
	struct ul_method m;
	uint32_t after = 0;
	int r;

	/* seeds are sealed to the user's id, not the email: they move as is */
	while ((r = lmdb_method_next(t, from, &after, &m)) == 0)
		if ((r = method_put(t, to, &m)) != 0 ||
		    (r = method_del(t, from, m.id)) != 0)
			break;
	sodium_memzero(&m, sizeof(m));
	return r == UL_ENOTFOUND ? 0 : r;
}

int
lmdb_user_move(struct ul_txn *t, const struct ul_user *ref,
    const char *new_email)
{
	char waiting[UL_EMAIL_MAX + 1], old[UL_EMAIL_MAX + 1];
	struct ul_user u, other;
	struct st_key k;
	int r = st_user_load(t, ref, &u);

	/* still waiting for exactly this move, and the email still free */
	if (r == 0 && (strcmp(u.pending_email, new_email) != 0 ||
	    lmdb_pending_get(t, new_email, waiting) != 0 ||
	    strcmp(waiting, u.email) != 0))
		r = UL_ECONFLICT;
	if (r == 0 && lmdb_user_get(t, new_email, &other) == 0)
		r = UL_EEXIST;
	sodium_memzero(&other, sizeof(other));
	memcpy(old, u.email, sizeof(old));
	if (r == 0)
		r = methods_move(t, old, new_email);
	if (r == 0)
		r = pending_del(t, new_email);
	if (r == 0 && (r = st_key_make(&k, old, NULL)) == 0)
		r = st_del(t, DB_USERS, &k);
	if (r == 0) {
		snprintf(u.email, sizeof(u.email), "%s", new_email);
		u.pending_email[0] = '\0';
		sodium_memzero(&u.confirm, sizeof(u.confirm));
		r = user_put(t, &u);
	}
	if (r == 0)
		r = id_put(t, u.id, u.email);
	sodium_memzero(&u, sizeof(u));
	return r;
}

int
lmdb_user_delete(struct ul_txn *t, const struct ul_user *ref)
{
	struct st_key k, prefix;
	struct ul_user u;
	int r = st_user_load(t, ref, &u);

	if (r == 0 && (r = st_key_make(&prefix, u.email, "")) == 0)
		r = st_del_prefix(t, DB_METHODS, &prefix);
	if (r == 0)
		r = pending_del(t, u.pending_email);
	if (r == 0)
		r = id_del(t, u.id);
	if (r == 0 && (r = st_key_make(&k, u.email, NULL)) == 0)
		r = st_del(t, DB_USERS, &k);
	sodium_memzero(&u, sizeof(u));
	return r;
}

/* ---- failure counters (S3) ---- */

int
lmdb_failures_get(struct ul_txn *t, const char *key, struct ul_failures *f)
{
	struct st_key k;
	MDB_val v;
	int r;

	r = st_key_make(&k, key, NULL) != 0 ? UL_ENOTFOUND : 0;
	memset(f, 0, sizeof(*f));
	if (r != 0 || (r = st_get(t, DB_FAILURES, &k, &v)) != 0)
		return r;
	return ul_record_failures_decode(v.mv_data, v.mv_size, f);
}

int
lmdb_failure_count(struct ul_txn *t, const char *key, uint32_t limit,
    uint32_t seconds, int64_t now, struct ul_failures *out)
{
	struct ul_failures f;
	struct st_key k;
	int r = lmdb_failures_get(t, key, &f);

	memset(out, 0, sizeof(*out));
	if (r != 0 && r != UL_ENOTFOUND)
		return r;
	if (st_key_make(&k, key, NULL) != 0)
		return UL_EINVAL;
	/* a try that comes while locked out counts nothing: the lockout is
	 * exact however many tries raced to it */
	if (f.locked_out_until > now)
		return UL_ELOCKEDOUT;
	f.count++;
	f.last = now;
	if (f.count >= limit) {
		f.locked_out_until = now + seconds;
		f.count = 0;
	}
	ul_record_failures_encode(&t->rec, &f);
	r = st_put_record(t, DB_FAILURES, &k);
	if (r == 0)
		*out = f;
	return r;
}

int
lmdb_failure_forget(struct ul_txn *t, const char *key)
{
	struct st_key k;

	if (st_key_make(&k, key, NULL) != 0)
		return UL_EINVAL;
	return st_del(t, DB_FAILURES, &k);
}

int
lmdb_failure_reset(struct ul_txn *t, const char *key, int64_t now)
{
	struct ul_failures f;
	int r = lmdb_failures_get(t, key, &f);

	if (r == UL_ENOTFOUND)
		return 0;
	if (r != 0)
		return r;
	if (f.locked_out_until > now)
		return UL_ELOCKEDOUT;
	return lmdb_failure_forget(t, key);
}

int
st_failures_prune(struct ul_txn *t, int64_t before, unsigned max,
    unsigned *removed)
{
	MDB_cursor *c;
	MDB_val k, v;
	struct ul_failures f;
	int rc;

	*removed = 0;
	rc = mdb_cursor_open(t->txn, t->st->dbi[DB_FAILURES], &c);
	if (rc != 0)
		return st_map_error(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && *removed < max;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (ul_record_failures_decode(v.mv_data, v.mv_size, &f) == 0 &&
		    (f.last >= before || f.locked_out_until >= before))
			continue;
		rc = mdb_cursor_del(c, 0);
		if (rc != 0)
			break;
		(*removed)++;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : st_map_error(rc);
}
