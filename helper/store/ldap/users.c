/* Users and their two-factor methods in the directory: one entry per
 * user (uniUserId=ID,ou=users), its email claimed by a claim entry
 * (uniClaimName=mail:EMAIL,ou=claims) before the entry is added, so that
 * two helpers adding one email at once get one winner (U1). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "helper/store/ldap/internal.h"
#include "unilogin/error.h"

#define DN_MAX DIR_USER_DN_MAX
#define RECOVERY_VALUE (1 + UL_CODE_HASH_BYTES)

int
dir_user_dn(struct ul_store *st, const char *id, char dn[DN_MAX])
{
	char v[UL_USER_ID_MAX * 3 + 1];

	if (dir_dn_value(v, sizeof(v), id) != 0)
		return UL_EINVAL;
	snprintf(dn, DN_MAX, "uniUserId=%s,ou=users,%s", v, st->base);
	return 0;
}

/* A binary value of exactly n bytes into out (zeroes otherwise). */
static void
read_bin(struct dir_session *s, LDAPMessage *e, const char *attr,
    uint8_t *out, size_t n)
{
	struct berval **v = ldap_get_values_len(s->ld, e, attr);

	memset(out, 0, n);
	if (v != NULL && v[0] != NULL && v[0]->bv_len == n)
		memcpy(out, v[0]->bv_val, n);
	dir_values_free(v);
}

static void
read_code(struct dir_session *s, LDAPMessage *e, const char *hash,
    const char *expires, struct ul_code *c)
{
	read_bin(s, e, hash, c->hash, sizeof(c->hash));
	c->expires = dir_int(s, e, expires);
}

static void
read_user(struct dir_session *s, LDAPMessage *e, struct ul_user *u)
{
	char flag[8];
	struct berval **rc;

	dir_text(s, e, "mail", u->email, sizeof(u->email));
	dir_text(s, e, "uniUserId", u->id, sizeof(u->id));
	dir_text(s, e, "uniPwHash", u->pwhash, sizeof(u->pwhash));
	dir_text(s, e, "uniConfirmed", flag, sizeof(flag));
	u->confirmed = strcmp(flag, "TRUE") == 0;
	dir_text(s, e, "uniLocked", flag, sizeof(flag));
	u->locked = strcmp(flag, "TRUE") == 0;
	u->created = dir_int(s, e, "uniCreated");
	u->pw_changed = dir_int(s, e, "uniPwChanged");
	read_code(s, e, "uniConfirmCode", "uniConfirmExpires", &u->confirm);
	read_code(s, e, "uniResetCode", "uniResetExpires", &u->reset);
	read_code(s, e, "uniResetCode2", "uniResetExpires2", &u->reset_more[0]);
	read_code(s, e, "uniResetCode3", "uniResetExpires3", &u->reset_more[1]);
	dir_text(s, e, "uniPendingEmail", u->pending_email, sizeof(u->pending_email));
	u->totp_step = dir_int(s, e, "uniTotpLastStep");
	u->tfa_changed = dir_int(s, e, "uniTfaChanged");
	u->remember_epoch = (uint32_t)dir_int(s, e, "uniRememberEpoch");
	u->next_method_id = (uint32_t)dir_int(s, e, "uniNextMethodId");
	/* each value its place (one byte) and its hash: T4's codes keep
	 * their numbers when one is spent */
	rc = ldap_get_values_len(s->ld, e, "uniRecoveryCode");
	for (int i = 0; rc != NULL && rc[i] != NULL; i++) {
		unsigned k = (uint8_t)rc[i]->bv_val[0];

		if (rc[i]->bv_len == RECOVERY_VALUE && k < UL_RECOVERY_CODES) {
			memcpy(u->recovery[k], rc[i]->bv_val + 1, UL_CODE_HASH_BYTES);
			u->recovery_unused |= 1u << k;
		}
	}
	dir_values_free(rc);
	read_code(s, e, "uniSmsCode", "uniSmsExpires", &u->sms);
	u->sms_window = dir_int(s, e, "uniSmsWindow");
	u->sms_sent = (uint32_t)dir_int(s, e, "uniSmsSent");
}

int
dir_user_query(struct ul_store *st, const char *email, struct dir_query *q)
{
	char filter[UL_EMAIL_MAX * 3 + 64], v[UL_EMAIL_MAX * 3 + 1];
	char base[DN_MAX];

	if (dir_filter_value(v, sizeof(v), email) != 0)
		return UL_EINVAL;
	snprintf(filter, sizeof(filter), "(&(objectClass=uniUser)(mail=%s))", v);
	snprintf(base, sizeof(base), "ou=users,%s", st->base);
	return dir_query_set(q, base, LDAP_SCOPE_ONELEVEL, filter, NULL);
}

void
dir_user_memo_drop(struct ul_txn *t)
{
	dir_msgfree(t->user.res);
	memset(&t->user, 0, sizeof(t->user));
}

static bool
memo_holds(const struct ul_txn *t, const struct dir_session *s)
{
	return t->user.e != NULL && t->user.s == s && t->user.gen == s->gen;
}

/* What a search on s found, kept in t's memo (the one before let go);
 * the gen is the one before the search: a write sent meanwhile moved it */
