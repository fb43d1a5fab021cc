/* The directory calls every record's file shares: locked sessions,
 * escaping, one-entry searches, modifies with an assertion and a
 * post-read, adds. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "helper/store/ldap/internal.h"
#include "unilogin/error.h"

int64_t
dir_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
dir_session_hung(struct dir_session *s)
{
	dir_session_close(s);
	s->hung_at = dir_clock_ms();
}

/* A dropped session, opened again (bounded by ldap_timeout), unless the
 * server hung since the transaction began: then it stays closed
 * (UL_EUNREACHABLE). */
static struct dir_session *
reopened(struct ul_txn *t, struct dir_session *s)
{
	char err[512];
	int64_t start;

	if (s->ld != NULL || s->hung_at >= t->began)
		return s;
	start = dir_clock_ms();
	if (dir_session_open(s, &t->st->conf, s->what, s->uri, err,
	    sizeof(err)) != 0) {
		s->ld = NULL;
		/* refused at once: a server that is down; one that let the
		 * open wait out ldap_timeout hung */
		if (dir_clock_ms() - start >= (int64_t)s->timeout * 1000 - 50)
			s->hung_at = dir_clock_ms();
	}
	return s;
}

struct dir_session *
dir_lock_read(struct ul_txn *t, pthread_mutex_t **lock)
{
	if (t->write) {
		/* what a write's precondition sees: the provider */
		*lock = &t->st->provider_lock;
		pthread_mutex_lock(*lock);
		return reopened(t, &t->st->provider);
	}
	*lock = &t->st->replica_lock;
	pthread_mutex_lock(*lock);
	return reopened(t, &t->st->replica);
}

static struct dir_session *
lock_provider(struct ul_txn *t, pthread_mutex_t **lock, bool read_back)
{
	/* a write may change what a list read: it reads again */
	dir_list_drop(t);
	if (read_back)
		t->wrote = true;
	*lock = &t->st->provider_lock;
	pthread_mutex_lock(*lock);
	return reopened(t, &t->st->provider);
}

struct dir_session *
dir_lock_write(struct ul_txn *t, pthread_mutex_t **lock)
{
	return lock_provider(t, lock, true);
}

struct dir_session *
dir_lock_write_asserted(struct ul_txn *t, pthread_mutex_t **lock)
{
	return lock_provider(t, lock, false);
}

int
dir_result(struct dir_session *s, int rc, bool sent_write)
{
	if (rc == LDAP_SERVER_DOWN)
		dir_session_close(s);
	else if (rc == LDAP_TIMEOUT)
		dir_session_hung(s);
	return dir_session_error(rc, sent_write);
}

int
dir_dn_value(char *out, size_t n, const char *v)
{
	size_t len = strlen(v), o = 0;

	for (size_t i = 0; i < len; i++) {
		bool special = strchr(",+\"\\<>;=", v[i]) != NULL ||
		    (i == 0 && (v[i] == ' ' || v[i] == '#')) ||
		    (i == len - 1 && v[i] == ' ');

		if (o + 3 >= n)
			return UL_EINVAL;
		if (special)
			out[o++] = '\\';
		out[o++] = v[i];
	}
	out[o] = '\0';
	return 0;
}

int
dir_filter_value(char *out, size_t n, const char *v)
{
	struct berval in = {strlen(v), (char *)v}, esc = {0, NULL};
	int r = UL_EINVAL;

	if (ldap_bv2escaped_filter_value(&in, &esc) == 0 && esc.bv_len < n) {
		/* an empty value escapes to no buffer at all */
		if (esc.bv_len > 0)
			memcpy(out, esc.bv_val, esc.bv_len);
		out[esc.bv_len] = '\0';
		r = 0;
	}
	ber_memfree(esc.bv_val);
	return r;
}

