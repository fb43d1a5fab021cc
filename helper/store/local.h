/* Host-local state: what one host keeps for itself and the other hosts of
 * its product need not share.  Remembered hosts (T7: a user's
 * remember_epoch already voids every row made before a password or
 * two-factor change) and the session history of this host's logins (L11).
 * The login tickets (rules/tickets.h) and the per-uid rate buckets
 * (server/ratelimit.h) are host-local too and live in memory only.
 *
 * On the one-host backend these rows sit beside the store's and commit
 * with the request's transaction (one commit per request); a shared
 * backend keeps them in a store of the host's own. */
#ifndef UL_STORE_LOCAL_H
#define UL_STORE_LOCAL_H

#include <stdint.h>

#include "helper/store/store.h"

/* T7: when `host` was last remembered for user `email`, in which of the
 * user's remember epochs. */
int ul_local_remember_get(struct ul_txn *t, const char *email,
    const char *host, int64_t *when, uint32_t *epoch)
    __attribute__((warn_unused_result));
int ul_local_remember_put(struct ul_txn *t, const char *email,
    const char *host, int64_t when, uint32_t epoch)
    __attribute__((warn_unused_result));
/* Forgets every host of a user. */
int ul_local_remember_forget(struct ul_txn *t, const char *email)
    __attribute__((warn_unused_result));

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
	char sshkey[53];            /* the fingerprint of the key that
				     * opened it (K1), or "" */
};
/* Records a new session and sets s->id (never given twice). */
int ul_local_session_open(struct ul_txn *t, struct ul_session *s)
    __attribute__((warn_unused_result));
int ul_local_session_get(struct ul_txn *t, uint64_t id, struct ul_session *s)
    __attribute__((warn_unused_result));
/* Ends session `id` at `now` when it is still open (0 when it was ended
 * already). */
int ul_local_session_close(struct ul_txn *t, uint64_t id, int64_t now)
    __attribute__((warn_unused_result));
/* Sessions in the order they opened, after *cur. */
int ul_local_session_next(struct ul_txn *t, struct ul_cursor *cur,
    struct ul_session *s) __attribute__((warn_unused_result));

#endif
