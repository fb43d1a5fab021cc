/* The store: unified users, products, product accounts and their indexes,
 * in the domain's words.  Only store.c knows the record layout and LMDB;
 * no LMDB type leaves it.  Every function returns 0 or a UL_E* code
 * (UL_ENOTFOUND, UL_EEXIST, UL_ENOSPC, UL_ESTORE, ...).
 *
 * Lifecycle: ul_store_open -> ul_txn_begin -> get/put/... ->
 * ul_txn_commit (durable when it returns, S7) or ul_txn_abort -> close.
 * A transaction belongs to one thread; several threads may each hold one. */
#ifndef UL_STORE_H
#define UL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "unilogin/proto.h"

#define UL_STORE_SCHEMA 1
#define UL_HASH_STR_MAX 128         /* crypto_pwhash_STRBYTES */
#define UL_CODE_HASH_BYTES 32
#define UL_RECOVERY_CODES 10
#define UL_SEED_BOX_BYTES 60        /* nonce 24 + seed 20 + tag 16 */
#define UL_PHONE_MAX 16
#define UL_APIKEY_ID_MAX 16
#define UL_ROLE_MAX 64
#define UL_USER_ID_MAX 32

struct ul_store;
struct ul_txn;

/* A single-use code (confirmation, reset): its keyed hash and expiry. */
struct ul_code {
	uint8_t hash[UL_CODE_HASH_BYTES];
	int64_t expires;            /* unix seconds; 0 = none */
};

struct ul_user {
	char email[UL_EMAIL_MAX + 1];       /* normalised (U1): the key */
	char id[UL_USER_ID_MAX + 1];        /* random, made once, never changes:
					     * what seeds and codes are bound to,
					     * so that an email can move (U6) */
	char pwhash[UL_HASH_STR_MAX];       /* argon2id string; "" = none */
	bool confirmed;
	bool locked;                        /* U7 admin lock */
	int64_t created;
	int64_t pw_changed;
	struct ul_code confirm;             /* U2 */
	struct ul_code reset;               /* U5 */
	char pending_email[UL_EMAIL_MAX + 1]; /* U6: takes effect on confirm */
	/* two-factor (T1-T7) */
	int64_t totp_step;                  /* T3: the last step accepted */
	int64_t tfa_changed;
	uint32_t remember_epoch;            /* T7: moves on at every password or
					     * two-factor change; a host
					     * remembered in an older epoch is
					     * forgotten */
	uint32_t next_method_id;
	uint8_t recovery[UL_RECOVERY_CODES][UL_CODE_HASH_BYTES]; /* T4, hashed */
	uint32_t recovery_unused;           /* bit i: code i still usable */
	struct ul_code sms;                 /* the code last sent by SMS (C1) */
	int64_t sms_window;                 /* start of the send rate window */
	uint32_t sms_sent;                  /* sends in that window */
};

/* A two-factor method of a user (T1): an authenticator app or a phone. */
enum ul_method_kind { UL_METHOD_TOTP = 1, UL_METHOD_SMS = 2 };

struct ul_method {
	uint32_t id;                        /* per user, shown by `tfa list` */
	enum ul_method_kind kind;
	bool active;                        /* pending until confirmed (T2) */
	uint32_t digits;
	uint8_t seed_box[UL_SEED_BOX_BYTES];  /* the TOTP seed, encrypted */
	char phone[UL_PHONE_MAX + 1];
	int64_t created;
	int64_t last_used;
};

/* An API key (T8): hashed, scoped to one account of one user. */
struct ul_apikey {
	char id[UL_APIKEY_ID_MAX + 1];
	char email[UL_EMAIL_MAX + 1];
	char product[UL_PRODUCT_MAX + 1];
	char account[UL_ACCOUNT_MAX + 1];
	uint8_t hash[UL_CODE_HASH_BYTES];
	int64_t created;
	int64_t expires;                    /* 0 = never */
	int64_t last_used;
};

/* S3: failures in a row for one normalised email, whether or not a user
 * has it, so that a wrong password and an unknown email cost the same. */
