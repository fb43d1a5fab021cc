/* libnss_unilogin: product accounts of this host's product as Unix users
 * (passwd) and their private groups (group: gid = uid, name = unix_user),
 * asked of the helper over its socket with a short timeout (nss_timeout).
 *
 * A helper that cannot be reached is NSS_STATUS_UNAVAIL at once, so that
 * `files` entries (root, local admins) keep working and nothing hangs.
 * Inside unilogind itself every answer is UNAVAIL: the helper resolves its
 * own users from /etc files only (S5), and must never ask itself.
 * No password hash ever comes here: pw_passwd is "x", and the shadow
 * entry (which pam_unix's account check wants to see) is a locked password
 * "!*" with no ageing and no expiry: a product account never has a usable
 * local password (S6). */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <shadow.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/client.h"
#include "common/conf.h"
#include "common/util.h"
#include "unilogin/error.h"

#define DEFAULT_CONF SYSCONFDIR "/unilogin/unilogin.conf"
#define EXPORT __attribute__((visibility("default")))

/* glibc calls these by name (nsswitch.conf: `passwd: files unilogin`). */
enum nss_status _nss_unilogin_getpwnam_r(const char *, struct passwd *, char *,
    size_t, int *);
enum nss_status _nss_unilogin_getpwuid_r(uid_t, struct passwd *, char *, size_t,
    int *);
enum nss_status _nss_unilogin_getgrnam_r(const char *, struct group *, char *,
    size_t, int *);
enum nss_status _nss_unilogin_getgrgid_r(gid_t, struct group *, char *, size_t,
    int *);
enum nss_status _nss_unilogin_setpwent(void);
enum nss_status _nss_unilogin_endpwent(void);
enum nss_status _nss_unilogin_getpwent_r(struct passwd *, char *, size_t, int *);
enum nss_status _nss_unilogin_setgrent(void);
enum nss_status _nss_unilogin_endgrent(void);
enum nss_status _nss_unilogin_getgrent_r(struct group *, char *, size_t, int *);
enum nss_status _nss_unilogin_getspnam_r(const char *, struct spwd *, char *,
    size_t, int *);
enum nss_status _nss_unilogin_setspent(void);
enum nss_status _nss_unilogin_endspent(void);
enum nss_status _nss_unilogin_getspent_r(struct spwd *, char *, size_t, int *);

static void put_query(struct ul_client *cl, uint16_t type, const char *name,
    int64_t uid);

struct entry {
	const char *name, *gecos, *home, *shell;
	uint32_t uid;
	uint32_t gid;               /* 0: the private group, gid = uid */
};

static pthread_once_t conf_once = PTHREAD_ONCE_INIT;
static struct ul_conf conf;
static bool conf_ok;
static uid_t helper_uid;            /* trusted besides root (S5) */

static void
load_conf(void)
{
	/* secure_getenv: a setuid program never reads the caller's choice */
	const char *path = secure_getenv("UNILOGIN_CONF");
	char err[UL_CONF_ERR_MAX];

	ul_conf_defaults(&conf);
	conf_ok = ul_conf_load(&conf, path ? path : DEFAULT_CONF, path == NULL, err,
	    sizeof(err)) == 0 && conf.product[0] != '\0';
	if (ul_files_uid(conf.user, &helper_uid, NULL) != 0)
		helper_uid = 0;
}

static bool
usable(void)
{
	if (strcmp(program_invocation_short_name, "unilogind") == 0)
		return false;
	pthread_once(&conf_once, load_conf);
	return conf_ok;
}

static enum nss_status
status_of(int r, int *errnop)
{
	if (r == 0)
		return NSS_STATUS_SUCCESS;
	*errnop = ENOENT;
	if (r == UL_ENOTFOUND || r == UL_ENOACCOUNT || r == UL_EINVAL)
		return NSS_STATUS_NOTFOUND;
	return NSS_STATUS_UNAVAIL;
}

/* Asks the helper one question; *cl holds the reply. */
static int
ask(struct ul_client **cl, uint16_t type, const char *name, int64_t uid,
    const char *after)
{
	int r;

	*cl = NULL;
	if (!usable())
		return UL_EUNAVAIL;
	/* a lookup carries no secret: frames in plain memory, which is cheap */
	r = ul_client_new_ex(cl, conf.socket, (int)conf.nss_timeout * 1000,
	    helper_uid, false);
	if (r != 0)
		return r;
	put_query(*cl, type, name, uid);
	if (after != NULL && after[0] != '\0')
		ul_msg_put_str((*cl)->req, UL_F_AFTER, after);
	return ul_client_call(*cl);
}

