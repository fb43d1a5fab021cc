/* `uniloginctl migrate`: reading the host, as root (M1).  Every file is
 * opened with O_NOFOLLOW, checked for its owner and mode before a byte of
 * it is believed, bounded in size and in line length; a problem names the
 * file and the line.  A user whose own file is bad is skipped whole
 * (never half-imported); a system file that cannot be trusted stops the
 * run before anything is sent. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tools/migrate.h"
#include "tools/migrate_files.h"

#define SYSTEM_UID_MAX 999
#define NOBODY 65534

static const char *const admin_groups[] = {"sudo", "adm", "wheel"};

static void skip(struct mig_user *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* u is not sent; the first reason stays. */
static void
skip(struct mig_user *u, const char *fmt, ...)
{
	va_list ap;

	if (u->skip)
		return;
	u->skip = true;
	va_start(ap, fmt);
	vsnprintf(u->why, sizeof(u->why), fmt, ap);
	va_end(ap);
}

static void
keep_local(struct mig_host *h, const char *name, uint32_t uid, const char *why)
{
	if (h->nkept == sizeof(h->kept) / sizeof(h->kept[0])) {
		h->nkept_more++;
		return;
	}
	mig_say(h->kept[h->nkept++], sizeof(h->kept[0]), "%.32s (uid %u): %s", name,
	    uid, why);
}

static bool
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32 || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    *s != '_' && *s != '-')
			return false;
	return true;
}

static int
add_user(struct mig_host *h, char **f, uint32_t uid, uint32_t gid)
{
	struct mig_user *u;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		struct mig_user *n = sodium_malloc(cap * sizeof(*n));

		if (n == NULL)
			return -1;
		memset(n, 0, cap * sizeof(*n));
		if (h->users != NULL) {
			memcpy(n, h->users, h->n * sizeof(*n));
			sodium_free(h->users);
		}
		h->users = n;
		h->cap = (unsigned)cap;
	}
	u = &h->users[h->n];
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", f[0]);
	if (ul_mig_index_add(h, h->n) != 0)
		return -1;
	h->n++;
	u->uid = uid;
	u->gid = gid;
	if (strlen(f[4]) >= sizeof(u->gecos) || strlen(f[5]) >= sizeof(u->home) ||
	    strlen(f[6]) >= sizeof(u->shell))
		skip(u, "/etc/passwd: GECOS, home or shell longer than 255 bytes");
	snprintf(u->gecos, sizeof(u->gecos), "%s", f[4]);
	snprintf(u->home, sizeof(u->home), "%s", f[5]);
	snprintf(u->shell, sizeof(u->shell), "%s", f[6]);
	return 0;
}

static int
read_passwd(struct mig_host *h, const struct mig_options *o)
{
	struct mig_file file;
	char *line, *f[8];
	unsigned lineno;
	uint32_t uid, gid;

	if (mig_file_open(&file, "/etc/passwd", 0, 022, 64u << 20, false) != 0)
		return -1;
	while ((line = mig_file_line(&file, &lineno)) != NULL) {
		if (mig_split(line, ':', f, 8) != 7 || mig_number(f[2], &uid) != 0 ||
		    mig_number(f[3], &gid) != 0) {
			fprintf(stderr, "/etc/passwd:%u: not a passwd line: skipped\n", lineno);
			continue;
		}
		if (uid < o->min || uid > o->max)
			continue;
		if (uid <= SYSTEM_UID_MAX || uid == NOBODY)
			keep_local(h, f[0], uid, "a system user or nobody");
		else if (!valid_name(f[0]))
			keep_local(h, f[0], uid, "not a valid product account name");
		else if (ul_mig_find_user(h, f[0]) != NULL)
			fprintf(stderr, "/etc/passwd:%u: %s twice: skipped\n", lineno, f[0]);
		else if (gid == 0)
			keep_local(h, f[0], uid, "its primary group is root's");
		else if (add_user(h, f, uid, gid) != 0)
			return mig_file_close(&file), -1;
	}
	return mig_file_close(&file);
}

/* M1: members of sudo, adm or wheel stay local, and so do users whose
 * primary group is one of them. */
static int
read_group(struct mig_host *h)
{
	struct mig_file file;
	char *line, *f[5], *m[4096];
	unsigned lineno;
	uint32_t gid;

	if (mig_file_open(&file, "/etc/group", 0, 022, 64u << 20, false) != 0)
		return -1;
	while ((line = mig_file_line(&file, &lineno)) != NULL) {
		bool admin = false;
		int n;

		if (mig_split(line, ':', f, 5) != 4 || mig_number(f[2], &gid) != 0)
			continue;
		for (size_t i = 0; i < sizeof(admin_groups) / sizeof(admin_groups[0]); i++)
			admin |= strcmp(f[0], admin_groups[i]) == 0;
		if (!admin)
			continue;
		n = mig_split(f[3], ',', m, 4096);
		for (unsigned i = 0; i < h->n; i++) {
			struct mig_user *u = &h->users[i];
			bool member = u->gid == gid;

			for (int k = 0; k < n && !member; k++)
				member = strcmp(m[k], u->name) == 0;
			if (member && !u->skip) {
				char why[64];

				snprintf(why, sizeof(why), "a member of %s (an admin)", f[0]);
				keep_local(h, u->name, u->uid, why);
				u->skip = true;
				u->why[0] = '\0';   /* listed as kept, not as refused */
			}
		}
	}
	return mig_file_close(&file);
}

