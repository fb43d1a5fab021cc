/* Unified users: add and confirm (U2), passwords and resets (U3-U5),
 * show, list, lock (U7) and delete (U7).  Every change is a store intent
 * on the user as it is when the change applies: a slow step before it (a
 * hash, a delivery) never writes back what it read. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/core/log.h"
#include "helper/core/wipe.h"
#include "helper/handlers/handlers.h"
#include "helper/rules/auth.h"
#include "helper/rules/codes.h"
#include "helper/rules/delivery.h"
#include "helper/rules/kdf.h"
#include "helper/rules/keys.h"
#include "helper/rules/tfa.h"
#include "helper/store/local.h"
#include "unilogin/error.h"

#define CONFIRM_TTL (24 * 3600)     /* U2 */
#define RESET_TTL 3600              /* U5 */

/* A new single-use code for purpose (C1, C2): the text for the person,
 * the hash for the store. */
static void
new_code(struct ul_call *c, const char *purpose, const char *email, int64_t ttl,
    char text[UL_CODE_TEXT_MAX], struct ul_code *slot)
{
	char canon[UL_CODE_LEN + 1];

	ul_code_new(text);
	if (ul_code_normalise(text, canon) != 0)
		canon[0] = '\0';    /* cannot happen: ul_code_new writes a code */
	ul_code_hash(c->h->keys, purpose, email, canon, slot->hash);
	slot->expires = ul_now() + ttl;
	sodium_memzero(canon, sizeof(canon));
}

/* The hash of a typed code for purpose, or UL_EAUTH when it cannot be one. */
static int
typed_code(struct ul_call *c, const char *purpose, const char *email,
    const char *typed, uint8_t h[UL_CODE_HASH_BYTES])
{
	char canon[UL_CODE_LEN + 1];

	if (typed == NULL || ul_code_normalise(typed, canon) != 0)
		return UL_EAUTH;
	ul_code_hash(c->h->keys, purpose, email, canon, h);
	sodium_memzero(canon, sizeof(canon));
	return 0;
}

/* A cheap look before a password hash: the code matches what the snapshot
 * holds.  The store's consumption decides (a code raced twice works once). */
static bool
code_looks_right(const struct ul_code *slot, const uint8_t h[UL_CODE_HASH_BYTES])
{
	return slot->expires > ul_now() &&
	    sodium_memcmp(slot->hash, h, UL_CODE_HASH_BYTES) == 0;
}

/* Sends a code through the delivery command, or hands it to the admin in
 * `field` when there is none (U2, U5, C3). */
static int
send_code(struct ul_call *c, const char *kind, const char *email,
    const char *code, uint16_t field, const char *text)
{
	char msg[1024], reason[256];
	int r;

	if (c->h->conf.delivery_command[0] == '\0') {
		ul_msg_put_str(c->out, field, code);
		return 0;
	}
	snprintf(msg, sizeof(msg), "%s\n%s\n", code, text);
	r = ul_deliver(c->h->conf.delivery_command, kind, email, msg, reason,
	    sizeof(reason));
	sodium_memzero(msg, sizeof(msg));
	if (r != 0) {
		ul_log(LOG_ERR, "delivery %s %s failed: %s", kind, email, reason);
		return ul_call_say(c, UL_EDELIVERY, "created; delivery failed: %s",
		    reason);
	}
	return 0;
}

struct user_change {
	const char *email, *event;
	int (*change)(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
	    const void *arg);
	const void *arg;
};

static int
user_change(struct ul_call *c, struct ul_txn *t, void *arg)
{
	const struct user_change *w = arg;
	struct ul_event e = {.event = w->event, .email = w->email};
	struct ul_user u UL_WIPED(ul_wipe_user);
	int r = ul_store_user_get(t, w->email, &u);

	if (r == UL_ENOTFOUND)
		r = ul_call_say(c, r, "no user %s", w->email);
	if (r == 0)
		r = w->change(c, t, &u, w->arg);
	return ul_call_audited(c, t, r, &e);
}

/* One change to user `email` with its audit record: change(c, t, u, arg)
 * gets the user as it is now, on the store's commit thread. */
static int
change_user(struct ul_call *c, const char *email, const char *event,
    int (*change)(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
	const void *arg), const void *arg)
{
	struct user_change w = {.email = email, .event = event, .change = change,
	    .arg = arg};

	return ul_call_write(c, user_change, &w);
}