static int
memo_keep(struct ul_txn *t, struct dir_session *s, uint64_t gen, int r,
    LDAPMessage *res, LDAPMessage *e, const char *email)
{
	char id[UL_USER_ID_MAX + 1];

	dir_user_memo_drop(t);
	if (r != 0) {
		dir_msgfree(res);
		return r;
	}
	dir_text(s, e, "uniUserId", id, sizeof(id));
	if (dir_user_dn(t->st, id, t->user.dn) != 0) {
		dir_msgfree(res);
		return UL_ESTORE;
	}
	snprintf(t->user.mail, sizeof(t->user.mail), "%s", email);
	t->user.s = s;
	t->user.gen = gen;
	t->user.res = res;
	t->user.e = e;
	return 0;
}

int
dir_user_entry(struct ul_txn *t, struct dir_session *s, const char *email,
    LDAPMessage **e)
{
	LDAPMessage *res, *found;
	struct dir_query q;
	uint64_t gen = s->gen;
	int r;

	if (memo_holds(t, s) && strcmp(t->user.mail, email) == 0) {
		*e = t->user.e;
		return 0;
	}
	*e = NULL;
	if (dir_user_query(t->st, email, &q) != 0)
		return UL_EINVAL;
	r = dir_search_q(t, s, &q, &res, &found);
	r = memo_keep(t, s, gen, r, res, found, email);
	*e = r == 0 ? t->user.e : NULL;
	return r;
}

int
dir_user_entry_dn(struct ul_txn *t, struct dir_session *s, const char *dn,
    LDAPMessage **e)
{
	LDAPMessage *res, *found;
	char mail[UL_EMAIL_MAX + 1];
	uint64_t gen = s->gen;
	int r;

	if (memo_holds(t, s) && strcmp(t->user.dn, dn) == 0) {
		*e = t->user.e;
		return 0;
	}
	r = dir_search_one(s, dn, LDAP_SCOPE_BASE, "(objectClass=uniUser)", NULL,
	    &res, &found);
	mail[0] = '\0';
	if (r == 0)
		dir_text(s, found, "mail", mail, sizeof(mail));
	r = memo_keep(t, s, gen, r, res, found, mail);
	*e = r == 0 ? t->user.e : NULL;
	return r;
}

/* The reads of a login asked at once (ul_store_prefetch): the user by
 * email, its failure counter, the account, the step floor; on the
 * provider in a write transaction, on the replica otherwise
 * (dir_lock_read).  The user's answer goes to the memo at its first read. */
void
dir_prefetch_login(struct ul_txn *t, const struct ul_prefetch *p)
{
	struct dir_query q[DIR_FETCHED_MAX];
	pthread_mutex_t *lock;
	struct dir_session *s;
	int n = 0;

	if (p->email == NULL || dir_user_query(t->st, p->email, &q[n]) != 0)
		return;
	n++;
	if (p->counter)
		dir_failure_query(t->st, p->email, &q[n++]);
	if (p->product != NULL && (p->account != NULL || p->unix_user != NULL) &&
	    dir_account_query(t->st, p->product, p->account, p->unix_user,
	    &q[n]) == 0)
		n++;
	if (p->totp && t->write)
		dir_floor_query(t->st, &q[n++]);
	s = dir_lock_read(t, &lock);
	dir_prefetch(t, s, q, n);
	pthread_mutex_unlock(lock);
}

int
dir_user_get(struct ul_txn *t, const char *email, struct ul_user *u)
{
	LDAPMessage *e;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	memset(u, 0, sizeof(*u));
	s = dir_lock_read(t, &lock);
	r = dir_user_entry(t, s, email, &e);
	if (r == 0)
		read_user(s, e, u);
	pthread_mutex_unlock(lock);
	return r;
}

static void
put_code(struct dir_mods *b, const char *hash, const char *expires,
    const struct ul_code *c)
{
	if (c->expires == 0)
		return;
	dir_mods_bin(b, LDAP_MOD_ADD, hash, c->hash, sizeof(c->hash));
	dir_mods_int(b, LDAP_MOD_ADD, expires, c->expires);
}

static void
recovery_value(struct dir_mods *b, int op, int k,
    const uint8_t hash[UL_CODE_HASH_BYTES])
{
	uint8_t v[RECOVERY_VALUE];

	v[0] = (uint8_t)k;
	memcpy(v + 1, hash, UL_CODE_HASH_BYTES);
	dir_mods_bin(b, op, "uniRecoveryCode", v, sizeof(v));
	sodium_memzero(v, sizeof(v));
}