struct ul_failures {
	uint32_t count;
	int64_t last;               /* unix seconds of the last failure */
	int64_t locked_out_until;
};

struct ul_product {
	char name[UL_PRODUCT_MAX + 1];
	char display_name[129];
	int64_t created;
};

enum ul_account_state {
	UL_ACCOUNT_ACTIVE = 0,
	UL_ACCOUNT_SUSPENDED = 1,
	UL_ACCOUNT_BANNED = 2,
};

struct ul_account {
	char product[UL_PRODUCT_MAX + 1];
	char name[UL_ACCOUNT_MAX + 1];
	char unix_user[UL_UNIX_USER_MAX + 1];
	uint32_t uid;
	char email[UL_EMAIL_MAX + 1];       /* the account's own email (L2) */
	char owner[UL_EMAIL_MAX + 1];       /* linked user; "" = legacy */
	char pwhash[UL_HASH_STR_MAX];       /* legacy password; "" = none */
	char parent[UL_ACCOUNT_MAX + 1];    /* "" = none */
	char friendly_name[UL_TEXT_MAX + 1];
	enum ul_account_state state;
	int64_t created;
};

struct ul_audit {
	int64_t time;               /* unix seconds */
	char event[65];
	char email[UL_EMAIL_MAX + 1];
	char product[UL_PRODUCT_MAX + 1];
	char account[UL_ACCOUNT_MAX + 1];
	char service[65];
	char rhost[256];
	int64_t caller_uid;
	int result;
	char detail[257];
};

struct ul_store_counts {
	uint64_t users, products, accounts, audit;
};

/* Opens (creating 0700/0600 when new) the store in dir.  Refuses a store
 * whose schema is newer than UL_STORE_SCHEMA; err says why. */
int ul_store_open(struct ul_store **out, const char *dir, char *err,
    size_t errlen) __attribute__((warn_unused_result));
void ul_store_close(struct ul_store *st);

/* A full disk (S7): the store keeps UL_STORE_RESERVE bytes allocated past
 * its last page, so that logins go on (their few writes fit there) while
 * the file system is full; changes are refused when less than
 * UL_STORE_FREE_MIN bytes are free.  ul_store_reserve grows the reserve
 * back when half of it is used (at open and in the upkeep). */
#define UL_STORE_RESERVE ((off_t)4 << 20)
#define UL_STORE_FREE_MIN ((uint64_t)1 << 20)
int ul_store_reserve(struct ul_store *st);
bool ul_store_disk_full(struct ul_store *st);

int ul_txn_begin(struct ul_store *st, bool write, struct ul_txn **out)
    __attribute__((warn_unused_result));
int ul_txn_commit(struct ul_txn *t) __attribute__((warn_unused_result));
void ul_txn_abort(struct ul_txn *t);

/* Users, keyed by normalised email. */
int ul_store_user_get(struct ul_txn *t, const char *email, struct ul_user *u)
    __attribute__((warn_unused_result));
int ul_store_user_put(struct ul_txn *t, const struct ul_user *u)
    __attribute__((warn_unused_result));
int ul_store_user_del(struct ul_txn *t, const char *email)
    __attribute__((warn_unused_result));
/* The first user whose email sorts after `after` ("" for the first). */
int ul_store_user_next(struct ul_txn *t, const char *after, struct ul_user *u)
    __attribute__((warn_unused_result));

int ul_store_product_get(struct ul_txn *t, const char *name,
    struct ul_product *p) __attribute__((warn_unused_result));
int ul_store_product_put(struct ul_txn *t, const struct ul_product *p)
    __attribute__((warn_unused_result));
int ul_store_product_next(struct ul_txn *t, const char *after,
    struct ul_product *p) __attribute__((warn_unused_result));

/* Accounts, keyed by (product, name), found also by (product, unix_user),
 * by uid and by owner.  put keeps every index in step with the record. */
int ul_store_account_get(struct ul_txn *t, const char *product,
    const char *name, struct ul_account *a) __attribute__((warn_unused_result));
