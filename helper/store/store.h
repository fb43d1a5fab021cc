/* The store: unified users, products, product accounts, teammates, API keys
 * and the audit log, in the domain's words.  Nothing above this header
 * knows a record layout, a key or which backend serves it (one per folder
 * below store/).
 *
 * A transaction (ul_txn) is a read snapshot plus a list of intents.  Reads
 * see the snapshot and the transaction's own intents.  Each intent changes
 * ONE record (a user with its two-factor methods, a product, an account, a
 * teammate role, an API key, a failure counter) atomically, and checks its
 * precondition inside the store, on the record as it is when the intent
 * applies, never on what the caller read before: a step is accepted only
 * if newer, a code is consumed only if it is still there, a name is
 * claimed only if free.  A failed precondition returns UL_ECONFLICT (or
 * UL_EEXIST for a claim, UL_ELOCKEDOUT for a failure count) and changes
 * nothing; the caller turns it into the rule's answer.
 *
 * A change that spans records (a ban with its subusers, an unlink, a user
 * delete, an email move, a link) is a sequence of intents in an order whose
 * first step enforces the rule, each step idempotent, so that a backend
 * without multi-record transactions stays correct after a crash between
 * steps.  A backend with multi-record transactions may run every intent of
 * a transaction in one and commit them together (the one-host backend
 * does: a superset); nothing here relies on that.
 *
 * Lifecycle: ul_store_open -> ul_txn_begin -> reads and intents ->
 * ul_txn_commit (durable when it returns, S7) or ul_txn_abort -> close.  A
 * transaction belongs to one thread.  Every function returns 0 or a UL_E*
 * code (UL_ENOTFOUND, UL_EEXIST, UL_ECONFLICT, UL_ENOSPC, UL_ESTORE, ...);
 * outputs are zeroed first and set only on success. */
#ifndef UL_STORE_H
#define UL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/conf.h"
#include "unilogin/proto.h"

#define UL_HASH_STR_MAX 128         /* crypto_pwhash_STRBYTES */
#define UL_CODE_HASH_BYTES 32
#define UL_RECOVERY_CODES 10
#define UL_SEED_BOX_BYTES 60        /* nonce 24 + seed 20 + tag 16 */
#define UL_PHONE_MAX 16
#define UL_APIKEY_ID_MAX 16
#define UL_ROLE_MAX 64
#define UL_USER_ID_MAX 32
#define UL_CURSOR_MAX 1100          /* a paging token, as text */
#define UL_PATH_MAX 255             /* an account's home or shell */

struct ul_store;
struct ul_txn;

/* Where a list stopped: an opaque token that the backend alone reads
 * ("" = from the start).  It travels to clients as UL_F_NEXT and comes back
 * as UL_F_AFTER, so it holds stable keys (a user's id, not its email) and
 * the backend checks it like any input. */
struct ul_cursor {
	char token[UL_CURSOR_MAX + 1];
};

/* A single-use code (confirmation, reset, SMS): its keyed hash and expiry. */
struct ul_code {
	uint8_t hash[UL_CODE_HASH_BYTES];
	int64_t expires;            /* unix seconds; 0 = no code */
};

/* A unified user as read.  Intents name a user by the record they read:
 * the email finds it, the id (made once, never changed) makes sure it is
 * still the same user. */