static void
user_entry(struct dir_mods *b, const struct ul_user *u)
{
	dir_mods_text(b, LDAP_MOD_ADD, "objectClass", "uniUser");
	dir_mods_text(b, LDAP_MOD_ADD, "uniUserId", u->id);
	dir_mods_text(b, LDAP_MOD_ADD, "mail", u->email);
	dir_mods_int(b, LDAP_MOD_ADD, "uniCreated", u->created);
	dir_mods_text(b, LDAP_MOD_ADD, "uniPwHash", u->pwhash);
	dir_mods_text(b, LDAP_MOD_ADD, "uniConfirmed", u->confirmed ? "TRUE" : "FALSE");
	dir_mods_text(b, LDAP_MOD_ADD, "uniLocked", u->locked ? "TRUE" : "FALSE");
	dir_mods_int(b, LDAP_MOD_ADD, "uniPwChanged", u->pw_changed);
	put_code(b, "uniConfirmCode", "uniConfirmExpires", &u->confirm);
	put_code(b, "uniResetCode", "uniResetExpires", &u->reset);
	put_code(b, "uniResetCode2", "uniResetExpires2", &u->reset_more[0]);
	put_code(b, "uniResetCode3", "uniResetExpires3", &u->reset_more[1]);
	dir_mods_text(b, LDAP_MOD_ADD, "uniPendingEmail", u->pending_email);
	/* always there: accepts assert on it (T3) */
	dir_mods_int(b, LDAP_MOD_ADD, "uniTotpLastStep", u->totp_step);
	dir_mods_int(b, LDAP_MOD_ADD, "uniTfaChanged", u->tfa_changed);
	dir_mods_int(b, LDAP_MOD_ADD, "uniRememberEpoch", u->remember_epoch);
	dir_mods_int(b, LDAP_MOD_ADD, "uniNextMethodId", u->next_method_id);
	for (int i = 0; i < UL_RECOVERY_CODES; i++)
		if (u->recovery_unused & (1u << i))
			recovery_value(b, LDAP_MOD_ADD, i, u->recovery[i]);
	put_code(b, "uniSmsCode", "uniSmsExpires", &u->sms);
	dir_mods_int(b, LDAP_MOD_ADD, "uniSmsWindow", u->sms_window);
	dir_mods_int(b, LDAP_MOD_ADD, "uniSmsSent", u->sms_sent);
}

int
dir_user_create(struct ul_txn *t, const struct ul_user *u)
{
	char dn[DN_MAX], key[UL_EMAIL_MAX + 8];
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	LDAPMod **mods;
	int r = dir_user_dn(t->st, u->id, dn);

	if (r != 0)
		return r;
	dir_mods_init(&b);
	user_entry(&b, u);
	mods = dir_mods_list(&b);
	snprintf(key, sizeof(key), "mail:%s", u->email);
	s = dir_lock_write(t, &lock);
	/* the claim first: a crash before the entry leaves an orphan claim
	 * (swept), never two users with one email */
	r = mods == NULL ? UL_ETOOBIG : dir_claim(s, t->st, key, dn,
	    (int64_t)time(NULL));
	if (r == 0)
		r = dir_add(s, dn, mods);
	pthread_mutex_unlock(lock);
	dir_mods_wipe(&b);
	return r;
}

int
dir_method_restore(struct ul_txn *t, const char *email,
    const struct ul_method *m)
{
	char dn[DN_MAX];
	struct ul_user u;
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r = dir_user_get(t, email, &u);

	if (r == 0)
		r = dir_user_dn(t->st, u.id, dn);
	sodium_memzero(&u, sizeof(u));
	if (r != 0)
		return r;
	dir_mods_init(&b);
	dir_method_put(&b, m);
	s = dir_lock_write(t, &lock);
	r = dir_mods_list(&b) ? dir_modify(s, dn, dir_mods_list(&b), NULL, NULL,
	    NULL) : UL_ETOOBIG;
	pthread_mutex_unlock(lock);
	dir_mods_wipe(&b);
	return r == UL_ECONFLICT ? UL_EEXIST : r;
}

/* The method's uniMethod value as the provider has it (or had it a
 * moment before: the transaction's memo; the accept asserts it). */
static int
method_read(struct ul_txn *t, struct dir_session *s, const char *dn,
    uint32_t id, char *out, size_t n, char used[64])
{
	char prefix[16];
	LDAPMessage *e;
	struct berval **v;
	int r = dir_user_entry_dn(t, s, dn, &e);

	snprintf(prefix, sizeof(prefix), "%" PRIu32 "$", id);
	out[0] = used[0] = '\0';
	v = r == 0 ? ldap_get_values_len(s->ld, e, "uniMethod") : NULL;
	for (int i = 0; v != NULL && v[i] != NULL; i++)
		if (v[i]->bv_len < n && strncmp(v[i]->bv_val, prefix,
		    strlen(prefix)) == 0) {
			memcpy(out, v[i]->bv_val, v[i]->bv_len);
			out[v[i]->bv_len] = '\0';
		}
	dir_values_free(v);
	v = r == 0 ? ldap_get_values_len(s->ld, e, "uniMethodUsed") : NULL;
	for (int i = 0; v != NULL && v[i] != NULL; i++)
		if (v[i]->bv_len < 64 && v[i]->bv_len > strlen(prefix) &&
		    strncmp(v[i]->bv_val, prefix, strlen(prefix)) == 0) {
			memcpy(used, v[i]->bv_val, v[i]->bv_len);
			used[v[i]->bv_len] = '\0';
		}
	dir_values_free(v);
	if (r == 0 && out[0] == '\0')
		r = UL_ECONFLICT;
	return r;
}

/* T3 as one modify of the user entry: the step moves to `step` only if
 * it is above the fleet's step floor (read on the provider first; a
 * provider not promoted since the floor was written takes the step but
 * gives no login: UL_EUNREACHABLE), the stored one is below it, the method's value is still the one read
 * (active or, for a confirmation, pending) and the email is the one the
 * caller read; two helpers racing with one code: one wins (F1). */
