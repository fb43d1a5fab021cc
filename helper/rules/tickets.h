/* Login tickets: after LOGIN_BEGIN asks for a code, the ticket carries the
 * outcome of the password check to LOGIN_CODE.  Single-use, 5 minutes,
 * bound to the caller's uid and the account; kept in memory only (a
 * restarted helper simply asks the person to log in again). */
#ifndef UL_TICKETS_H
#define UL_TICKETS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "unilogin/proto.h"

#define UL_TICKET_TTL 300
#define UL_TICKETS_MAX 4096
#define UL_TICKET_TEXT 33           /* 32 hex digits + NUL */

/* What a ticket lets its holder do next. */
enum ul_ticket_purpose {
	UL_TICKET_LOGIN = 0,        /* LOGIN_CODE, then logged in */
	UL_TICKET_PASSWD_CODE,      /* LOGIN_CODE, then a change ticket */
	UL_TICKET_CHANGE,           /* PASSWD_CHANGE: set a new password */
};

struct ul_ticket {
	uint8_t id[16];
	uid_t uid;
	int64_t expires;
	enum ul_ticket_purpose purpose;
	bool good;                  /* the password was right */
	bool legacy;                /* a legacy account's own password */
	char email[UL_EMAIL_MAX + 1];
	char product[UL_PRODUCT_MAX + 1];
	char account[UL_ACCOUNT_MAX + 1];
	char rhost[256];            /* believed only from uid 0 (T7) */
	unsigned sms_sent;          /* at most 3 per login (C1) */
};

struct ul_tickets;

int ul_tickets_new(struct ul_tickets **out) __attribute__((warn_unused_result));
void ul_tickets_free(struct ul_tickets *ts);

/* Stores a copy of t with a fresh id and expiry; text gets the id.
 * UL_EBUSY when the table is full of live tickets. */
int ul_tickets_issue(struct ul_tickets *ts, struct ul_ticket *t,
    char text[UL_TICKET_TEXT]) __attribute__((warn_unused_result));

/* Finds a live ticket of this uid; `take` removes it (single use).
 * 0 or UL_EAUTH. */
int ul_tickets_find(struct ul_tickets *ts, const char *text, uid_t uid,
    bool take, struct ul_ticket *out) __attribute__((warn_unused_result));

/* Counts one SMS sent for the ticket; returns the new count (0 when the
 * ticket is gone). */
unsigned ul_tickets_sms(struct ul_tickets *ts, const char *text, uid_t uid);

#endif