/* The entry whose fields follow field `from` of the reply (up to the next
 * record mark).  Returns the index after it. */
static unsigned
read_entry(const struct ul_msg *m, unsigned from, struct entry *e)
{
	unsigned i = from;

	memset(e, 0, sizeof(*e));
	for (; i < m->nfields && m->fields[i].tag != UL_F_RECORD; i++) {
		const struct ul_field *f = &m->fields[i];

		switch (f->tag) {
		case UL_F_UNIX_USER: e->name = ul_field_str(m, f); break;
		case UL_F_FRIENDLY_NAME: e->gecos = ul_field_str(m, f); break;
		case UL_F_HOME: e->home = ul_field_str(m, f); break;
		case UL_F_SHELL: e->shell = ul_field_str(m, f); break;
		case UL_F_UID: e->uid = (uint32_t)ul_field_int(m, f); break;
		case UL_F_GID: e->gid = (uint32_t)ul_field_int(m, f); break;
		default: break;
		}
	}
	return i;
}

/* Copies s into the caller's buffer; NULL when it does not fit. */
static char *
stash(char **buf, size_t *left, const char *s)
{
	size_t n = strlen(s ? s : "") + 1;
	char *p = *buf;

	if (n > *left)
		return NULL;
	memcpy(p, s ? s : "", n);
	*buf += n;
	*left -= n;
	return p;
}

static enum nss_status
fill_passwd(const struct entry *e, struct passwd *pw, char *buf, size_t len,
    int *errnop)
{
	if (e->name == NULL || e->uid == 0)
		return status_of(UL_ENOTFOUND, errnop);
	pw->pw_uid = e->uid;
	/* a migrated user keeps its own primary group (M1) */
	pw->pw_gid = e->gid ? e->gid : e->uid;
	if ((pw->pw_name = stash(&buf, &len, e->name)) == NULL ||
	    (pw->pw_passwd = stash(&buf, &len, "x")) == NULL ||
	    (pw->pw_gecos = stash(&buf, &len, e->gecos)) == NULL ||
	    (pw->pw_dir = stash(&buf, &len, e->home)) == NULL ||
	    (pw->pw_shell = stash(&buf, &len, e->shell)) == NULL) {
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	}
	return NSS_STATUS_SUCCESS;
}

static enum nss_status
fill_group(const struct entry *e, struct group *gr, char *buf, size_t len,
    int *errnop)
{
	uintptr_t pad = (sizeof(char *) - ((uintptr_t)buf % sizeof(char *))) % sizeof(char *);

	/* only a private group is ours: a migrated user's own group stays
	 * in /etc/group */
	if (e->name == NULL || e->uid == 0 || (e->gid && e->gid != e->uid))
		return status_of(UL_ENOTFOUND, errnop);
	/* the member list (empty: a private group) comes first, aligned */
	if (len < pad + sizeof(char *)) {
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	}
	gr->gr_mem = (char **)(void *)(buf + pad);
	gr->gr_mem[0] = NULL;
	buf += pad + sizeof(char *);
	len -= pad + sizeof(char *);
	gr->gr_gid = e->uid;
	if ((gr->gr_name = stash(&buf, &len, e->name)) == NULL ||
	    (gr->gr_passwd = stash(&buf, &len, "x")) == NULL) {
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	}
	return NSS_STATUS_SUCCESS;
}

static enum nss_status
fill_shadow(const struct entry *e, struct spwd *sp, char *buf, size_t len,
    int *errnop)
{
	if (e->name == NULL || e->uid == 0)
		return status_of(UL_ENOTFOUND, errnop);
	memset(sp, 0, sizeof(*sp));
	sp->sp_lstchg = sp->sp_min = sp->sp_max = sp->sp_warn = -1;
	sp->sp_inact = sp->sp_expire = -1;
	sp->sp_flag = ~0UL;
	if ((sp->sp_namp = stash(&buf, &len, e->name)) == NULL ||
	    (sp->sp_pwdp = stash(&buf, &len, "!*")) == NULL) {
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	}
	return NSS_STATUS_SUCCESS;
}

