/* Unit tests for helper/core/email.c: one visible address is one key (U1;
 * "Hardening 2", rows 13 and 16).  No option in the delivery command's
 * argv, no invisible or look-alike character in the local part, a
 * non-ASCII domain as its IDNA A-label; and the start-up check that
 * reports what an older helper stored under the old rules.  The old
 * accepted and refused cases are in test_email_keys.c and still hold.
 *
 * The store check works on a real store in a fresh mkdtemp directory. */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/conf.h"
#include "helper/core/email.h"
#include "helper/core/log.h"
#include "helper/store/store.h"
#include "unilogin/error.h"

#define ZWSP "\xe2\x80\x8b"             /* U+200B ZERO WIDTH SPACE (Cf) */
#define NBSP "\xc2\xa0"                 /* U+00A0 NO-BREAK SPACE (Zs) */
#define RLO "\xe2\x80\xae"              /* U+202E RIGHT-TO-LEFT OVERRIDE */
#define CYR_A "\xd0\xb0"                /* U+0430 CYRILLIC SMALL LETTER A */
#define U_UML "\xc3\xbc"                /* U+00FC ü */

static void
assert_email(const char *in, const char *want)
{
	char out[UL_EMAIL_MAX + 1], again[UL_EMAIL_MAX + 1];

	assert_int_equal(ul_email_normalise(in, out), 0);
	assert_string_equal(out, want);
	/* a key is its own key */
	assert_int_equal(ul_email_normalise(out, again), 0);
	assert_string_equal(again, out);
}

static void
assert_email_refused(const char *in)
{
	char out[UL_EMAIL_MAX + 1];

	memset(out, 'z', sizeof(out));
	assert_int_equal(ul_email_normalise(in, out), UL_EINVAL);
	assert_int_equal(out[0], '\0');
}

/* ---- row 13: no option in argv ---- */

static void
test_leading_dash_refused(void **state)
{
	(void)state;
	assert_email_refused("-x@example.com");
	assert_email_refused("--help@example.com");
	assert_email_refused("-@example.com");
	assert_email_refused("  -x@example.com");      /* after the trim, too */
	assert_email_refused("\t-oProxyCommand=x@example.com");
	/* a '-' elsewhere is an ordinary character */
	assert_email("x-y@example.com", "x-y@example.com");
	assert_email("x-@example.com", "x-@example.com");
	assert_email("x@my-host.example.com", "x@my-host.example.com");
}

/* ---- row 16: invisible and look-alike characters ---- */

static void
test_zero_width_space_refused(void **state)
{
	(void)state;
	assert_email_refused("alice@example.com" ZWSP);
	assert_email_refused("alice@exa" ZWSP "mple.com");
	assert_email_refused("ali" ZWSP "ce@example.com");
	assert_email_refused(ZWSP "alice@example.com");
	/* libidn2 would drop it from a non-ASCII domain: refused first */
	assert_email_refused("x@b" U_UML "cher" ZWSP ".example");
	assert_email("alice@example.com", "alice@example.com");
}

static void
test_no_break_space_refused(void **state)
{
	(void)state;
	assert_email_refused("alice@example.com" NBSP);
	assert_email_refused(NBSP "alice@example.com");
	assert_email_refused("alice@exa" NBSP "mple.com");
	assert_email_refused("ali" NBSP "ce@example.com");
	assert_email_refused("x@b" U_UML "cher.example" NBSP);
	/* U+3000 IDEOGRAPHIC SPACE, U+2028 LINE SEPARATOR */
	assert_email_refused("x@b" U_UML "cher.example\xe3\x80\x80");
	assert_email_refused("x@b" U_UML "cher\xe2\x80\xa8.example");
}

