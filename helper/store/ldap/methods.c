/* A user's two-factor methods, inside its user entry (T1): uniMethod
 * ID$KIND$STATE$DIGITS$CREATED$PHONE, uniSealedSeed ID$BASE64 and
 * uniMethodUsed ID$UNIXTIME, one value of each per method.  Every change is
 * one modify of the user entry: the exact values it read deleted (gone:
 * noSuchAttribute, nothing applied), and, where what is left matters (no
 * active method left), an assertion on uniRememberEpoch, which every
 * two-factor or password change moves on (T7). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "helper/store/ldap/internal.h"
#include "unilogin/error.h"

#define DAY 86400
#define VALUE_MAX 160
#define SEED_MAX (16 + UL_SEED_BOX_BYTES * 2)
#define TRIES 8

/* The user entry's methods as the session shows them now. */
struct methods {
	int n;
	struct ul_method m[DIR_METHODS_MAX];
	char value[DIR_METHODS_MAX][VALUE_MAX];     /* uniMethod, as stored */
	char seed[DIR_METHODS_MAX][SEED_MAX];       /* uniSealedSeed */
	char used[DIR_METHODS_MAX][64];             /* uniMethodUsed, or "" */
	char mail[UL_EMAIL_MAX + 1];
	char id[UL_USER_ID_MAX + 1];
	uint32_t epoch;
};

static void
methods_wipe(struct methods *ms)
{
	sodium_memzero(ms, sizeof(*ms));
}

static int
slot_of(const struct methods *ms, uint32_t id)
{
	for (int i = 0; i < ms->n; i++)
		if (ms->m[i].id == id)
			return i;
	return -1;
}

static bool
parse_method(const char *v, struct ul_method *m)
{
	char state[16];
	int kind, used = 0;
	unsigned long long created;

	memset(m, 0, sizeof(*m));
	if (sscanf(v, "%" SCNu32 "$%d$%15[a-z]$%" SCNu32 "$%llu$%n", &m->id, &kind,
	    state, &m->digits, &created, &used) != 5 || used == 0 ||
	    strlen(v + used) > UL_PHONE_MAX)
		return false;
	m->kind = (enum ul_method_kind)kind;
	m->active = strcmp(state, "active") == 0;
	m->created = (int64_t)created;
	memcpy(m->phone, v + used, strlen(v + used) + 1);
	return true;
}

/* The number before the first '$' of v (0: none). */
static uint32_t
id_of(const char *v)
{
	return (uint32_t)strtoul(v, NULL, 10);
}

static void
copy_value(const struct berval *bv, char *out, size_t n)
{
	out[0] = '\0';
	if (bv->bv_len < n) {
		memcpy(out, bv->bv_val, bv->bv_len);
		out[bv->bv_len] = '\0';
	}
}

static void
read_methods(struct dir_session *s, LDAPMessage *e, struct methods *ms)
{
	struct berval **v = ldap_get_values_len(s->ld, e, "uniMethod");
	char text[SEED_MAX];
	int k;

	dir_text(s, e, "mail", ms->mail, sizeof(ms->mail));
	dir_text(s, e, "uniUserId", ms->id, sizeof(ms->id));
	ms->epoch = (uint32_t)dir_int(s, e, "uniRememberEpoch");
	for (int i = 0; v != NULL && v[i] != NULL && ms->n < DIR_METHODS_MAX; i++) {
		copy_value(v[i], ms->value[ms->n], VALUE_MAX);
		if (parse_method(ms->value[ms->n], &ms->m[ms->n]))
			ms->n++;
	}
	dir_values_free(v);
	v = ldap_get_values_len(s->ld, e, "uniSealedSeed");
	for (int i = 0; v != NULL && v[i] != NULL; i++) {
		copy_value(v[i], text, sizeof(text));
		k = slot_of(ms, id_of(text));
		if (k < 0)
			continue;
		memcpy(ms->seed[k], text, sizeof(text));
		const char *b64 = strchr(text, '$');

		if (b64 != NULL)
			(void)sodium_base642bin(ms->m[k].seed_box,
			    sizeof(ms->m[k].seed_box), b64 + 1, strlen(b64 + 1), NULL,
			    NULL, NULL, sodium_base64_VARIANT_ORIGINAL);
	}
	sodium_memzero(text, sizeof(text));
	dir_values_free(v);
	v = ldap_get_values_len(s->ld, e, "uniMethodUsed");
	for (int i = 0; v != NULL && v[i] != NULL; i++) {
		copy_value(v[i], text, sizeof(text));
		k = slot_of(ms, id_of(text));
		if (k < 0 || strchr(text, '$') == NULL)
			continue;
		snprintf(ms->used[k], sizeof(ms->used[k]), "%s", text);
		ms->m[k].last_used = strtoll(strchr(text, '$') + 1, NULL, 10);
	}
	dir_values_free(v);
}

