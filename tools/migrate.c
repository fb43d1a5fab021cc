/* `uniloginctl migrate` (M1): the host's users are read (migrate_host.c),
 * sent to the helper a batch at a time (UL_REQ_MIGRATE, one record per
 * user), and the outcome printed: a line per user, the users kept local,
 * a summary, and the commands that remove the migrated users from
 * /etc/passwd and /etc/shadow, printed and never run.  --json gives all
 * of it as one document. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "common/util.h"
#include "tools/migrate.h"
#include "unilogin/error.h"
#include "unilogin/proto.h"

#define SYSTEM_UID_MAX 999
#define BATCH_USERS 200
#define RECORD_ROOM 2048            /* bytes one user's record may take */

struct summary {
	unsigned migrated, linked, legacy, apps, present, refused, kept;
};

static int
parse_range(struct ul_cli *cli, const char *s, struct mig_options *o)
{
	char *end;
	unsigned long min, max;

	if (s == NULL) {
		fprintf(stderr, "%s: migrate needs --uid-range MIN-MAX\n", cli->prog);
		return UL_EXIT_USAGE;
	}
	min = strtoul(s, &end, 10);
	if (end == s || *end != '-' || end[1] < '0' || end[1] > '9') {
		fprintf(stderr, "%s: --uid-range: expected MIN-MAX\n", cli->prog);
		return UL_EXIT_USAGE;
	}
	max = strtoul(end + 1, &end, 10);
	if (*end != '\0' || max < min || max > UINT32_MAX - 1) {
		fprintf(stderr, "%s: --uid-range: expected MIN-MAX with MIN <= MAX\n",
		    cli->prog);
		return UL_EXIT_USAGE;
	}
	if (min <= SYSTEM_UID_MAX) {
		fprintf(stderr, "%s: refused: --uid-range %s holds %s; local users "
		    "start at 1000\n", cli->prog, s, min == 0 ? "uid 0" :
		    "system users (uids below 1000)");
		return UL_EXIT_RULE;
	}
	if (min < cli->conf.uid_min || max > cli->conf.uid_max) {
		fprintf(stderr, "%s: refused: --uid-range %s is not inside uid_min.."
		    "uid_max (%u..%u): set them in unilogin.conf to cover it\n",
		    cli->prog, s, cli->conf.uid_min, cli->conf.uid_max);
		return UL_EXIT_RULE;
	}
	o->min = (uint32_t)min;
	o->max = (uint32_t)max;
	return 0;
}

static void
put_user(struct ul_msg *m, const struct mig_user *u)
{
	char hex[2 * MIG_SEED_MAX + 1];

	ul_msg_put_mark(m, UL_F_RECORD);
	ul_msg_put_str(m, UL_F_UNIX_USER, u->name);
	ul_msg_put_int(m, UL_F_UID, u->uid);
	ul_msg_put_int(m, UL_F_GID, u->gid);
	ul_msg_put_str(m, UL_F_HOME, u->home);
	ul_msg_put_str(m, UL_F_SHELL, u->shell);
	/* GECOS: its first field is the person's name */
	ul_msg_put_str(m, UL_F_FRIENDLY_NAME, u->gecos);
	ul_msg_put_str(m, UL_F_LEGACY_HASH, u->hash);
	if (u->email[0])
		ul_msg_put_str(m, UL_F_EMAIL, u->email);
	if (u->seed_len) {
		sodium_bin2hex(hex, sizeof(hex), u->seed, u->seed_len);
		ul_msg_put_str(m, UL_F_TOTP_SEED, hex);
		sodium_memzero(hex, sizeof(hex));
		ul_msg_put_int(m, UL_F_DIGITS, u->digits);
		ul_msg_put_int(m, UL_F_TOTP_STEP, u->step);
		ul_msg_put_str(m, UL_F_SOURCE, u->source);
		for (unsigned i = 0; i < u->nscratch; i++)
			ul_msg_put_str(m, UL_F_SCRATCH_CODE, u->scratch[i]);
	}
}

/* The helper's answer for the users sent, in their order. */
static void
take_results(const struct ul_msg *rep, struct mig_user **sent, unsigned n)
{
	int k = -1;

	for (unsigned i = 0; i < rep->nfields; i++) {
		const struct ul_field *f = &rep->fields[i];

		if (f->tag == UL_F_RECORD)
			k++;
		if (k < 0 || (unsigned)k >= n)
			continue;
		if (f->tag == UL_F_OUTCOME)
			ul_text_safe(ul_field_str(rep, f), sent[k]->outcome,
			    sizeof(sent[k]->outcome));
		else if (f->tag == UL_F_EMAIL)   /* normalised (U1) */
			ul_text_safe(ul_field_str(rep, f), sent[k]->email,
			    sizeof(sent[k]->email));
		else if (f->tag == UL_F_DETAIL)
			ul_text_safe(ul_field_str(rep, f), sent[k]->detail,
			    sizeof(sent[k]->detail));
	}
}

