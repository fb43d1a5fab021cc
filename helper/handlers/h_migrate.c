/* `uniloginctl migrate` (M1): a host's local users become product accounts
 * of this host's product with the same name, uid, gid, home and shell.
 * The tool reads /etc/shadow and the home files as root and sends one
 * record per user; the helper reads neither.
 *
 * Each user is one piece: its account, and with an email its unified user
 * (created confirmed on the admin's word, its password the shadow hash)
 * with the authenticator app it brought, sealed like every seed.  Every
 * rule is checked in the write transaction before the user's first
 * intent, so a refused user leaves nothing.  A batch is one change (one
 * commit); should an intent fail after its checks passed (a claim raced),
 * the batch is undone and each user is tried again in a change of its
 * own.  A user already migrated with the same uid is "present": a second
 * run imports nothing twice.  --dry-run runs the same change and undoes
 * it. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "helper/core/email.h"
#include "helper/core/log.h"
#include "helper/core/wipe.h"
#include "helper/handlers/handlers.h"
#include "helper/rules/keys.h"
#include "helper/rules/legacy.h"
#include "helper/rules/names.h"
#include "helper/rules/tfa.h"
#include "helper/rules/totp.h"
#include "unilogin/error.h"

#define MIGRATE_BATCH_MAX 256
#define MIGRATE_SYSTEM_UID_MAX 999      /* Debian's system users */
#define MIGRATE_NOBODY 65534

struct migrant {
	struct ul_account a;
	char hash[UL_HASH_STR_MAX];         /* "" = locked in /etc/shadow */
	char email[UL_EMAIL_MAX + 1];       /* "" = stays a legacy account */
	uint8_t seed[UL_TOTP_SEED_BYTES];   /* zero-padded: HMAC pads keys so */
	bool has_seed;
	uint32_t digits;
	int64_t step;                       /* DISALLOW_REUSE's newest */
	char scratch[UL_RECOVERY_CODES][UL_SCRATCH_DIGITS + 1];
	unsigned nscratch;
	bool invalid;               /* refused on its fields alone */
	const char *outcome;
	char detail[256];
};

struct batch {
	struct migrant *m;
	unsigned n;
	bool dry_run;
	bool retry;                 /* an intent failed: one change per user */
	struct ul_product product;
};

