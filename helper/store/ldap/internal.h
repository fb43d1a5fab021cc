/* Inside the directory backend (store = ldap): what its files share.  Only
 * the files of helper/store/ldap/ include this header (and with it
 * ldap.h).
 *
 * The DIT under ldap_base (examples/ldap/unilogin.schema):
 *   ou=users     uniUserId=ID       a user with its methods and codes
 *   ou=products  uniProductName=P   its accounts and their teammates below
 *   ou=apikeys   uniApiKeyId=ID
 *   ou=claims    uniClaimName=K:V   unique keys, unique by their names
 *   ou=failures  uniFailKey=H       S3 counters
 *   ou=meta      cn=fleet (schema version, key fingerprint, policy),
 *                cn=next-uid, cn=step-floor
 * Reads go to the host's replica (ldap_read_uri); every write goes to the
 * active provider (ldap_write_uri), as one single-entry operation with its
 * precondition, before the helper answers (F2). */
#ifndef UL_STORE_LDAP_INTERNAL_H
#define UL_STORE_LDAP_INTERNAL_H

#include <ldap.h>

#include "helper/store/backend.h"

/* The version of unilogin.schema's DIT this backend reads and writes
 * (cn=fleet,ou=meta: uniSchemaVersion). */
#define UL_LDAP_SCHEMA 1

/* One session to one server, bound as the config says.  `what` names it
 * in messages ("replica", "provider"). */
struct dir_session {
	LDAP *ld;
	const char *what;
	const char *uri;
};

/* Connects and binds within ldap_timeout: UL_EUNREACHABLE when the server
 * cannot be reached or does not answer, UL_ESTORE when it refuses the bind
 * (err says which and why; never a password). */
int dir_session_open(struct dir_session *s, const struct ul_conf *conf,
    const char *what, const char *uri, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void dir_session_close(struct dir_session *s);

/* A libldap result code as one of ours: unreachable (nothing was sent or
 * nothing was done), unknown (a write was sent and no answer came), or a
 * store error. */
int dir_session_error(int rc, bool sent_write);

#endif