static int
issue_confirm(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    const void *arg)
{
	if (u->confirmed)
		return ul_call_say(c, UL_EEXIST, "user %s already exists", u->email);
	/* U2: a new code voids the old one */
	return ul_store_code_issue(t, u, UL_CODE_CONFIRM, arg);
}

static int
new_user(struct ul_call *c, struct ul_txn *t, void *arg)
{
	const struct ul_user *u = arg;
	struct ul_event e = {.event = "user_add", .email = u->email};
	int r = ul_store_user_create(t, u);

	if (r == UL_EEXIST)
		r = ul_call_say(c, r, "%s is the email of another user, or waits to "
		    "become one (U6)", u->email);
	return ul_call_audited(c, t, r, &e);
}

static int
create_user(struct ul_call *c, const char *email, const struct ul_code *code)
{
	struct ul_user u UL_WIPED(ul_wipe_user);

	memset(&u, 0, sizeof(u));
	memcpy(u.email, email, sizeof(u.email));
	ul_user_new_id(&u);
	u.created = ul_now();
	u.confirm = *code;
	return ul_call_write(c, new_user, &u);
}

int
ul_h_user_add(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1], code[UL_CODE_TEXT_MAX];
	struct ul_code slot;
	struct ul_user u UL_WIPED(ul_wipe_user);
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0)
		return r;
	r = ul_call_user(c, email, &u);
	if (r != 0 && r != UL_ENOTFOUND)
		return r;
	if (r == 0 && u.confirmed)
		return ul_call_say(c, UL_EEXIST, "user %s already exists", email);
	c->message[0] = '\0';
	new_code(c, "confirm", email, CONFIRM_TTL, code, &slot);
	r = r == UL_ENOTFOUND ? create_user(c, email, &slot)
	    : change_user(c, email, "user_add", issue_confirm, &slot);
	sodium_memzero(&slot, sizeof(slot));
	if (r == 0) {
		ul_msg_put_str(c->out, UL_F_EMAIL, email);
		ul_msg_put_bool(c->out, UL_F_CONFIRMED, false);
		r = send_code(c, "verify", email, code, UL_F_CONFIRMATION_CODE,
		    "This is your unilogin confirmation code, valid for 24 hours.\n"
		    "Confirm your email address with: unilogin verify EMAIL");
	}
	sodium_memzero(code, sizeof(code));
	return r;
}

struct proven {
	const uint8_t *hash;        /* of the code */
	const char *pwhash;         /* the new password's, or NULL */
};

/* U2: the code is consumed first (the step that decides), then the email
 * is confirmed, with the first password when one is given. */
static int
consume_confirm(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    const void *arg)
{
	const struct proven *p = arg;
	int r;

	if (u->confirmed)
		return ul_call_say(c, UL_ERULE, "%s is already confirmed", u->email);
	r = ul_store_code_consume(t, u, UL_CODE_CONFIRM, p->hash, ul_now());
	if (r == UL_ECONFLICT)
		return ul_call_say(c, UL_EAUTH,
		    "the confirmation code is wrong or has expired");
	if (r == 0)
		r = ul_store_user_confirm(t, u);
	if (r == 0 && p->pwhash != NULL)
		r = ul_store_user_set_password(t, u, p->pwhash, ul_now());
	return r;
}

/* U2: the code, and with it the first password when one is given. */
static int
confirm(struct ul_call *c, bool with_password)
{
	const char *pw = ul_msg_str(c->in, UL_F_NEW_PASSWORD);
	char email[UL_EMAIL_MAX + 1], hash[UL_HASH_STR_MAX] UL_WIPED(ul_wipe_hash);
	uint8_t h[UL_CODE_HASH_BYTES];
	struct ul_user u UL_WIPED(ul_wipe_user);
	struct proven p = {.hash = h};
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0)
		return r;
	r = ul_call_user(c, email, &u);
	/* not a user's email: maybe one waiting to replace a user's (U6) */
	if (r == UL_ENOTFOUND)
		return ul_confirm_new_email(c, email, ul_msg_str(c->in, UL_F_CODE),
		    with_password ? pw : NULL);
	if (r != 0)
		return r;
	if (with_password && (r = ul_check_password(c, pw)) != 0)
		return r;
	if (u.confirmed)
		return ul_call_say(c, UL_ERULE, "%s is already confirmed", email);
	if (typed_code(c, "confirm", email, ul_msg_str(c->in, UL_F_CODE), h) != 0 ||
	    !code_looks_right(&u.confirm, h))
		return ul_call_say(c, UL_EAUTH,
		    "the confirmation code is wrong or has expired");
	if (with_password && ul_kdf_hash(&c->h->conf, pw, hash) != 0)
		return ul_call_say(c, UL_ENOMEM, "cannot hash the password");
	p.pwhash = with_password ? hash : NULL;
	r = change_user(c, email, "user_confirm", consume_confirm, &p);
	sodium_memzero(h, sizeof(h));
	if (r == 0)
		ul_call_say(c, 0, "%s is confirmed", email);
	return r;
}