int
dir_totp_accept(struct ul_txn *t, const struct ul_user *u, uint32_t id,
    bool active, int64_t step, int64_t now)
{
	char dn[DN_MAX], value[128], assertion[UL_EMAIL_MAX * 3 + 128 * 3 + 96];
	char mail[UL_EMAIL_MAX * 3 + 1], state[16], floor_sid[DIR_SID_MAX];
	char csn[64], *csn_attr[] = {"entryCSN", NULL}, used[64] = "";
	int64_t floor;
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r = dir_user_dn(t->st, u->id, dn);

	if (r == 0)
		r = dir_filter_value(mail, sizeof(mail), u->email);
	if (r != 0)
		return r;
	s = dir_lock_write_asserted(t, &lock);
	/* at or below the floor a promotion wrote: a step the old provider
	 * may have accepted (fleet promote) */
	r = dir_step_floor(t, s, t->st, &floor, floor_sid);
	if (r == 0 && step <= floor)
		r = UL_ECONFLICT;
	if (r == 0)
		r = method_read(t, s, dn, id, value, sizeof(value), used);
	snprintf(state, sizeof(state), "$%s$", active ? "active" : "pending");
	if (r == 0 && strstr(value, state) == NULL)
		r = UL_ECONFLICT;
	if (r == 0) {
		char v[sizeof(value) * 3];

		r = dir_filter_value(v, sizeof(v), value);
		snprintf(assertion, sizeof(assertion),
		    "(&(uniTotpLastStep<=%" PRId64 ")(uniMethod=%s)(mail=%s))",
		    step - 1, v, mail);
	}
	if (r == 0) {
		dir_mods_init(&b);
		dir_mods_int(&b, LDAP_MOD_REPLACE, "uniTotpLastStep", step);
		r = dir_modify_text(s, dn, dir_mods_list(&b), assertion, csn_attr,
		    csn, sizeof(csn));
	}
	/* written on a provider that was not promoted (the name moved, fleet
	 * promote not run yet): the step moved, harmlessly, but no login,
	 * until the floor covers what the old provider may have accepted */
	if (r == 0 && !dir_csn_of(csn, floor_sid))
		r = UL_EUNREACHABLE;
	/* its use noted, best effort, apart from what accepts assert */
	if (r == 0)
		(void)dir_note_use_of(s, dn, id, used, now);
	pthread_mutex_unlock(lock);
	return r == UL_ENOTFOUND ? UL_ECONFLICT : r;
}

/* The code attributes of each kind: its hash and its expiry. */
static const char *const reset_slots[3][2] = {
	{"uniResetCode", "uniResetExpires"},
	{"uniResetCode2", "uniResetExpires2"},
	{"uniResetCode3", "uniResetExpires3"},
};

/* One modify that spends the code: its value deleted (gone already:
 * noSuchAttribute, UL_ECONFLICT, nothing applied), under an assertion
 * that it is unexpired at `now` and the user is the one read.  A reset
 * code ends every reset code (U5). */
static int
consume_one(struct dir_session *s, const char *dn, const char *mail,
    const char *code_attr, const char *expires_attr, bool all_resets,
    const uint8_t hash[UL_CODE_HASH_BYTES], int64_t now)
{
	char assertion[UL_EMAIL_MAX * 3 + 128];
	struct dir_mods b;

	if (expires_attr != NULL)
		snprintf(assertion, sizeof(assertion),
		    "(&(mail=%s)(%s>=%" PRId64 "))", mail, expires_attr, now + 1);
	else
		snprintf(assertion, sizeof(assertion), "(mail=%s)", mail);
	dir_mods_init(&b);
	dir_mods_bin(&b, LDAP_MOD_DELETE, code_attr, hash, UL_CODE_HASH_BYTES);
	if (expires_attr != NULL && !all_resets)
		dir_mods_bin(&b, LDAP_MOD_REPLACE, expires_attr, NULL, 0);
	for (int i = 0; all_resets && i < 3; i++) {
		if (strcmp(reset_slots[i][0], code_attr) != 0)
			dir_mods_bin(&b, LDAP_MOD_REPLACE, reset_slots[i][0], NULL, 0);
		dir_mods_bin(&b, LDAP_MOD_REPLACE, reset_slots[i][1], NULL, 0);
	}
	return dir_modify(s, dn, dir_mods_list(&b), assertion, NULL, NULL);
}

/* T4: the value that holds this hash (its place read on the provider,
 * compared in constant time) deleted: gone already, noSuchAttribute. */
