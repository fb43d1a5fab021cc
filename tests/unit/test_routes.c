/* Unit test of the dispatch table (helper/handlers/dispatch.c): it walks
 * every request type and asserts the rules the table must carry, so that a
 * route added later cannot forget one.
 *
 *   - every request the protocol names has a route, and nothing else does;
 *   - the admin range of request numbers (64 and up, proto.h) is ADMIN,
 *     and every ADMIN route lies in it (S5);
 *   - a request that carries a secret says so, and when any local caller
 *     may send it, it is rate-limited per uid or spends a single-use ticket
 *     that only a rate-limited request hands out (S3);
 *   - rhost is believed only from uid 0, on every route (T7, S8): from
 *     another uid the field is gone before the handler;
 *   - no admin route may write on the disk reserve (S7: it is for logins).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "helper/handlers/dispatch.h"
#include "unilogin/error.h"
#include "unilogin/proto.h"

/* What proto.h says carries a password, a code, a key or a ticket, named
 * here independently of the table. */
static const uint16_t secret_requests[] = {
	UL_REQ_LOGIN_BEGIN, UL_REQ_LOGIN_CODE, UL_REQ_LOGIN_LEGACY,
	UL_REQ_LOGIN_SMS, UL_REQ_APIKEY_LOGIN, UL_REQ_PASSWD_BEGIN,
	UL_REQ_PASSWD_CHANGE, UL_REQ_SELF_VERIFY, UL_REQ_SELF_RESET,
	UL_REQ_SELF_TFA, UL_REQ_SELF_APIKEY, UL_REQ_SELF_LINK, UL_REQ_SELF_SSHKEY,
	UL_REQ_SELF_ACCOUNTS, UL_REQ_USER_VERIFY, UL_REQ_USER_PASSWD,
	UL_REQ_ACCOUNT_ADD, UL_REQ_ACCOUNT_PASSWD, UL_REQ_TFA_CONFIRM,
	UL_REQ_IMPORT, UL_REQ_MIGRATE,
};

static void
test_every_request_has_a_route(void **state)
{
	unsigned named = 0;

	(void)state;
	for (unsigned type = 1; type < UL_MSG_TYPE_END; type++) {
		bool has_name = ul_msg_type_name((uint16_t)type) != NULL;
		const struct ul_route *r = ul_route_for((uint16_t)type);

		if (has_name != (r != NULL))
			fail_msg("request %u (%s): a name without a route or a route "
			    "without a name", type, has_name ?
			    ul_msg_type_name((uint16_t)type) : "?");
		if (r != NULL)
			assert_non_null(r->handler);
		named += has_name;
	}
	assert_true(named >= 50);
	assert_null(ul_route_for(0));
	assert_null(ul_route_for(UL_MSG_TYPE_END));
	assert_null(ul_route_for(0xffff));
}

static void
test_admin_range_is_admin(void **state)
{
	(void)state;
	for (unsigned type = 1; type < UL_MSG_TYPE_END; type++) {
		const struct ul_route *r = ul_route_for((uint16_t)type);

		if (r == NULL)
			continue;
		if ((type >= 64) != (r->access == UL_ACCESS_ADMIN))
			fail_msg("%s (%u): access %s outside its range",
			    ul_msg_type_name((uint16_t)type), type,
			    r->access == UL_ACCESS_ADMIN ? "ADMIN" : "ANY or ROOT");
	}
}

static void
test_secret_routes_are_marked(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(secret_requests) / sizeof(secret_requests[0]); i++) {
		const struct ul_route *r = ul_route_for(secret_requests[i]);

		assert_non_null(r);
		if (!(r->flags & UL_ROUTE_SECRET))
			fail_msg("%s carries a secret but its route does not say so",
			    ul_msg_type_name(secret_requests[i]));
	}
}

static void
test_open_secret_routes_are_limited(void **state)
{
	(void)state;
	for (unsigned type = 1; type < UL_MSG_TYPE_END; type++) {
		const struct ul_route *r = ul_route_for((uint16_t)type);

		if (r == NULL || r->access != UL_ACCESS_ANY ||
		    !(r->flags & UL_ROUTE_SECRET))
			continue;
		/* a ticket is single-use and comes from LOGIN_BEGIN or
		 * PASSWD_BEGIN, which are rate-limited themselves */
		if (!(r->flags & (UL_ROUTE_RATE | UL_ROUTE_TICKET)))
			fail_msg("%s: open to any caller, carries a secret, and is "
			    "neither rate-limited nor bound to a ticket",
			    ul_msg_type_name((uint16_t)type));
	}
	assert_true(ul_route_for(UL_REQ_LOGIN_BEGIN)->flags & UL_ROUTE_RATE);
	assert_true(ul_route_for(UL_REQ_PASSWD_BEGIN)->flags & UL_ROUTE_RATE);
	assert_true(ul_route_for(UL_REQ_APIKEY_LOGIN)->flags & UL_ROUTE_RATE);
}