int
ul_h_user_verify(struct ul_call *c)
{
	return confirm(c, false);
}

int
ul_h_self_verify(struct ul_call *c)
{
	return confirm(c, true);
}

/* U4: a new password for every product; T7 forgets every host. */
static int
set_password(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    const void *arg)
{
	int r = ul_store_user_set_password(t, u, arg, ul_now());

	(void)c;
	return r != 0 ? r : ul_local_remember_forget(t, u->email);
}

int
ul_h_user_passwd(struct ul_call *c)
{
	const char *pw = ul_msg_str(c->in, UL_F_NEW_PASSWORD);
	char email[UL_EMAIL_MAX + 1], hash[UL_HASH_STR_MAX] UL_WIPED(ul_wipe_hash);
	struct ul_user u UL_WIPED(ul_wipe_user);
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0 || (r = ul_check_password(c, pw)) != 0 ||
	    (r = ul_call_user(c, email, &u)) != 0)
		return r;
	if (ul_kdf_hash(&c->h->conf, pw, hash) != 0)
		return ul_call_say(c, UL_ENOMEM, "cannot hash the password");
	r = change_user(c, email, "user_passwd", set_password, hash);
	if (r == 0)
		ul_call_say(c, 0, "password of %s changed for every product", email);
	return r;
}

static const char reset_text[] =
    "This is your unilogin password reset code, valid for 1 hour.\n"
    "Set a new password with: unilogin reset EMAIL";

static int
issue_reset(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    const void *arg)
{
	(void)c;
	return ul_store_code_issue(t, u, UL_CODE_RESET, arg);
}

int
ul_h_user_reset(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1], code[UL_CODE_TEXT_MAX];
	struct ul_code slot;
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0)
		return r;
	new_code(c, "reset", email, RESET_TTL, code, &slot);
	r = change_user(c, email, "reset_code", issue_reset, &slot);
	sodium_memzero(&slot, sizeof(slot));
	if (r == 0) {
		ul_msg_put_str(c->out, UL_F_EMAIL, email);
		r = send_code(c, "reset", email, code, UL_F_RESET_CODE, reset_text);
	}
	sodium_memzero(code, sizeof(code));
	return r;
}

#define RESET_SENDS 3               /* per email ... */
#define RESET_SENDS_WINDOW 3600     /* ... an hour (row 5) */

/* SELF_RESET_SEND after its reply (S1): the per-email rate (counted for
 * every email, a user's or not, in one commit either way), a new code for a
 * confirmed user, and its delivery. */
struct reset_send {
	const char *email;
	char code[UL_CODE_TEXT_MAX];
	bool send;
};

static int
reset_send_change(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct reset_send *w = arg;
	char key[UL_EMAIL_MAX + 8];
	struct ul_event e = {.event = "reset_code", .email = w->email,
	    .detail = "self-service"};
	struct ul_user u UL_WIPED(ul_wipe_user);
	struct ul_failures f;
	struct ul_code slot;
	int r;

	snprintf(key, sizeof(key), "reset:%s", w->email);
	r = ul_store_failure_count(t, key, RESET_SENDS, RESET_SENDS_WINDOW, ul_now(), &f);
	if (r == UL_ELOCKEDOUT) {
		ul_log(LOG_NOTICE, "reset code for %s: %u sent in the last hour: no "
		    "more", w->email, RESET_SENDS);
		return r;
	}
	if (r == 0 && ul_store_user_get(t, w->email, &u) == 0 && u.confirmed) {
		new_code(c, "reset", w->email, RESET_TTL, w->code, &slot);
		r = ul_store_code_issue(t, &u, UL_CODE_RESET, &slot);
		sodium_memzero(&slot, sizeof(slot));
		w->send = r == 0;
	}
	return ul_call_audited(c, t, r, w->send ? &e : NULL);
}

