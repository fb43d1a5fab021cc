/* The delivery command (C3): `CMD KIND ADDRESS`, run with execve (no
 * shell), the message on its stdin (line 1: the code alone), nothing secret
 * in its argv or environment, killed after 30 s. */
#ifndef UL_DELIVERY_H
#define UL_DELIVERY_H

#include <stddef.h>

#define UL_DELIVERY_TIMEOUT_MS 30000

/* 0, or UL_EDELIVERY with reason (e.g. "exit status 3") filled in. */
int ul_deliver(const char *command, const char *kind, const char *address,
    const char *message, char *reason, size_t reasonlen)
    __attribute__((warn_unused_result));

#endif