static void
test_bidi_override_refused(void **state)
{
	(void)state;
	assert_email_refused("alice" RLO "@example.com");
	assert_email_refused(RLO "alice@example.com");
	assert_email_refused("alice@" RLO "example.com");
	assert_email_refused("alice@example.com" RLO);
	/* U+200E LRM, U+2066 LRI, U+061C ALM */
	assert_email_refused("alice@b" U_UML "cher\xe2\x80\x8e.example");
	assert_email_refused("alice@b" U_UML "cher\xe2\x81\xa6.example");
	assert_email_refused("alice@b" U_UML "cher\xd8\x9c.example");
}

/* What libidn2 2.3.3 maps to nothing (U+00AD, U+2060, U+FEFF, U+FE0F,
 * U+034F, U+180B), and C1 controls: each would make a second spelling of
 * one key, or hide in a log. */
static void
test_other_invisibles_refused(void **state)
{
	static const char *const hidden[] = {"\xc2\xad", "\xe2\x81\xa0",
	    "\xef\xbb\xbf", "\xef\xb8\x8f", "\xcd\x8f", "\xe1\xa0\x8b",
	    "\xc2\x85", "\xc2\x9b", "\xf3\xa0\x81\x81"};
	char in[64];

	(void)state;
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		snprintf(in, sizeof(in), "x@b" U_UML "c%sher.example", hidden[i]);
		assert_email_refused(in);
		snprintf(in, sizeof(in), "x%s@example.com", hidden[i]);
		assert_email_refused(in);
	}
}

static void
test_non_ascii_local_part_refused(void **state)
{
	(void)state;
	assert_email_refused(CYR_A "lice@example.com");   /* а: Cyrillic */
	assert_email_refused("alic\xc3\xa9@example.com");  /* é */
	assert_email_refused("b" U_UML "cher@example.com");
	assert_email_refused("x\xff@example.com");          /* not UTF-8 */
}

static void
test_homoglyph_domain_is_its_own_a_label(void **state)
{
	char latin[UL_EMAIL_MAX + 1], cyrillic[UL_EMAIL_MAX + 1];

	(void)state;
	assert_email("alice@ex" CYR_A "mple.com", "alice@xn--exmple-4nf.com");
	assert_int_equal(ul_email_normalise("alice@example.com", latin), 0);
	assert_int_equal(ul_email_normalise("alice@ex" CYR_A "mple.com",
	    cyrillic), 0);
	assert_string_not_equal(latin, cyrillic);
	/* and its A-label typed directly is the same user */
	assert_email("alice@XN--EXMPLE-4NF.com", "alice@xn--exmple-4nf.com");
}

static void
test_idn_u_label_equals_a_label(void **state)
{
	(void)state;
	assert_email("x@b" U_UML "cher.example", "x@xn--bcher-kva.example");
	assert_email("x@xn--bcher-kva.example", "x@xn--bcher-kva.example");
	assert_email("X@XN--BCHER-KVA.EXAMPLE", "x@xn--bcher-kva.example");
	assert_email("x@B\xc3\x9c" "CHER.EXAMPLE", "x@xn--bcher-kva.example");
	/* decomposed: u + U+0308 COMBINING DIAERESIS (NFC_INPUT) */
	assert_email("x@bu\xcc\x88" "cher.example", "x@xn--bcher-kva.example");
	/* U+FF0E FULLWIDTH FULL STOP and U+3002 are a label's dot (UTS #46) */
	assert_email("x@b" U_UML "cher\xef\xbc\x8e" "example",
	    "x@xn--bcher-kva.example");
	assert_email("  x@b" U_UML "cher.example\n", "x@xn--bcher-kva.example");
}

/* NONTRANSITIONAL: ß stays ß (xn--strae-oqa.de is not strasse.de). */
static void
test_idn_nontransitional(void **state)
{
	(void)state;
	assert_email("x@stra\xc3\x9f" "e.de", "x@xn--strae-oqa.de");
	assert_email("x@strasse.de", "x@strasse.de");
	/* ZWJ outside the context IDNA allows it in */
	assert_email_refused("x@a\xe2\x80\x8d" "b.com");
}