static void
reset_send_later(struct ul_call *c, void *arg)
{
	struct reset_send w = {.email = arg};
	char msg[1024], reason[256];

	if (ul_call_write(c, reset_send_change, &w) == 0 && w.send) {
		snprintf(msg, sizeof(msg), "%s\n%s\n", w.code, reset_text);
		if (ul_deliver(c->h->conf.delivery_command, "reset", w.email, msg, reason,
		    sizeof(reason)) != 0)
			ul_log(LOG_ERR, "reset code for %s not delivered: %s", w.email,
			    reason);
		sodium_memzero(msg, sizeof(msg));
	}
	sodium_memzero(&w, sizeof(w));
}

int
ul_h_self_reset_send(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1];
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0)
		return r;
	if (c->h->conf.delivery_command[0] == '\0')
		return ul_call_say(c, UL_ERULE, "no delivery command is set up here: "
		    "ask an administrator for a reset code");
	/* The answer is the same, and as fast, whether or not the address is
	 * known: everything that differs runs after it. */
	if (ul_call_later(c, reset_send_later, email, strlen(email) + 1) != 0)
		ul_log(LOG_ERR, "reset code for %s: out of memory", email);
	return ul_call_say(c, 0, "If %s is a known address, a reset code was sent.",
	    email);
}

/* U5: the code is consumed first, then the password is set. */
static int
consume_reset(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    const void *arg)
{
	const struct proven *p = arg;
	int r = ul_store_code_consume(t, u, UL_CODE_RESET, p->hash, ul_now());

	if (r == UL_ECONFLICT)
		return ul_call_say(c, UL_EAUTH, "the reset code is wrong or has expired");
	return r != 0 ? r : set_password(c, t, u, p->pwhash);
}

int
ul_h_self_reset(struct ul_call *c)
{
	const char *pw = ul_msg_str(c->in, UL_F_NEW_PASSWORD);
	char email[UL_EMAIL_MAX + 1], hash[UL_HASH_STR_MAX] UL_WIPED(ul_wipe_hash);
	uint8_t h[UL_CODE_HASH_BYTES];
	struct ul_user u UL_WIPED(ul_wipe_user);
	struct proven p = {.hash = h, .pwhash = hash};
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0 || (r = ul_check_password(c, pw)) != 0)
		return r;
	r = ul_call_user(c, email, &u);
	if (r == 0)
		r = typed_code(c, "reset", email, ul_msg_str(c->in, UL_F_CODE), h);
	if (r != 0 || !(code_looks_right(&u.reset, h) ||
	    code_looks_right(&u.reset_more[0], h) || code_looks_right(&u.reset_more[1], h)))
		return ul_call_say(c, UL_EAUTH, "the reset code is wrong or has expired");
	if (ul_kdf_hash(&c->h->conf, pw, hash) != 0)
		return ul_call_say(c, UL_ENOMEM, "cannot hash the password");
	r = change_user(c, email, "password_reset", consume_reset, &p);
	sodium_memzero(h, sizeof(h));
	if (r == 0)
		ul_call_say(c, 0, "password of %s changed for every product", email);
	return r;
}

static void
put_user(struct ul_msg *m, const struct ul_user *u)
{
	ul_msg_put_str(m, UL_F_EMAIL, u->email);
	ul_msg_put_bool(m, UL_F_CONFIRMED, u->confirmed);
	ul_msg_put_bool(m, UL_F_LOCKED, u->locked);
	ul_msg_put_bool(m, UL_F_HAS_PASSWORD, u->pwhash[0] != '\0');
}

int
ul_h_user_show(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1];
	struct ul_failures f;
	struct ul_user u UL_WIPED(ul_wipe_user);
	struct ul_txn *t;
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0 || (r = ul_call_read(c, &t)) != 0)
		return r;
	r = ul_store_user_get(t, email, &u);
	if (r == 0 && ul_store_failures_get(t, email, &f) != 0)
		memset(&f, 0, sizeof(f));
	ul_txn_abort(t);
	if (r == UL_ENOTFOUND)
		return ul_call_say(c, r, "no user %s", email);
	if (r != 0)
		return r;
	put_user(c->out, &u);
	ul_msg_put_int(c->out, UL_F_CREATED, u.created);
	if (u.pending_email[0])
		ul_msg_put_str(c->out, UL_F_PENDING_EMAIL, u.pending_email);
	ul_msg_put_int(c->out, UL_F_FAILURES, f.count);
	if (f.locked_out_until > ul_now())
		ul_msg_put_int(c->out, UL_F_LOCKED_OUT_UNTIL, f.locked_out_until);
	return 0;
}

