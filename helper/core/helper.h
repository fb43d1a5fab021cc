/* unilogind's shared state and the call context every handler gets. */
#ifndef UL_HELPER_H
#define UL_HELPER_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/conf.h"
#include "helper/rules/keys.h"
#include "helper/store/store.h"

struct ul_tickets;
#include "unilogin/proto.h"

struct ul_helper {
	struct ul_conf conf;
	char conf_path[4096];
	struct ul_store *store;
	struct ul_keys *keys;
	char dummy_hash[UL_HASH_STR_MAX];   /* S1: verified when no user */
	bool has_admin_gid;
	gid_t admin_gid;
	struct ul_tickets *tickets;         /* LOGIN_BEGIN -> LOGIN_CODE */
};

/* One request being answered. */
struct ul_call {
	struct ul_helper *h;
	const struct ul_msg *in;
	struct ul_msg *out;
	uid_t uid;                  /* the caller, from SO_PEERCRED */
	gid_t gid;
	pid_t pid;
	bool admin;                 /* uid 0 or admin_group (S5) */
	char message[UL_TEXT_MAX + 1];
};

/* Sets the call's message and returns code, so a handler can write
 * `return ul_call_say(c, UL_ERULE, "...", ...)`. */
int ul_call_say(struct ul_call *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A required string field of the request; NULL (and a message) when absent. */
const char *ul_call_arg(struct ul_call *c, uint16_t tag);

typedef int (*ul_handler)(struct ul_call *c);

#endif