static int
read_shadow(struct mig_host *h)
{
	struct mig_file file;
	char *line, *f[10];
	unsigned lineno;

	/* Debian: root:shadow 0640; nobody else may read or write it */
	if (mig_file_open(&file, "/etc/shadow", 0, 027, 64u << 20, true) != 0)
		return -1;
	while ((line = mig_file_line(&file, &lineno)) != NULL) {
		struct mig_user *u;

		if (mig_split(line, ':', f, 10) != 9 || (u = ul_mig_find_user(h, f[0])) == NULL)
			continue;
		if (u->hash[0] || u->locked) {
			skip(u, "/etc/shadow:%u: a second entry for %s", lineno, u->name);
			continue;
		}
		if (f[1][0] == '!' || f[1][0] == '*' || f[1][0] == '\0') {
			/* locked (or, empty, without a password): stays locked */
			u->locked = true;
			continue;
		}
		if (strlen(f[1]) >= sizeof(u->hash)) {
			skip(u, "/etc/shadow:%u: a hash longer than %zu bytes", lineno,
			    sizeof(u->hash) - 1);
			continue;
		}
		memcpy(u->hash, f[1], strlen(f[1]) + 1);
	}
	for (unsigned i = 0; i < h->n; i++)
		if (!h->users[i].hash[0] && !h->users[i].locked)
			skip(&h->users[i], "no entry in /etc/shadow");
	return mig_file_close(&file);
}

static bool
plausible_email(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && at != s && at[1] != '\0' && strlen(s) <= 254 &&
	    strchr(at + 1, '@') == NULL;
}

/* --emails: `user email` lines.  A bad line names the user it is about, who
 * is skipped; a line that names nobody stops the run. */
static int
read_emails(struct mig_host *h, const char *path)
{
	struct mig_file file;
	char *line, *f[3];
	unsigned lineno;
	int r = 0;

	/* the admin's assertion of who is who: nobody else may write it */
	if (mig_file_open(&file, path, 0, 022, 64u << 20, false) != 0)
		return -1;
	while (r == 0 && (line = mig_file_line(&file, &lineno)) != NULL) {
		struct mig_user *u;
		int n = mig_words(line, f, 3);

		if (n == 0)
			continue;
		u = ul_mig_find_user(h, f[0]);
		if (n != 2 || !plausible_email(f[1])) {
			if (u == NULL) {
				fprintf(stderr, "%s:%u: expected `user email`\n", path, lineno);
				r = -1;
			} else {
				skip(u, "%s:%u: expected `user email`", path, lineno);
			}
			continue;
		}
		if (u == NULL)
			fprintf(stderr, "%s:%u: %s is no local user in the range: ignored\n",
			    path, lineno, f[0]);
		else if (u->email[0])
			skip(u, "%s:%u: a second email for %s", path, lineno, u->name);
		else
			snprintf(u->email, sizeof(u->email), "%s", f[1]);
	}
	if (mig_file_close(&file) != 0)
		r = -1;
	return r;
}

int
ul_mig_read_host(struct ul_cli *cli, const struct mig_options *o,
    struct mig_host *h)
{
	memset(h, 0, sizeof(*h));
	if (read_passwd(h, o) != 0 || read_group(h) != 0 || read_shadow(h) != 0 ||
	    (o->emails && read_emails(h, o->emails) != 0) ||
	    (o->oath_users && ul_mig_read_oath(h, o->oath_users) != 0)) {
		fprintf(stderr, "%s: migrate: nothing was changed\n", cli->prog);
		return UL_EXIT_RULE;
	}
	for (unsigned i = 0; i < h->n; i++) {
		struct mig_user *u = &h->users[i];

		if (o->google_authenticator && !u->skip)
			ul_mig_read_ga(u, o->totp_window);
		if (u->seed_len && !u->email[0])
			skip(u, "an authenticator (%s) but no email in --emails: "
			    "never made password-only", u->source);
	}
	return 0;
}

void
ul_mig_free_host(struct mig_host *h)
{
	if (h->users != NULL)
		sodium_free(h->users);
	free(h->slots);
	memset(h, 0, sizeof(*h));
}