static char *method_attrs[] = {"mail", "uniUserId", "uniRememberEpoch",
    "uniMethod", "uniSealedSeed", "uniMethodUsed", NULL};

/* The methods of the user entry dn (UL_ENOTFOUND: no such user). */
static int
load_dn(struct dir_session *s, const char *dn, struct methods *ms)
{
	LDAPMessage *res = NULL, *e;
	int r = dir_search_one(s, dn, LDAP_SCOPE_BASE, "(objectClass=uniUser)",
	    method_attrs, &res, &e);

	memset(ms, 0, sizeof(*ms));
	if (r == 0)
		read_methods(s, e, ms);
	dir_msgfree(res);
	return r;
}

/* The user the caller read, as the provider has it now: UL_ECONFLICT
 * when it went or its email is another's now. */
static int
load_ref(struct dir_session *s, struct ul_store *st, const struct ul_user *u,
    char dn[DIR_USER_DN_MAX], struct methods *ms)
{
	int r = dir_user_dn(st, u->id, dn);

	if (r == 0)
		r = load_dn(s, dn, ms);
	if (r == UL_ENOTFOUND || (r == 0 && strcmp(ms->mail, u->email) != 0))
		r = UL_ECONFLICT;
	return r;
}

/* By email, for the reads: the user's entry found by its mail, in one
 * search. */
static int
load_email(struct ul_txn *t, const char *email, struct methods *ms)
{
	LDAPMessage *e;
	pthread_mutex_t *lock;
	struct dir_session *s = dir_lock_read(t, &lock);
	int r = dir_user_entry(t, s, email, &e);

	memset(ms, 0, sizeof(*ms));
	if (r == 0)
		read_methods(s, e, ms);
	pthread_mutex_unlock(lock);
	return r;
}

int
dir_method_get(struct ul_txn *t, const char *email, uint32_t id,
    struct ul_method *m)
{
	struct methods ms;
	int k, r = load_email(t, email, &ms);

	memset(m, 0, sizeof(*m));
	k = r == 0 ? slot_of(&ms, id) : -1;
	if (r == 0 && k < 0)
		r = UL_ENOTFOUND;
	if (r == 0)
		*m = ms.m[k];
	methods_wipe(&ms);
	return r;
}

int
dir_method_next(struct ul_txn *t, const char *email, uint32_t *after,
    struct ul_method *m)
{
	struct methods ms;
	int best = -1, r = load_email(t, email, &ms);

	memset(m, 0, sizeof(*m));
	for (int i = 0; r == 0 && i < ms.n; i++)
		if (ms.m[i].id > *after && (best < 0 || ms.m[i].id < ms.m[best].id))
			best = i;
	if (r == 0 && best < 0)
		r = UL_ENOTFOUND;
	if (r == 0) {
		*m = ms.m[best];
		*after = m->id;
	}
	methods_wipe(&ms);
	return r;
}

static void
method_value(const struct ul_method *m, bool active, char *out, size_t n)
{
	snprintf(out, n, "%" PRIu32 "$%d$%s$%" PRIu32 "$%" PRId64 "$%s", m->id,
	    (int)m->kind, active ? "active" : "pending", m->digits, m->created,
	    m->phone);
}

static void
seed_value(const struct ul_method *m, char out[SEED_MAX])
{
	size_t len = (size_t)snprintf(out, SEED_MAX, "%" PRIu32 "$", m->id);

	sodium_bin2base64(out + len, SEED_MAX - len, m->seed_box,
	    sizeof(m->seed_box), sodium_base64_VARIANT_ORIGINAL);
}

