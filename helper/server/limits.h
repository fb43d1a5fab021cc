/* What one caller may hold of the helper: connections, wherever they wait
 * (reading, queued on a pool, running, writing), and jobs in each lane.
 * Counted per uid from SO_PEERCRED, so that one unprivileged uid cannot
 * fill the connection table or a pool's queue (a slow delivery, a flood of
 * SESSION_OPEN), and a share of the connections is kept for uid 0 and
 * admins.  Used by the event loop only (no lock). */
#ifndef UL_LIMITS_H
#define UL_LIMITS_H

#include <stdbool.h>
#include <sys/types.h>

#define UL_CONNS_MAX 512            /* open connections in all */
#define UL_CONNS_KEPT 64            /* of them, only for uid 0 and admins */
#define UL_CONNS_PER_UID 64         /* for callers other than uid 0 */
#define UL_LANES 4

struct ul_limits;

int ul_limits_new(struct ul_limits **out) __attribute__((warn_unused_result));
void ul_limits_free(struct ul_limits *l);

/* A new connection of uid (admin: uid 0 or admin_group): true when it may
 * stay, and then it is counted until ul_limits_close.  An uncapped uid
 * (unilogin-keys' own user: sshd runs it once per offered key, as NSS
 * lookups come once per getpwnam) has no per-uid cap, only the total's. */
bool ul_limits_open(struct ul_limits *l, uid_t uid, bool admin, bool uncapped);
void ul_limits_close(struct ul_limits *l, uid_t uid);
/* A job of uid in lane (enum ul_lane): true when under the lane's quota
 * for that uid (uid 0 and admins have none), then counted until
 * ul_limits_lane_done.  Work after a reply counts in the slow lane of its
 * caller, whose connection may be gone by then. */
bool ul_limits_lane_take(struct ul_limits *l, uid_t uid, bool admin,
    unsigned lane);
void ul_limits_lane_done(struct ul_limits *l, uid_t uid, bool admin,
    unsigned lane);
/* Open connections in all, and of one uid. */
unsigned ul_limits_conns(const struct ul_limits *l);
unsigned ul_limits_conns_of(const struct ul_limits *l, uid_t uid);

#endif