int ul_store_account_by_unix(struct ul_txn *t, const char *product,
    const char *unix_user, struct ul_account *a)
    __attribute__((warn_unused_result));
int ul_store_account_by_uid(struct ul_txn *t, uint32_t uid,
    struct ul_account *a) __attribute__((warn_unused_result));
/* The account of this product that user `email` owns (L3). */
int ul_store_account_owned(struct ul_txn *t, const char *email,
    const char *product, struct ul_account *a)
    __attribute__((warn_unused_result));
int ul_store_account_put(struct ul_txn *t, const struct ul_account *a)
    __attribute__((warn_unused_result));
int ul_store_account_del(struct ul_txn *t, const char *product,
    const char *name) __attribute__((warn_unused_result));
/* Accounts in (product, name) order after (product, after); product ""
 * walks every product. */
int ul_store_account_next(struct ul_txn *t, const char *product,
    const char *after_product, const char *after, struct ul_account *a)
    __attribute__((warn_unused_result));
/* The accounts whose own email is `email` (L2, L4, U6), one per call, after
 * (after_product, after) ("", "" for the first). */
int ul_store_account_with_email(struct ul_txn *t, const char *email,
    const char *after_product, const char *after, struct ul_account *a)
    __attribute__((warn_unused_result));
/* The accounts user `email` owns, one per call: product after `after`. */
int ul_store_owned_next(struct ul_txn *t, const char *email,
    const char *after, struct ul_account *a) __attribute__((warn_unused_result));

/* A uid in [min, max] that no account holds, handed out once: the counter
 * only moves forward, so a uid is never given to a second account. */
int ul_store_uid_allocate(struct ul_txn *t, uint32_t min, uint32_t max,
    uint32_t *uid) __attribute__((warn_unused_result));

int ul_store_failures_get(struct ul_txn *t, const char *email,
    struct ul_failures *f) __attribute__((warn_unused_result));
int ul_store_failures_put(struct ul_txn *t, const char *email,
    const struct ul_failures *f) __attribute__((warn_unused_result));
int ul_store_failures_del(struct ul_txn *t, const char *email)
    __attribute__((warn_unused_result));
/* Forgets counters whose last failure is before `before`: at most `max`
 * of them, so one call stays short.  *removed says how many went. */
int ul_store_failures_prune(struct ul_txn *t, int64_t before, unsigned max,
    unsigned *removed) __attribute__((warn_unused_result));

/* Two-factor methods of a user, by id. */
int ul_store_method_get(struct ul_txn *t, const char *email, uint32_t id,
    struct ul_method *m) __attribute__((warn_unused_result));
int ul_store_method_put(struct ul_txn *t, const char *email,
    const struct ul_method *m) __attribute__((warn_unused_result));
int ul_store_method_del(struct ul_txn *t, const char *email, uint32_t id)
    __attribute__((warn_unused_result));
/* The first method with an id above `after` (0 for the first). */
int ul_store_method_next(struct ul_txn *t, const char *email, uint32_t after,
    struct ul_method *m) __attribute__((warn_unused_result));

/* T7: when a host was last remembered for a user, and in which of the
 * user's remember epochs. */
int ul_store_remember_get(struct ul_txn *t, const char *email,
    const char *host, int64_t *when, uint32_t *epoch)
    __attribute__((warn_unused_result));
int ul_store_remember_put(struct ul_txn *t, const char *email,
    const char *host, int64_t when, uint32_t epoch)
    __attribute__((warn_unused_result));
/* Forgets every host of a user. */
int ul_store_remember_clear(struct ul_txn *t, const char *email)
    __attribute__((warn_unused_result));

int ul_store_apikey_get(struct ul_txn *t, const char *id, struct ul_apikey *k)
    __attribute__((warn_unused_result));
int ul_store_apikey_put(struct ul_txn *t, const struct ul_apikey *k)
    __attribute__((warn_unused_result));
int ul_store_apikey_del(struct ul_txn *t, const char *id)
    __attribute__((warn_unused_result));