int
dir_search_one(struct dir_session *s, const char *base, int scope,
    const char *filter, char **attrs, LDAPMessage **res, LDAPMessage **e)
{
	int rc;

	*e = NULL;
	*res = NULL;
	if (s->ld == NULL)
		return UL_EUNREACHABLE;
	rc = ldap_search_ext_s(s->ld, base, scope, filter, attrs, 0, NULL, NULL,
	    NULL, 2, res);
	if (rc == LDAP_NO_SUCH_OBJECT)
		return UL_ENOTFOUND;
	if (rc != LDAP_SUCCESS)
		return dir_result(s, rc, false);
	*e = ldap_first_entry(s->ld, *res);
	return *e != NULL ? 0 : UL_ENOTFOUND;
}

int
dir_query_set(struct dir_query *q, const char *base, int scope,
    const char *filter, char **attrs)
{
	if (strlen(base) >= sizeof(q->base) || strlen(filter) >= sizeof(q->filter))
		return UL_EINVAL;
	memcpy(q->base, base, strlen(base) + 1);
	memcpy(q->filter, filter, strlen(filter) + 1);
	q->scope = scope;
	q->attrs = attrs;
	return 0;
}

static bool
same_query(const struct dir_query *a, const struct dir_query *b)
{
	return a->scope == b->scope && a->attrs == b->attrs &&
	    strcmp(a->base, b->base) == 0 && strcmp(a->filter, b->filter) == 0;
}

int
dir_search_q(struct ul_txn *t, struct dir_session *s,
    const struct dir_query *q, LDAPMessage **res, LDAPMessage **e)
{
	for (int i = 0; t != NULL && i < t->nfetched; i++) {
		struct dir_fetched *f = &t->fetched[i];

		if (f->used || f->s != s || f->gen != s->gen || s->ld == NULL ||
		    !same_query(&f->q, q))
			continue;
		f->used = true;
		*res = f->res;
		f->res = NULL;
		*e = f->r == 0 ? ldap_first_entry(s->ld, *res) : NULL;
		return *e != NULL ? 0 : UL_ENOTFOUND;
	}
	return dir_search_one(s, q->base, q->scope, q->filter, q->attrs, res, e);
}

void
dir_fetched_drop(struct ul_txn *t)
{
	for (int i = 0; i < t->nfetched; i++)
		dir_msgfree(t->fetched[i].res);
	t->nfetched = 0;
	memset(t->fetched, 0, sizeof(t->fetched));
}

/* What one answer says, as dir_search_one would: 0, UL_ENOTFOUND, or
 * NOT_KEPT (the reader asks again and meets the error itself) */
#define NOT_KEPT 1
static int
fetched_outcome(struct dir_session *s, LDAPMessage *res)
{
	int err = LDAP_OTHER;

	if (ldap_parse_result(s->ld, res, &err, NULL, NULL, NULL, NULL, 0) !=
	    LDAP_SUCCESS)
		return NOT_KEPT;
	if (err == LDAP_NO_SUCH_OBJECT)
		return UL_ENOTFOUND;
	if (err != LDAP_SUCCESS)
		return NOT_KEPT;
	return ldap_first_entry(s->ld, res) != NULL ? 0 : UL_ENOTFOUND;
}

