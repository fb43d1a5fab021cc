/* unilogin — one error space for the module, the helper and the tools.
 *
 * Functions return 0 or a negative UL_E* code; ul_strerror() turns a code
 * into words for logs and admins, ul_user_message() into the sentence a
 * person sees at a login prompt.  The numbers travel on the wire (the
 * helper's answer carries one), so they never change once released. */
#ifndef UNILOGIN_ERROR_H
#define UNILOGIN_ERROR_H

enum ul_error {
	UL_OK = 0,
	/* plumbing */
	UL_EINVAL = -1,        /* a bad argument or value */
	UL_ENOMEM = -2,
	UL_EPROTO = -3,        /* a malformed frame */
	UL_EVERSION = -4,      /* the peer speaks another protocol version */
	UL_ETOOBIG = -5,       /* a frame or field over its bound */
	UL_EIO = -6,
	UL_ETIMEDOUT = -7,     /* the peer did not answer in time */
	UL_EUNAVAIL = -8,      /* the helper cannot be reached */
	UL_ETRUST = -9,        /* the socket or its peer is not trusted (S5) */
	UL_ESTORE = -10,       /* the store failed */
	UL_ENOSPC = -11,       /* the disk or the store is full */
	UL_ECONFIG = -12,
	UL_EPERM = -13,        /* the caller may not send this request (S5) */
	UL_EBUSY = -14,        /* too many requests from this caller (S3) */
	/* login outcomes */
	UL_EAUTH = -20,        /* wrong email, password or code; no access (S1) */
	UL_ENEEDCODE = -21,    /* go on with the verification code */
	UL_ELOCKEDOUT = -22,   /* too many failures (S3) */
	UL_ENOTCONFIRMED = -23, /* U2 */
	UL_ELOCKED = -24,      /* locked by an admin (U7) */
	UL_ESUSPENDED = -25,   /* L9 */
	UL_EBANNED = -26,      /* L10 */
	UL_ETFAREQUIRED = -27, /* T6 */
	UL_ENOACCOUNT = -28,   /* not a product account of this product */
	UL_EEXPIRED = -29,     /* a code, ticket or key past its time */
	/* admin outcomes */
	UL_ENOTFOUND = -40,
	UL_EEXIST = -41,
	UL_ERULE = -42,        /* refused by a rule; the message names it */
	UL_EDELIVERY = -43,    /* the change stays; the delivery failed (C3) */
	UL_ECONFLICT = -44,    /* a store precondition failed: the record
				* changed meanwhile (a used code, an older
				* step, a name taken); nothing was changed */
	UL_ENOTFLEET = -45,    /* a fleet command on a store of one host
				* (store = lmdb): nothing to do */
	UL_EROLE = -46,        /* not served by a helper in this role: an
				* admin change on a host runs on a verifier;
				* nothing was changed */
	UL_EBADKEY = -47,      /* not an SSH public key we accept (K1); the
				* message says why; nothing was stored */
	UL_EKEYREQUIRED = -48, /* ssh_keys = required: an SSH login needs a
				* unified user's key (K1) */
	/* a fleet (store = ldap: F2) */
	UL_EUNREACHABLE = -49, /* the directory cannot be reached (or did not
				* answer) before anything was sent */
	UL_EUNKNOWN = -50,     /* a write was sent and its answer never came:
				* it may or may not have been applied */
};

/* Words for a log line or an admin: never NULL. */
const char *ul_strerror(int code);

/* The sentence shown to a person at a prompt, or NULL when the code has
 * none of its own (the caller then shows ul_strerror()). */
const char *ul_user_message(int code);

/* The tools' exit status for a code (INTERFACES.md): 0 done, 1 refused by
 * a rule, 2 usage, 3 helper unreachable, 4 permission denied. */
int ul_exit_status(int code);

#endif
