/* Inside the directory backend (store = ldap): what its files share.  Only
 * the files of helper/store/ldap/ include this header (and with it
 * ldap.h).
 *
 * The DIT under ldap_base (examples/ldap/unilogin.schema):
 *   ou=users     uniUserId=ID       a user with its methods and codes
 *   ou=products  uniProductName=P   its accounts below
 *   ou=apikeys   uniApiKeyId=ID
 *   ou=members   mail=EMAIL+uniProductName=P+uniAccountName=A  a role
 *   ou=sshkeys   uniSshKeyId=ID
 *   ou=claims    uniClaimName=K:V   unique keys, unique by their names
 *   ou=failures  uniFailKey=H       S3 counters
 *   ou=meta      cn=fleet (schema version, key fingerprint, policy),
 *                cn=next-uid, cn=step-floor
 * Reads go to the host's replica (ldap_read_uri); every write goes to the
 * active provider (ldap_write_uri), as one single-entry operation with its
 * precondition, before the helper answers (F2). */
#ifndef UL_STORE_LDAP_INTERNAL_H
#define UL_STORE_LDAP_INTERNAL_H

#include <pthread.h>

#include <ldap.h>

#include "helper/store/backend.h"

/* The version of unilogin.schema's DIT this backend reads and writes
 * (cn=fleet,ou=meta: uniSchemaVersion). */
#define UL_LDAP_SCHEMA 1

/* One session to one server, bound as the config says.  `what` names it
 * in messages ("replica", "provider"). */
struct dir_session {
	LDAP *ld;
	const char *what;
	const char *uri;
	unsigned timeout;           /* ldap_timeout, seconds */
	/* when the server last let an operation (or an open) wait out
	 * ldap_timeout: hung, or SIGSTOPped (CLOCK_MONOTONIC, ms).  A
	 * transaction begun before that is not let ask it again (every
	 * call is UL_EUNREACHABLE at once), so that the requests queued
	 * behind the one that waited, and that request's own next calls,
	 * do not each wait ldap_timeout, one after the other, past the PAM
	 * client's `timeout`; a transaction begun after it tries again
	 * (F2) */
	int64_t hung_at;
	/* moves at every write sent on this session and at every close and
	 * open: a user entry a transaction kept (dir_user_memo) is used
	 * again only while it has not moved */
	uint64_t gen;
};

/* Connects and binds within ldap_timeout: UL_EUNREACHABLE when the server
 * cannot be reached or does not answer, UL_ESTORE when it refuses the bind
 * (err says which and why; never a password). */