/* A user's keys, one per call, id after `after` ("" for the first). */
int ul_store_apikey_next(struct ul_txn *t, const char *email,
    const char *after, struct ul_apikey *k) __attribute__((warn_unused_result));

/* Teammates (L7): a role per (account, user), found from either side. */
int ul_store_member_get(struct ul_txn *t, const char *product,
    const char *account, const char *email, char role[UL_ROLE_MAX + 1])
    __attribute__((warn_unused_result));
int ul_store_member_put(struct ul_txn *t, const char *product,
    const char *account, const char *email, const char *role)
    __attribute__((warn_unused_result));
int ul_store_member_del(struct ul_txn *t, const char *product,
    const char *account, const char *email) __attribute__((warn_unused_result));
/* The members of an account, email after `after` ("" for the first). */
int ul_store_member_next(struct ul_txn *t, const char *product,
    const char *account, const char *after, char email[UL_EMAIL_MAX + 1],
    char role[UL_ROLE_MAX + 1]) __attribute__((warn_unused_result));
/* The accounts a user is a teammate of, after (after_product,
 * after_account) ("", "" for the first). */
int ul_store_membership_next(struct ul_txn *t, const char *email,
    const char *after_product, const char *after_account,
    char product[UL_PRODUCT_MAX + 1], char account[UL_ACCOUNT_MAX + 1],
    char role[UL_ROLE_MAX + 1]) __attribute__((warn_unused_result));

/* Session history (L11). */
struct ul_session {
	uint64_t id;
	char product[UL_PRODUCT_MAX + 1];
	char account[UL_ACCOUNT_MAX + 1];
	char email[UL_EMAIL_MAX + 1];       /* "" for a legacy login */
	char host[65];
	char service[65];
	char rhost[256];
	char tty[65];
	int64_t started;
	int64_t ended;
	int64_t opener_uid;         /* the caller that opened it */
};
/* Records a new session and sets s->id. */
int ul_store_session_add(struct ul_txn *t, struct ul_session *s)
    __attribute__((warn_unused_result));
int ul_store_session_get(struct ul_txn *t, uint64_t id, struct ul_session *s)
    __attribute__((warn_unused_result));
int ul_store_session_put(struct ul_txn *t, const struct ul_session *s)
    __attribute__((warn_unused_result));
/* Sessions in id order after *cursor (0 for the first); *cursor moves on. */
int ul_store_session_next(struct ul_txn *t, uint64_t *cursor,
    struct ul_session *s) __attribute__((warn_unused_result));

/* U6: a user's new email waiting for its code, indexed by the new email. */
int ul_store_pending_get(struct ul_txn *t, const char *new_email,
    char old_email[UL_EMAIL_MAX + 1]) __attribute__((warn_unused_result));
int ul_store_pending_put(struct ul_txn *t, const char *new_email,
    const char *old_email) __attribute__((warn_unused_result));
int ul_store_pending_del(struct ul_txn *t, const char *new_email)
    __attribute__((warn_unused_result));

/* Retention (L11, S8): drops sessions that ended and audit records from
 * before `before`, at most `max` of each per call; *removed counts them. */
int ul_store_history_prune(struct ul_txn *t, int64_t sessions_before,
    int64_t audit_before, unsigned max, unsigned *removed)
    __attribute__((warn_unused_result));

/* The uid counter itself, for export and import (0 when unset). */
int ul_store_next_uid(struct ul_txn *t, uint32_t *next)
    __attribute__((warn_unused_result));
int ul_store_set_next_uid(struct ul_txn *t, uint32_t next)
    __attribute__((warn_unused_result));

int ul_store_audit_append(struct ul_txn *t, const struct ul_audit *e)
    __attribute__((warn_unused_result));
/* Audit records from `since` (unix seconds), one per call after cursor
 * (0 for the first); *cursor moves on. */
int ul_store_audit_next(struct ul_txn *t, int64_t since, uint64_t *cursor,
    struct ul_audit *e) __attribute__((warn_unused_result));

int ul_store_counts(struct ul_txn *t, struct ul_store_counts *c)
    __attribute__((warn_unused_result));

#endif
