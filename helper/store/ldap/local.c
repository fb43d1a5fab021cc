/* What a host keeps for itself (local.h) and its audit journal, in a
 * store of its own: the LMDB backend in state_dir, opened beside the
 * directory.  Remembered hosts (T7) and sessions (L11) are host-local by
 * design; the audit is too, here: each host's journal of what it answered
 * and did, written in the request's own commit on local disk, so that a
 * login costs no second provider round trip for its audit row (a
 * fleet-wide view is each host's `uniloginctl audit`, or syslog).
 *
 * Each call is one transaction of the local store, committed when the
 * directory transaction writes: the rows are not shared, so nothing in
 * them is a precondition of a directory intent. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "helper/store/ldap/internal.h"
#include "unilogin/error.h"

int
dir_local_open(struct ul_store *st, const struct ul_conf *conf, char *err,
    size_t errlen)
{
	char why[512];
	int r = ul_store_lmdb_open(&st->local, conf, why, sizeof(why));

	if (r != 0)
		snprintf(err, errlen, "the host's own store in %s: %s",
		    conf->state_dir, why);
	return r;
}

void
dir_local_close(struct ul_store *st)
{
	ul_store_close(st->local);
	st->local = NULL;
}

/* A transaction of the local store in the directory transaction's mode. */
static int
local_begin(struct ul_txn *t, struct ul_txn **lt)
{
	*lt = NULL;
	return t->st->local == NULL ? UL_ESTORE :
	    ul_txn_begin(t->st->local, t->write, lt);
}

/* r's outcome: committed when it wrote and went well, else undone. */
static int
local_end(struct ul_txn *t, struct ul_txn *lt, int r)
{
	if (r == 0 && t->write)
		return ul_txn_commit(lt);
	ul_txn_abort(lt);
	return r;
}

#define LOCAL(call) \
	struct ul_txn *lt; \
	int r = local_begin(t, &lt); \
	if (r != 0) \
		return r; \
	return local_end(t, lt, (call))

int
dir_local_remember_get(struct ul_txn *t, const char *email, const char *host,
    int64_t *when, uint32_t *epoch)
{
	LOCAL(ul_local_remember_get(lt, email, host, when, epoch));
}

int
dir_local_remember_put(struct ul_txn *t, const char *email, const char *host,
    int64_t when, uint32_t epoch)
{
	LOCAL(ul_local_remember_put(lt, email, host, when, epoch));
}

int
dir_local_remember_forget(struct ul_txn *t, const char *email)
{
	LOCAL(ul_local_remember_forget(lt, email));
}

int
dir_local_session_open(struct ul_txn *t, struct ul_session *s)
{
	LOCAL(ul_local_session_open(lt, s));
}

int
dir_local_session_get(struct ul_txn *t, uint64_t id, struct ul_session *s)
{
	LOCAL(ul_local_session_get(lt, id, s));
}

int
dir_local_session_close(struct ul_txn *t, uint64_t id, int64_t now)
{
	LOCAL(ul_local_session_close(lt, id, now));
}

int
dir_local_session_next(struct ul_txn *t, struct ul_cursor *cur, struct ul_session *s)
{
	LOCAL(ul_local_session_next(lt, cur, s));
}

int
dir_audit_append(struct ul_txn *t, const struct ul_audit *e)
{
	LOCAL(ul_store_audit_append(lt, e));
}

int
dir_audit_next(struct ul_txn *t, int64_t since, struct ul_cursor *cur,
    struct ul_audit *e)
{
	LOCAL(ul_store_audit_next(lt, since, cur, e));
}

/* The local store's upkeep (sessions, audit), and the directory's
 * failure counters older than failures_before (failures.c). */
int
dir_upkeep(struct ul_txn *t, int64_t failures_before, int64_t sessions_before,
    int64_t audit_before, unsigned max, unsigned *removed)
{
	struct ul_txn *lt;
	int r;

	*removed = 0;
	r = local_begin(t, &lt);
	if (r == 0)
		r = local_end(t, lt, ul_store_upkeep(lt, 0, sessions_before,
		    audit_before, max, removed));
	/* a host (role = host) writes nothing to the directory: the
	 * verifiers prune (issue 16) */
	if (r == 0 && t->write && t->st->conf.role != UL_ROLE_HOST)
		r = dir_failures_prune(t, failures_before, max);
	return r;
}