enum db { DB_PASSWD, DB_GROUP, DB_SHADOW };

static enum nss_status
fill(enum db db, const struct entry *e, void *out, char *buf, size_t len,
    int *errnop)
{
	switch (db) {
	case DB_GROUP: return fill_group(e, out, buf, len, errnop);
	case DB_SHADOW: return fill_shadow(e, out, buf, len, errnop);
	default: return fill_passwd(e, out, buf, len, errnop);
	}
}

/* Lookups are frequent: each thread keeps its client (and with it its
 * connection to the helper) for the next one.  A child of fork() must not
 * share its parent's connection, so a client remembers its process. */
static pthread_key_t client_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

struct cached {
	struct ul_client *cl;
	pid_t pid;
};

static void
drop_cached(void *p)
{
	struct cached *c = p;

	ul_client_free(c->cl);
	free(c);
}

static void
make_key(void)
{
	if (pthread_key_create(&client_key, drop_cached) != 0)
		client_key = (pthread_key_t)-1;
}

static struct ul_client *
cached_client(void)
{
	struct cached *c;

	pthread_once(&key_once, make_key);
	if (client_key == (pthread_key_t)-1)
		return NULL;
	c = pthread_getspecific(client_key);
	if (c != NULL && c->pid != getpid()) {
		/* a forked child: close our copy, keep the parent's alone */
		if (c->cl->fd >= 0)
			close(c->cl->fd);
		c->cl->fd = -1;
		c->pid = getpid();
	}
	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL || ul_client_new_ex(&c->cl, conf.socket,
		    (int)conf.nss_timeout * 1000, helper_uid, false) != 0) {
			free(c);
			return NULL;
		}
		c->pid = getpid();
		if (pthread_setspecific(client_key, c) != 0) {
			drop_cached(c);
			return NULL;
		}
	}
	return c->cl;
}

static void
put_query(struct ul_client *cl, uint16_t type, const char *name, int64_t uid)
{
	ul_client_begin(cl, type);
	ul_msg_put_str(cl->req, UL_F_PRODUCT, conf.product);
	if (name != NULL)
		ul_msg_put_str(cl->req, UL_F_UNIX_USER, name);
	if (uid >= 0)
		ul_msg_put_int(cl->req, UL_F_UID, uid);
}

/* One lookup by name or uid, filled by `fill`. */
static enum nss_status
lookup(const char *name, int64_t uid, void *out, char *buf, size_t len,
    int *errnop, enum db db)
{
	struct ul_client *cl;
	struct entry e;
	bool reused;
	int r;

	if (!usable() || (cl = cached_client()) == NULL)
		return status_of(UL_EUNAVAIL, errnop);
	reused = cl->fd >= 0;
	put_query(cl, UL_REQ_NSS_GETPW, name, uid);
	r = ul_client_call(cl);
	/* the helper closes an idle connection: once more on a fresh one */
	if (reused && (r == UL_EUNAVAIL || r == UL_EIO)) {
		put_query(cl, UL_REQ_NSS_GETPW, name, uid);
		r = ul_client_call(cl);
	}
	if (r != 0)
		return status_of(r, errnop);
	read_entry(cl->rep, 0, &e);
	return fill(db, &e, out, buf, len, errnop);
}

EXPORT enum nss_status
_nss_unilogin_getpwnam_r(const char *name, struct passwd *pw, char *buf,
    size_t len, int *errnop)
{
	return lookup(name, -1, pw, buf, len, errnop, DB_PASSWD);
}

EXPORT enum nss_status
_nss_unilogin_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len,
    int *errnop)
{
	return lookup(NULL, uid, pw, buf, len, errnop, DB_PASSWD);
}

EXPORT enum nss_status
_nss_unilogin_getgrnam_r(const char *name, struct group *gr, char *buf,
    size_t len, int *errnop)
{
	return lookup(name, -1, gr, buf, len, errnop, DB_GROUP);
}

EXPORT enum nss_status
_nss_unilogin_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len,
    int *errnop)
{
	return lookup(NULL, gid, gr, buf, len, errnop, DB_GROUP);
}

/* Enumeration: a page of entries at a time, one cursor per database. */
struct walk {
	pthread_mutex_t lock;
	struct ul_client *cl;       /* holds the current page */
	unsigned next;              /* field index of the next record */
	char after[UL_ACCOUNT_MAX + 1];
	bool more;
};

