/* The helper's shared state and the call context every handler gets: the
 * request, the reply, the caller's credentials, and what answering needs
 * (a message for the person, the store's transaction with its messages,
 * the audit record of a change, list pages).  Below the rules and the
 * handlers; above the store. */
#ifndef UL_CORE_CALL_H
#define UL_CORE_CALL_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/conf.h"
#include "helper/store/store.h"
#include "unilogin/proto.h"

struct ul_keys;
struct ul_tickets;
struct ul_later;
struct ul_relay;
struct ul_verifier;

struct ul_helper {
	struct ul_conf conf;
	char conf_path[4096];
	struct ul_store *store;
	struct ul_keys *keys;
	char dummy_hash[UL_HASH_STR_MAX];   /* S1: verified when no user */
	bool has_admin_gid;
	gid_t admin_gid;
	bool has_keys_uid;                  /* keys_user exists (K1) */
	uid_t keys_uid;
	struct ul_tickets *tickets;         /* LOGIN_BEGIN -> LOGIN_CODE */
	struct ul_relay *relay;             /* role = host: to the verifiers */
	struct ul_verifier *verifier;       /* role = verifier: serving hosts */
};

/* One request being answered. */
struct ul_call {
	struct ul_helper *h;
	const struct ul_msg *in;
	struct ul_msg *out;
	uid_t uid;                  /* the caller, from SO_PEERCRED */
	gid_t gid;
	pid_t pid;
	bool admin;                 /* uid 0 or admin_group (S5) */
	/* a verifier serving a host (issue 16): uid is the caller's uid on
	 * that host, peer the host's certificate, product the product its
	 * certificate names; 0 and NULL for this host's own socket */
	uint64_t peer;
	const char *product;
	bool reserve;               /* the route may write on the store's disk
				     * reserve (the login path, S7) */
	struct ul_later *later;     /* work to run after the reply has gone */
	/* the KDF place this call holds (of kdf_parallel), from its lockout
	 * check to the count of its failure (S3); NULL when none */
	sem_t *kdf_place;
	char message[UL_TEXT_MAX + 1];
	/* the log lines of the audit records of a change, written once it is
	 * on disk (not on the commit thread, and not for a change undone) */
	char logged[4][640];
	unsigned nlogged;
};

typedef int (*ul_handler)(struct ul_call *c);

/* S1: work whose time must not show in the answer (a delivery, the code
 * it sends) runs after the reply has gone, on the slow pool: run(c, arg)
 * with a call of the same caller and a copy of the request, and a copy of
 * the n bytes at arg in locked memory, wiped after.  One per request.
 * 0, or UL_ENOMEM (nothing will run). */
int ul_call_later(struct ul_call *c, void (*run)(struct ul_call *c, void *arg),
    const void *arg, size_t n) __attribute__((warn_unused_result));
/* The KDF lane: a job takes one of kdf_parallel places before it runs
 * (ul_call_kdf_take) and gives it back when it is done, or earlier, once
 * no hash of it is left and no failure of it is still to be counted
 * (ul_call_kdf_give): its commit then waits without keeping a hash out
 * of its place.  Giving a place not held does nothing. */
void ul_call_kdf_take(struct ul_call *c, sem_t *places);
void ul_call_kdf_give(struct ul_call *c);

/* For the server: runs a later job, and frees it (wiped). */
void ul_later_run(struct ul_later *l);
void ul_later_free(struct ul_later *l);

/* Sets the call's message and returns code, so a handler can write
 * `return ul_call_say(c, UL_ERULE, "...", ...)`. */
int ul_call_say(struct ul_call *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A required string field of the request; NULL (and a message) when absent. */
const char *ul_call_arg(struct ul_call *c, uint16_t tag);

/* The request's email, normalised (U1); UL_EINVAL with a message when it
 * is missing or not an address. */
int ul_call_email(struct ul_call *c, uint16_t tag, char out[UL_EMAIL_MAX + 1]);

/* An audit record (S8) and its syslog line, never with a secret. */
struct ul_event {
	const char *event;
	const char *email;
	const char *product;
	const char *account;
	int result;
	const char *detail;
};
/* Appends to the audit log inside t (committed with the change) and logs. */
int ul_audit(struct ul_call *c, struct ul_txn *t, const struct ul_event *e)
    __attribute__((warn_unused_result));
/* The same in a transaction of its own, for events with no other change. */
void ul_audit_alone(struct ul_call *c, const struct ul_event *e);

/* One change of the store (group commit, ul_store_write): change(c, t, arg)
 * reads what it needs and applies its intents in t, on the store's commit
 * thread while the caller waits, and returns 0 to keep them (an audit
 * record among them) or a UL_E* code to undo them, with its message set.
 * It must be short: no hash, no delivery.  ul_call_write returns when the
 * change is on disk: change's result, or the commit's failure with its
 * message (a full disk, S7).  A change that may not use the disk reserve
 * is refused before it starts when the store lives on it. */
int ul_call_write(struct ul_call *c, int (*change)(struct ul_call *c,
    struct ul_txn *t, void *arg), void *arg) __attribute__((warn_unused_result));

/* A read transaction on the helper's store; on failure sets a message. */
int ul_call_read(struct ul_call *c, struct ul_txn **t)
    __attribute__((warn_unused_result));
/* Reads user `email` in a read transaction; "no user" when missing. */
int ul_call_user(struct ul_call *c, const char *email, struct ul_user *u)
    __attribute__((warn_unused_result));
/* Ends a change: r, or when r is 0 the audit record e (when given). */
int ul_call_audited(struct ul_call *c, struct ul_txn *t, int r,
    const struct ul_event *e) __attribute__((warn_unused_result));

/* True for 0 and the login outcomes (UL_EAUTH ... UL_EEXPIRED): answers
 * to record, not failures of the store to abort on. */
bool ul_login_outcome(int r);

/* The request's paging token (UL_F_AFTER; "" for the first page). */
int ul_call_cursor(struct ul_call *c, struct ul_cursor *cur)
    __attribute__((warn_unused_result));

/* True when a list page has no room for another record. */
bool ul_page_full(const struct ul_msg *m);

int64_t ul_now(void);

#endif