void
dir_prefetch(struct ul_txn *t, struct dir_session *s,
    const struct dir_query *q, int n)
{
	int msgid[DIR_FETCHED_MAX], sent = 0, i;
	int64_t deadline = dir_clock_ms() + (int64_t)s->timeout * 1000;
	uint64_t gen = s->gen;

	dir_fetched_drop(t);
	if (s->ld == NULL || n > DIR_FETCHED_MAX)
		return;
	for (; sent < n; sent++)
		if (ldap_search_ext(s->ld, q[sent].base, q[sent].scope, q[sent].filter,
		    q[sent].attrs, 0, NULL, NULL, NULL, 2, &msgid[sent]) !=
		    LDAP_SUCCESS)
			break;
	for (i = 0; i < sent; i++) {
		int64_t left = deadline - dir_clock_ms();
		struct timeval tv = {.tv_sec = left > 0 ? left / 1000 : 0,
		    .tv_usec = left > 0 ? (left % 1000) * 1000 : 0};
		LDAPMessage *res = NULL;
		int rc = ldap_result(s->ld, msgid[i], LDAP_MSG_ALL, &tv, &res);
		int r;

		if (rc <= 0) {
			/* no answer in time, or the connection went: what is
			 * still out is of no use, and neither is the session */
			for (int k = i; k < sent; k++)
				ldap_abandon_ext(s->ld, msgid[k], NULL, NULL);
			if (rc == 0)
				dir_session_hung(s);
			else
				dir_session_close(s);
			break;
		}
		r = fetched_outcome(s, res);
		if (r == NOT_KEPT) {
			dir_msgfree(res);
			continue;
		}
		t->fetched[t->nfetched++] = (struct dir_fetched){.q = q[i], .s = s,
		    .gen = gen, .r = r, .res = res};
	}
	/* a write sent on s meanwhile (none can be: s is locked) or a close */
	if (s->gen != gen)
		dir_fetched_drop(t);
}

/* ---- wiping what libldap read ----
 * Entries carry password hashes, sealed seeds and code hashes: each
 * entry's BER buffer (what the server sent) and each value copied out of
 * it are wiped before libldap frees them.  The walk over a result's
 * entries uses an LDAP handle of its own that never connects, so that
 * freeing needs no session (and no session lock). */
static pthread_mutex_t wipe_lock = PTHREAD_MUTEX_INITIALIZER;
static LDAP *wipe_ld;

static void
wipe_entry(LDAP *ld, LDAPMessage *e)
{
	BerElement *ber = NULL;
	struct berval bv;
	ber_len_t total = 0;
	char *a = ldap_first_attribute(ld, e, &ber);

	ldap_memfree(a);
	if (ber == NULL)
		return;
	/* the copy shares the entry's buffer: ber_flatten2 without alloc
	 * names its start, TOTAL_BYTES its length */
	if (ber_get_option(ber, LBER_OPT_BER_TOTAL_BYTES, &total) ==
	    LBER_OPT_SUCCESS && ber_flatten2(ber, &bv, 0) == 0 &&
	    bv.bv_val != NULL && total > 0)
		sodium_memzero(bv.bv_val, total);
	ber_free(ber, 0);
}

void
dir_msgfree(LDAPMessage *res)
{
	LDAPMessage *e;

	if (res == NULL)
		return;
	pthread_mutex_lock(&wipe_lock);
	if (wipe_ld == NULL && ldap_initialize(&wipe_ld, "ldapi:///") !=
	    LDAP_SUCCESS)
		wipe_ld = NULL;
	for (e = wipe_ld != NULL ? ldap_first_entry(wipe_ld, res) : NULL;
	    e != NULL; e = ldap_next_entry(wipe_ld, e))
		wipe_entry(wipe_ld, e);
	pthread_mutex_unlock(&wipe_lock);
	ldap_msgfree(res);
}

void
dir_values_free(struct berval **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		if (v[i]->bv_val != NULL)
			sodium_memzero(v[i]->bv_val, v[i]->bv_len);
	ldap_value_free_len(v);
}

void
dir_text(struct dir_session *s, LDAPMessage *e, const char *attr, char *out,
    size_t n)
{
	struct berval **v = ldap_get_values_len(s->ld, e, attr);

	out[0] = '\0';
	if (v != NULL && v[0] != NULL && v[0]->bv_len < n) {
		memcpy(out, v[0]->bv_val, v[0]->bv_len);
		out[v[0]->bv_len] = '\0';
	}
	dir_values_free(v);
}