static int
consume_recovery(struct dir_session *s, const char *dn, const char *mail,
    const uint8_t hash[UL_CODE_HASH_BYTES])
{
	char *attrs[] = {"uniRecoveryCode", NULL}, assertion[UL_EMAIL_MAX * 3 + 16];
	LDAPMessage *res = NULL, *e;
	struct berval **v;
	struct dir_mods b;
	int found = -1, r = dir_search_one(s, dn, LDAP_SCOPE_BASE,
	    "(objectClass=uniUser)", attrs, &res, &e);

	v = r == 0 ? ldap_get_values_len(s->ld, e, "uniRecoveryCode") : NULL;
	for (int i = 0; v != NULL && v[i] != NULL; i++)
		if (v[i]->bv_len == RECOVERY_VALUE && sodium_memcmp(v[i]->bv_val + 1,
		    hash, UL_CODE_HASH_BYTES) == 0 && found < 0)
			found = (uint8_t)v[i]->bv_val[0];
	dir_values_free(v);
	dir_msgfree(res);
	if (r == UL_ENOTFOUND || (r == 0 && found < 0))
		return UL_ECONFLICT;
	if (r != 0)
		return r;
	snprintf(assertion, sizeof(assertion), "(mail=%s)", mail);
	dir_mods_init(&b);
	recovery_value(&b, LDAP_MOD_DELETE, found, hash);
	r = dir_modify(s, dn, dir_mods_list(&b), assertion, NULL, NULL);
	dir_mods_wipe(&b);
	return r;
}

int
dir_code_consume(struct ul_txn *t, const struct ul_user *u,
    enum ul_code_kind kind, const uint8_t hash[UL_CODE_HASH_BYTES], int64_t now)
{
	char dn[DN_MAX], mail[UL_EMAIL_MAX * 3 + 1];
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r = dir_user_dn(t->st, u->id, dn);

	if (r == 0)
		r = dir_filter_value(mail, sizeof(mail), u->email);
	if (r != 0)
		return r;
	s = dir_lock_write(t, &lock);
	switch (kind) {
	case UL_CODE_RECOVERY:
		r = consume_recovery(s, dn, mail, hash);
		break;
	case UL_CODE_CONFIRM:
		r = consume_one(s, dn, mail, "uniConfirmCode", "uniConfirmExpires",
		    false, hash, now);
		break;
	case UL_CODE_SMS:
		r = consume_one(s, dn, mail, "uniSmsCode", "uniSmsExpires", false,
		    hash, now);
		break;
	case UL_CODE_RESET:
		/* the slot that holds it; the others fail and apply nothing */
		r = UL_ECONFLICT;
		for (int i = 0; i < 3 && r == UL_ECONFLICT; i++)
			r = consume_one(s, dn, mail, reset_slots[i][0],
			    reset_slots[i][1], true, hash, now);
		break;
	default:
		r = UL_EINVAL;
	}
	pthread_mutex_unlock(lock);
	/* the user went (or was made again): not the one the caller read */
	return r == UL_ENOTFOUND ? UL_ECONFLICT : r;
}

/* ---- the rest of a user's reads and changes ---- */

/* Users in the order of their ids; the cursor's key the last id
 * returned. */
int
dir_user_next(struct ul_txn *t, struct ul_cursor *cur, struct ul_user *u)
{
	static const struct dir_list_key lk = {NULL, "uniUserId", "mail"};
	char base[DN_MAX], best[UL_USER_ID_MAX + 1] = "";
	char mail[UL_EMAIL_MAX + 1] = "", *attrs[] = {"uniUserId", "mail", NULL};
	char after[DIR_CURSOR_KEY_MAX + 1];
	int r;

	memset(u, 0, sizeof(*u));
	if (dir_cursor_key(cur, after) != 0)
		return UL_EINVAL;
	snprintf(base, sizeof(base), "ou=users,%s", t->st->base);
	do {
		r = dir_list_next(t, base, LDAP_SCOPE_ONELEVEL,
		    "(objectClass=uniUser)", attrs, &lk, after, best, sizeof(best),
		    mail, sizeof(mail));
		if (r == 0)
			r = dir_cursor_set(cur, best);
		if (r == 0)
			r = dir_user_get(t, mail, u);
		/* gone or moved between the two reads: the next one */
		if (r == 0 && strcmp(u->id, best) != 0)
			r = UL_ENOTFOUND;
		memcpy(after, best, strlen(best) + 1);
	} while (r == UL_ENOTFOUND && best[0] != '\0');
	if (r != 0)
		memset(u, 0, sizeof(*u));
	return r;
}

int
dir_pending_get(struct ul_txn *t, const char *new_email,
    char old_email[UL_EMAIL_MAX + 1])
{
	char filter[UL_EMAIL_MAX * 3 + 64], v[UL_EMAIL_MAX * 3 + 1], base[DN_MAX];
	char *attrs[] = {"mail", NULL};
	LDAPMessage *res = NULL, *e;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	old_email[0] = '\0';
	if (dir_filter_value(v, sizeof(v), new_email) != 0)
		return UL_EINVAL;
	snprintf(filter, sizeof(filter),
	    "(&(objectClass=uniUser)(uniPendingEmail=%s))", v);
	snprintf(base, sizeof(base), "ou=users,%s", t->st->base);
	s = dir_lock_read(t, &lock);
	r = dir_search_one(s, base, LDAP_SCOPE_ONELEVEL, filter, attrs, &res, &e);
	if (r == 0)
		dir_text(s, e, "mail", old_email, UL_EMAIL_MAX + 1);
	pthread_mutex_unlock(lock);
	dir_msgfree(res);
	return r;
}

#define ASSERT_MAX (UL_EMAIL_MAX * 3 + UL_HASH_STR_MAX * 3 + 256)

