/* The two ends of host <-> verifier (issue 16, INTERFACES.md "Fleet").
 *
 * role = verifier: besides its Unix socket, unilogind listens on
 * verifier_listen and serves hosts, over mutual TLS 1.3 (tls.h), the
 * requests of the dispatch table marked UL_ROUTE_VERIFIER, in the frames
 * of the Unix socket, each carrying the uid that asked on the host
 * (UL_F_CALLER_UID).  It refuses, and audits, a request for another
 * product than the host certificate's; an email-keyed request for a user
 * with no account (owned or as a teammate) of that product runs as for an
 * unknown email (S1).  Tickets are bound to the certificate and the uid.
 *
 * role = host: those requests go to the first verifier of `verifiers`
 * that takes a TLS session; once a request was sent it is never sent
 * again (it may have been applied): a verifier that goes away meanwhile
 * fails that request with UL_EUNKNOWN ("outcome unknown"), and the next
 * one tries the list again; with no verifier reachable, UL_EUNREACHABLE
 * ("nothing changed"): as the provider's answers of a fleet (F2). */
#ifndef UL_SERVER_VERIFIER_H
#define UL_SERVER_VERIFIER_H

#include <stddef.h>

#include "helper/core/call.h"

struct ul_verifier;
struct ul_relay;

/* Binds verifier_listen and starts serving hosts on threads of its own. */
int ul_verifier_start(struct ul_verifier **out, struct ul_helper *h,
    char *err, size_t errlen) __attribute__((warn_unused_result));
/* Stops accepting, ends the sessions, waits for their threads. */
void ul_verifier_stop(struct ul_verifier *v);

int ul_relay_new(struct ul_relay **out, const struct ul_conf *c, char *err,
    size_t errlen) __attribute__((warn_unused_result));
void ul_relay_free(struct ul_relay *r);
/* Sends c's request with c's uid to a verifier and puts its reply in
 * c->out (or UL_EUNREACHABLE / UL_EUNKNOWN with a message, above). */
void ul_relay_run(struct ul_relay *r, struct ul_call *c);

#endif