/* The two values of a method, added (import and enrollment). */
void
dir_method_put(struct dir_mods *b, const struct ul_method *m)
{
	char value[VALUE_MAX], seed[SEED_MAX];

	method_value(m, m->active, value, sizeof(value));
	seed_value(m, seed);
	dir_mods_text(b, LDAP_MOD_ADD, "uniMethod", value);
	dir_mods_text(b, LDAP_MOD_ADD, "uniSealedSeed", seed);
	sodium_memzero(seed, sizeof(seed));
}

static int
user_modify(struct dir_session *s, const char *dn, struct dir_mods *b,
    const char *assertion)
{
	LDAPMod **mods = dir_mods_list(b);
	int r = mods == NULL ? UL_ETOOBIG :
	    dir_modify(s, dn, mods, assertion, NULL, NULL);

	dir_mods_wipe(b);
	return r == UL_ENOTFOUND ? UL_ECONFLICT : r;
}

/* "(&(mail=M)EXTRA)" for the user the caller read. */
static int
ref_assertion(char *out, size_t n, const char *email, const char *extra)
{
	char v[UL_EMAIL_MAX * 3 + 1];

	if (dir_filter_value(v, sizeof(v), email) != 0)
		return UL_EINVAL;
	return (size_t)snprintf(out, n, "(&(mail=%s)%s)", v, extra) < n ? 0 :
	    UL_EINVAL;
}

#define ASSERT_MAX (UL_EMAIL_MAX * 3 + VALUE_MAX * 3 + 128)

/* T2: m->id must be the user's next method id as the caller read it. */
int
dir_method_add(struct ul_txn *t, const struct ul_user *u, struct ul_method *m,
    int64_t now)
{
	char dn[DIR_USER_DN_MAX], extra[64], assertion[ASSERT_MAX];
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r = dir_user_dn(t->st, u->id, dn);

	if (r != 0)
		return r;
	if (m->id == 0)
		return UL_ECONFLICT;
	snprintf(extra, sizeof(extra), "(uniNextMethodId=%" PRIu32 ")", m->id - 1);
	r = ref_assertion(assertion, sizeof(assertion), u->email, extra);
	if (r != 0)
		return r;
	m->active = false;
	m->created = now;
	dir_mods_init(&b);
	dir_mods_int(&b, LDAP_MOD_REPLACE, "uniNextMethodId", m->id);
	dir_method_put(&b, m);
	s = dir_lock_write(t, &lock);
	r = user_modify(s, dn, &b, assertion);
	pthread_mutex_unlock(lock);
	return r;
}

/* T2: the pending value deleted (gone: UL_ECONFLICT) and the active one
 * added, in one modify; remembered hosts are forgotten (T7). */
int
dir_method_activate(struct ul_txn *t, const struct ul_user *u, uint32_t id,
    int64_t now)
{
	char dn[DIR_USER_DN_MAX], value[VALUE_MAX], assertion[ASSERT_MAX];
	struct methods ms;
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int k, r = ref_assertion(assertion, sizeof(assertion), u->email, "");

	if (r != 0)
		return r;
	s = dir_lock_write(t, &lock);
	r = load_ref(s, t->st, u, dn, &ms);
	k = r == 0 ? slot_of(&ms, id) : -1;
	if (r == 0 && (k < 0 || ms.m[k].active))
		r = UL_ECONFLICT;
	if (r == 0) {
		method_value(&ms.m[k], true, value, sizeof(value));
		dir_mods_init(&b);
		dir_mods_text(&b, LDAP_MOD_DELETE, "uniMethod", ms.value[k]);
		dir_mods_text(&b, LDAP_MOD_ADD, "uniMethod", value);
		dir_mods_int(&b, LDAP_MOD_REPLACE, "uniTfaChanged", now);
		dir_mods_text(&b, LDAP_MOD_INCREMENT, "uniRememberEpoch", "1");
		r = user_modify(s, dn, &b, assertion);
	}
	pthread_mutex_unlock(lock);
	methods_wipe(&ms);
	return r;
}

/* One try of a removal over what load_ref read: the method's values
 * deleted, and when no active method is left, the recovery and SMS codes
 * too, under "the epoch is the one read" (no activation or removal came
 * between: what is left is what was read). */