int
ul_h_user_list(struct ul_call *c)
{
	struct ul_user u UL_WIPED(ul_wipe_user);
	struct ul_cursor cur, last;
	struct ul_txn *t;
	int r;

	if ((r = ul_call_cursor(c, &cur)) != 0 || (r = ul_call_read(c, &t)) != 0)
		return r;
	for (last = cur; (r = ul_store_user_next(t, &cur, &u)) == 0; last = cur) {
		if (ul_page_full(c->out)) {
			ul_msg_put_str(c->out, UL_F_NEXT, last.token);
			break;
		}
		ul_msg_put_mark(c->out, UL_F_RECORD);
		put_user(c->out, &u);
	}
	ul_txn_abort(t);
	return r == UL_ENOTFOUND ? 0 : r;
}

static int
lock(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    const void *arg)
{
	(void)c;
	return ul_store_user_set_locked(t, u, *(const bool *)arg);
}

static int
set_locked(struct ul_call *c, bool locked)
{
	char email[UL_EMAIL_MAX + 1];
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0)
		return r;
	r = change_user(c, email, locked ? "user_lock" : "user_unlock", lock, &locked);
	if (r == 0)
		ul_call_say(c, 0, "%s is %s", email, locked ? "locked" : "unlocked");
	return r;
}

int
ul_h_user_lock(struct ul_call *c)
{
	return set_locked(c, true);
}

int
ul_h_user_unlock(struct ul_call *c)
{
	return set_locked(c, false);
}

/* U7: its teammate roles and API keys end, and what the host remembers of
 * it; its methods go with the user record. */
static int
forget_all(struct ul_txn *t, const char *email)
{
	char product[UL_PRODUCT_MAX + 1], account[UL_ACCOUNT_MAX + 1];
	char role[UL_ROLE_MAX + 1];
	struct ul_cursor cur = {""};
	struct ul_apikey k;
	int r = 0;

	while (r == 0 && ul_store_membership_next(t, email, &cur, product, account,
		role) == 0) {
		r = ul_store_member_remove(t, product, account, email);
		cur.token[0] = '\0';
	}
	while (r == 0 && ul_store_apikey_next(t, email, &cur, &k) == 0) {
		r = ul_store_apikey_revoke(t, k.id);
		cur.token[0] = '\0';
	}
	sodium_memzero(&k, sizeof(k));
	/* K1: a user's SSH keys end with it */
	if (r == 0)
		r = ul_sshkeys_end_all(t, email);
	if (r == 0)
		r = ul_local_remember_forget(t, email);
	return r != 0 ? r : ul_store_failure_forget(t, email);
}

/* U7: its accounts become legacy accounts with no password, with no
 * teammate and no key left. */
static int
unlink_all(struct ul_txn *t, const char *email, unsigned *n)
{
	struct ul_account a UL_WIPED(ul_wipe_account);
	struct ul_cursor cur = {""};
	int r;

	*n = 0;
	while ((r = ul_store_owned_next(t, email, &cur, &a)) == 0) {
		/* L7: the teammates the owner invited, and their keys, end too:
		 * a new owner later would otherwise inherit them (row 7) */
		if ((r = ul_store_account_unlink(t, &a)) != 0 ||
		    (r = ul_account_end_access(t, &a, email)) != 0)
			return r;
		cur.token[0] = '\0';
		(*n)++;
	}
	return r == UL_ENOTFOUND ? 0 : r;
}

/* U7, in steps that a crash may cut short and a second delete finishes:
 * the lock first (no login while the rest goes), then the accounts, roles,
 * keys and the host's rows, then the user record with its methods. */
static int
delete_user(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    const void *arg)
{
	unsigned *n = (unsigned *)arg;
	int r = ul_store_user_set_locked(t, u, true);

	(void)c;
	if (r == 0)
		r = unlink_all(t, u->email, n);
	if (r == 0)
		r = forget_all(t, u->email);
	return r != 0 ? r : ul_store_user_delete(t, u);
}

int
ul_h_user_delete(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1];
	unsigned n = 0;
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0)
		return r;
	r = change_user(c, email, "user_delete", delete_user, &n);
	if (r == 0)
		ul_call_say(c, 0, "%s deleted; %u linked accounts are now legacy "
		    "accounts with no password", email, n);
	return r;
}