static bool
all_digits(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void tell(struct migrant *m, const char *outcome, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The outcome for m and why, for the summary and the audit record. */
static void
tell(struct migrant *m, const char *outcome, const char *fmt, ...)
{
	va_list ap;

	m->outcome = outcome;
	va_start(ap, fmt);
	vsnprintf(m->detail, sizeof(m->detail), fmt, ap);
	va_end(ap);
}

#define refuse(m, ...) tell(m, "refused", __VA_ARGS__)

/* One field of a record into m; a message when it cannot be. */
static const char *
take_field(struct ul_call *c, const struct ul_field *f, struct migrant *m)
{
	const char *s = ul_field_str(c->in, f);
	int64_t v = ul_field_int(c->in, f);
	size_t len;

	switch (f->tag) {
	case UL_F_UNIX_USER:
		if (!ul_valid_unix_user(s))
			return "not a valid Unix user name";
		snprintf(m->a.unix_user, sizeof(m->a.unix_user), "%s", s);
		snprintf(m->a.name, sizeof(m->a.name), "%s", s);
		return NULL;
	case UL_F_UID: case UL_F_GID:
		if (v <= 0 || v > UINT32_MAX)
			return "uid and gid are 1 to 4294967295";
		*(f->tag == UL_F_UID ? &m->a.uid : &m->a.gid) = (uint32_t)v;
		return NULL;
	case UL_F_HOME: case UL_F_SHELL:
		if (s[0] && !ul_valid_text(s, UL_PATH_MAX))
			return "home or shell too long, or with a control character";
		snprintf(f->tag == UL_F_HOME ? m->a.home : m->a.shell, UL_PATH_MAX + 1,
		    "%s", s);
		return NULL;
	case UL_F_FRIENDLY_NAME:
		if (s[0] && !ul_valid_text(s, UL_TEXT_MAX))
			return "bad GECOS field";
		snprintf(m->a.friendly_name, sizeof(m->a.friendly_name), "%s", s);
		return NULL;
	case UL_F_LEGACY_HASH:
		if (s[0] && !ul_legacy_hash_usable(s))
			return "not a yescrypt, SHA-512, SHA-256 or bcrypt hash";
		snprintf(m->hash, sizeof(m->hash), "%s", s);
		return NULL;
	case UL_F_EMAIL:
		return ul_email_normalise(s, m->email) == 0 ? NULL : "not an email address";
	case UL_F_TOTP_SEED:
		len = strlen(s);
		if (len < 2 || len > 2 * UL_TOTP_SEED_BYTES ||
		    sodium_hex2bin(m->seed, sizeof(m->seed), s, len, NULL, &len, NULL) != 0)
			return "an authenticator seed is 1 to 20 bytes";
		m->has_seed = true;
		return NULL;
	case UL_F_DIGITS:
		if (v < 6 || v > 8)
			return "an imported authenticator has 6, 7 or 8 digits";
		m->digits = (uint32_t)v;
		return NULL;
	case UL_F_TOTP_STEP:
		m->step = v < 0 ? 0 : v;
		return NULL;
	case UL_F_SCRATCH_CODE:
		if (!all_digits(s, UL_SCRATCH_DIGITS) || m->nscratch == UL_RECOVERY_CODES)
			return "scratch codes are at most 10 of 8 digits";
		memcpy(m->scratch[m->nscratch++], s, UL_SCRATCH_DIGITS + 1);
		return NULL;
	default:
		return NULL;    /* UL_F_SOURCE and what a later tool adds */
	}
}

/* The rules a record must meet before the store is read (M1: admins and
 * system users stay local, whatever the tool sent). */
static const char *
check_migrant(const struct ul_conf *conf, const struct migrant *m)
{
	if (m->a.unix_user[0] == '\0' || m->a.uid == 0)
		return "a record needs unix_user and uid";
	if (m->a.uid <= MIGRATE_SYSTEM_UID_MAX || m->a.uid == MIGRATE_NOBODY)
		return "system users and nobody stay local";
	if (m->a.uid < conf->uid_min || m->a.uid > conf->uid_max)
		return "the uid is outside uid_min..uid_max: set them to cover it";
	if (m->has_seed && m->digits == 0)
		return "an authenticator needs its digits";
	/* an 8-digit code and a scratch code could not be told apart */
	if (m->digits == 8 && m->nscratch > 0)
		return "8-digit codes with scratch codes are ambiguous: not imported";
	if (m->has_seed && m->email[0] == '\0')
		return "an authenticator file but no email in --emails";
	if ((m->a.home[0] && m->a.home[0] != '/') || (m->a.shell[0] &&
	    m->a.shell[0] != '/') || strchr(m->a.home, ':') || strchr(m->a.shell, ':'))
		return "home and shell are absolute paths without ':'";
	return NULL;
}

static void
finish_record(const struct ul_conf *conf, struct migrant *m)
{
	const char *why;

	if (m == NULL || m->invalid)
		return;
	if ((why = check_migrant(conf, m)) != NULL) {
		refuse(m, "%s", why);
		m->invalid = true;
	}
	/* its private group, as every account has: the default */
	if (m->a.gid == m->a.uid)
		m->a.gid = 0;
}

/* Reads the request's records into b; UL_EINVAL when there are too many. */
static int
read_records(struct ul_call *c, struct batch *b)
{
	struct migrant *m = NULL;
	const char *why = NULL;

	for (unsigned i = 0; i < c->in->nfields; i++) {
		const struct ul_field *f = &c->in->fields[i];

		if (f->tag == UL_F_RECORD) {
			finish_record(&c->h->conf, m);
			if (b->n == MIGRATE_BATCH_MAX)
				return ul_call_say(c, UL_EINVAL, "at most %d users a request",
				    MIGRATE_BATCH_MAX);
			m = &b->m[b->n++];
			continue;
		}
		if (m != NULL && !m->invalid && (why = take_field(c, f, m)) != NULL) {
			refuse(m, "%s", why);
			m->invalid = true;
		}
	}
	finish_record(&c->h->conf, m);
	return 0;
}

/* The unified user of a migrant with an email and its app, as one
 * record: confirmed on the admin's word, the shadow hash its password. */
static int
create_user(struct ul_call *c, struct ul_txn *t, struct migrant *m)
{
	struct ul_user u UL_WIPED(ul_wipe_user) = {0};
	struct ul_method meth = {.id = 1, .kind = UL_METHOD_TOTP, .active = true};
	int64_t now = ul_now();
	int r;

	memcpy(u.email, m->email, sizeof(u.email));
	ul_user_new_id(&u);
	memcpy(u.pwhash, m->hash, sizeof(u.pwhash));
	u.confirmed = true;
	u.created = u.pw_changed = now;
	if (m->has_seed) {
		u.next_method_id = 1;
		u.totp_step = m->step;      /* DISALLOW_REUSE: no replay (T3) */
		u.tfa_changed = now;
		for (unsigned i = 0; i < m->nscratch; i++) {
			ul_tfa_scratch_hash(c, u.id, m->scratch[i], u.recovery[i]);
			u.recovery_unused |= 1u << i;
		}
	}
	r = ul_store_user_create(t, &u);
	if (r == 0 && m->has_seed) {
		meth.digits = m->digits;
		meth.created = now;
		ul_totp_seal(c->h->keys, u.id, meth.id, m->seed, meth.seed_box);
		r = ul_store_method_restore(t, u.email, &meth);
		sodium_memzero(&meth, sizeof(meth));
	}
	return r;
}

/* Checks that leave the store as it was: a refusal here stores nothing. */
static int
check_in_store(struct ul_call *c, struct ul_txn *t, struct migrant *m,
    bool *user_exists)
{
	struct ul_account other UL_WIPED(ul_wipe_account);
	struct ul_user u UL_WIPED(ul_wipe_user);
	char waiting[UL_EMAIL_MAX + 1];
	int r;

	*user_exists = false;
	r = ul_store_account_by_unix(t, m->a.product, m->a.unix_user, &other);
	if (r == 0 && other.uid == m->a.uid) {
		m->outcome = "present";     /* migrated before: nothing twice */
		return 0;
	}
	if (r == 0) {
		refuse(m, "%s is already an account of %s with uid %u",
		    m->a.unix_user, m->a.product, other.uid);
		return 0;
	}
	if (r == UL_ENOTFOUND)
		r = ul_store_account_get(t, m->a.product, m->a.name, &other);
	if (r == UL_ENOTFOUND)
		r = ul_store_account_by_uid(t, m->a.uid, &other);
	if (r == 0) {
		refuse(m, "its name or uid %u is already account %s of %s", m->a.uid,
		    other.name, other.product);
		return 0;
	}
	if (r != UL_ENOTFOUND || m->email[0] == '\0')
		return r == UL_ENOTFOUND ? 0 : r;
	r = ul_store_user_get(t, m->email, &u);
	if (r == 0) {
		*user_exists = true;
		/* the user's own rules decide: L2-L4 on the account as it will be */
		memcpy(m->a.email, m->email, sizeof(m->a.email));
		if (ul_link_allowed(c, t, &m->a, m->email) != 0)
			refuse(m, "%s", c->message);
		return 0;
	}
	if (r == UL_ENOTFOUND && (r = ul_store_pending_get(t, m->email, waiting)) == 0)
		refuse(m, "U6: user %s is moving to this email", waiting);
	/* L4: an account named after the email goes first */
	if (r == UL_ENOTFOUND &&
	    (r = ul_store_account_get(t, m->a.product, m->email, &other)) == 0 &&
	    other.owner[0] == '\0')
		refuse(m, "L4: account %s, named after the email, must be linked first",
		    other.name);
	return r == UL_ENOTFOUND || r == 0 ? 0 : r;
}

/* One migrant in t: 0 with m->outcome set, or an error of an intent (the
 * caller undoes the change). */
static int
migrate_one(struct ul_call *c, struct ul_txn *t, struct batch *b,
    struct migrant *m)
{
	struct ul_event e = {.event = "migrate", .product = m->a.product,
	    .account = m->a.name, .detail = m->detail};
	bool user_exists;
	int r = check_in_store(c, t, m, &user_exists);

	if (r != 0 || m->outcome != NULL)
		return r;
	if (m->a.friendly_name[0] == '\0')
		snprintf(m->a.friendly_name, sizeof(m->a.friendly_name),
		    "Your first %s account", b->product.display_name);
	m->a.created = ul_now();
	if (m->email[0] == '\0') {
		memcpy(m->a.pwhash, m->hash, sizeof(m->a.pwhash));
		tell(m, "legacy", "uid %u, %s", m->a.uid,
		    m->hash[0] ? "its own password until it links (L6)"
		    : "locked in /etc/shadow: no password");
	} else {
		memcpy(m->a.email, m->email, sizeof(m->a.email));
		memcpy(m->a.owner, m->email, sizeof(m->a.owner));
		tell(m, user_exists ? "linked-existing" : "linked", "uid %u, linked on "
		    "the admin's assertion (--emails)%s", m->a.uid, user_exists ? "; the user keeps "
		    "its password and two-factor: the local ones are not imported"
		    : m->has_seed ? "; authenticator app imported" : "");
		if (!user_exists)
			r = create_user(c, t, m);
	}
	if (r == 0)
		r = ul_store_account_create(t, &m->a);
	e.email = m->email;
	if (r == 0)
		r = ul_audit(c, t, &e);
	if (r != 0)
		m->outcome = NULL;
	return r;
}

static int
migrate_batch(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct batch *b = arg;
	int r = ul_store_product_get(t, c->h->conf.product, &b->product);

	if (r == UL_ENOTFOUND)
		return ul_call_say(c, r, "no product %s: add it with `uniloginctl "
		    "product add %s`", c->h->conf.product, c->h->conf.product);
	for (unsigned i = 0; r == 0 && i < b->n; i++)
		if (!b->m[i].invalid)
			r = migrate_one(c, t, b, &b->m[i]);
	if (r != 0 && r != UL_ENOTFOUND)
		b->retry = true;
	/* a dry run undoes what it did, and says what it would have done */
	return r == 0 && b->dry_run ? UL_ECONFLICT : r;
}

/* After a batch failed: each user in a change of its own. */
static int
migrate_single(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct batch *b = arg;
	int r = ul_store_product_get(t, c->h->conf.product, &b->product);

	if (r == 0)
		r = migrate_one(c, t, b, &b->m[0]);
	return r == 0 && b->dry_run ? UL_ECONFLICT : r;
}

static void
put_results(struct ul_call *c, const struct batch *b)
{
	for (unsigned i = 0; i < b->n; i++) {
		const struct migrant *m = &b->m[i];

		ul_msg_put_mark(c->out, UL_F_RECORD);
		ul_msg_put_str(c->out, UL_F_UNIX_USER, m->a.unix_user);
		ul_msg_put_int(c->out, UL_F_UID, m->a.uid);
		ul_msg_put_str(c->out, UL_F_OUTCOME, m->outcome ? m->outcome : "failed");
		if (m->email[0])
			ul_msg_put_str(c->out, UL_F_EMAIL, m->email);
		if (m->has_seed && m->outcome && strcmp(m->outcome, "linked") == 0)
			ul_msg_put_str(c->out, UL_F_METHOD, "totp");
		if (m->detail[0])
			ul_msg_put_str(c->out, UL_F_DETAIL, m->detail);
	}
}

static int
run_batch(struct ul_call *c, struct batch *b)
{
	int r = ul_call_write(c, migrate_batch, b);

	if (b->dry_run && r == UL_ECONFLICT && !b->retry)
		r = 0;
	if (r == 0 || !b->retry)
		return r;
	/* one user's intent failed after its checks: the others go alone */
	for (unsigned i = 0; i < b->n; i++) {
		struct batch one = {.m = &b->m[i], .n = 1, .dry_run = b->dry_run};

		if (b->m[i].invalid)
			continue;
		b->m[i].outcome = NULL;
		b->m[i].detail[0] = '\0';
		r = ul_call_write(c, migrate_single, &one);
		if (r != 0 && !(b->dry_run && r == UL_ECONFLICT && one.m->outcome)) {
			tell(one.m, "failed", "%s", c->message[0] ? c->message
			    : ul_strerror(r));
		}
	}
	c->message[0] = '\0';
	return 0;
}

int
ul_h_migrate(struct ul_call *c)
{
	struct batch b = {.dry_run = ul_msg_bool(c->in, UL_F_DRY_RUN)};
	size_t size = MIGRATE_BATCH_MAX * sizeof(*b.m);
	int r;

	if (c->h->conf.product[0] == '\0')
		return ul_call_say(c, UL_ECONFIG, "no product: set `product` in the "
		    "config");
	if ((b.m = sodium_malloc(size)) == NULL)
		return UL_ENOMEM;
	memset(b.m, 0, size);
	for (unsigned i = 0; i < MIGRATE_BATCH_MAX; i++)
		snprintf(b.m[i].a.product, sizeof(b.m[i].a.product), "%s",
		    c->h->conf.product);
	r = read_records(c, &b);
	if (r == 0)
		r = run_batch(c, &b);
	if (r == 0)
		put_results(c, &b);
	sodium_free(b.m);
	return r;
}