static struct walk pw_walk = {.lock = PTHREAD_MUTEX_INITIALIZER, .more = true};
static struct walk gr_walk = {.lock = PTHREAD_MUTEX_INITIALIZER, .more = true};
static struct walk sp_walk = {.lock = PTHREAD_MUTEX_INITIALIZER, .more = true};

static void
walk_reset(struct walk *w)
{
	pthread_mutex_lock(&w->lock);
	ul_client_free(w->cl);
	w->cl = NULL;
	w->next = 0;
	w->after[0] = '\0';
	w->more = true;
	pthread_mutex_unlock(&w->lock);
}

/* The next entry, fetching a page when the current one is used up. */
static int
walk_next(struct walk *w, struct entry *e)
{
	const char *next;
	int r;

	for (;;) {
		while (w->cl != NULL && w->next < w->cl->rep->nfields) {
			if (w->cl->rep->fields[w->next].tag != UL_F_RECORD) {
				w->next++;
				continue;
			}
			w->next = read_entry(w->cl->rep, w->next + 1, e);
			return 0;
		}
		if (!w->more)
			return UL_ENOTFOUND;
		ul_client_free(w->cl);
		r = ask(&w->cl, UL_REQ_NSS_LIST, NULL, -1, w->after);
		if (r != 0) {
			w->more = false;
			return r;
		}
		next = ul_msg_str(w->cl->rep, UL_F_NEXT);
		w->more = next != NULL && next[0] != '\0';
		if (w->more)
			snprintf(w->after, sizeof(w->after), "%s", next);
		w->next = 0;
	}
}

static enum nss_status
walk_get(struct walk *w, void *out, char *buf, size_t len, int *errnop,
    enum db db)
{
	enum nss_status s;
	struct entry e;
	unsigned at;
	int r;

	pthread_mutex_lock(&w->lock);
	at = w->next;
	r = walk_next(w, &e);
	if (r != 0) {
		s = status_of(r, errnop);
	} else {
		s = fill(db, &e, out, buf, len, errnop);
		if (s == NSS_STATUS_TRYAGAIN)
			w->next = at;   /* the caller retries with a larger buffer */
	}
	pthread_mutex_unlock(&w->lock);
	return s;
}

EXPORT enum nss_status
_nss_unilogin_setpwent(void)
{
	walk_reset(&pw_walk);
	return NSS_STATUS_SUCCESS;
}

EXPORT enum nss_status
_nss_unilogin_endpwent(void)
{
	walk_reset(&pw_walk);
	return NSS_STATUS_SUCCESS;
}

EXPORT enum nss_status
_nss_unilogin_getpwent_r(struct passwd *pw, char *buf, size_t len, int *errnop)
{
	return walk_get(&pw_walk, pw, buf, len, errnop, DB_PASSWD);
}

EXPORT enum nss_status
_nss_unilogin_setgrent(void)
{
	walk_reset(&gr_walk);
	return NSS_STATUS_SUCCESS;
}

EXPORT enum nss_status
_nss_unilogin_endgrent(void)
{
	walk_reset(&gr_walk);
	return NSS_STATUS_SUCCESS;
}

EXPORT enum nss_status
_nss_unilogin_getgrent_r(struct group *gr, char *buf, size_t len, int *errnop)
{
	return walk_get(&gr_walk, gr, buf, len, errnop, DB_GROUP);
}

EXPORT enum nss_status
_nss_unilogin_getspnam_r(const char *name, struct spwd *sp, char *buf,
    size_t len, int *errnop)
{
	return lookup(name, -1, sp, buf, len, errnop, DB_SHADOW);
}

EXPORT enum nss_status
_nss_unilogin_setspent(void)
{
	walk_reset(&sp_walk);
	return NSS_STATUS_SUCCESS;
}

EXPORT enum nss_status
_nss_unilogin_endspent(void)
{
	walk_reset(&sp_walk);
	return NSS_STATUS_SUCCESS;
}

EXPORT enum nss_status
_nss_unilogin_getspent_r(struct spwd *sp, char *buf, size_t len, int *errnop)
{
	return walk_get(&sp_walk, sp, buf, len, errnop, DB_SHADOW);
}