int dir_session_open(struct dir_session *s, const struct ul_conf *conf,
    const char *what, const char *uri, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void dir_session_close(struct dir_session *s);

/* A libldap result code as one of ours: unreachable (nothing was sent or
 * nothing was done), unknown (a write was sent and no answer came), or a
 * store error. */
int dir_session_error(int rc, bool sent_write);

/* The store: a session to the replica and one to the provider, each
 * used by one thread at a time (its lock), opened at open and kept. */
struct ul_store {
	const struct ul_store_ops *ops;     /* first: backend.h */
	struct dir_session replica, provider;
	pthread_mutex_t replica_lock, provider_lock;
	char base[UL_LDAP_DN_MAX + 1];
	char write_uri[UL_LDAP_URI_MAX + 1], read_uri[UL_LDAP_URI_MAX + 1];
	struct ul_conf conf;        /* to open a session again */
	struct ul_store *local;     /* the host's own (local.c) */
};

/* A transaction: its reads go to the provider when it writes (what its
 * intents' preconditions see) and to the replica otherwise; each intent is
 * one operation on the provider, applied (and acknowledged, S7) when it
 * returns, so commit has nothing left to do and abort undoes nothing
 * (store.h: intents are atomic per record, ordered across records). */
struct dir_list;

#define DIR_USER_DN_MAX (UL_LDAP_DN_MAX + 600)

/* ops.c: one search as its reader asks it (dir_search_q), so that what a
 * prefetch asked is found again by the same words: base, scope, filter
 * and the attrs array itself (a static list of the reader's, or NULL). */
#define DIR_QUERY_BASE_MAX (UL_LDAP_DN_MAX + 1200)
#define DIR_QUERY_FILTER_MAX (UL_EMAIL_MAX * 3 + 256)
struct dir_query {
	char base[DIR_QUERY_BASE_MAX];
	int scope;
	char filter[DIR_QUERY_FILTER_MAX];
	char **attrs;
};

/* What a prefetch (ul_store_prefetch) found for one query: used once, by
 * the first dir_search_q of that query on the same session while its gen
 * has not moved; wiped when the transaction ends. */
#define DIR_FETCHED_MAX 4
struct dir_fetched {
	struct dir_query q;
	struct dir_session *s;
	uint64_t gen;
	int r;                      /* 0, or UL_ENOTFOUND */
	LDAPMessage *res;
	bool used;
};

/* users.c: the one user entry a transaction read last, with all its
 * attributes, kept so that its next reads of that user (by email or by
 * name) on the same session cost no round trip: a login reads its user
 * three times in LOGIN_BEGIN and three in LOGIN_CODE.  It is what the
 * server held a moment before, as a read again would be a moment later:
 * nothing a write of a login depends on is taken from it without an
 * assertion on the provider (a spent step, the method's value, the
 * email).  Used again only on the session it came from while that
 * session's gen has not moved (no write sent on it by any transaction,
 * no reconnect); wiped when the transaction ends. */
struct dir_user_memo {
	struct dir_session *s;
	uint64_t gen;
	LDAPMessage *res, *e;
	char mail[UL_EMAIL_MAX + 1];        /* as asked for */
	char dn[DIR_USER_DN_MAX];           /* dir_user_dn of its uniUserId */
};

struct ul_txn {
	struct ul_store *st;
	bool write;
	bool wrote;                 /* a write later reads here must see:
	                             * commit waits for the replica */
	int64_t began;              /* dir_clock_ms(): see hung_at */
	struct dir_list *list;      /* the last list query's keys (ops.c) */
	char no_counter[65];        /* a failure key this write transaction
	                             * read on the provider and found no
	                             * counter for (failures.c), or "" */
	struct dir_user_memo user;  /* users.c */
	struct dir_fetched fetched[DIR_FETCHED_MAX];        /* ops.c */
	int nfetched;
};

/* store.c: the table (NULL where this version has no operation yet). */
extern const struct ul_store_ops dir_ops;

/* ops.c: read your writes: waits (bounded by ldap_timeout) until the
 * replica holds what the provider acknowledged (contextCSN of ldap_base);
 * UL_ETIMEDOUT when it did not catch up in time. */
int dir_replica_catch_up(struct ul_store *st);
/* The contextCSN values of base on s (at most n, each < 64 bytes): how
 * many, or -1 when base could not be read. */
#define DIR_CSNS 8
int dir_context_csns(struct dir_session *s, const char *base, char csn[][64],
    int n);
/* The server id of a CSN (TIME#COUNT#SID#MOD), *len bytes of it. */
const char *dir_csn_sid(const char *csn, size_t *len);

/* ops.c: the pieces every record's file uses.  A session the server
 * dropped is closed (its ld NULL) and opened again at the next lock; while
 * it cannot be, every call on it is UL_EUNREACHABLE. */
struct dir_session *dir_lock_read(struct ul_txn *t, pthread_mutex_t **lock);
struct dir_session *dir_lock_write(struct ul_txn *t, pthread_mutex_t **lock);
/* The same for the login path's writes (a TOTP step, a failure counter
 * cleared, a method's use): what a later login depends on is asserted on
 * the provider (a spent step, a lockout in force), so a replica that shows
 * them late lets nothing through, and the commit does not wait for the
 * replica on their account (F1). */
struct dir_session *dir_lock_write_asserted(struct ul_txn *t,
    pthread_mutex_t **lock);
/* rc as dir_session_error says, closing the session when the server went
 * or did not answer in time (then noting it hung: hung_at) */
int dir_result(struct dir_session *s, int rc, bool sent_write);
/* The server did not answer within ldap_timeout: the session is closed
 * (its pending answers are no use) and the time noted (hung_at). */
void dir_session_hung(struct dir_session *s);
int64_t dir_clock_ms(void);
/* value escaped for a DN (RFC 4514) or a filter (RFC 4515) */
int dir_dn_value(char *out, size_t n, const char *value);
int dir_filter_value(char *out, size_t n, const char *value);
/* The one entry `filter` finds under base (scope one or base): *e and
 * *res, or UL_ENOTFOUND. */
int dir_search_one(struct dir_session *s, const char *base, int scope,
    const char *filter, char **attrs, LDAPMessage **res, LDAPMessage **e);
/* The same for q, answered from t's prefetch when it holds q (t may be
 * NULL: no prefetch). */
int dir_search_q(struct ul_txn *t, struct dir_session *s,
    const struct dir_query *q, LDAPMessage **res, LDAPMessage **e);
/* A query of base, scope and filter (UL_EINVAL: too long) */
int dir_query_set(struct dir_query *q, const char *base, int scope,
    const char *filter, char **attrs);
/* The n queries sent at once on s (locked by the caller) and their
 * answers kept in t (what was kept before let go); nothing is kept of a
 * query the server refused.  A server that does not answer within
 * ldap_timeout: the session is closed as hung (dir_session_hung), so
 * that the reads after it do not each wait again. */
void dir_prefetch(struct ul_txn *t, struct dir_session *s,
    const struct dir_query *q, int n);
void dir_fetched_drop(struct ul_txn *t);
/* An attribute's first value as text / a number (0 when absent). */
/* ldap_msgfree and ldap_value_free_len, with what they held wiped
 * first (secrets: password hashes, sealed seeds, code hashes) */
void dir_msgfree(LDAPMessage *res);
void dir_values_free(struct berval **v);
void dir_text(struct dir_session *s, LDAPMessage *e, const char *attr,
    char *out, size_t n);
int64_t dir_int(struct dir_session *s, LDAPMessage *e, const char *attr);
/* A modify under an optional assertion (RFC 4528) that asks for the
 * values of postread (RFC 4527, NULL: none) after it: 0, UL_ECONFLICT
 * when the assertion failed (nothing applied), UL_ENOTFOUND, or what
 * dir_session_error says.  *after holds the post-read entry's values of
 * the first postread attribute as a number. */
int dir_modify(struct dir_session *s, const char *dn, LDAPMod **mods,
    const char *assertion, char **postread, int64_t *after);
/* the same, the post-read value as text in after (n bytes) */
int dir_modify_text(struct dir_session *s, const char *dn, LDAPMod **mods,
    const char *assertion, char **postread, char *after, size_t n);
/* An add: 0, UL_EEXIST when the name is taken, UL_ENOTFOUND when the
 * entry above it is missing, or an error. */
int dir_add(struct dir_session *s, const char *dn, LDAPMod **mods);

/* Claims (ou=claims): an entry whose name is the unique key, added
 * before the entry that holds it (UL_EEXIST: taken) and deleted after
 * it went (0 when it was gone already).  `now` is the claim's time (the
 * clock's, never a record's: fleet repair leaves young claims alone). */
#define DIR_CLAIM_DN_MAX (UL_LDAP_DN_MAX + 640)
int dir_claim(struct dir_session *s, struct ul_store *st, const char *key,
    const char *holder, int64_t now);
int dir_unclaim(struct dir_session *s, struct ul_store *st, const char *key);
/* A claim of holder's made young again (its time now), so that a sweep
 * that read it old leaves it: 0, UL_ECONFLICT when another entry holds
 * it, UL_ENOTFOUND when there is no such claim. */
int dir_claim_touch(struct dir_session *s, struct ul_store *st,
    const char *key, const char *holder, int64_t now);
/* A delete, under an optional assertion: 0, UL_ENOTFOUND, UL_ECONFLICT
 * (the assertion failed: nothing deleted), or an error. */
int dir_delete(struct dir_session *s, const char *dn, const char *assertion);
/* Every entry filter finds (as many as the server's limits let the
 * helper have): *res, or UL_ENOTFOUND when base is not there. */
int dir_search_all(struct dir_session *s, const char *base, int scope,
    const char *filter, char **attrs, LDAPMessage **res);

/* A list's cursor: its token the hex of the last key returned (as the
 * LMDB backend's), at most DIR_CURSOR_KEY_MAX bytes; a token that is not
 * one is UL_EINVAL.  "" starts the list. */
#define DIR_CURSOR_KEY_MAX 300
int dir_cursor_key(const struct ul_cursor *cur,
    char key[DIR_CURSOR_KEY_MAX + 1]);
int dir_cursor_set(struct ul_cursor *cur, const char *key);

/* Lists in key order through the transaction's key cache: of the
 * entries (base, scope, filter) finds, the key (made by lk->key from the
 * entry, at most DIR_KEY_MAX bytes) that comes first after `after`, in
 * best, and the value of lk->extra (an attribute, or NULL) in extra.  The
 * first call of a query in a transaction reads the keys above `after`
 * once (attrs: only what the key and extra need) and sorts them; the next
 * calls with a later `after` pick from them, so that a page of n entries
 * costs one search of keys and n reads, not n searches.  A write in the
 * transaction (dir_lock_write) drops the cache.  UL_ENOTFOUND past the
 * last. */
#define DIR_KEY_MAX 1100
#define DIR_EXTRA_MAX 320
struct dir_list_key {
	/* the key: key(), or when NULL the value of attr */
	void (*key)(struct dir_session *, LDAPMessage *, char *, size_t);
	const char *attr;
	const char *extra;
};
int dir_list_next(struct ul_txn *t, const char *base, int scope,
    const char *filter, char **attrs, const struct dir_list_key *lk,
    const char *after, char *best, size_t n, char *extra, size_t en);
void dir_list_drop(struct ul_txn *t);
/* An account's list key, PRODUCT TAB NAME (product names hold no tab,
 * conf.c, and the tab sorts below every character a name holds: strcmp
 * orders the keys as (product, name)). */
void dir_key_account(struct dir_session *s, LDAPMessage *e, char *out,
    size_t n);
/* The next of email's entries of objectClass cls in ou=OU, named by the
 * attribute id (API keys, SSH keys: their owner's), after the cursor, as
 * get(t, id, out) reads it; one gone between the two reads is skipped. */
int dir_by_owner_next(struct ul_txn *t, const char *ou, const char *cls,
    const char *id, const char *email, struct ul_cursor *cur,
    int (*get)(struct ul_txn *, const char *, void *), void *out);

/* An entry or a change being built: up to DIR_MODS attributes (op, type)
 * with up to DIR_VALUES values in all, copied into DIR_DATA bytes. */
#define DIR_MODS 40
#define DIR_VALUES 64
#define DIR_DATA 8192
struct dir_mods {
	LDAPMod mod[DIR_MODS];
	LDAPMod *list[DIR_MODS + 1];
	struct berval *vals[DIR_MODS][DIR_VALUES + 1];
	struct berval bv[DIR_VALUES];
	char data[DIR_DATA];
	size_t used;
	int nmods, nvals;
	bool full;                  /* something did not fit: do not send */
};
void dir_mods_init(struct dir_mods *b);
/* op LDAP_MOD_ADD, _DELETE, _REPLACE or _INCREMENT; a value joins the
 * attribute's mod of the same op and type, or starts one (n = 0: no value,
 * so nothing for an add, the whole attribute for a delete or replace) */
void dir_mods_bin(struct dir_mods *b, int op, const char *type,
    const void *value, size_t n);
void dir_mods_text(struct dir_mods *b, int op, const char *type,
    const char *value);
void dir_mods_int(struct dir_mods *b, int op, const char *type, int64_t value);
/* the list to send, NULL when something did not fit; wipes nothing */
LDAPMod **dir_mods_list(struct dir_mods *b);
void dir_mods_wipe(struct dir_mods *b);

/* fleet.c: fleet status, the step floor (fleet promote), orphan claims
 * (fleet repair), and this host's policy recorded at open when the
 * directory has none */
int dir_fleet_status(struct ul_store *st, const char *fingerprint,
    struct ul_fleet_status *out);
int dir_fleet_promote(struct ul_store *st, int64_t floor, int64_t *was,
    int64_t *now);
int dir_fleet_repair(struct ul_store *st, int64_t since, int64_t before,
    bool dry_run,
    void (*each)(void *arg, const struct ul_fleet_orphan *o), void *arg,
    unsigned *removed);
int dir_policy_record(struct dir_session *s, struct ul_store *st);
/* the floor in force on the locked provider session s (0: none) and the
 * server id that wrote it last ("": none), cn=step-floor made when
 * missing, and whether a CSN is of server `sid` ("" : any) */
#define DIR_SID_MAX 8
int dir_step_floor(struct ul_txn *t, struct dir_session *s,
    struct ul_store *st, int64_t *floor, char sid[DIR_SID_MAX]);
/* the query dir_step_floor asks (for a prefetch) */
void dir_floor_query(struct ul_store *st, struct dir_query *q);
int dir_floor_ensure(struct dir_session *s, struct ul_store *st);
bool dir_csn_of(const char *csn, const char *sid);

/* open.c: the fleet key rule on cn=fleet,ou=meta */
int dir_keys_check(struct ul_store *st, const char *fingerprint, char *err,
    size_t errlen);
int dir_keys_rotated(struct ul_store *st, const char *from, const char *to);

/* users.c: a user's entry, uniUserId=ID,ou=users (DIR_USER_DN_MAX: above) */
int dir_user_dn(struct ul_store *st, const char *id, char dn[DIR_USER_DN_MAX]);
/* The user entry of email / of the entry named dn, with all its
 * attributes, read on s (locked by the caller) or taken from t's memo:
 * *e belongs to the memo (never freed by the caller) and holds until
 * the caller's next call of these or the transaction's end.  0 or
 * UL_ENOTFOUND or what dir_search_one says. */
int dir_user_entry(struct ul_txn *t, struct dir_session *s, const char *email,
    LDAPMessage **e);
int dir_user_entry_dn(struct ul_txn *t, struct dir_session *s, const char *dn,
    LDAPMessage **e);
/* the memo wiped and freed (at commit and abort) */
void dir_user_memo_drop(struct ul_txn *t);
/* the query dir_user_entry asks for email (for a prefetch) */
int dir_user_query(struct ul_store *st, const char *email,
    struct dir_query *q);
/* the table's prefetch: ul_store_prefetch */
void dir_prefetch_login(struct ul_txn *t, const struct ul_prefetch *p);
int dir_user_next(struct ul_txn *t, struct ul_cursor *cur, struct ul_user *u);
int dir_pending_get(struct ul_txn *t, const char *new_email,
    char old_email[UL_EMAIL_MAX + 1]);
int dir_code_issue(struct ul_txn *t, const struct ul_user *u,
    enum ul_code_kind kind, const struct ul_code *code);
int dir_sms_issue(struct ul_txn *t, const struct ul_user *u,
    const struct ul_code *code, int64_t now, int64_t window, uint32_t max);
int dir_recovery_set(struct ul_txn *t, const struct ul_user *u,
    const uint8_t codes[UL_RECOVERY_CODES][UL_CODE_HASH_BYTES]);
int dir_user_confirm(struct ul_txn *t, const struct ul_user *u);
int dir_user_set_password(struct ul_txn *t, const struct ul_user *u,
    const char hash[UL_HASH_STR_MAX], int64_t now);
int dir_user_rehash(struct ul_txn *t, const struct ul_user *u,
    const char old[UL_HASH_STR_MAX], const char hash[UL_HASH_STR_MAX]);
int dir_user_set_locked(struct ul_txn *t, const struct ul_user *u, bool locked);
int dir_user_set_pending(struct ul_txn *t, const struct ul_user *u,
    const char *new_email, const struct ul_code *code);
int dir_user_move(struct ul_txn *t, const struct ul_user *u,
    const char *new_email);
int dir_user_delete(struct ul_txn *t, const struct ul_user *u);

/* methods.c: a user's methods, values of its entry (at most
 * DIR_METHODS_MAX are read) */
#define DIR_METHODS_MAX 32
void dir_method_put(struct dir_mods *b, const struct ul_method *m);
int dir_method_get(struct ul_txn *t, const char *email, uint32_t id,
    struct ul_method *m);
int dir_method_next(struct ul_txn *t, const char *email, uint32_t *after,
    struct ul_method *m);
int dir_method_add(struct ul_txn *t, const struct ul_user *u,
    struct ul_method *m, int64_t now);
int dir_method_activate(struct ul_txn *t, const struct ul_user *u,
    uint32_t id, int64_t now);
int dir_method_remove(struct ul_txn *t, const struct ul_user *u, uint32_t id,
    int64_t now);
int dir_method_used(struct ul_txn *t, const struct ul_user *u, uint32_t id,
    int64_t now);
/* the use noted on a locked provider session (totp_accept, method_used) */
int dir_note_use(struct dir_session *s, struct ul_store *st,
    const struct ul_user *u, uint32_t id, int64_t now);
/* the same where the caller read the method's uniMethodUsed value (""
 * when it has none) on s already: a modify only when it is due */
int dir_note_use_of(struct dir_session *s, const char *dn, uint32_t id,
    const char *used, int64_t now);

/* local.c: the host's own store (LMDB in state_dir): remembered hosts,
 * sessions, the audit journal, their upkeep */
int dir_local_open(struct ul_store *st, const struct ul_conf *conf, char *err,
    size_t errlen);
void dir_local_close(struct ul_store *st);
int dir_local_remember_get(struct ul_txn *t, const char *email, const char *host,
    int64_t *when, uint32_t *epoch);
int dir_local_remember_put(struct ul_txn *t, const char *email, const char *host,
    int64_t when, uint32_t epoch);
int dir_local_remember_forget(struct ul_txn *t, const char *email);
int dir_local_session_open(struct ul_txn *t, struct ul_session *s);
int dir_local_session_get(struct ul_txn *t, uint64_t id, struct ul_session *s);
int dir_local_session_close(struct ul_txn *t, uint64_t id, int64_t now);
int dir_local_session_next(struct ul_txn *t, struct ul_cursor *cur,
    struct ul_session *s);
int dir_audit_append(struct ul_txn *t, const struct ul_audit *e);
int dir_audit_next(struct ul_txn *t, int64_t since, struct ul_cursor *cur,
    struct ul_audit *e);
int dir_upkeep(struct ul_txn *t, int64_t failures_before,
    int64_t sessions_before, int64_t audit_before, unsigned max,
    unsigned *removed);
/* failures.c: counters whose last failure is before `before`, at most max */
int dir_failures_prune(struct ul_txn *t, int64_t before, unsigned max);

/* members.c: teammates (L7), ou=members; apikeys.c: API keys (T8) */
int dir_member_get(struct ul_txn *t, const char *product, const char *account,
    const char *email, char role[UL_ROLE_MAX + 1]);
int dir_member_next(struct ul_txn *t, const char *product, const char *account,
    struct ul_cursor *cur, char email[UL_EMAIL_MAX + 1],
    char role[UL_ROLE_MAX + 1]);
int dir_membership_next(struct ul_txn *t, const char *email,
    struct ul_cursor *cur, char product[UL_PRODUCT_MAX + 1],
    char account[UL_ACCOUNT_MAX + 1], char role[UL_ROLE_MAX + 1]);
int dir_member_set(struct ul_txn *t, const char *product, const char *account,
    const char *email, const char *role);
int dir_member_remove(struct ul_txn *t, const char *product,
    const char *account, const char *email);
int dir_apikey_get(struct ul_txn *t, const char *id, struct ul_apikey *k);
int dir_apikey_next(struct ul_txn *t, const char *email, struct ul_cursor *cur,
    struct ul_apikey *k);
int dir_apikey_create(struct ul_txn *t, const struct ul_apikey *k);
int dir_apikey_revoke(struct ul_txn *t, const char *id);
int dir_apikey_move(struct ul_txn *t, const char *id, const char *email);

/* sshkeys.c: SSH keys (K1), ou=sshkeys, fingerprints claimed */
int dir_sshkey_get(struct ul_txn *t, const char *id, struct ul_sshkey *k);
int dir_sshkey_by_fingerprint(struct ul_txn *t, const char *fingerprint,
    struct ul_sshkey *k);
int dir_sshkey_next(struct ul_txn *t, const char *email, struct ul_cursor *cur,
    struct ul_sshkey *k);
int dir_sshkey_create(struct ul_txn *t, const struct ul_sshkey *k);
int dir_sshkey_remove(struct ul_txn *t, const char *id);
int dir_sshkey_move(struct ul_txn *t, const char *id, const char *email);

/* users.c, failures.c, uids.c, products.c */
int dir_user_get(struct ul_txn *t, const char *email, struct ul_user *u);
int dir_user_create(struct ul_txn *t, const struct ul_user *u);
int dir_method_restore(struct ul_txn *t, const char *email,
    const struct ul_method *m);
int dir_code_consume(struct ul_txn *t, const struct ul_user *u,
    enum ul_code_kind kind, const uint8_t hash[UL_CODE_HASH_BYTES], int64_t now);
int dir_totp_accept(struct ul_txn *t, const struct ul_user *u, uint32_t id,
    bool active, int64_t step, int64_t now);
int dir_failures_get(struct ul_txn *t, const char *key, struct ul_failures *f);
int dir_failure_count(struct ul_txn *t, const char *key, uint32_t limit,
    uint32_t seconds, int64_t now, struct ul_failures *f);
int dir_failure_reset(struct ul_txn *t, const char *key, int64_t now);
int dir_failure_forget(struct ul_txn *t, const char *key);
/* the query dir_failures_get asks for key (for a prefetch) */
void dir_failure_query(struct ul_store *st, const char *key,
    struct dir_query *q);
int dir_uid_allocate(struct ul_txn *t, uint32_t min, uint32_t max,
    uint32_t *uid);
int dir_uid_floor(struct ul_txn *t, uint32_t next);
int dir_next_uid(struct ul_txn *t, uint32_t *next);
int dir_product_get(struct ul_txn *t, const char *name, struct ul_product *p);
int dir_product_create(struct ul_txn *t, const struct ul_product *p);
int dir_product_next(struct ul_txn *t, struct ul_cursor *cur,
    struct ul_product *p);
int dir_counts(struct ul_txn *t, struct ul_store_counts *c);

/* accounts.c */
int dir_account_get(struct ul_txn *t, const char *product, const char *name,
    struct ul_account *a);
int dir_account_by_unix(struct ul_txn *t, const char *product,
    const char *unix_user, struct ul_account *a);
int dir_account_by_uid(struct ul_txn *t, uint32_t uid, struct ul_account *a);
/* the query dir_account_get (unix_user NULL) or dir_account_by_unix (name
 * NULL) asks (for a prefetch) */
int dir_account_query(struct ul_store *st, const char *product,
    const char *name, const char *unix_user, struct dir_query *q);
int dir_account_owned(struct ul_txn *t, const char *email, const char *product,
    struct ul_account *a);
int dir_account_next(struct ul_txn *t, const char *product,
    struct ul_cursor *cur, struct ul_account *a);
int dir_account_with_email(struct ul_txn *t, const char *email,
    struct ul_cursor *cur, struct ul_account *a);
int dir_owned_next(struct ul_txn *t, const char *email, struct ul_cursor *cur,
    struct ul_account *a);
int dir_account_create(struct ul_txn *t, const struct ul_account *a);
int dir_account_link(struct ul_txn *t, const struct ul_account *a,
    const char *owner);
int dir_account_unlink(struct ul_txn *t, const struct ul_account *a);
int dir_account_set_state(struct ul_txn *t, const struct ul_account *a,
    enum ul_account_state state);
int dir_account_set_password(struct ul_txn *t, const struct ul_account *a,
    const char *old, const char hash[UL_HASH_STR_MAX]);
int dir_account_move_email(struct ul_txn *t, const struct ul_account *a,
    const char *from, const char *to);

#endif