static int
send_batch(struct ul_cli *cli, struct mig_user **sent, unsigned n)
{
	int status = 0;

	if (n == 0)
		return 0;
	if (ul_cli_call(cli, &status) != 0)
		return status;
	take_results(cli->cl->rep, sent, n);
	return 0;
}

static void
start_batch(struct ul_cli *cli, const struct mig_options *o)
{
	ul_client_begin(cli->cl, UL_REQ_MIGRATE);
	if (o->dry_run)
		ul_msg_put_bool(cli->cl->req, UL_F_DRY_RUN, true);
}

/* Every user that is not skipped, a frame at a time; progress on a
 * terminal. */
static int
send_all(struct ul_cli *cli, const struct mig_options *o, struct mig_host *h)
{
	struct mig_user *sent[BATCH_USERS];
	bool tty = isatty(STDERR_FILENO) && !cli->json;
	unsigned n = 0, done = 0;
	int status = 0;

	start_batch(cli, o);
	for (unsigned i = 0; status == 0 && i < h->n; i++) {
		if (h->users[i].skip)
			continue;
		if (n == BATCH_USERS || cli->cl->req->len + RECORD_ROOM > UL_FRAME_MAX) {
			status = send_batch(cli, sent, n);
			done += n;
			n = 0;
			if (tty)
				fprintf(stderr, "\rmigrate: %u of %u users", done, h->n);
			start_batch(cli, o);
		}
		put_user(cli->cl->req, &h->users[i]);
		sent[n++] = &h->users[i];
	}
	if (status == 0)
		status = send_batch(cli, sent, n);
	if (tty)
		fprintf(stderr, "\rmigrate: %u of %u users\n", done + n, h->n);
	return status;
}

static bool
is(const struct mig_user *u, const char *outcome)
{
	return strcmp(u->outcome, outcome) == 0;
}

static bool
moved_in(const struct mig_user *u)
{
	return is(u, "linked") || is(u, "linked-existing") || is(u, "legacy") ||
	    is(u, "present");
}

static void
count(const struct mig_host *h, struct summary *s)
{
	memset(s, 0, sizeof(*s));
	s->kept = h->nkept + h->nkept_more;
	for (unsigned i = 0; i < h->n; i++) {
		const struct mig_user *u = &h->users[i];

		if (u->skip && u->why[0] == '\0')
			continue;       /* an admin: counted as kept */
		s->linked += is(u, "linked") || is(u, "linked-existing");
		s->legacy += is(u, "legacy");
		s->apps += is(u, "linked") && u->seed_len > 0;
		s->present += is(u, "present");
		s->refused += u->skip || !moved_in(u);
	}
	s->migrated = s->linked + s->legacy;
}

static const char *
outcome_text(const struct mig_user *u, char *buf, size_t n)
{
	if (u->skip)
		snprintf(buf, n, "skipped: %s", u->why);
	else if (is(u, "linked"))
		snprintf(buf, n, "linked to %s%s%s", u->email, u->seed_len ?
		    ", authenticator imported from " : "", u->seed_len ? u->source : "");
	else if (is(u, "linked-existing"))
		snprintf(buf, n, "linked to the existing user %s, who keeps its "
		    "password and two-factor", u->email);
	else if (is(u, "legacy"))
		snprintf(buf, n, "a legacy account: %s", u->detail);
	else if (is(u, "present"))
		snprintf(buf, n, "already migrated: nothing imported");
	else
		snprintf(buf, n, "%s: %s", u->outcome[0] ? u->outcome : "not sent",
		    u->detail);
	return buf;
}

