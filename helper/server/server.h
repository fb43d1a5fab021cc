/* The helper's event loop and its periodic upkeep. */
#ifndef UL_SERVER_H
#define UL_SERVER_H

#include "helper/core/call.h"

/* Serves listen_fd until SIGTERM or SIGINT.  0, or a UL_E* code when the
 * loop could not start. */
int ul_server_run(struct ul_helper *h, int listen_fd);

#endif
