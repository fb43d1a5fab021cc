/* `uniloginctl migrate` (M1): the tool's side.  It runs as root, reads the
 * host's /etc/passwd, /etc/shadow, /etc/group, the --emails file, the
 * users' ~/.google_authenticator and a pam_oath users file itself, and
 * sends each user to the helper as one record (the sandboxed helper
 * reads no home or shadow).  migrate_host.c reads the host; migrate.c
 * talks to the helper and prints. */
#ifndef UL_TOOLS_MIGRATE_H
#define UL_TOOLS_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

#include "tools/cli.h"

#define MIG_SEED_MAX 20             /* bytes: HMAC-SHA-1 keys up to 20 */
#define MIG_SCRATCH_MAX 10
#define MIG_WHY_MAX 512

/* One local user in the range, with what it brings.  Lives in locked
 * memory (it holds the shadow hash and the seed). */
struct mig_user {
	char name[33];
	uint32_t uid, gid;
	char gecos[256], home[256], shell[256];
	char hash[128];             /* "" when locked ('!', '*') */
	bool locked;
	char email[255];            /* from --emails; "" = stays legacy */
	uint8_t seed[MIG_SEED_MAX];
	unsigned seed_len;          /* 0 = no authenticator */
	unsigned digits;
	int64_t step;               /* DISALLOW_REUSE: the newest step used */
	char scratch[MIG_SCRATCH_MAX][9];
	unsigned nscratch;
	const char *source;         /* "google-authenticator", "pam_oath" */
	char note[MIG_WHY_MAX];     /* something the admin should know */
	bool skip;                  /* not sent; why says why */
	char why[MIG_WHY_MAX];
	/* the helper's answer */
	char outcome[32];
	char detail[MIG_WHY_MAX];
};

struct mig_host {
	struct mig_user *users;     /* sodium_malloc'd */
	unsigned n, cap;
	unsigned *slots, nslots;    /* users by name (migrate_host.c) */
	/* users left local by rule (M1): admins, system users, nobody */
	char kept[64][80];
	unsigned nkept, nkept_more;
};

struct mig_options {
	uint32_t min, max;
	const char *emails;         /* a file, or NULL */
	bool google_authenticator;
	const char *oath_users;     /* a file, or NULL */
	bool dry_run;
	unsigned totp_window;       /* the host's, for the note on windows */
};

/* Reads the host for the options; 0, or an exit status with a message
 * printed (a file that cannot be trusted stops the whole run, before
 * anything is sent). */
int ul_mig_read_host(struct ul_cli *cli, const struct mig_options *o,
    struct mig_host *h);
void ul_mig_free_host(struct mig_host *h);
/* The users by name (migrate_users.c): ul_mig_index_add makes users[i]
 * (i = n, the one being added) findable (-1: out of memory);
 * ul_mig_find_user is the user of that name, or NULL. */
int ul_mig_index_add(struct mig_host *h, unsigned i);
struct mig_user *ul_mig_find_user(struct mig_host *h, const char *name);

/* The command's `run`: the exit status. */
int ul_mig_run(struct ul_cli *cli, const struct ul_cli_cmd *cmd, char **args,
    int nargs);

#endif