int64_t
dir_int(struct dir_session *s, LDAPMessage *e, const char *attr)
{
	char text[24];

	dir_text(s, e, attr, text, sizeof(text));
	return strtoll(text, NULL, 10);
}

/* The first value of the first attribute of a post-read control's entry,
 * as text ("" when there is none or it is n bytes or longer). */
static void
read_postread(LDAPControl **ctrls, char *text, size_t n)
{
	LDAPControl *c = ldap_control_find(LDAP_CONTROL_POST_READ, ctrls, NULL);
	struct berval dn, type;
	BerVarray vals = NULL;
	BerElement *ber;

	text[0] = '\0';
	if (c == NULL || (ber = ber_init(&c->ldctl_value)) == NULL)
		return;
	if (ber_scanf(ber, "{m{", &dn) != LBER_ERROR &&
	    ber_scanf(ber, "{m", &type) != LBER_ERROR &&
	    ber_scanf(ber, "[W]", &vals) != LBER_ERROR && vals != NULL &&
	    vals[0].bv_val != NULL && vals[0].bv_len < n) {
		memcpy(text, vals[0].bv_val, vals[0].bv_len);
		text[vals[0].bv_len] = '\0';
	}
	ber_bvarray_free(vals);
	ber_free(ber, 1);
}

static int
postread_control(char **attrs, LDAPControl **out)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	struct berval bv;
	int rc = LDAP_NO_MEMORY;

	*out = NULL;
	if (ber == NULL)
		return rc;
	if (ber_printf(ber, "{v}", attrs) != -1 && ber_flatten2(ber, &bv, 0) == 0)
		rc = ldap_control_create(LDAP_CONTROL_POST_READ, 1, &bv, 1, out);
	ber_free(ber, 1);
	return rc;
}

int
dir_modify(struct dir_session *s, const char *dn, LDAPMod **mods,
    const char *assertion, char **postread, int64_t *after)
{
	char text[24];
	int r = dir_modify_text(s, dn, mods, assertion, postread,
	    after != NULL ? text : NULL, sizeof(text));

	if (r == 0 && after != NULL && text[0] != '\0')
		*after = strtoll(text, NULL, 10);
	return r;
}

int
dir_modify_text(struct dir_session *s, const char *dn, LDAPMod **mods,
    const char *assertion, char **postread, char *after, size_t after_n)
{
	LDAPControl *ctrls[3] = {NULL, NULL, NULL}, **got = NULL;
	LDAPMessage *res = NULL;
	struct timeval tv = {.tv_sec = s->timeout, .tv_usec = 0};
	int rc, n = 0, msgid, err = LDAP_OTHER;

	if (s->ld == NULL)
		return UL_EUNREACHABLE;
	if (assertion != NULL &&
	    ldap_create_assertion_control(s->ld, (char *)assertion, 1,
	    &ctrls[n]) == LDAP_SUCCESS)
		n++;
	if (postread != NULL && postread_control(postread, &ctrls[n]) == LDAP_SUCCESS)
		n++;
	if (n != (assertion != NULL) + (postread != NULL)) {
		ldap_control_free(ctrls[0]);
		return UL_ESTORE;
	}
	s->gen++;
	rc = ldap_modify_ext(s->ld, dn, mods, ctrls, NULL, &msgid);
	ldap_control_free(ctrls[0]);
	ldap_control_free(ctrls[1]);
	if (rc != LDAP_SUCCESS)
		return dir_result(s, rc, false);
	/* sent: from here, no answer is an unknown outcome (F2) */
	rc = ldap_result(s->ld, msgid, LDAP_MSG_ALL, &tv, &res);
	if (rc <= 0) {
		ldap_abandon_ext(s->ld, msgid, NULL, NULL);
		if (rc < 0)
			dir_session_close(s);
		else
			dir_session_hung(s);
		return UL_EUNKNOWN;
	}
	rc = ldap_parse_result(s->ld, res, &err, NULL, NULL, NULL, &got, 1);
	if (rc == LDAP_SUCCESS && err == LDAP_SUCCESS && after != NULL)
		read_postread(got, after, after_n);
	ldap_controls_free(got);
	if (rc != LDAP_SUCCESS)
		return dir_result(s, rc, true);
	switch (err) {
	case LDAP_SUCCESS:
		return 0;
	case LDAP_ASSERTION_FAILED:
	case LDAP_NO_SUCH_ATTRIBUTE:    /* a value to delete is gone: used */
		return UL_ECONFLICT;
	case LDAP_NO_SUCH_OBJECT:
		return UL_ENOTFOUND;
	default:
		return dir_result(s, err, true);
	}
}

