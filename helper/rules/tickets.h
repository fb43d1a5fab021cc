/* Login tickets: after LOGIN_BEGIN asks for a code, the ticket carries the
 * outcome of the password check to LOGIN_CODE.  Single-use, 5 minutes,
 * bound to the caller's uid and the account; kept in memory only (a
 * restarted helper simply asks the person to log in again).
 *
 * Each ticket has a key: its account and who asked (the remote host, the
 * PAM_RUSER or the terminal a uid-0 caller names, else the caller's uid).
 * A key holds at most UL_TICKETS_PER_KEY live tickets, a new one replacing
 * the oldest of its own key only, so that a flood of abandoned logins
 * (a wrong password makes a ticket too, S1) cannot evict another person's
 * ticket.  The table grows with use up to UL_TICKETS_MAX. */
#ifndef UL_TICKETS_H
#define UL_TICKETS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "unilogin/proto.h"

#define UL_TICKET_TTL 300
#define UL_TICKETS_PER_KEY 4
/* about 56 MiB at most (UL_TICKETS_MAX x sizeof(struct ul_ticket)); every
 * ticket costs an argon2id, so a machine makes at most kdf_parallel x
 * 300 s / KDF time of them: 13,600 on 2 CPUs at `interactive` */
#define UL_TICKETS_MAX 65536
#define UL_TICKET_TEXT 33           /* 32 hex digits + NUL */

/* What a ticket lets its holder do next. */
enum ul_ticket_purpose {
	UL_TICKET_LOGIN = 0,        /* LOGIN_CODE, then logged in */
	UL_TICKET_PASSWD_CODE,      /* LOGIN_CODE, then a change ticket */
	UL_TICKET_CHANGE,           /* PASSWD_CHANGE: set a new password */
};

struct ul_ticket {
	uint8_t id[16];
	uint64_t key;               /* account and who asked (above) */
	uid_t uid;
	uint64_t peer;               /* a verifier's: the host certificate that
				     * asked (0: this host's own socket) */
	int64_t expires;
	enum ul_ticket_purpose purpose;
	bool good;                  /* the password was right */
	bool legacy;                /* a legacy account's own password */
	char email[UL_EMAIL_MAX + 1];
	char product[UL_PRODUCT_MAX + 1];
	char account[UL_ACCOUNT_MAX + 1];
	char rhost[256];            /* believed only from uid 0 (T7) */
	unsigned sms_sent;          /* at most 3 per login (C1) */
	char sshkey[53];            /* the fingerprint of the SSH key sshd
				     * accepted, which stood for the email
				     * and password (K1); "" for none */
};

struct ul_tickets;

int ul_tickets_new(struct ul_tickets **out) __attribute__((warn_unused_result));
void ul_tickets_free(struct ul_tickets *ts);

/* The key of a ticket for account (product, account) asked by `who`. */
uint64_t ul_ticket_key(const char *product, const char *account,
    const char *who);

/* Stores a copy of t with a fresh id and expiry; text gets the id.  A key
 * with UL_TICKETS_PER_KEY live tickets loses its oldest; UL_EBUSY when the
 * table holds UL_TICKETS_MAX live tickets. */
int ul_tickets_issue(struct ul_tickets *ts, struct ul_ticket *t,
    char text[UL_TICKET_TEXT]) __attribute__((warn_unused_result));

/* Finds a live ticket of this uid and peer (tickets are bound to the
 * caller's uid and, on a verifier, to the host's certificate); `take`
 * removes it (single use).  0 or UL_EAUTH. */
int ul_tickets_find(struct ul_tickets *ts, const char *text, uid_t uid,
    uint64_t peer, bool take, struct ul_ticket *out)
    __attribute__((warn_unused_result));

/* Counts one SMS sent for the ticket; returns the new count (0 when the
 * ticket is gone). */
unsigned ul_tickets_sms(struct ul_tickets *ts, const char *text, uid_t uid,
    uint64_t peer);

/* Live tickets in all. */
unsigned ul_tickets_count(struct ul_tickets *ts);

#endif