/* An A-label is accepted only as the one its U-label gives. */
static void
test_a_label_must_be_canonical(void **state)
{
	(void)state;
	assert_email_refused("x@xn--zz.example");          /* bad Punycode */
	assert_email_refused("x@xn--a.example");
	/* A-labels that show as bücher but are not its A-label: of "bu"
	 * U+0308 "cher" (not NFC), of "bÜcher", of "büc" U+200B "her"; and
	 * of "ex" U+00AD "ample", which shows as example */
	assert_email_refused("x@xn--bucher-xyd.example");
	assert_email_refused("x@xn--bcher-2pa.example");
	assert_email_refused("x@xn--bcher-kva2776c.example");
	assert_email_refused("x@xn--example-mka.com");
	/* the A-label of U+2481 U+2481 U+2476, which UTS #46 maps to
	 * "(14)(14)(3)": libidn2 2.3.3 lets it through, alone or beside a
	 * U-label */
	assert_email_refused("x@xn--bshva.example");
	assert_email_refused("x@b" U_UML "cher.xn--bshva.example");
	assert_email_refused("x@b" U_UML "cher.xn--bucher-xyd.example");
	/* "bu" U+0292 "cher" is another name, so another key */
	assert_email("x@xn--bucher-cbd.example", "x@xn--bucher-cbd.example");
	/* ASCII domains with no A-label keep the old rules */
	assert_email("x@xn-bcher.example", "x@xn-bcher.example");
	assert_email("x@a_b.example", "x@a_b.example");
}

static void
test_idn_refusals(void **state)
{
	(void)state;
	assert_email_refused("x@\xd7\x90" "a.com");        /* Bidi Rule (RFC 5893) */
	assert_email("x@\xd7\x90\xd7\x91.com", "x@xn--4dbc.com");
	assert_email_refused("x@\xf0\x9f\x98\x80.com");    /* emoji: DISALLOWED */
	assert_email_refused("x@\xef\xbc\xa0" "b" U_UML "cher.example"); /* ＠ */
	assert_email_refused("x@b" U_UML "cher.example\xe3\x80\x82");  /* last dot */
	assert_email_refused("x@b" U_UML "cher..example");
	assert_email_refused("x@b" U_UML "cher");           /* no dot */
	assert_email_refused("x@.b" U_UML "cher.example");
	/* not UTF-8: overlong '.', a surrogate, a stray continuation */
	assert_email_refused("x@b" U_UML "cher\xc0\xae" "example");
	assert_email_refused("x@b" U_UML "cher.\xed\xa0\x80" "example");
	assert_email_refused("x@b" U_UML "cher.\x80" "example");
	assert_email_refused("x@b\xc3");
}

/* `local` 'a's, '@', `labels` times "bücher." (8 bytes typed, 14 as the
 * A-label "xn--bcher-kva."), then "example". */
static void
idn_address(char *buf, size_t size, size_t local, int labels)
{
	size_t n = 0;

	memset(buf, 'a', local);
	n = local;
	buf[n++] = '@';
	for (int i = 0; i < labels; i++)
		n += (size_t)snprintf(buf + n, size - n, "b" U_UML "cher.");
	snprintf(buf + n, size - n, "example");
}

/* UL_EMAIL_MAX counts the key, not what was typed. */
static void
test_length_measured_after_conversion(void **state)
{
	char in[1024], out[UL_EMAIL_MAX + 1], label[61];

	(void)state;
	/* 64 + 1 + 13 * 14 + 7 = 254 as A-labels, from 176 bytes typed */
	idn_address(in, sizeof(in), 64, 13);
	assert_int_equal(ul_email_normalise(in, out), 0);
	assert_int_equal(strlen(out), UL_EMAIL_MAX);
	assert_non_null(strstr(out, "@xn--bcher-kva.xn--bcher-kva."));
	/* one more byte of local part: 255 */
	idn_address(in, sizeof(in), 65, 13);
	assert_true(strlen(in) < UL_EMAIL_MAX);
	assert_email_refused(in);
	/* 14 labels: 268 bytes as A-labels, from 184 typed */
	idn_address(in, sizeof(in), 64, 14);
	assert_true(strlen(in) < UL_EMAIL_MAX);
	assert_email_refused(in);
	/* and the other way: 257 bytes typed with full-width dots (3 bytes
	 * each) are a 251-byte key */
	memset(label, 'd', 60);
	label[60] = '\0';
	snprintf(in, sizeof(in), "%.64s@%s\xef\xbc\x8e%s\xef\xbc\x8e%s\xef\xbc\x8eorg",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    label, label, label);
	assert_int_equal(strlen(in), 257);
	assert_int_equal(ul_email_normalise(in, out), 0);
	assert_int_equal(strlen(out), 251);
}