struct ul_user {
	char email[UL_EMAIL_MAX + 1];       /* normalised (U1) */
	char id[UL_USER_ID_MAX + 1];        /* random: what seeds and codes are
					     * bound to, so an email can move */
	char pwhash[UL_HASH_STR_MAX];       /* argon2id string; "" = none */
	bool confirmed;
	bool locked;                        /* U7 admin lock */
	int64_t created;
	int64_t pw_changed;
	struct ul_code confirm;             /* U2 (or U6: of pending_email) */
	struct ul_code reset;               /* U5: a reset code, and up to */
	struct ul_code reset_more[2];       /* two more sent since, each valid
					     * until one is used */
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

/* A two-factor method of a user (T1): an authenticator app or a phone.
 * Methods are part of their user: every intent on them is an intent on
 * the user. */
enum ul_method_kind { UL_METHOD_TOTP = 1, UL_METHOD_SMS = 2 };

struct ul_method {
	uint32_t id;                        /* per user, shown by `tfa list` */
	enum ul_method_kind kind;
	bool active;                        /* pending until confirmed (T2) */
	uint32_t digits;
	uint8_t seed_box[UL_SEED_BOX_BYTES];  /* the TOTP seed, encrypted */
	char phone[UL_PHONE_MAX + 1];
	int64_t created;
	int64_t last_used;                  /* to the day */
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

/* An SSH public key of a user (K1).  Its fingerprint is claimed across
 * the store: a key belongs to one user.  An automation key logs in
 * without a code, to its one account only. */
#define UL_SSHKEY_ID_MAX 16
struct ul_sshkey {
	char id[UL_SSHKEY_ID_MAX + 1];
	char email[UL_EMAIL_MAX + 1];
	char type[49];
	char blob[2801];                    /* base64, as validated */
	char comment[256];
	char fingerprint[53];               /* SHA256:... */
	uint32_t bits;
	bool automation;
	char product[UL_PRODUCT_MAX + 1];   /* automation: the one account */
	char account[UL_ACCOUNT_MAX + 1];
	int64_t created;
	int64_t last_used;
};

/* S3: failures in a row for one key (a normalised email, whether or not a
 * user has it, or "legacy:PRODUCT/ACCOUNT"). */
struct ul_failures {
	uint32_t count;             /* since the last success or lockout */
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
	/* a migrated local user's own (M1); 0 and "" for the defaults:
	 * gid = uid, home_template, shell */
	uint32_t gid;
	char home[UL_PATH_MAX + 1];
	char shell[UL_PATH_MAX + 1];
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
	uint64_t commits;           /* write transactions committed since open */
	uint64_t batches, batched;  /* group commits, and the writes they held */
};

/* ---- the store ---- */

/* Opens the store the config names (state_dir, created 0700/0600 when
 * new).  Refuses a store whose schema is newer than this helper knows, and
 * upgrades an older one in place; err says why it failed. */
int ul_store_open(struct ul_store **out, const struct ul_conf *conf, char *err,
    size_t errlen) __attribute__((warn_unused_result));
void ul_store_close(struct ul_store *st);

/* A full disk (S7): the store keeps room in reserve so that logins go on
 * (their few writes fit there) while the file system is full.  True while
 * the store lives on that reserve: changes that may not use it are
 * refused before they start. */
bool ul_store_space_low(struct ul_store *st);

/* The fleet key rule (INTERFACES.md, "Fleet"): `fingerprint` names this
 * helper's keys file (rules/keys.h).  A store that several helpers share
 * records the first helper's and refuses a helper whose keys differ
 * (UL_ECONFLICT; err names the recorded one); a store of one host has
 * nothing to compare (0). */
int ul_store_keys_check(struct ul_store *st, const char *fingerprint,
    char *err, size_t errlen) __attribute__((warn_unused_result));
/* A rotation (rules/keys.h): `to` names a keys file that is `from` with
 * newer seed keys appended.  Recorded beside the fingerprints there when
 * `from` is one of them (UL_ECONFLICT otherwise); 0 for one host. */
int ul_store_keys_rotated(struct ul_store *st, const char *from,
    const char *to) __attribute__((warn_unused_result));

/* ---- a fleet's own operations (store = ldap; a store of one host
 * answers each with UL_ENOTFLEET) ---- */

/* What `fleet status` shows (INTERFACES.md, "Fleet").  The directory is
 * read on the provider and on the host's replica, each within
 * ldap_timeout. */
#define UL_FLEET_POLICY_MAX 8
struct ul_fleet_status {
	bool provider_ok, replica_ok;
	char provider_why[160], replica_why[160];   /* when not ok */
	int64_t schema;             /* cn=fleet's version; 0: not read */
	int64_t lag_ms;             /* replica behind the provider; -1:
				     * not measured (one is unreachable) */
	int64_t step_floor;         /* 0: never promoted */
	/* the fleet key: the fingerprint recorded under ldap_base ("" when
	 * it could not be read) and whether it is `fingerprint` */
	char recorded_key[UL_KEYS_FINGERPRINT_MAX + 1];
	bool key_matches;
	/* where this host's security policy differs from the one the first
	 * helper recorded (recorded now when there was none) */
	struct ul_fleet_policy_diff {
		char key[24], here[64], fleet[64];
	} diff[UL_FLEET_POLICY_MAX];
	unsigned ndiff;
};
int ul_store_fleet_status(struct ul_store *st, const char *fingerprint,
    struct ul_fleet_status *out) __attribute__((warn_unused_result));

/* Failover (T3): after the operator moved ldap_write_uri to the new
 * provider, no TOTP step at or below `floor` is accepted any more: the
 * steps the old provider accepted and never passed on are all below it.
 * The floor only grows: *now is the floor in force afterwards (floor, or
 * a higher one already there), *was the one before (0: none). */
int ul_store_fleet_promote(struct ul_store *st, int64_t floor, int64_t *was,
    int64_t *now) __attribute__((warn_unused_result));

/* Orphan claims: a claim (a unique email, unix_user, uid, owner or SSH
 * key fingerprint) whose holder is gone or no longer holds its value, a
 * crash's leftover between the claim and its entry.  Claims made at or
 * after `before` (seconds) are left alone: their entry may be on its way;
 * so are those made before `since` (0: none), for a quick sweep.
 * Each orphan is given to each() and, unless dry_run, removed (under "it
 * is still that old claim of that holder"); *removed counts them. */
#define UL_CLAIM_GRACE 60            /* seconds: a claim younger is kept */
struct ul_fleet_orphan {
	char claim[640];            /* KIND:VALUE */
	char holder[1100];          /* the DN it names */
	int64_t created;
};
int ul_store_fleet_repair(struct ul_store *st, int64_t since, int64_t before,
    bool dry_run,
    void (*each)(void *arg, const struct ul_fleet_orphan *o), void *arg,
    unsigned *removed) __attribute__((warn_unused_result));

int ul_txn_begin(struct ul_store *st, bool write, struct ul_txn **out)
    __attribute__((warn_unused_result));

/* Runs change(t, arg) in a write transaction of its own, batched with the
 * other writes that wait at the same moment: a batch is one commit (group
 * commit), and each write returns once its batch is on disk (S7).  The
 * intents of change stay when it returns 0 and are undone alone when it
 * returns anything else (the other writes of the batch keep theirs).
 * change must be short and never block: no password hash, no delivery.
 * Returns change's result, or the commit's failure (UL_ENOSPC, UL_ESTORE:
 * then nothing of the batch was stored).  Every write of the helper goes
 * this way; ul_txn_begin(write) stays for tools and tests that own the
 * store alone. */
int ul_store_write(struct ul_store *st, int (*change)(struct ul_txn *t,
    void *arg), void *arg) __attribute__((warn_unused_result));
int ul_txn_commit(struct ul_txn *t) __attribute__((warn_unused_result));
void ul_txn_abort(struct ul_txn *t);

/* The reads a login is about to make in t, named so that a backend whose
 * every read is a round trip (a directory) asks them all at once: the
 * user of `email`, with `counter` its failure counter (key `email`), an
 * account (by product and name, or by product and unix_user; NULL: none)
 * and, with `totp`, what a TOTP accept reads.  Only a hint: each read is
 * still made and answers as it would have (from what the server held when
 * the hint came, a moment before); a read that finds nothing fetched, or
 * that comes after a write, asks again.  A backend whose reads are in
 * memory has nothing to do. */
struct ul_prefetch {
	const char *email;
	bool counter;
	const char *product, *account, *unix_user;
	bool totp;
};
void ul_store_prefetch(struct ul_txn *t, const struct ul_prefetch *p);

/* Upkeep, on the write pool: grows the reserve back, forgets failure
 * counters whose last failure is before `failures_before`, sessions that
 * ended and audit records from before their limits; at most `max` of each
 * per call.  *removed counts history records removed. */
int ul_store_upkeep(struct ul_txn *t, int64_t failures_before,
    int64_t sessions_before, int64_t audit_before, unsigned max,
    unsigned *removed) __attribute__((warn_unused_result));

int ul_store_counts(struct ul_txn *t, struct ul_store_counts *c)
    __attribute__((warn_unused_result));

/* ---- users: reads ---- */

int ul_store_user_get(struct ul_txn *t, const char *email, struct ul_user *u)
    __attribute__((warn_unused_result));
/* The next user after *cur (in no order a caller may rely on). */
int ul_store_user_next(struct ul_txn *t, struct ul_cursor *cur,
    struct ul_user *u) __attribute__((warn_unused_result));
/* U6: the email of the user waiting to move to new_email. */
int ul_store_pending_get(struct ul_txn *t, const char *new_email,
    char old_email[UL_EMAIL_MAX + 1]) __attribute__((warn_unused_result));

/* A user's two-factor methods, by id; next: the first above *after. */
int ul_store_method_get(struct ul_txn *t, const char *email, uint32_t id,
    struct ul_method *m) __attribute__((warn_unused_result));
int ul_store_method_next(struct ul_txn *t, const char *email, uint32_t *after,
    struct ul_method *m) __attribute__((warn_unused_result));

/* ---- users: intents ---- */

/* A new user: claims its email (UL_EEXIST when a user has it or one waits
 * to move to it, U1/U6) and stores the record as given (import restores
 * every field so). */
int ul_store_user_create(struct ul_txn *t, const struct ul_user *u)
    __attribute__((warn_unused_result));

enum ul_code_kind {
	UL_CODE_CONFIRM = 1,        /* U2, and U6 for the pending email */
	UL_CODE_RESET = 2,          /* U5 */
	UL_CODE_SMS = 3,            /* C1 */
	UL_CODE_RECOVERY = 4,       /* T4: any one of the unused set */
};
/* Consumes a code by its hash: 0 when it was there, unexpired at `now`,
 * and is now gone; UL_ECONFLICT otherwise (wrong, used or expired: the
 * same answer).  Compared in constant time. */
int ul_store_code_consume(struct ul_txn *t, const struct ul_user *u,
    enum ul_code_kind kind, const uint8_t hash[UL_CODE_HASH_BYTES], int64_t now)
    __attribute__((warn_unused_result));
/* A new confirmation code (voids the one before), or a reset code (kept
 * beside the ones still valid, up to three, replacing the oldest: a second
 * request does not void a pending code; using one ends them all). */
int ul_store_code_issue(struct ul_txn *t, const struct ul_user *u,
    enum ul_code_kind kind, const struct ul_code *code)
    __attribute__((warn_unused_result));
/* A new SMS code, unless `max` were sent in the current window (UL_EBUSY,
 * C1's per-user rate).  A window lasts `window` seconds from the first
 * send after the last window ended. */
int ul_store_sms_issue(struct ul_txn *t, const struct ul_user *u,
    const struct ul_code *code, int64_t now, int64_t window, uint32_t max)
    __attribute__((warn_unused_result));
/* T4: a new set of recovery codes (hashes), voiding the old; NULL: none. */
int ul_store_recovery_set(struct ul_txn *t, const struct ul_user *u,
    const uint8_t codes[UL_RECOVERY_CODES][UL_CODE_HASH_BYTES])
    __attribute__((warn_unused_result));

/* T3: accepts TOTP step `step` of method `id` only if it is newer than
 * every step accepted before for this user and the method is still active
 * (or still pending, for a confirmation: `active` false); UL_ECONFLICT
 * otherwise. */
int ul_store_totp_accept(struct ul_txn *t, const struct ul_user *u,
    uint32_t id, bool active, int64_t step, int64_t now)
    __attribute__((warn_unused_result));
/* Notes the use of an SMS method (after its code was consumed). */
int ul_store_method_used(struct ul_txn *t, const struct ul_user *u, uint32_t id,
    int64_t now) __attribute__((warn_unused_result));

/* U2: the email is confirmed. */
int ul_store_user_confirm(struct ul_txn *t, const struct ul_user *u)
    __attribute__((warn_unused_result));
/* U4, U5: a new password; every remembered host is forgotten (T7). */
int ul_store_user_set_password(struct ul_txn *t, const struct ul_user *u,
    const char hash[UL_HASH_STR_MAX], int64_t now)
    __attribute__((warn_unused_result));
/* U3: the same password at a new cost, only if the hash is still `old`
 * (UL_ECONFLICT when it changed meanwhile). */
int ul_store_user_rehash(struct ul_txn *t, const struct ul_user *u,
    const char old[UL_HASH_STR_MAX], const char hash[UL_HASH_STR_MAX])
    __attribute__((warn_unused_result));
/* U7 */
int ul_store_user_set_locked(struct ul_txn *t, const struct ul_user *u,
    bool locked) __attribute__((warn_unused_result));

/* T2: a new pending method.  m->id is the user's next method id as the
 * caller read it (next_method_id + 1, which the sealed seed is bound to):
 * UL_ECONFLICT when another enrollment took it first. */
int ul_store_method_add(struct ul_txn *t, const struct ul_user *u,
    struct ul_method *m, int64_t now) __attribute__((warn_unused_result));
/* T2: a pending method becomes active (UL_ECONFLICT when it is not
 * pending any more); remembered hosts are forgotten (T7). */
int ul_store_method_activate(struct ul_txn *t, const struct ul_user *u,
    uint32_t id, int64_t now) __attribute__((warn_unused_result));
/* Removes method `id` (0: every method).  When no active method is left,
 * the recovery codes and the SMS code go too; remembered hosts are
 * forgotten (T7).  UL_ENOTFOUND for an unknown id. */
int ul_store_method_remove(struct ul_txn *t, const struct ul_user *u,
    uint32_t id, int64_t now) __attribute__((warn_unused_result));
/* Import: a method exactly as exported. */
int ul_store_method_restore(struct ul_txn *t, const char *email,
    const struct ul_method *m) __attribute__((warn_unused_result));

/* U6, first step: new_email waits for its code (a claim: UL_EEXIST when a
 * user has it or another waits for it); the code replaces the user's
 * confirmation code; a request made before ends. */
int ul_store_user_set_pending(struct ul_txn *t, const struct ul_user *u,
    const char *new_email, const struct ul_code *code)
    __attribute__((warn_unused_result));
/* U6, after the code was consumed: the user and its methods move to the
 * pending email (UL_ECONFLICT when it no longer waits for it).  The
 * records that name the user (accounts, teammates, keys) follow with their
 * own intents. */
int ul_store_user_move(struct ul_txn *t, const struct ul_user *u,
    const char *new_email) __attribute__((warn_unused_result));
/* U7, last step: the user record and its methods go, and its email is
 * free again.  The steps before end what names it. */
int ul_store_user_delete(struct ul_txn *t, const struct ul_user *u)
    __attribute__((warn_unused_result));

/* ---- failures (S3) ---- */

int ul_store_failures_get(struct ul_txn *t, const char *key,
    struct ul_failures *f) __attribute__((warn_unused_result));
/* Counts one failure for key, unless it is locked out at `now`
 * (UL_ELOCKEDOUT, nothing counted).  The failure that reaches `limit` locks
 * it out for `seconds` and starts the count again.  *f: the counter after
 * (zero on an error). */
int ul_store_failure_count(struct ul_txn *t, const char *key, uint32_t limit,
    uint32_t seconds, int64_t now, struct ul_failures *f)
    __attribute__((warn_unused_result));
/* A success: the count starts again, unless key is locked out at `now`
 * (UL_ELOCKEDOUT: a success that raced with the lockout does not end it). */
int ul_store_failure_reset(struct ul_txn *t, const char *key, int64_t now)
    __attribute__((warn_unused_result));
/* The counter goes, whatever it holds (the user went, or moved: U6, U7). */
int ul_store_failure_forget(struct ul_txn *t, const char *key)
    __attribute__((warn_unused_result));

/* ---- products ---- */

int ul_store_product_get(struct ul_txn *t, const char *name,
    struct ul_product *p) __attribute__((warn_unused_result));
int ul_store_product_next(struct ul_txn *t, struct ul_cursor *cur,
    struct ul_product *p) __attribute__((warn_unused_result));
/* Claims the name: UL_EEXIST when taken. */
int ul_store_product_create(struct ul_txn *t, const struct ul_product *p)
    __attribute__((warn_unused_result));

/* ---- accounts: reads ---- */

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
/* The accounts of `product` ("" for every product) after *cur. */
int ul_store_account_next(struct ul_txn *t, const char *product,
    struct ul_cursor *cur, struct ul_account *a)
    __attribute__((warn_unused_result));
/* The accounts whose own email is `email` (L2, L4, U6) after *cur. */
int ul_store_account_with_email(struct ul_txn *t, const char *email,
    struct ul_cursor *cur, struct ul_account *a)
    __attribute__((warn_unused_result));
/* The accounts user `email` owns, after *cur. */
int ul_store_owned_next(struct ul_txn *t, const char *email,
    struct ul_cursor *cur, struct ul_account *a)
    __attribute__((warn_unused_result));

/* ---- accounts: intents ---- */

/* A uid in [min, max] that no account holds, handed out once: the counter
 * only moves forward, so a uid is never given to a second account. */
int ul_store_uid_allocate(struct ul_txn *t, uint32_t min, uint32_t max,
    uint32_t *uid) __attribute__((warn_unused_result));
/* Import: the counter moves forward to at least `next`. */
int ul_store_uid_floor(struct ul_txn *t, uint32_t next)
    __attribute__((warn_unused_result));
/* The uid counter, for export (0 when unset). */
int ul_store_next_uid(struct ul_txn *t, uint32_t *next)
    __attribute__((warn_unused_result));

/* A new account: claims (product, name), (product, unix_user), the uid and,
 * when it has an owner, (owner, product) (L3); UL_EEXIST when one is taken,
 * and nothing is stored. */
int ul_store_account_create(struct ul_txn *t, const struct ul_account *a)
    __attribute__((warn_unused_result));
/* L5, L6: links a legacy, unbanned account to `owner` and ends its legacy
 * password, only if that password is still a->pwhash (what the caller read
 * and, for L6, proved): UL_ECONFLICT when it was linked, banned or given
 * another password meanwhile; UL_EEXIST when owner owns another account
 * of the product (L3).  An account with no email of its own (a migrated
 * local user, M1) takes the owner's. */
int ul_store_account_link(struct ul_txn *t, const struct ul_account *a,
    const char *owner) __attribute__((warn_unused_result));
/* A linked account goes back to legacy with no password (UL_ECONFLICT when
 * it is not linked to a->owner any more). */
int ul_store_account_unlink(struct ul_txn *t, const struct ul_account *a)
    __attribute__((warn_unused_result));
/* L9, L10: a new state; a banned account changes no more (UL_ECONFLICT). */
int ul_store_account_set_state(struct ul_txn *t, const struct ul_account *a,
    enum ul_account_state state) __attribute__((warn_unused_result));
/* L1: a legacy account's own password (UL_ECONFLICT when it is linked);
 * with `old`, only if the hash is still old (a re-hash, U3). */
int ul_store_account_set_password(struct ul_txn *t, const struct ul_account *a,
    const char *old, const char hash[UL_HASH_STR_MAX])
    __attribute__((warn_unused_result));
/* U6: the account's owner and its own email, where they are `from`,
 * become `to` (the owner's claim moves with it). */
int ul_store_account_move_email(struct ul_txn *t, const struct ul_account *a,
    const char *from, const char *to) __attribute__((warn_unused_result));

/* ---- teammates (L7) ---- */

int ul_store_member_get(struct ul_txn *t, const char *product,
    const char *account, const char *email, char role[UL_ROLE_MAX + 1])
    __attribute__((warn_unused_result));
/* The members of an account after *cur. */
int ul_store_member_next(struct ul_txn *t, const char *product,
    const char *account, struct ul_cursor *cur, char email[UL_EMAIL_MAX + 1],
    char role[UL_ROLE_MAX + 1]) __attribute__((warn_unused_result));
/* The accounts a user is a teammate of, after *cur. */
int ul_store_membership_next(struct ul_txn *t, const char *email,
    struct ul_cursor *cur, char product[UL_PRODUCT_MAX + 1],
    char account[UL_ACCOUNT_MAX + 1], char role[UL_ROLE_MAX + 1])
    __attribute__((warn_unused_result));
/* Sets (or replaces) a role. */
int ul_store_member_set(struct ul_txn *t, const char *product,
    const char *account, const char *email, const char *role)
    __attribute__((warn_unused_result));
/* Ends a role; 0 when there was none. */
int ul_store_member_remove(struct ul_txn *t, const char *product,
    const char *account, const char *email) __attribute__((warn_unused_result));

/* ---- API keys (T8) ---- */

int ul_store_apikey_get(struct ul_txn *t, const char *id, struct ul_apikey *k)
    __attribute__((warn_unused_result));
/* A user's keys after *cur. */
int ul_store_apikey_next(struct ul_txn *t, const char *email,
    struct ul_cursor *cur, struct ul_apikey *k)
    __attribute__((warn_unused_result));
/* Claims the id: UL_EEXIST when taken. */
int ul_store_apikey_create(struct ul_txn *t, const struct ul_apikey *k)
    __attribute__((warn_unused_result));
/* Ends a key; UL_ENOTFOUND when there is none. */
int ul_store_apikey_revoke(struct ul_txn *t, const char *id)
    __attribute__((warn_unused_result));
/* U6: the key's user is now `email`. */
int ul_store_apikey_move(struct ul_txn *t, const char *id, const char *email)
    __attribute__((warn_unused_result));

/* ---- SSH keys (K1) ---- */

int ul_store_sshkey_get(struct ul_txn *t, const char *id, struct ul_sshkey *k)
    __attribute__((warn_unused_result));
/* The key whose fingerprint this is. */
int ul_store_sshkey_by_fingerprint(struct ul_txn *t, const char *fingerprint,
    struct ul_sshkey *k) __attribute__((warn_unused_result));
/* A user's keys after *cur, in id order. */
int ul_store_sshkey_next(struct ul_txn *t, const char *email,
    struct ul_cursor *cur, struct ul_sshkey *k)
    __attribute__((warn_unused_result));
/* Claims the id and the fingerprint (UL_EEXIST when either is taken: a
 * key belongs to one user) and stores the key. */
int ul_store_sshkey_create(struct ul_txn *t, const struct ul_sshkey *k)
    __attribute__((warn_unused_result));
/* Ends a key and frees its fingerprint; UL_ENOTFOUND when there is none. */
int ul_store_sshkey_remove(struct ul_txn *t, const char *id)
    __attribute__((warn_unused_result));
/* U6: the key's user is now `email` (UL_ECONFLICT when it went). */
int ul_store_sshkey_move(struct ul_txn *t, const char *id, const char *email)
    __attribute__((warn_unused_result));

/* ---- the audit log (S8) ---- */

int ul_store_audit_append(struct ul_txn *t, const struct ul_audit *e)
    __attribute__((warn_unused_result));
/* Audit records from `since` (unix seconds) in their order, after *cur. */
int ul_store_audit_next(struct ul_txn *t, int64_t since, struct ul_cursor *cur,
    struct ul_audit *e) __attribute__((warn_unused_result));

#endif