/* One modify of the user the caller read (its entry by id, under "its
 * email is still the one read" and `extra`): UL_ECONFLICT when either
 * changed or the user went.  b is wiped. */
static int
user_change(struct dir_session *s, struct ul_store *st,
    const struct ul_user *u, struct dir_mods *b, const char *extra)
{
	char dn[DN_MAX], v[UL_EMAIL_MAX * 3 + 1], assertion[ASSERT_MAX];
	LDAPMod **mods = dir_mods_list(b);
	int r = dir_user_dn(st, u->id, dn);

	if (r == 0)
		r = dir_filter_value(v, sizeof(v), u->email);
	if (r == 0 && (size_t)snprintf(assertion, sizeof(assertion),
	    "(&(mail=%s)%s)", v, extra) >= sizeof(assertion))
		r = UL_EINVAL;
	if (r == 0)
		r = mods == NULL ? UL_ETOOBIG :
		    dir_modify(s, dn, mods, assertion, NULL, NULL);
	dir_mods_wipe(b);
	return r == UL_ENOTFOUND ? UL_ECONFLICT : r;
}

static int
change_locked(struct ul_txn *t, const struct ul_user *u, struct dir_mods *b,
    const char *extra)
{
	pthread_mutex_t *lock;
	struct dir_session *s = dir_lock_write(t, &lock);
	int r = user_change(s, t->st, u, b, extra);

	pthread_mutex_unlock(lock);
	return r;
}

static void
replace_code(struct dir_mods *b, const char *hash, const char *expires,
    const struct ul_code *c)
{
	if (c->expires == 0) {
		dir_mods_bin(b, LDAP_MOD_REPLACE, hash, NULL, 0);
		dir_mods_bin(b, LDAP_MOD_REPLACE, expires, NULL, 0);
		return;
	}
	dir_mods_bin(b, LDAP_MOD_REPLACE, hash, c->hash, sizeof(c->hash));
	dir_mods_int(b, LDAP_MOD_REPLACE, expires, c->expires);
}

/* "(attr=N)", or "(!(attr=*))" for 0 (an absent expiry). */
static void
int_is(char *out, size_t n, const char *attr, int64_t value)
{
	if (value == 0)
		snprintf(out, n, "(!(%s=*))", attr);
	else
		snprintf(out, n, "(%s=%" PRId64 ")", attr, value);
}

#define TRIES 8

/* A reset code goes into a free or spent slot, else the oldest: the slot
 * read is asserted unchanged, so two hosts issuing at once take two
 * slots (or one tries again). */
static int
reset_issue(struct dir_session *s, struct ul_store *st,
    const struct ul_user *ref, const struct ul_code *code)
{
	char dn[DN_MAX], extra[96], *attrs[] = {"mail", "uniResetExpires",
	    "uniResetExpires2", "uniResetExpires3", NULL}, mail[UL_EMAIL_MAX + 1];
	LDAPMessage *res = NULL, *e;
	struct dir_mods b;
	int64_t exp[3];
	int r = UL_ECONFLICT, pick;

	for (int k = 0; k < TRIES && r == UL_ECONFLICT; k++) {
		r = dir_user_dn(st, ref->id, dn);
		if (r == 0)
			r = dir_search_one(s, dn, LDAP_SCOPE_BASE,
			    "(objectClass=uniUser)", attrs, &res, &e);
		if (r == 0) {
			dir_text(s, e, "mail", mail, sizeof(mail));
			for (int i = 0; i < 3; i++)
				exp[i] = dir_int(s, e, reset_slots[i][1]);
		}
		dir_msgfree(res);
		res = NULL;
		if (r == UL_ENOTFOUND || (r == 0 && strcmp(mail, ref->email) != 0))
			return UL_ECONFLICT;
		if (r != 0)
			return r;
		pick = 0;
		for (int i = 1; i < 3; i++)
			if (exp[i] < exp[pick])
				pick = i;
		int_is(extra, sizeof(extra), reset_slots[pick][1], exp[pick]);
		dir_mods_init(&b);
		replace_code(&b, reset_slots[pick][0], reset_slots[pick][1], code);
		r = user_change(s, st, ref, &b, extra);
	}
	return r;
}

int
dir_code_issue(struct ul_txn *t, const struct ul_user *u,
    enum ul_code_kind kind, const struct ul_code *code)
{
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	if (kind == UL_CODE_CONFIRM) {
		dir_mods_init(&b);
		replace_code(&b, "uniConfirmCode", "uniConfirmExpires", code);
		return change_locked(t, u, &b, "");
	}
	if (kind != UL_CODE_RESET)
		return UL_EINVAL;
	s = dir_lock_write(t, &lock);
	r = reset_issue(s, t->st, u, code);
	pthread_mutex_unlock(lock);
	return r;
}

/* C1: a send counted in the window read (asserted unchanged) below max:
 * two hosts sending at once count two, never past max. */
