/* The client side of the protocol: connect to the helper's socket within a
 * deadline, check that it is the helper (S5), send a request, read the
 * reply.  Used by the PAM module, the NSS module and the tools. */
#ifndef UL_CLIENT_H
#define UL_CLIENT_H

#include <stdbool.h>
#include <sys/types.h>

#include "unilogin/proto.h"

struct ul_client {
	int fd;
	char path[108];
	int timeout_ms;             /* bounds each call */
	uid_t helper_uid;           /* trusted besides root */
	struct ul_msg *req;         /* build the request here */
	struct ul_msg *rep;         /* the decoded reply lands here */
};

/* Prepares a client; connects at the first call.  helper_user names the
 * helper's system user (looked up in /etc/passwd; when absent only root
 * is trusted).  0 or UL_ENOMEM / UL_EINVAL. */
int ul_client_new(struct ul_client **out, const char *socket_path,
    int timeout_ms, const char *helper_user) __attribute__((warn_unused_result));
/* The same with the helper's uid already known, and, when !secrets, frames
 * in plain memory (for lookups that carry no secret: NSS). */
int ul_client_new_ex(struct ul_client **out, const char *socket_path,
    int timeout_ms, uid_t helper_uid, bool secrets)
    __attribute__((warn_unused_result));
void ul_client_free(struct ul_client *c);

/* Starts a request of this type in c->req. */
void ul_client_begin(struct ul_client *c, uint16_t type);

/* Sends c->req and reads the reply into c->rep within timeout_ms.
 * Returns the reply's result code (0 or a UL_E* from the helper), or a
 * transport error: UL_EUNAVAIL, UL_ETIMEDOUT, UL_ETRUST, UL_EVERSION,
 * UL_EPROTO.  After a transport error the connection is closed. */
int ul_client_call(struct ul_client *c) __attribute__((warn_unused_result));

/* The reply's message, or NULL. */
const char *ul_client_message(const struct ul_client *c);

#endif