static void
print_text(const struct mig_host *h, const struct mig_options *o,
    const struct summary *s)
{
	char buf[2 * MIG_WHY_MAX];
	bool any = false;

	if (o->dry_run)
		printf("dry run: this is what would change; nothing was changed\n");
	for (unsigned i = 0; i < h->n; i++) {
		const struct mig_user *u = &h->users[i];

		if (u->skip && u->why[0] == '\0')
			continue;
		printf("%s (uid %u): %s\n", u->name, u->uid, outcome_text(u, buf, sizeof(buf)));
		if (u->note[0] && !u->skip)
			printf("%s (uid %u): note: %s\n", u->name, u->uid, u->note);
	}
	for (unsigned i = 0; i < h->nkept; i++)
		printf("kept local: %s\n", h->kept[i]);
	if (h->nkept_more)
		printf("kept local: %u more\n", h->nkept_more);
	/* S6: their uids lie inside uid_min..uid_max now */
	if (s->kept)
		printf("note: the users kept local have uids inside uid_min..uid_max: "
		    "while the helper is unreachable their logins get "
		    "PAM_AUTHINFO_UNAVAIL, not pam_unix (S6); give them uids outside "
		    "the range, or keep a root login\n");
	printf("summary: %u users %smigrated (%u linked, %u left legacy), %u "
	    "authenticator apps imported, %u already present, %u skipped or "
	    "refused, %u kept local\n", s->migrated, o->dry_run ? "would be " : "",
	    s->linked, s->legacy, s->apps, s->present, s->refused, s->kept);
	for (unsigned i = 0; i < h->n; i++) {
		if (!moved_in(&h->users[i]) || h->users[i].skip)
			continue;
		if (!any)
			printf("To remove the migrated users from /etc/passwd and "
			    "/etc/shadow (homes and files stay), run as root:\n");
		any = true;
		printf("  userdel %s\n", h->users[i].name);
	}
}

static void
add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static void
print_json(const struct mig_host *h, const struct mig_options *o,
    const struct summary *s)
{
	json_object *doc = json_object_new_object(), *users = json_object_new_array();
	json_object *kept = json_object_new_array(), *cmds = json_object_new_array();
	json_object *sum = json_object_new_object();
	char buf[64];

	for (unsigned i = 0; i < h->n; i++) {
		const struct mig_user *u = &h->users[i];
		json_object *j = json_object_new_object();

		if (u->skip && u->why[0] == '\0') {
			json_object_put(j);
			continue;
		}
		add_str(j, "unix_user", u->name);
		json_object_object_add(j, "uid", json_object_new_int64(u->uid));
		add_str(j, "outcome", u->skip ? "skipped" : u->outcome);
		if (u->email[0])
			add_str(j, "email", u->email);
		if (u->seed_len && !u->skip)
			add_str(j, "source", u->source);
		if (u->skip || u->detail[0])
			add_str(j, "detail", u->skip ? u->why : u->detail);
		if (u->note[0] && !u->skip)
			add_str(j, "note", u->note);
		json_object_array_add(users, j);
		if (!u->skip && moved_in(u)) {
			snprintf(buf, sizeof(buf), "userdel %s", u->name);
			json_object_array_add(cmds, json_object_new_string(buf));
		}
	}
	for (unsigned i = 0; i < h->nkept; i++)
		json_object_array_add(kept, json_object_new_string(h->kept[i]));
	json_object_object_add(sum, "migrated", json_object_new_int64(s->migrated));
	json_object_object_add(sum, "linked", json_object_new_int64(s->linked));
	json_object_object_add(sum, "legacy", json_object_new_int64(s->legacy));
	json_object_object_add(sum, "apps", json_object_new_int64(s->apps));
	json_object_object_add(sum, "present", json_object_new_int64(s->present));
	json_object_object_add(sum, "skipped", json_object_new_int64(s->refused));
	json_object_object_add(sum, "kept_local", json_object_new_int64(s->kept));
	json_object_object_add(doc, "dry_run", json_object_new_boolean(o->dry_run));
	json_object_object_add(doc, "users", users);
	json_object_object_add(doc, "kept_local", kept);
	json_object_object_add(doc, "summary", sum);
	json_object_object_add(doc, "removal_commands", cmds);
	printf("%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
}

int
ul_mig_run(struct ul_cli *cli, const struct ul_cli_cmd *cmd, char **args,
    int nargs)
{
	struct mig_options o = {
		.emails = ul_cli_opt(cli, "emails"),
		.google_authenticator = ul_cli_opt(cli, "google-authenticator") != NULL,
		.oath_users = ul_cli_opt(cli, "oath-users"),
		.dry_run = ul_cli_opt(cli, "dry-run") != NULL,
		.totp_window = cli->conf.totp_window,
	};
	struct mig_host h;
	struct summary s;
	int status;

	(void)args;
	if (nargs != 0)
		return ul_cli_usage(cli, cmd);
	if ((status = parse_range(cli, ul_cli_opt(cli, "uid-range"), &o)) != 0)
		return status;
	if (geteuid() != 0) {
		fprintf(stderr, "%s: migrate runs as root: it reads /etc/shadow and "
		    "the users' files\n", cli->prog);
		return UL_EXIT_DENIED;
	}
	if ((status = ul_mig_read_host(cli, &o, &h)) != 0)
		return status;
	status = send_all(cli, &o, &h);
	if (status == 0) {
		count(&h, &s);
		if (cli->json)
			print_json(&h, &o, &s);
		else
			print_text(&h, &o, &s);
		status = s.refused ? UL_EXIT_RULE : 0;
	}
	ul_mig_free_host(&h);
	return status;
}
