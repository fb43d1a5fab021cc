/* Requests about the fleet a helper belongs to (INTERFACES.md, "Fleet").
 * `keys fingerprint`: what names this helper's keys file, so that an
 * admin can see that every helper of a fleet holds the same one (the file
 * is copied, never sent; the fingerprint gives no key away).
 * `fleet status`: what this host sees of the directory; `fleet promote`:
 * the step floor after a failover (T3); `fleet repair`: orphan claims. */
#include "config.h"

#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "helper/handlers/handlers.h"
#include "helper/rules/keys.h"
#include "helper/rules/totp.h"
#include "unilogin/error.h"

int
ul_h_keys_fingerprint(struct ul_call *c)
{
	char fp[UL_KEYS_FINGERPRINT_MAX + 1];

	if (c->h->keys == NULL)
		return ul_call_say(c, UL_EROLE, "this host (role = host) holds no "
		    "keys: its verifiers do");
	ul_keys_fingerprint(c->h->keys, fp);
	ul_msg_put_str(c->out, UL_F_FINGERPRINT, fp);
	return 0;
}

/* One more item of a "; "-joined list in out (cut at n bytes). */
static void __attribute__((format(printf, 4, 5)))
add_item(char *out, size_t n, size_t *used, const char *fmt, ...)
{
	va_list ap;

	if (*used > 0 && *used + 2 < n) {
		memcpy(out + *used, "; ", 3);
		*used += 2;
	}
	if (*used + 1 >= n)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(out + *used, n - *used, fmt, ap);
	va_end(ap);
	*used += strlen(out + *used);
}

/* Each thing about the key and the policy an admin should look at ("":
 * none). */
static void
status_details(const struct ul_fleet_status *s, const char *fp, char *out,
    size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	if (fp[0] != '\0' && s->recorded_key[0] != '\0' && !s->key_matches)
		add_item(out, n, &used, "this host's keys (%s) are not the fleet's "
		    "(%s, recorded under ldap_base)", fp, s->recorded_key);
	for (unsigned i = 0; i < s->ndiff; i++)
		add_item(out, n, &used, "policy %s: here %s, fleet %s",
		    s->diff[i].key, s->diff[i].here, s->diff[i].fleet);
}

int
ul_h_fleet_status(struct ul_call *c)
{
	char fp[UL_KEYS_FINGERPRINT_MAX + 1], detail[UL_TEXT_MAX], version[24];
	struct ul_fleet_status s;
	int r;

	static const char *const roles[] = {"standalone", "verifier", "host"};
	bool host = c->h->conf.role == UL_ROLE_HOST;

	/* role = host holds no keys (issue 16): nothing to compare */
	fp[0] = '\0';
	if (c->h->keys != NULL)
		ul_keys_fingerprint(c->h->keys, fp);
	r = ul_store_fleet_status(c->h->store, fp, &s);
	ul_msg_put_str(c->out, UL_F_BACKEND, r == UL_ENOTFLEET ? "lmdb" : "ldap");
	ul_msg_put_str(c->out, UL_F_ROLE, roles[c->h->conf.role]);
	if (r == UL_ENOTFLEET) {
		snprintf(c->message, sizeof(c->message), "backend lmdb: one host, "
		    "not a fleet (store = lmdb)");
		return 0;
	}
	if (r != 0)
		return ul_call_say(c, r, "fleet status: %s", ul_strerror(r));
	ul_msg_put_str(c->out, UL_F_PROVIDER, s.provider_ok ? "reachable" :
	    s.provider_why);
	ul_msg_put_str(c->out, UL_F_REPLICA, s.replica_ok ? "reachable" :
	    s.replica_why);
	if (s.schema > 0) {
		snprintf(version, sizeof(version), "%lld", (long long)s.schema);
		ul_msg_put_str(c->out, UL_F_VERSION, version);
	}
	if (s.lag_ms >= 0)
		ul_msg_put_int(c->out, UL_F_LAG_MS, s.lag_ms);
	ul_msg_put_int(c->out, UL_F_TOTP_STEP, s.step_floor);
	if (fp[0] != '\0')
		ul_msg_put_str(c->out, UL_F_FINGERPRINT, fp);
	status_details(&s, fp, detail, sizeof(detail));
	/* the most urgent first; the key and the policy are known once
	 * either server answered; a host reads its replica only (its
	 * verifiers write) */
	ul_msg_put_str(c->out, UL_F_STATE, !s.replica_ok && (host || !s.provider_ok) ?
	    "directory unreachable" : (!host && !s.provider_ok) || !s.replica_ok ?
	    "degraded" : !host && s.recorded_key[0] != '\0' && !s.key_matches ?
	    "other keys" : s.ndiff > 0 ? "policy differs" : "ok");
	if (detail[0] != '\0')
		ul_msg_put_str(c->out, UL_F_DETAIL, detail);
	return 0;
}