int
dir_add(struct dir_session *s, const char *dn, LDAPMod **mods)
{
	int rc;

	if (s->ld == NULL)
		return UL_EUNREACHABLE;
	s->gen++;
	rc = ldap_add_ext_s(s->ld, dn, mods, NULL, NULL);
	if (rc == LDAP_ALREADY_EXISTS)
		return UL_EEXIST;
	if (rc == LDAP_NO_SUCH_OBJECT)
		return UL_ENOTFOUND;
	return rc == LDAP_SUCCESS ? 0 : dir_result(s, rc, true);
}

static int
claim_dn(struct ul_store *st, const char *key, char dn[DIR_CLAIM_DN_MAX])
{
	char v[600];

	if (dir_dn_value(v, sizeof(v), key) != 0)
		return UL_EINVAL;
	snprintf(dn, DIR_CLAIM_DN_MAX, "uniClaimName=%s,ou=claims,%s", v,
	    st->base);
	return 0;
}

int
dir_claim(struct dir_session *s, struct ul_store *st, const char *key,
    const char *holder, int64_t now)
{
	char dn[DIR_CLAIM_DN_MAX];
	struct dir_mods b;
	int r = claim_dn(st, key, dn);

	if (r != 0)
		return r;
	dir_mods_init(&b);
	dir_mods_text(&b, LDAP_MOD_ADD, "objectClass", "uniClaim");
	dir_mods_text(&b, LDAP_MOD_ADD, "uniClaimName", key);
	dir_mods_text(&b, LDAP_MOD_ADD, "uniClaimHolder", holder);
	dir_mods_int(&b, LDAP_MOD_ADD, "uniCreated", now);
	return dir_mods_list(&b) ? dir_add(s, dn, dir_mods_list(&b)) : UL_ETOOBIG;
}

int
dir_unclaim(struct dir_session *s, struct ul_store *st, const char *key)
{
	char dn[DIR_CLAIM_DN_MAX];
	int rc, r = claim_dn(st, key, dn);

	if (r != 0)
		return r;
	if (s->ld == NULL)
		return UL_EUNREACHABLE;
	s->gen++;
	rc = ldap_delete_ext_s(s->ld, dn, NULL, NULL);
	if (rc == LDAP_NO_SUCH_OBJECT)
		return 0;
	return rc == LDAP_SUCCESS ? 0 : dir_result(s, rc, true);
}

int
dir_delete(struct dir_session *s, const char *dn, const char *assertion)
{
	LDAPControl *ctrls[2] = {NULL, NULL};
	int rc;

	if (s->ld == NULL)
		return UL_EUNREACHABLE;
	if (assertion != NULL && ldap_create_assertion_control(s->ld,
	    (char *)assertion, 1, &ctrls[0]) != LDAP_SUCCESS)
		return UL_ESTORE;
	s->gen++;
	rc = ldap_delete_ext_s(s->ld, dn, ctrls[0] != NULL ? ctrls : NULL, NULL);
	ldap_control_free(ctrls[0]);
	if (rc == LDAP_NO_SUCH_OBJECT)
		return UL_ENOTFOUND;
	if (rc == LDAP_ASSERTION_FAILED)
		return UL_ECONFLICT;
	return rc == LDAP_SUCCESS ? 0 : dir_result(s, rc, true);
}

