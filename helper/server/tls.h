/* Host <-> verifier TLS (issue 16): GnuTLS, the library Debian's libldap
 * already links, so the helper carries one TLS stack.  TLS 1.3 only, a
 * certificate on both sides, both checked against tls_ca.  A host's
 * certificate names its product in a SAN URI `unilogin:product:NAME` (and
 * its host name in a SAN dNSName); a verifier's carries the SAN URI
 * `unilogin:verifier`, so that a host certificate cannot pose as one.
 * Blocking I/O with a deadline for every step: the callers run on their
 * own threads (the verifier's connection threads, the host's pool). */
#ifndef UL_SERVER_TLS_H
#define UL_SERVER_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conf.h"
#include "unilogin/proto.h"

#define UL_TLS_URI_PRODUCT "unilogin:product:"
#define UL_TLS_URI_VERIFIER "unilogin:verifier"

struct ul_tls;              /* credentials of one side */
struct ul_tls_conn;         /* one session */

/* Who the other side's certificate says it is. */
struct ul_tls_peer {
	char product[UL_PRODUCT_MAX + 1];   /* a host's; "" for a verifier */
	char host[256];                     /* the first SAN dNSName, or "" */
	uint64_t id;                        /* from the certificate's SHA-256 */
};

/* tls_ca, tls_cert, tls_key (and tls_crl for a verifier) of c.  0, or a
 * UL_E* code with err saying which file and why. */
int ul_tls_new(struct ul_tls **out, const struct ul_conf *c, bool server,
    char *err, size_t errlen) __attribute__((warn_unused_result));
void ul_tls_free(struct ul_tls *t);

/* A verifier: reads tls_crl again when its file changed (size or mtime);
 * a CRL that does not load keeps the last one and says so in the log. */
void ul_tls_crl_refresh(struct ul_tls *t);

/* The verifier's side of a handshake on connected fd (the session takes
 * the fd): 0 with peer filled, or a UL_E* code with err set (no client
 * certificate, another CA, a revoked one, no product URI, not TLS 1.3). */
int ul_tls_accept(struct ul_tls *t, int fd, int timeout_ms,
    struct ul_tls_conn **out, struct ul_tls_peer *peer, char *err,
    size_t errlen) __attribute__((warn_unused_result));

/* A host's: connects to HOST:PORT within timeout_ms and checks that the
 * certificate is a verifier's for HOST.  UL_EUNAVAIL when it cannot. */
int ul_tls_connect(struct ul_tls *t, const char *hostport, int timeout_ms,
    struct ul_tls_conn **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Sends m (finished) whole within timeout_ms: 0 or UL_EIO. */
int ul_tls_send_msg(struct ul_tls_conn *c, const struct ul_msg *m, int timeout_ms)
    __attribute__((warn_unused_result));
/* Reads one whole frame into m (not decoded) within timeout_ms: 0,
 * UL_ETIMEDOUT, UL_EIO (closed or broken) or UL_ETOOBIG / UL_EPROTO. */
int ul_tls_recv_msg(struct ul_tls_conn *c, struct ul_msg *m, int timeout_ms)
    __attribute__((warn_unused_result));
/* True when the peer closed or sent something unasked (an idle session
 * that should not carry a request). */
bool ul_tls_stale(struct ul_tls_conn *c);
/* Says goodbye (bounded) and closes the fd. */
void ul_tls_close(struct ul_tls_conn *c);

#endif