int
ul_h_fleet_promote(struct ul_call *c)
{
	int64_t now = ul_now(), was = 0, floor_now = 0, open_at;
	int64_t floor = ul_totp_step(now) + c->h->conf.totp_window + 1;
	char detail[128];
	struct ul_event e = {.event = "fleet_promote", .detail = detail};
	int r = ul_store_fleet_promote(c->h->store, floor, &was, &floor_now);

	if (r == UL_ENOTFLEET)
		return ul_call_say(c, r, "store = lmdb: one host, not a fleet: "
		    "nothing to promote");
	if (r != 0)
		return ul_call_say(c, r, "fleet promote: %s", ul_strerror(r));
	/* a code of the step after the floor is taken once the clock is
	 * within totp_window of it; a person's app shows it at that step */
	open_at = (floor_now + 1) * UL_TOTP_PERIOD;
	ul_msg_put_int(c->out, UL_F_TOTP_STEP, floor_now);
	ul_msg_put_int(c->out, UL_F_TIME, open_at);
	snprintf(detail, sizeof(detail), "step floor %lld (was %lld)",
	    (long long)floor_now, (long long)was);
	snprintf(c->message, sizeof(c->message), "step floor %lld (was %lld): "
	    "TOTP codes of steps up to it are refused from now on; the codes "
	    "apps show in %lld s are accepted", (long long)floor_now,
	    (long long)was, (long long)(open_at - now > 0 ? open_at - now : 0));
	ul_audit_alone(c, &e);
	return 0;
}

struct repair_out {
	struct ul_call *c;
	unsigned shown, more;
};

static void
repair_one(void *arg, const struct ul_fleet_orphan *o)
{
	struct repair_out *w = arg;

	if (ul_page_full(w->c->out)) {
		w->more++;
		return;
	}
	ul_msg_put_mark(w->c->out, UL_F_RECORD);
	ul_msg_put_str(w->c->out, UL_F_DETAIL, o->claim);
	ul_msg_put_int(w->c->out, UL_F_CREATED, o->created);
	w->shown++;
}

int
ul_h_fleet_repair(struct ul_call *c)
{
	bool dry = ul_msg_bool(c->in, UL_F_DRY_RUN);
	struct repair_out w = {.c = c};
	char detail[64];
	struct ul_event e = {.event = "fleet_repair", .detail = detail};
	unsigned removed = 0;
	int r = ul_store_fleet_repair(c->h->store, 0, ul_now() - UL_CLAIM_GRACE,
	    dry, repair_one, &w, &removed);

	if (r == UL_ENOTFLEET)
		return ul_call_say(c, r, "store = lmdb: one host, not a fleet: "
		    "no claims to repair");
	snprintf(detail, sizeof(detail), "%u orphan claims %s", removed,
	    dry ? "found (dry run)" : "removed");
	if (!dry && removed > 0)
		ul_audit_alone(c, &e);
	if (r != 0)
		return ul_call_say(c, r, "fleet repair: %s%s%s%s", ul_strerror(r),
		    removed ? " (" : "", removed ? detail : "", removed ? " before)" : "");
	snprintf(c->message, sizeof(c->message), "%s%s%s", removed == 0 ?
	    "no orphan claims" : detail, dry && removed ? ": nothing changed" : "",
	    w.more ? " (not all listed)" : "");
	return 0;
}