int
dir_sms_issue(struct ul_txn *t, const struct ul_user *u,
    const struct ul_code *code, int64_t now, int64_t window, uint32_t max)
{
	char extra[128], *attrs[] = {"mail", "uniSmsWindow", "uniSmsSent", NULL};
	char dn[DN_MAX], mail[UL_EMAIL_MAX + 1];
	LDAPMessage *res = NULL, *e;
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int64_t start = 0, sent = 0;
	int r = dir_user_dn(t->st, u->id, dn);

	if (r != 0)
		return r;
	s = dir_lock_write(t, &lock);
	r = UL_ECONFLICT;
	for (int k = 0; k < TRIES && r == UL_ECONFLICT; k++) {
		r = dir_search_one(s, dn, LDAP_SCOPE_BASE, "(objectClass=uniUser)",
		    attrs, &res, &e);
		if (r == 0) {
			dir_text(s, e, "mail", mail, sizeof(mail));
			start = dir_int(s, e, "uniSmsWindow");
			sent = dir_int(s, e, "uniSmsSent");
		}
		dir_msgfree(res);
		res = NULL;
		if (r == UL_ENOTFOUND || (r == 0 && strcmp(mail, u->email) != 0)) {
			r = UL_ECONFLICT;
			break;
		}
		if (r != 0)
			break;
		dir_mods_init(&b);
		if (now - start >= window) {
			dir_mods_int(&b, LDAP_MOD_REPLACE, "uniSmsWindow", now);
			dir_mods_int(&b, LDAP_MOD_REPLACE, "uniSmsSent", 1);
			snprintf(extra, sizeof(extra), "(uniSmsWindow=%" PRId64 ")",
			    start);
		} else if (sent >= max) {
			r = UL_EBUSY;
			break;
		} else {
			dir_mods_int(&b, LDAP_MOD_REPLACE, "uniSmsSent", sent + 1);
			snprintf(extra, sizeof(extra), "(uniSmsWindow=%" PRId64
			    ")(uniSmsSent=%" PRId64 ")", start, sent);
		}
		if (max == 0) {
			r = UL_EBUSY;
			break;
		}
		replace_code(&b, "uniSmsCode", "uniSmsExpires", code);
		r = user_change(s, t->st, u, &b, extra);
	}
	pthread_mutex_unlock(lock);
	return r;
}

int
dir_recovery_set(struct ul_txn *t, const struct ul_user *u,
    const uint8_t codes[UL_RECOVERY_CODES][UL_CODE_HASH_BYTES])
{
	struct dir_mods b;

	dir_mods_init(&b);
	if (codes == NULL)
		dir_mods_bin(&b, LDAP_MOD_REPLACE, "uniRecoveryCode", NULL, 0);
	for (int i = 0; codes != NULL && i < UL_RECOVERY_CODES; i++)
		recovery_value(&b, LDAP_MOD_REPLACE, i, codes[i]);
	return change_locked(t, u, &b, "");
}

int
dir_user_confirm(struct ul_txn *t, const struct ul_user *u)
{
	struct dir_mods b;

	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_REPLACE, "uniConfirmed", "TRUE");
	return change_locked(t, u, &b, "");
}

/* U4, U5: every remembered host forgotten (T7: the epoch moves on). */
int
dir_user_set_password(struct ul_txn *t, const struct ul_user *u,
    const char hash[UL_HASH_STR_MAX], int64_t now)
{
	struct dir_mods b;

	dir_mods_init(&b);
	dir_mods_bin(&b, LDAP_MOD_REPLACE, "uniPwHash", hash,
	    strnlen(hash, UL_HASH_STR_MAX));
	dir_mods_int(&b, LDAP_MOD_REPLACE, "uniPwChanged", now);
	dir_mods_text(&b, LDAP_MOD_INCREMENT, "uniRememberEpoch", "1");
	return change_locked(t, u, &b, "");
}

/* U3: only over the hash it was made from. */
int
dir_user_rehash(struct ul_txn *t, const struct ul_user *u,
    const char old[UL_HASH_STR_MAX], const char hash[UL_HASH_STR_MAX])
{
	char v[UL_HASH_STR_MAX * 3 + 1], extra[sizeof(v) + 32];
	struct dir_mods b;

	if (dir_filter_value(v, sizeof(v), old) != 0)
		return UL_EINVAL;
	snprintf(extra, sizeof(extra), "(uniPwHash=%s)", v);
	dir_mods_init(&b);
	dir_mods_bin(&b, LDAP_MOD_REPLACE, "uniPwHash", hash,
	    strnlen(hash, UL_HASH_STR_MAX));
	return change_locked(t, u, &b, extra);
}

int
dir_user_set_locked(struct ul_txn *t, const struct ul_user *u, bool locked)
{
	struct dir_mods b;

	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_REPLACE, "uniLocked", locked ? "TRUE" : "FALSE");
	return change_locked(t, u, &b, "");
}

static void
mail_key(char key[UL_EMAIL_MAX + 8], const char *email)
{
	snprintf(key, UL_EMAIL_MAX + 8, "mail:%s", email);
}

/* The pending email of the entry dn on the provider, if its mail is
 * still `email` (else UL_ECONFLICT). */