static int
remove_once(struct dir_session *s, struct ul_store *st, const struct ul_user *u,
    uint32_t id, int64_t now)
{
	char dn[DIR_USER_DN_MAX], extra[64], assertion[ASSERT_MAX];
	struct methods ms;
	struct dir_mods b;
	unsigned active = 0;
	int r = load_ref(s, st, u, dn, &ms);

	if (r == 0 && id != 0 && slot_of(&ms, id) < 0)
		r = UL_ENOTFOUND;
	if (r != 0) {
		methods_wipe(&ms);
		return r;
	}
	dir_mods_init(&b);
	for (int i = 0; i < ms.n; i++) {
		if (id != 0 && ms.m[i].id != id) {
			active += ms.m[i].active;
			continue;
		}
		dir_mods_text(&b, LDAP_MOD_DELETE, "uniMethod", ms.value[i]);
		if (ms.seed[i][0] != '\0')
			dir_mods_text(&b, LDAP_MOD_DELETE, "uniSealedSeed", ms.seed[i]);
		if (ms.used[i][0] != '\0')
			dir_mods_text(&b, LDAP_MOD_DELETE, "uniMethodUsed", ms.used[i]);
	}
	if (active == 0) {
		dir_mods_bin(&b, LDAP_MOD_REPLACE, "uniRecoveryCode", NULL, 0);
		dir_mods_bin(&b, LDAP_MOD_REPLACE, "uniSmsCode", NULL, 0);
		dir_mods_bin(&b, LDAP_MOD_REPLACE, "uniSmsExpires", NULL, 0);
	}
	dir_mods_int(&b, LDAP_MOD_REPLACE, "uniTfaChanged", now);
	dir_mods_int(&b, LDAP_MOD_REPLACE, "uniRememberEpoch", ms.epoch + 1);
	snprintf(extra, sizeof(extra), "(uniRememberEpoch=%" PRIu32 ")", ms.epoch);
	r = ref_assertion(assertion, sizeof(assertion), u->email, extra);
	if (r == 0)
		r = user_modify(s, dn, &b, assertion);
	dir_mods_wipe(&b);
	methods_wipe(&ms);
	return r;
}

int
dir_method_remove(struct ul_txn *t, const struct ul_user *u, uint32_t id,
    int64_t now)
{
	pthread_mutex_t *lock;
	struct dir_session *s = dir_lock_write(t, &lock);
	int r = UL_ECONFLICT;

	/* a change that came between: read again (load_ref says when the
	 * user itself went) */
	for (int i = 0; i < TRIES && r == UL_ECONFLICT; i++)
		r = remove_once(s, t->st, u, id, now);
	pthread_mutex_unlock(lock);
	return r;
}

/* The use of a method, best effort (never what an accept asserts): its
 * uniMethodUsed value (ID$UNIXTIME) replaced, at most once a day (the
 * LMDB backend's grain). */
int
dir_note_use_of(struct dir_session *s, const char *dn, uint32_t id,
    const char *used, int64_t now)
{
	const char *at = strchr(used, '$');
	int64_t last = at != NULL ? strtoll(at + 1, NULL, 10) : 0;
	char value[64];
	struct dir_mods b;
	int r;

	if (last != 0 && now - last < DAY)
		return 0;
	snprintf(value, sizeof(value), "%" PRIu32 "$%" PRId64, id, now);
	dir_mods_init(&b);
	if (used[0] != '\0')
		dir_mods_text(&b, LDAP_MOD_DELETE, "uniMethodUsed", used);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniMethodUsed", value);
	r = user_modify(s, dn, &b, NULL);
	/* another host noted it first: it is noted */
	return r == UL_ECONFLICT ? 0 : r;
}

int
dir_note_use(struct dir_session *s, struct ul_store *st,
    const struct ul_user *u, uint32_t id, int64_t now)
{
	char dn[DIR_USER_DN_MAX];
	struct methods ms;
	int k, r = load_ref(s, st, u, dn, &ms);

	k = r == 0 ? slot_of(&ms, id) : -1;
	if (r == 0 && k < 0)
		r = UL_ECONFLICT;
	if (r == 0)
		r = dir_note_use_of(s, dn, id, ms.used[k], now);
	methods_wipe(&ms);
	return r;
}

int
dir_method_used(struct ul_txn *t, const struct ul_user *u, uint32_t id,
    int64_t now)
{
	pthread_mutex_t *lock;
	struct dir_session *s = dir_lock_write_asserted(t, &lock);
	int r = dir_note_use(s, t->st, u, id, now);

	pthread_mutex_unlock(lock);
	return r;
}