/* Printable ASCII the old rules let through still goes through as it was. */
static void
test_ascii_as_before(void **state)
{
	(void)state;
	assert_email("O'Brien+Tag@Sub.Example.CO.UK", "o'brien+tag@sub.example.co.uk");
	assert_email("a_b@x_y.org", "a_b@x_y.org");
	assert_email("ann@[192.168.0.1]", "ann@[192.168.0.1]");
	assert_email("\"q\"@example.org", "\"q\"@example.org");
	assert_email_refused("ann@example.org" "\x7f");
	assert_email_refused("ann@@example.org");
}

/* ---- the store an older helper left ---- */

struct store_fixture {
	char root[64];
	char dir[96];
	struct ul_conf conf;
	struct ul_store *st;
	char err[256];
	char log[96];
};

static int
store_setup(void **state)
{
	struct store_fixture *fx = test_calloc(1, sizeof(*fx));

	snprintf(fx->root, sizeof(fx->root), "/tmp/ul-email-XXXXXX");
	if (mkdtemp(fx->root) == NULL)
		return -1;
	ul_conf_defaults(&fx->conf);
	snprintf(fx->dir, sizeof(fx->dir), "%s/store", fx->root);
	snprintf(fx->conf.state_dir, sizeof(fx->conf.state_dir), "%s", fx->dir);
	snprintf(fx->log, sizeof(fx->log), "%s/log", fx->root);
	if (ul_store_open(&fx->st, &fx->conf, fx->err, sizeof(fx->err)) != 0) {
		fprintf(stderr, "store: %s\n", fx->err);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
store_teardown(void **state)
{
	struct store_fixture *fx = *state;
	char p[160];

	ul_store_close(fx->st);
	snprintf(p, sizeof(p), "%s/data.mdb", fx->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", fx->dir);
	unlink(p);
	rmdir(fx->dir);
	unlink(fx->log);
	rmdir(fx->root);
	test_free(fx);
	return 0;
}

/* A user stored as given, as an older helper would have: no
 * normalisation on the way. */
static void
stored_user(struct store_fixture *fx, const char *email, const char *pending)
{
	static int n;
	struct ul_user u;
	struct ul_txn *t = NULL;

	memset(&u, 0, sizeof(u));
	snprintf(u.email, sizeof(u.email), "%s", email);
	snprintf(u.pending_email, sizeof(u.pending_email), "%s", pending);
	snprintf(u.id, sizeof(u.id), "%032x", ++n);
	u.confirmed = true;
	assert_int_equal(ul_txn_begin(fx->st, true, &t), 0);
	assert_int_equal(ul_store_user_create(t, &u), 0);
	assert_int_equal(ul_txn_commit(t), 0);
}

/* ul_email_check_store, with what it logs to stderr caught in fx->log. */
static int
check_store_logged(struct store_fixture *fx, unsigned *invalid, char *log,
    size_t size)
{
	int fd = open(fx->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int saved = dup(2), r;
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	r = ul_email_check_store(fx->st, invalid);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	fd = open(fx->log, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, log, size - 1);
	close(fd);
	assert_true(n >= 0);
	log[n] = '\0';
	return r;
}

/* Nothing was rewritten: the old key is there as it was, the new one not. */
static void
assert_still_stored(struct store_fixture *fx, const char *old, const char *now)
{
	struct ul_txn *t = NULL;
	struct ul_user u;

	assert_int_equal(ul_txn_begin(fx->st, false, &t), 0);
	assert_int_equal(ul_store_user_get(t, old, &u), 0);
	assert_string_equal(u.email, old);
	assert_int_equal(ul_store_user_get(t, now, &u), UL_ENOTFOUND);
	ul_txn_abort(t);
}

static void
test_check_store_clean(void **state)
{
	struct store_fixture *fx = *state;
	unsigned invalid = 99;
	char log[4096];

	stored_user(fx, "ann@example.org", "");
	stored_user(fx, "x@xn--bcher-kva.example", "");
	assert_int_equal(check_store_logged(fx, &invalid, log, sizeof(log)), 0);
	assert_int_equal(invalid, 0);
	assert_string_equal(log, "");
}

static void
test_check_store_empty(void **state)
{
	struct store_fixture *fx = *state;
	unsigned invalid = 99;
	char log[4096];

	assert_int_equal(check_store_logged(fx, &invalid, log, sizeof(log)), 0);
	assert_int_equal(invalid, 0);
}

static void
test_check_store_reports_old_keys(void **state)
{
	struct store_fixture *fx = *state;
	unsigned invalid = 99;
	char log[8192];

	stored_user(fx, "ann@example.org", "");
	stored_user(fx, "-oProxyCommand=x@example.com", "");
	stored_user(fx, "alice@example.com" ZWSP, "");
	stored_user(fx, "x@b" U_UML "cher.example", "");
	stored_user(fx, "bo@example.org", "bo" RLO "@example.org");
	stored_user(fx, "cy@example.org", "cy@new.example.org");
	assert_int_equal(check_store_logged(fx, &invalid, log, sizeof(log)), 0);
	/* three users' own emails and one pending email */
	assert_int_equal(invalid, 4);
	assert_non_null(strstr(log, "warning: store: user "
	    "\"-oProxyCommand=x@example.com\": not a valid email address"));
	assert_non_null(strstr(log,
	    "user \"alice@example.com\\xe2\\x80\\x8b\": not a valid"));
	assert_non_null(strstr(log, "user \"x@b\\xc3\\xbccher.example\": the "
	    "current rules would store it as \"x@xn--bcher-kva.example\""));
	assert_non_null(strstr(log, "user \"bo@example.org\", pending email "
	    "\"bo\\xe2\\x80\\xae@example.org\": not a valid"));
	assert_non_null(strstr(log, "left as stored"));
	/* the good ones are not named, and no raw byte reached the log */
	assert_null(strstr(log, "ann@example.org"));
	assert_null(strstr(log, "cy@"));
	for (const char *p = log; *p != '\0'; p++)
		assert_true(*p == '\n' || ((unsigned char)*p >= ' ' &&
		    (unsigned char)*p < 0x7f));
	assert_still_stored(fx, "x@b" U_UML "cher.example",
	    "x@xn--bcher-kva.example");
}
#define S(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leading_dash_refused),
		cmocka_unit_test(test_zero_width_space_refused),
		cmocka_unit_test(test_no_break_space_refused),
		cmocka_unit_test(test_bidi_override_refused),
		cmocka_unit_test(test_other_invisibles_refused),
		cmocka_unit_test(test_non_ascii_local_part_refused),
		cmocka_unit_test(test_homoglyph_domain_is_its_own_a_label),
		cmocka_unit_test(test_idn_u_label_equals_a_label),
		cmocka_unit_test(test_idn_nontransitional),
		cmocka_unit_test(test_a_label_must_be_canonical),
		cmocka_unit_test(test_idn_refusals),
		cmocka_unit_test(test_length_measured_after_conversion),
		cmocka_unit_test(test_ascii_as_before),
		S(test_check_store_empty),
		S(test_check_store_clean),
		S(test_check_store_reports_old_keys),
	};

	/* the store wipes with libsodium and draws ids from it; the check
	 * logs to stderr, as unilogind --foreground does */
	if (sodium_init() < 0)
		return 1;
	ul_log_init(true);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
