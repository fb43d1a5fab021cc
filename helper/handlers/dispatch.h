/* The dispatch table: for each request, its handler, who may send it, and
 * where it runs (the loop for cheap requests, the KDF pool for password
 * hashes, the slow pool for requests that run the delivery command). */
#ifndef UL_DISPATCH_H
#define UL_DISPATCH_H

#include "helper/core/call.h"

enum ul_access {
	UL_ACCESS_ANY,              /* any local caller */
	UL_ACCESS_ADMIN,            /* uid 0 or admin_group (S5) */
};

enum ul_lane {
	UL_LANE_LOOP,               /* read-only and cheap: on the event loop */
	UL_LANE_WRITE,              /* commits (an fsync): the write pool */
	UL_LANE_KDF,                /* a password hash: the KDF pool */
	UL_LANE_SLOW,               /* runs the delivery command: the slow pool */
};

struct ul_route {
	ul_handler handler;
	enum ul_access access;
	enum ul_lane lane;
};

/* The route of a request type, or NULL when there is none. */
const struct ul_route *ul_route_for(uint16_t type);

/* Runs the route's handler for c (access already checked) and encodes the
 * whole reply into c->out: the handler's fields, UL_F_RESULT and
 * UL_F_MESSAGE.  On an error the handler's fields are dropped. */
void ul_dispatch_run(const struct ul_route *route, struct ul_call *c);

/* Encodes a reply that carries only a result and a message. */
void ul_reply_error(struct ul_msg *out, int code, const char *message);

#endif
