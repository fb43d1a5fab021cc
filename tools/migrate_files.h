/* `uniloginctl migrate`: files read as root, safely, and the two
 * authenticator formats (google-authenticator's ~/.google_authenticator
 * and pam_oath's users file). */
#ifndef UL_TOOLS_MIGRATE_FILES_H
#define UL_TOOLS_MIGRATE_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tools/migrate.h"

#define MIG_LINE_MAX 4096

/* A whole file in memory (locked when it holds secrets), read line by line. */
struct mig_file {
	const char *path;
	char *buf;
	size_t len, pos;
	bool secret;
	unsigned lineno;
	char err[MIG_WHY_MAX];      /* the first problem: "PATH:LINE: why" */
};

/* Opens path (O_NOFOLLOW: no symlink) and reads it whole: a regular file
 * owned by `owner`, with none of the mode bits in `forbidden`, at most
 * `max` bytes.  0, or -1 with file->err set (mig_file_open prints it). */
int mig_file_load(struct mig_file *f, const char *path, uid_t owner,
    mode_t forbidden, size_t max, bool secret);
int mig_file_open(struct mig_file *f, const char *path, uid_t owner,
    mode_t forbidden, size_t max, bool secret);
/* The next line (without its newline), or NULL at the end or at a line
 * longer than MIG_LINE_MAX or holding a NUL (then err is set). */
char *mig_file_line(struct mig_file *f, unsigned *lineno);
/* Frees (and wipes) the buffer; -1, with err printed, when reading it
 * ended on a problem. */
int mig_file_close(struct mig_file *f);
void mig_file_free(struct mig_file *f);

/* Splits s in place at sep into at most max fields; their number
 * (max + 1 when there are more). */
int mig_split(char *s, char sep, char **out, int max);
/* Blank-separated words, '#' starts a comment; their number (max + 1
 * when there are more). */
int mig_words(char *s, char **out, int max);
/* snprintf that may cut the text short (a message). */
void mig_say(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A decimal number up to UINT32_MAX. */
int mig_number(const char *s, uint32_t *out);

/* --google-authenticator: reads ~/.google_authenticator of u, if any,
 * into u (seed, window, reuse, scratch codes), or skips u with why. */
void ul_mig_read_ga(struct mig_user *u, unsigned totp_window);
/* --oath-users: the TOTP lines of a pam_oath users file.  A line about a
 * user in h that cannot be imported skips that user; a file that cannot
 * be trusted, or a line that names nobody, is -1 (the run stops). */
int ul_mig_read_oath(struct mig_host *h, const char *path);
/* The same two on a file in memory (f->buf, f->len, f->path set; the
 * fuzz target's way in). */
void ul_mig_parse_ga(struct mig_user *u, struct mig_file *f,
    unsigned totp_window);
int ul_mig_parse_oath(struct mig_host *h, struct mig_file *f);

#endif