int
dir_search_all(struct dir_session *s, const char *base, int scope,
    const char *filter, char **attrs, LDAPMessage **res)
{
	int rc;

	*res = NULL;
	if (s->ld == NULL)
		return UL_EUNREACHABLE;
	rc = ldap_search_ext_s(s->ld, base, scope, filter, attrs, 0, NULL, NULL,
	    NULL, 0, res);
	if (rc == LDAP_NO_SUCH_OBJECT)
		return UL_ENOTFOUND;
	return rc == LDAP_SUCCESS ? 0 : dir_result(s, rc, false);
}

int
dir_claim_touch(struct dir_session *s, struct ul_store *st, const char *key,
    const char *holder, int64_t now)
{
	char dn[DIR_CLAIM_DN_MAX], v[DIR_CLAIM_DN_MAX * 3], assertion[sizeof(v) + 32];
	struct dir_mods b;
	int r = claim_dn(st, key, dn);

	if (r == 0)
		r = dir_filter_value(v, sizeof(v), holder);
	if (r != 0)
		return r;
	snprintf(assertion, sizeof(assertion), "(uniClaimHolder=%s)", v);
	dir_mods_init(&b);
	dir_mods_int(&b, LDAP_MOD_REPLACE, "uniCreated", now);
	return dir_modify(s, dn, dir_mods_list(&b), assertion, NULL, NULL);
}

/* ---- lists: the transaction's key cache ---- */

/* What a transaction's last list query found: every key above `from`, in
 * order, each "KEY\0EXTRA". */
struct dir_list {
	char *query;                /* scope, base and filter */
	char *from;
	char **keys;
	size_t n;
};

void
dir_list_drop(struct ul_txn *t)
{
	struct dir_list *l = t->list;
	size_t i;

	t->list = NULL;
	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->keys[i]);
	free(l->keys);
	free(l->query);
	free(l->from);
	free(l);
}

static int
key_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keys above `after` that the query finds, read once (only attrs). */
static int
list_read(struct ul_txn *t, char *query, const char *base, int scope,
    const char *filter, char **attrs, const struct dir_list_key *lk,
    const char *after)
{
	char k[DIR_KEY_MAX], x[DIR_EXTRA_MAX];
	struct dir_list *l = calloc(1, sizeof(*l));
	LDAPMessage *res = NULL, *e;
	pthread_mutex_t *lock;
	struct dir_session *s;
	int r, count;

	if (l == NULL || (l->from = strdup(after)) == NULL) {
		free(l);
		free(query);
		return UL_ENOMEM;
	}
	l->query = query;
	t->list = l;
	s = dir_lock_read(t, &lock);
	r = dir_search_all(s, base, scope, filter, attrs, &res);
	count = r == 0 ? ldap_count_entries(s->ld, res) : 0;
	if (count > 0 && (l->keys = calloc((size_t)count, sizeof(char *))) == NULL)
		r = UL_ENOMEM;
	for (e = r == 0 ? ldap_first_entry(s->ld, res) : NULL;
	    e != NULL && l->n < (size_t)count; e = ldap_next_entry(s->ld, e)) {
		size_t kl, xl;

		if (lk->key != NULL)
			lk->key(s, e, k, sizeof(k));
		else
			dir_text(s, e, lk->attr, k, sizeof(k));
		x[0] = '\0';
		if (lk->extra != NULL)
			dir_text(s, e, lk->extra, x, sizeof(x));
		if (strcmp(k, after) <= 0)
			continue;
		kl = strlen(k);
		xl = strlen(x);
		if ((l->keys[l->n] = malloc(kl + xl + 2)) == NULL) {
			r = UL_ENOMEM;
			break;
		}
		memcpy(l->keys[l->n], k, kl + 1);
		memcpy(l->keys[l->n] + kl + 1, x, xl + 1);
		l->n++;
	}
	pthread_mutex_unlock(lock);
	dir_msgfree(res);
	if (r != 0 && r != UL_ENOTFOUND) {
		dir_list_drop(t);
		return r;
	}
	if (l->n > 1)
		qsort(l->keys, l->n, sizeof(char *), key_order);
	return 0;
}

