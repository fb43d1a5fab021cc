/* The dispatch table: for each request, its handler, who may send it,
 * where it runs (the loop for cheap requests, the KDF pool for password
 * hashes, the write pool for commits, the slow pool for requests that run
 * the delivery command), and its policy: what the server checks and does
 * before the handler runs.  As OpenSSH's monitor table carries its MON_*
 * flags, this table alone decides who may call what, and how often. */
#ifndef UL_DISPATCH_H
#define UL_DISPATCH_H

#include "helper/core/call.h"

enum ul_access {
	UL_ACCESS_ANY,              /* any local caller */
	UL_ACCESS_ROOT,             /* uid 0 only: what PAM's session and
				     * account stacks send (they run as root) */
	UL_ACCESS_ADMIN,            /* uid 0 or admin_group (S5) */
};

enum ul_lane {
	UL_LANE_LOOP,               /* read-only and cheap: on the event loop */
	UL_LANE_WRITE,              /* commits (an fsync): the write pool */
	UL_LANE_KDF,                /* a password hash: the KDF pool */
	UL_LANE_SLOW,               /* runs the delivery command: the slow pool */
};

/* Policy flags of a route. */
enum {
	/* carries a secret (a password, a code, a key, a ticket) */
	UL_ROUTE_SECRET = 1 << 0,
	/* takes a token of the caller's per-uid bucket (S3); admins are not
	 * limited */
	UL_ROUTE_RATE = 1 << 1,
	/* spends a ticket of LOGIN_BEGIN or PASSWD_BEGIN: refused without one */
	UL_ROUTE_TICKET = 1 << 2,
	/* may write while the store lives on its disk reserve (S7): the
	 * login path, so that logins go on with the disk full */
	UL_ROUTE_RESERVE = 1 << 3,
	/* believes rhost and ruser only from uid 0: from any other caller the
	 * fields are dropped before the handler sees them (T7, S3, S8) */
	UL_ROUTE_ROOT_FIELDS = 1 << 4,
	/* needs what only a verifier holds (keys, hashes, seeds, tickets):
	 * role = host relays it to a verifier, which serves it to hosts over
	 * TLS (issue 16); on one host it runs here */
	UL_ROUTE_VERIFIER = 1 << 5,
	/* an admin request off the loop that changes nothing a host may not
	 * change (fleet status): role = host serves it too */
	UL_ROUTE_HOST_READ = 1 << 6,
};

struct ul_route {
	ul_handler handler;
	enum ul_access access;
	enum ul_lane lane;
	unsigned flags;
};

/* The route of a request type, or NULL when there is none. */
const struct ul_route *ul_route_for(uint16_t type);

/* Whether a caller (uid, admin) may send the route's request. */
bool ul_route_allows(const struct ul_route *route, uid_t uid, bool admin);

/* What the route's policy does to a request before its handler: drops the
 * fields it believes only from uid 0 when the caller is another uid. */
void ul_route_filter(const struct ul_route *route, struct ul_msg *in, uid_t uid);

/* Runs the route's handler for c (access already checked) and encodes the
 * whole reply into c->out: the handler's fields, UL_F_RESULT and
 * UL_F_MESSAGE.  On an error the handler's fields are dropped. */
void ul_dispatch_run(const struct ul_route *route, struct ul_call *c);

/* Encodes a reply that carries only a result and a message. */
void ul_reply_error(struct ul_msg *out, int code, const char *message);

#endif