static void
test_admin_routes_never_use_the_reserve(void **state)
{
	(void)state;
	for (unsigned type = 1; type < UL_MSG_TYPE_END; type++) {
		const struct ul_route *r = ul_route_for((uint16_t)type);

		if (r != NULL && r->access == UL_ACCESS_ADMIN &&
		    (r->flags & UL_ROUTE_RESERVE))
			fail_msg("%s: an admin change on the disk reserve",
			    ul_msg_type_name((uint16_t)type));
	}
	assert_true(ul_route_for(UL_REQ_LOGIN_CODE)->flags & UL_ROUTE_RESERVE);
}

/* Writes in another person's name come from root alone: the session
 * history is recorded by PAM session modules, which run as root. */
static void
test_sessions_are_root_only(void **state)
{
	const struct ul_route *open = ul_route_for(UL_REQ_SESSION_OPEN);
	const struct ul_route *close = ul_route_for(UL_REQ_SESSION_CLOSE);

	(void)state;
	assert_int_equal(open->access, UL_ACCESS_ROOT);
	assert_int_equal(close->access, UL_ACCESS_ROOT);
	assert_true(ul_route_allows(open, 0, true));
	assert_false(ul_route_allows(open, 65534, false));
	/* an admin of the admin group is no PAM session module */
	assert_false(ul_route_allows(open, 1000, true));
	assert_true(ul_route_allows(ul_route_for(UL_REQ_STATUS), 65534, false));
	assert_false(ul_route_allows(ul_route_for(UL_REQ_USER_ADD), 65534, false));
	assert_true(ul_route_allows(ul_route_for(UL_REQ_USER_ADD), 1000, true));
}

/* K1: only uid 0 (sshd's PAM stack) may say which key sshd accepted; the
 * key lines are asked as NSS asks: any caller, cheap, no rate limit
 * (sshd runs unilogin-keys once per offered key). */
static void
test_ssh_key_routes(void **state)
{
	const struct ul_route *login = ul_route_for(UL_REQ_LOGIN_SSHKEY);
	const struct ul_route *keys = ul_route_for(UL_REQ_SSHKEYS);

	(void)state;
	assert_int_equal(login->access, UL_ACCESS_ROOT);
	assert_false(ul_route_allows(login, 1000, true));
	assert_false(ul_route_allows(login, 65534, false));
	assert_true(login->flags & UL_ROUTE_ROOT_FIELDS);
	assert_int_equal(keys->access, UL_ACCESS_ANY);
	assert_int_equal(keys->lane, UL_LANE_LOOP);
	assert_false(keys->flags & (UL_ROUTE_RATE | UL_ROUTE_SECRET));
	assert_int_equal(ul_route_for(UL_REQ_SSHKEY_ADD)->access, UL_ACCESS_ADMIN);
	assert_true(ul_route_for(UL_REQ_SELF_SSHKEY)->flags & UL_ROUTE_RATE);
}

/* A decoded request of `type` with an rhost and a product. */
static struct ul_msg *
request_with_rhost(uint16_t type)
{
	struct ul_msg *m = ul_msg_new();

	assert_non_null(m);
	ul_msg_start(m, type);
	ul_msg_put_str(m, UL_F_PRODUCT, "comms");
	ul_msg_put_str(m, UL_F_RHOST, "203.0.113.7");
	ul_msg_put_str(m, UL_F_RUSER, "mallory");
	assert_int_equal(ul_msg_finish(m), 0);
	assert_int_equal(ul_msg_decode(m), 0);
	return m;
}

static void
test_rhost_believed_only_from_root(void **state)
{
	(void)state;
	for (unsigned type = 1; type < UL_MSG_TYPE_END; type++) {
		const struct ul_route *r = ul_route_for((uint16_t)type);
		struct ul_msg *m;

		if (r == NULL)
			continue;
		m = request_with_rhost((uint16_t)type);
		ul_route_filter(r, m, 1000);
		if (ul_msg_str(m, UL_F_RHOST) != NULL || ul_msg_str(m, UL_F_RUSER) != NULL)
			fail_msg("%s: rhost or ruser from uid 1000 reaches the handler",
			    ul_msg_type_name((uint16_t)type));
		/* the other fields stay */
		assert_string_equal(ul_msg_str(m, UL_F_PRODUCT), "comms");
		ul_msg_free(m);
		m = request_with_rhost((uint16_t)type);
		ul_route_filter(r, m, 0);
		assert_non_null(ul_msg_str(m, UL_F_RHOST));
		assert_string_equal(ul_msg_str(m, UL_F_RHOST), "203.0.113.7");
		assert_string_equal(ul_msg_str(m, UL_F_RUSER), "mallory");
		ul_msg_free(m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_request_has_a_route),
		cmocka_unit_test(test_admin_range_is_admin),
		cmocka_unit_test(test_secret_routes_are_marked),
		cmocka_unit_test(test_open_secret_routes_are_limited),
		cmocka_unit_test(test_admin_routes_never_use_the_reserve),
		cmocka_unit_test(test_rhost_believed_only_from_root),
		cmocka_unit_test(test_sessions_are_root_only),
		cmocka_unit_test(test_ssh_key_routes),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