int
dir_list_next(struct ul_txn *t, const char *base, int scope,
    const char *filter, char **attrs, const struct dir_list_key *lk,
    const char *after, char *best, size_t n, char *extra, size_t en)
{
	struct dir_list *l;
	size_t lo, hi, qn = strlen(base) + strlen(filter) + 16;
	char *query = malloc(qn);
	int r;

	best[0] = '\0';
	if (extra != NULL)
		extra[0] = '\0';
	if (query == NULL)
		return UL_ENOMEM;
	snprintf(query, qn, "%d\n%s\n%s", scope, base, filter);
	l = t->list;
	if (l != NULL && strcmp(l->query, query) == 0 &&
	    strcmp(after, l->from) >= 0) {
		free(query);
	} else {
		dir_list_drop(t);
		if ((r = list_read(t, query, base, scope, filter, attrs, lk,
		    after)) != 0)
			return r;
		l = t->list;
	}
	/* the first key above after */
	for (lo = 0, hi = l->n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(l->keys[mid], after) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == l->n)
		return UL_ENOTFOUND;
	if (strlen(l->keys[lo]) >= n)
		return UL_ESTORE;
	memcpy(best, l->keys[lo], strlen(l->keys[lo]) + 1);
	if (extra != NULL) {
		const char *x = l->keys[lo] + strlen(l->keys[lo]) + 1;

		if (strlen(x) >= en)
			return UL_ESTORE;
		memcpy(extra, x, strlen(x) + 1);
	}
	return 0;
}

void
dir_key_account(struct dir_session *s, LDAPMessage *e, char *out, size_t n)
{
	char p[UL_PRODUCT_MAX + 1], a[UL_ACCOUNT_MAX + 1];

	dir_text(s, e, "uniProductName", p, sizeof(p));
	dir_text(s, e, "uniAccountName", a, sizeof(a));
	snprintf(out, n, "%s\t%s", p, a);
}

int
dir_by_owner_next(struct ul_txn *t, const char *ou, const char *cls,
    const char *id, const char *email, struct ul_cursor *cur,
    int (*get)(struct ul_txn *, const char *, void *), void *out)
{
	const struct dir_list_key lk = {NULL, id, NULL};
	char base[UL_LDAP_DN_MAX + 32], v[UL_EMAIL_MAX * 3 + 1];
	char filter[sizeof(v) + 128], best[DIR_CURSOR_KEY_MAX + 1];
	char after[DIR_CURSOR_KEY_MAX + 1], *attrs[] = {(char *)id, NULL};
	int r;

	if (dir_cursor_key(cur, after) != 0 ||
	    dir_filter_value(v, sizeof(v), email) != 0)
		return UL_EINVAL;
	snprintf(base, sizeof(base), "ou=%s,%s", ou, t->st->base);
	snprintf(filter, sizeof(filter), "(&(objectClass=%s)(uniOwnerEmail=%s))",
	    cls, v);
	do {
		/* the ids only (an SSH key's blob is up to 2,800 bytes), then
		 * the one */
		r = dir_list_next(t, base, LDAP_SCOPE_ONELEVEL, filter, attrs, &lk,
		    after, best, sizeof(best), NULL, 0);
		if (r == 0)
			r = dir_cursor_set(cur, best);
		if (r == 0)
			r = get(t, best, out);
		memcpy(after, best, strlen(best) + 1);
	} while (r == UL_ENOTFOUND && best[0] != '\0');
	return r;
}

