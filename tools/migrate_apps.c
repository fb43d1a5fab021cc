/* `uniloginctl migrate`: the authenticator apps users already have (M1).
 *
 * ~/.google_authenticator (google-authenticator-libpam): line 1 is the
 * base32 secret, then `" OPTION ...` lines, then 8-digit scratch codes.
 * pam_oath's users file: `HOTP/T30[/D] USER PIN HEXSECRET [...]`.
 * Only time-based codes with a 30 s step move in; the rest is refused
 * with a message and the user is skipped whole. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "tools/migrate_files.h"

#define GA_FILE ".google_authenticator"
#define GA_MAX (64u << 10)

/* RFC 4648 base32 (upper or lower case, '=' padding at the end) into at
 * most MIG_SEED_MAX bytes; the byte count, or -1. */
static int
base32_seed(const char *s, uint8_t out[MIG_SEED_MAX])
{
	unsigned bits = 0, acc = 0, n = 0;
	size_t len = strlen(s);

	while (len > 0 && s[len - 1] == '=')
		len--;
	if (len < 16)
		return -1;      /* 80 bits at least, as every app makes */
	for (size_t i = 0; i < len; i++) {
		int c = toupper((unsigned char)s[i]), v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= '2' && c <= '7')
			v = c - '2' + 26;
		else
			return -1;
		acc = (acc << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			if (n == MIG_SEED_MAX)
				return -1;
			out[n++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
		acc &= (1u << bits) - 1;
	}
	return (int)n;
}

static void
user_fail(struct mig_user *u, const char *path, unsigned line, const char *why)
{
	if (u->skip)
		return;
	u->skip = true;
	/* a reading problem names its file and line already */
	if (strncmp(why, path, strlen(path)) == 0)
		mig_say(u->why, sizeof(u->why), "%s", why);
	else
		mig_say(u->why, sizeof(u->why), "%s:%u: %s", path, line, why);
}

/* One `" OPTION` line; NULL, or why the file is refused. */
static const char *
ga_option(struct mig_user *u, char *opt, unsigned totp_window, bool *totp)
{
	char *w[64];
	int n = mig_words(opt, w, 63);
	uint32_t v;

	if (n <= 0)
		return "an empty option line";
	if (strcmp(w[0], "TOTP_AUTH") == 0 && n == 1) {
		*totp = true;
		return NULL;
	}
	if (strcmp(w[0], "HOTP_COUNTER") == 0)
		return "HOTP counters are not imported: only time-based (TOTP_AUTH) files";
	if (strcmp(w[0], "STEP_SIZE") == 0)
		return n == 2 && mig_number(w[1], &v) == 0 && v == 30 ? NULL
		    : "a STEP_SIZE other than 30 seconds is not imported";
	if (strcmp(w[0], "WINDOW_SIZE") == 0) {
		if (n != 2 || mig_number(w[1], &v) != 0 || v < 1 || v > 21)
			return "WINDOW_SIZE is 1 to 21";
		if (v > 2 * totp_window + 1)
			mig_say(u->note, sizeof(u->note), "its WINDOW_SIZE %u is wider "
			    "than this host's totp_window (+-%u steps), which applies", v,
			    totp_window);
		return NULL;
	}
	if (strcmp(w[0], "DISALLOW_REUSE") == 0) {
		/* the steps already used: none of them, nor older, is taken again */
		for (int i = 1; i < n && i < 63; i++) {
			if (mig_number(w[i], &v) != 0)
				return "DISALLOW_REUSE lists time steps";
			if ((int64_t)v > u->step)
				u->step = v;
		}
		return NULL;
	}
	if (strcmp(w[0], "RATE_LIMIT") == 0 || strcmp(w[0], "TIME_SKEW") == 0 ||
	    strcmp(w[0], "RESETTING_TIME_SKEW") == 0)
		return NULL;    /* unilogin's own lockout and window apply (S3, T3) */
	return "an option this version does not know";
}

/* The file's lines after the secret; 0, or the line of the problem. */
static unsigned
ga_parse(struct mig_user *u, struct mig_file *f, unsigned totp_window,
    const char **why)
{
	bool totp = false;
	unsigned lineno;
	char *line;

	while ((line = mig_file_line(f, &lineno)) != NULL) {
		if (strncmp(line, "\" ", 2) == 0) {
			if ((*why = ga_option(u, line + 2, totp_window, &totp)) != NULL)
				return lineno;
			continue;
		}
		if (strlen(line) != 8 || strspn(line, "0123456789") != 8) {
			*why = "not an 8-digit scratch code";
			return lineno;
		}
		if (u->nscratch == MIG_SCRATCH_MAX) {
			*why = "more than 10 scratch codes";
			return lineno;
		}
		memcpy(u->scratch[u->nscratch++], line, 9);
	}
	if (f->err[0]) {
		*why = f->err;
		return f->lineno;
	}
	if (!totp) {
		*why = "no TOTP_AUTH: not a time-based file";
		return 1;
	}
	return 0;
}

void
ul_mig_parse_ga(struct mig_user *u, struct mig_file *f, unsigned totp_window)
{
	const char *why = NULL;
	unsigned lineno;
	char *line;
	int n;

	line = mig_file_line(f, &lineno);
	if (line == NULL || (n = base32_seed(line, u->seed)) <= 0) {
		user_fail(u, f->path, 1, line == NULL && f->err[0] ? f->err
		    : "the secret is not base32 of 10 to 20 bytes");
	} else if ((lineno = ga_parse(u, f, totp_window, &why)) != 0) {
		user_fail(u, f->path, lineno, why);
	} else {
		u->seed_len = (unsigned)n;
		u->digits = 6;      /* google-authenticator's codes are 6 digits */
		u->source = "google-authenticator";
	}
	if (u->skip) {
		/* never half-imported */
		sodium_memzero(u->seed, sizeof(u->seed));
		sodium_memzero(u->scratch, sizeof(u->scratch));
		u->nscratch = 0;
		u->step = 0;
	}
}

void
ul_mig_read_ga(struct mig_user *u, unsigned totp_window)
{
	char path[300];
	struct mig_file f;
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", u->home, GA_FILE);
	if (lstat(path, &st) != 0 && errno == ENOENT)
		return;     /* no app: password only */
	if (u->seed_len) {
		mig_say(u->why, sizeof(u->why), "%s and --oath-users both hold an "
		    "authenticator for %s: keep one", path, u->name);
		u->skip = true;
		return;
	}
	if (mig_file_load(&f, path, u->uid, 077, GA_MAX, true) != 0) {
		u->skip = true;
		mig_say(u->why, sizeof(u->why), "%s", f.err);
		return;
	}
	ul_mig_parse_ga(u, &f, totp_window);
	mig_file_free(&f);
}

/* `HOTP/T30` or `HOTP/T30/D`: the digits (6, 7 or 8), or why not. */
static const char *
oath_type(const char *t, unsigned *digits)
{
	if (strncmp(t, "HOTP/T", 6) != 0)
		return strncmp(t, "HOTP", 4) == 0 ? "HOTP counters are not imported: "
		    "only HOTP/T30 lines" : "not a pam_oath token type";
	if (strncmp(t + 6, "30", 2) != 0 || (t[8] != '\0' && t[8] != '/'))
		return "a time step other than 30 seconds is not imported";
	*digits = 6;
	if (t[8] == '\0')
		return NULL;
	if (t[9] >= '6' && t[9] <= '8' && t[10] == '\0') {
		*digits = (unsigned)(t[9] - '0');
		return NULL;
	}
	return "digits are 6, 7 or 8";
}

/* A line about u: its seed, or why it is refused. */
static const char *
oath_line(struct mig_user *u, char **w, int n)
{
	size_t len;
	const char *why;

	if (u->seed_len)
		return "a second line for this user";
	if (n < 4)
		return "expected `HOTP/T30[/D] USER PIN SECRET`";
	if ((why = oath_type(w[0], &u->digits)) != NULL)
		return why;
	if (strcmp(w[2], "-") != 0)
		return "a PIN is not imported: the unified password replaces it";
	if (strlen(w[3]) < 20 || strlen(w[3]) > 2 * MIG_SEED_MAX ||
	    sodium_hex2bin(u->seed, sizeof(u->seed), w[3], strlen(w[3]), NULL, &len,
		NULL) != 0 || len * 2 != strlen(w[3]))
		return "the secret is not hex of 10 to 20 bytes";
	u->seed_len = (unsigned)len;
	u->source = "pam_oath";
	return NULL;
}

int
ul_mig_parse_oath(struct mig_host *h, struct mig_file *f)
{
	unsigned lineno;
	char *line, *w[8];
	int r = 0;

	while (r == 0 && (line = mig_file_line(f, &lineno)) != NULL) {
		int n = mig_words(line, w, 7);
		struct mig_user *u = NULL;
		const char *why;

		if (n == 0)
			continue;
		if (n >= 2)
			u = ul_mig_find_user(h, w[1]);
		if (n < 2) {
			fprintf(stderr, "%s:%u: expected `HOTP/T30[/D] USER PIN SECRET`\n",
			    f->path, lineno);
			r = -1;
		} else if (u != NULL && !u->skip && (why = oath_line(u, w, n)) != NULL) {
			user_fail(u, f->path, lineno, why);
			sodium_memzero(u->seed, sizeof(u->seed));
			u->seed_len = 0;
		}
	}
	sodium_memzero(w, sizeof(w));
	return r;
}

int
ul_mig_read_oath(struct mig_host *h, const char *path)
{
	struct mig_file f;
	int r;

	/* pam_oath's own rule: the file is root's and private */
	if (mig_file_open(&f, path, 0, 077, 64u << 20, true) != 0)
		return -1;
	r = ul_mig_parse_oath(h, &f);
	if (mig_file_close(&f) != 0)
		r = -1;
	return r;
}
