/* Users and their two-factor methods in the directory: one entry per
 * user (uniUserId=ID,ou=users), its email claimed by a claim entry
 * (uniClaimName=mail:EMAIL,ou=claims) before the entry is added, so that
 * two helpers adding one email at once get one winner (U1). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "helper/store/ldap/internal.h"
#include "unilogin/error.h"

#define DN_MAX (UL_LDAP_DN_MAX + 600)

static int
user_dn(struct ul_store *st, const char *id, char dn[DN_MAX])
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
	ldap_value_free_len(v);
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
	rc = ldap_get_values_len(s->ld, e, "uniRecoveryCode");
	for (int i = 0; rc != NULL && rc[i] != NULL && i < UL_RECOVERY_CODES; i++)
		if (rc[i]->bv_len == UL_CODE_HASH_BYTES) {
			memcpy(u->recovery[i], rc[i]->bv_val, UL_CODE_HASH_BYTES);
			u->recovery_unused |= 1u << i;
		}
	ldap_value_free_len(rc);
	read_code(s, e, "uniSmsCode", "uniSmsExpires", &u->sms);
	u->sms_window = dir_int(s, e, "uniSmsWindow");
	u->sms_sent = (uint32_t)dir_int(s, e, "uniSmsSent");
}

int
dir_user_get(struct ul_txn *t, const char *email, struct ul_user *u)
{
	char filter[UL_EMAIL_MAX * 3 + 64], v[UL_EMAIL_MAX * 3 + 1];
	char base[DN_MAX];
	LDAPMessage *res = NULL, *e;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r;

	memset(u, 0, sizeof(*u));
	if (dir_filter_value(v, sizeof(v), email) != 0)
		return UL_EINVAL;
	snprintf(filter, sizeof(filter), "(&(objectClass=uniUser)(mail=%s))", v);
	snprintf(base, sizeof(base), "ou=users,%s", t->st->base);
	s = dir_lock_read(t, &lock);
	r = dir_search_one(s, base, LDAP_SCOPE_ONELEVEL, filter, NULL, &res, &e);
	if (r == 0)
		read_user(s, e, u);
	pthread_mutex_unlock(lock);
	ldap_msgfree(res);
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
			dir_mods_bin(b, LDAP_MOD_ADD, "uniRecoveryCode",
			    u->recovery[i], UL_CODE_HASH_BYTES);
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
	int r = user_dn(t->st, u->id, dn);

	if (r != 0)
		return r;
	dir_mods_init(&b);
	user_entry(&b, u);
	mods = dir_mods_list(&b);
	snprintf(key, sizeof(key), "mail:%s", u->email);
	s = dir_lock_write(t, &lock);
	/* the claim first: a crash before the entry leaves an orphan claim
	 * (swept), never two users with one email */
	r = mods == NULL ? UL_ETOOBIG : dir_claim(s, t->st, key, dn, u->created);
	if (r == 0)
		r = dir_add(s, dn, mods);
	pthread_mutex_unlock(lock);
	dir_mods_wipe(&b);
	return r;
}

/* uniMethod's value: ID$KIND$STATE$DIGITS$CREATED$PHONE */
static void
method_value(const struct ul_method *m, bool active, char *out, size_t n)
{
	snprintf(out, n, "%" PRIu32 "$%d$%s$%" PRIu32 "$%" PRId64 "$%s", m->id,
	    (int)m->kind, active ? "active" : "pending", m->digits, m->created,
	    m->phone);
}

int
dir_method_restore(struct ul_txn *t, const char *email,
    const struct ul_method *m)
{
	char dn[DN_MAX], value[128], seed[16 + UL_SEED_BOX_BYTES * 2];
	struct ul_user u;
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	size_t len;
	int r = dir_user_get(t, email, &u);

	if (r == 0)
		r = user_dn(t->st, u.id, dn);
	sodium_memzero(&u, sizeof(u));
	if (r != 0)
		return r;
	method_value(m, m->active, value, sizeof(value));
	len = (size_t)snprintf(seed, sizeof(seed), "%" PRIu32 "$", m->id);
	sodium_bin2base64(seed + len, sizeof(seed) - len, m->seed_box,
	    sizeof(m->seed_box), sodium_base64_VARIANT_ORIGINAL);
	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniMethod", value);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniSealedSeed", seed);
	sodium_memzero(seed, sizeof(seed));
	s = dir_lock_write(t, &lock);
	r = dir_mods_list(&b) ? dir_modify(s, dn, dir_mods_list(&b), NULL, NULL,
	    NULL) : UL_ETOOBIG;
	pthread_mutex_unlock(lock);
	dir_mods_wipe(&b);
	return r == UL_ECONFLICT ? UL_EEXIST : r;
}

/* The method's uniMethod value as the provider has it now. */
static int
method_read(struct dir_session *s, const char *dn, uint32_t id, char *out,
    size_t n)
{
	char *attrs[] = {"uniMethod", NULL}, prefix[16];
	LDAPMessage *res = NULL, *e;
	struct berval **v;
	int r = dir_search_one(s, dn, LDAP_SCOPE_BASE, "(objectClass=uniUser)",
	    attrs, &res, &e);

	snprintf(prefix, sizeof(prefix), "%" PRIu32 "$", id);
	out[0] = '\0';
	v = r == 0 ? ldap_get_values_len(s->ld, e, "uniMethod") : NULL;
	for (int i = 0; v != NULL && v[i] != NULL; i++)
		if (v[i]->bv_len < n && strncmp(v[i]->bv_val, prefix,
		    strlen(prefix)) == 0) {
			memcpy(out, v[i]->bv_val, v[i]->bv_len);
			out[v[i]->bv_len] = '\0';
		}
	ldap_value_free_len(v);
	ldap_msgfree(res);
	if (r == 0 && out[0] == '\0')
		r = UL_ECONFLICT;
	return r;
}

/* T3 as one modify of the user entry: the step moves to `step` only if
 * the stored one is below it, the method's value is still the one read
 * (active or, for a confirmation, pending) and the email is the one the
 * caller read; two helpers racing with one code: one wins (F1). */
int
dir_totp_accept(struct ul_txn *t, const struct ul_user *u, uint32_t id,
    bool active, int64_t step, int64_t now)
{
	char dn[DN_MAX], value[128], assertion[UL_EMAIL_MAX * 3 + 128 * 3 + 96];
	char mail[UL_EMAIL_MAX * 3 + 1], state[16];
	struct dir_mods b;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r = user_dn(t->st, u->id, dn);

	if (r == 0)
		r = dir_filter_value(mail, sizeof(mail), u->email);
	if (r != 0)
		return r;
	s = dir_lock_write(t, &lock);
	r = method_read(s, dn, id, value, sizeof(value));
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
		r = dir_modify(s, dn, dir_mods_list(&b), assertion, NULL, NULL);
	}
	pthread_mutex_unlock(lock);
	(void)now;  /* last use: uniMethodUsed, best effort, not yet kept */
	return r;
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

int
dir_code_consume(struct ul_txn *t, const struct ul_user *u,
    enum ul_code_kind kind, const uint8_t hash[UL_CODE_HASH_BYTES], int64_t now)
{
	char dn[DN_MAX], mail[UL_EMAIL_MAX * 3 + 1];
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r = user_dn(t->st, u->id, dn);

	if (r == 0)
		r = dir_filter_value(mail, sizeof(mail), u->email);
	if (r != 0)
		return r;
	s = dir_lock_write(t, &lock);
	switch (kind) {
	case UL_CODE_RECOVERY:
		r = consume_one(s, dn, mail, "uniRecoveryCode", NULL, false, hash, now);
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
	return r;
}