int
dir_cursor_key(const struct ul_cursor *cur, char key[DIR_CURSOR_KEY_MAX + 1])
{
	size_t len = strnlen(cur->token, sizeof(cur->token)), n = 0;

	key[0] = '\0';
	if (len == sizeof(cur->token) || len % 2 != 0 ||
	    len / 2 > DIR_CURSOR_KEY_MAX ||
	    sodium_hex2bin((unsigned char *)key, DIR_CURSOR_KEY_MAX, cur->token,
	    len, NULL, &n, NULL) != 0 || n != len / 2 || memchr(key, '\0', n))
		return UL_EINVAL;
	key[n] = '\0';
	return 0;
}

int
dir_cursor_set(struct ul_cursor *cur, const char *key)
{
	size_t n = strlen(key);

	if (n > DIR_CURSOR_KEY_MAX)
		return UL_EINVAL;
	sodium_bin2hex(cur->token, sizeof(cur->token), (const unsigned char *)key,
	    n);
	return 0;
}

int
dir_context_csns(struct dir_session *s, const char *base, char csn[][64],
    int n)
{
	char *attrs[] = {"contextCSN", NULL};
	LDAPMessage *res = NULL, *e;
	struct berval **v;
	int k = 0, r = dir_search_one(s, base, LDAP_SCOPE_BASE, "(objectClass=*)",
	    attrs, &res, &e);

	v = r == 0 ? ldap_get_values_len(s->ld, e, "contextCSN") : NULL;
	for (int i = 0; v != NULL && v[i] != NULL && k < n; i++)
		if (v[i]->bv_len < 64) {
			memcpy(csn[k], v[i]->bv_val, v[i]->bv_len);
			csn[k++][v[i]->bv_len] = '\0';
		}
	dir_values_free(v);
	dir_msgfree(res);
	return r != 0 ? -1 : k;
}

const char *
dir_csn_sid(const char *csn, size_t *len)
{
	const char *a = strchr(csn, '#'), *b = a ? strchr(a + 1, '#') : NULL;
	const char *c = b ? strchr(b + 1, '#') : NULL;

	*len = c ? (size_t)(c - b - 1) : 0;
	return b ? b + 1 : "";
}

/* Read your writes: waits (bounded by ldap_timeout) until the replica's
 * contextCSN of ldap_base holds, for each server id, at least what the
 * provider's does, so that what this helper just wrote is what its next
 * read from the replica sees.  0 when it does (or when the base holds no
 * contextCSN: a base below the database's suffix), UL_ETIMEDOUT when
 * the replica did not catch up in time. */
int
dir_replica_catch_up(struct ul_store *st)
{
	char want[DIR_CSNS][64], have[DIR_CSNS][64];
	struct timespec pause = {0, 500000};
	int nw, nh, tries = (int)st->conf.ldap_timeout * 2000;

	pthread_mutex_lock(&st->provider_lock);
	nw = dir_context_csns(&st->provider, st->base, want, DIR_CSNS);
	pthread_mutex_unlock(&st->provider_lock);
	if (nw <= 0)
		return 0;
	for (int i = 0; i < tries; i++) {
		bool behind = false;

		pthread_mutex_lock(&st->replica_lock);
		nh = dir_context_csns(&st->replica, st->base, have, DIR_CSNS);
		pthread_mutex_unlock(&st->replica_lock);
		for (int w = 0; w < nw && !behind; w++) {
			size_t lw, lh;
			const char *sw = dir_csn_sid(want[w], &lw);
			bool ok = false;

			for (int h = 0; h < nh && !ok; h++) {
				const char *sh = dir_csn_sid(have[h], &lh);

				ok = lw == lh && memcmp(sw, sh, lw) == 0 &&
				    strcmp(have[h], want[w]) >= 0;
			}
			behind = !ok;
		}
		if (!behind)
			return 0;
		nanosleep(&pause, NULL);
	}
	return UL_ETIMEDOUT;
}