static int
pending_now(struct dir_session *s, const char *dn, const char *email,
    char pending[UL_EMAIL_MAX + 1])
{
	char *attrs[] = {"mail", "uniPendingEmail", NULL}, mail[UL_EMAIL_MAX + 1];
	LDAPMessage *res = NULL, *e;
	int r = dir_search_one(s, dn, LDAP_SCOPE_BASE, "(objectClass=uniUser)",
	    attrs, &res, &e);

	pending[0] = '\0';
	if (r == 0) {
		dir_text(s, e, "mail", mail, sizeof(mail));
		dir_text(s, e, "uniPendingEmail", pending, UL_EMAIL_MAX + 1);
	}
	dir_msgfree(res);
	if (r == UL_ENOTFOUND || (r == 0 && strcmp(mail, email) != 0))
		r = UL_ECONFLICT;
	return r;
}

/* U6: new_email claimed for this user (a claim it holds already, for a
 * request made again, is its own), then the entry says so; the claim of
 * a request made before is given back. */
int
dir_user_set_pending(struct ul_txn *t, const struct ul_user *u,
    const char *new_email, const struct ul_code *code)
{
	char dn[DN_MAX], key[UL_EMAIL_MAX + 8], old[UL_EMAIL_MAX + 1];
	char extra[UL_EMAIL_MAX * 3 + 64], v[UL_EMAIL_MAX * 3 + 1];
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	bool ours = false;
	int r = dir_user_dn(t->st, u->id, dn);

	if (r != 0)
		return r;
	if (strcmp(new_email, u->email) == 0)
		return UL_EEXIST;
	mail_key(key, new_email);
	s = dir_lock_write(t, &lock);
	/* the request pending now (asserted below: its claim is given back) */
	r = pending_now(s, dn, u->email, old);
	if (r == 0)
		r = dir_claim(s, t->st, key, dn, (int64_t)time(NULL));
	/* ours: asked again (made young, so that no sweep takes it now) */
	if (r == UL_EEXIST && dir_claim_touch(s, t->st, key, dn,
	    (int64_t)time(NULL)) == 0)
		r = 0;
	else
		ours = r == 0;
	if (r == 0) {
		dir_mods_init(&b);
		dir_mods_text(&b, LDAP_MOD_REPLACE, "uniPendingEmail", new_email);
		replace_code(&b, "uniConfirmCode", "uniConfirmExpires", code);
		if (old[0] == '\0')
			snprintf(extra, sizeof(extra), "(!(uniPendingEmail=*))");
		else if (dir_filter_value(v, sizeof(v), old) == 0)
			snprintf(extra, sizeof(extra), "(uniPendingEmail=%s)", v);
		else
			r = UL_EINVAL;
		if (r == 0)
			r = user_change(s, t->st, u, &b, extra);
		if (r != 0 && r != UL_EUNKNOWN && ours)
			(void)dir_unclaim(s, t->st, key);
	}
	if (r == 0 && old[0] != '\0' && strcmp(old, new_email) != 0) {
		mail_key(key, old);
		(void)dir_unclaim(s, t->st, key);
	}
	pthread_mutex_unlock(lock);
	return r;
}

/* U6 after the code: mail becomes the pending email (claimed already at
 * the request) under "still waiting for exactly it"; the old email's
 * claim is given back. */
int
dir_user_move(struct ul_txn *t, const struct ul_user *u, const char *new_email)
{
	char key[UL_EMAIL_MAX + 8], v[UL_EMAIL_MAX * 3 + 1];
	char extra[UL_EMAIL_MAX * 3 + 64];
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	if (dir_filter_value(v, sizeof(v), new_email) != 0)
		return UL_EINVAL;
	snprintf(extra, sizeof(extra), "(uniPendingEmail=%s)", v);
	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_REPLACE, "mail", new_email);
	dir_mods_bin(&b, LDAP_MOD_REPLACE, "uniPendingEmail", NULL, 0);
	dir_mods_bin(&b, LDAP_MOD_REPLACE, "uniConfirmCode", NULL, 0);
	dir_mods_bin(&b, LDAP_MOD_REPLACE, "uniConfirmExpires", NULL, 0);
	s = dir_lock_write(t, &lock);
	r = user_change(s, t->st, u, &b, extra);
	if (r == 0) {
		mail_key(key, u->email);
		(void)dir_unclaim(s, t->st, key);
	}
	pthread_mutex_unlock(lock);
	return r;
}

/* U7: the entry goes (its methods with it), then its email's claim and a
 * pending email's. */
int
dir_user_delete(struct ul_txn *t, const struct ul_user *u)
{
	char dn[DN_MAX], key[UL_EMAIL_MAX + 8];
	struct ul_user now;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r = dir_user_get(t, u->email, &now);

	if (r == UL_ENOTFOUND || (r == 0 && strcmp(now.id, u->id) != 0))
		r = UL_ECONFLICT;
	if (r == 0)
		r = dir_user_dn(t->st, u->id, dn);
	if (r != 0) {
		sodium_memzero(&now, sizeof(now));
		return r;
	}
	s = dir_lock_write(t, &lock);
	r = dir_delete(s, dn, NULL);
	if (r == UL_ENOTFOUND)
		r = UL_ECONFLICT;
	if (r == 0) {
		mail_key(key, now.email);
		(void)dir_unclaim(s, t->st, key);
		if (now.pending_email[0] != '\0') {
			mail_key(key, now.pending_email);
			(void)dir_unclaim(s, t->st, key);
		}
	}
	pthread_mutex_unlock(lock);
	sodium_memzero(&now, sizeof(now));
	return r;
}
