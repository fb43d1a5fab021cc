/* Tests of common/util.c's view of the local files: ul_files_id_taken and
 * ul_files_name_taken answer from /etc/passwd and /etc/group as they are
 * now, though they keep what they read until a file changes (an import
 * asks once per account).  Runs as root in a mount namespace of its own,
 * with test files bound over /etc/passwd and /etc/group; skips (77)
 * elsewhere. */
#define _GNU_SOURCE
#include "config.h"

#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/util.h"

static char dir[] = "/tmp/ul-files.XXXXXX";
static char passwd[64], group[64];

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");     /* in place: the bind mount stays */

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
test_files_as_they_are_now(void **state)
{
	(void)state;
	write_file(passwd, "root:x:0:0:root:/root:/bin/sh\n");
	write_file(group, "root:x:0:\n");
	assert_true(ul_files_id_taken(0));
	assert_true(ul_files_name_taken("root"));
	assert_false(ul_files_id_taken(4242));
	assert_false(ul_files_name_taken("alice"));
	assert_false(ul_files_name_taken("staff"));

	/* a user added: seen at the next question */
	write_file(passwd, "root:x:0:0:root:/root:/bin/sh\n"
	    "alice:x:4242:4242::/home/alice:/bin/sh\n");
	assert_true(ul_files_id_taken(4242));
	assert_true(ul_files_name_taken("alice"));
	assert_false(ul_files_id_taken(4243));

	/* an edit of the same size (only the time stamps tell) */
	write_file(passwd, "root:x:0:0:root:/root:/bin/sh\n"
	    "alice:x:4243:4242::/home/alice:/bin/sh\n");
	assert_true(ul_files_id_taken(4243));
	assert_false(ul_files_id_taken(4242));  /* uids of passwd, gids of group */

	/* a group: its gid and its name */
	write_file(group, "root:x:0:\nstaff:x:5000:alice\n");
	assert_true(ul_files_id_taken(5000));
	assert_true(ul_files_name_taken("staff"));

	/* removed again */
	write_file(passwd, "root:x:0:0:root:/root:/bin/sh\n");
	write_file(group, "root:x:0:\n");
	assert_false(ul_files_id_taken(4243));
	assert_false(ul_files_id_taken(5000));
	assert_false(ul_files_name_taken("alice"));
	assert_false(ul_files_name_taken("staff"));
}

/* Held (an import batch), the files are looked at once: an edit during
 * the hold is seen after it. */
static void
test_files_held(void **state)
{
	(void)state;
	write_file(passwd, "root:x:0:0:root:/root:/bin/sh\n");
	write_file(group, "root:x:0:\n");
	ul_files_hold(true);
	assert_false(ul_files_id_taken(4242));
	write_file(passwd, "root:x:0:0:root:/root:/bin/sh\n"
	    "alice:x:4242:4242::/home/alice:/bin/sh\n");
	assert_false(ul_files_id_taken(4242));
	assert_false(ul_files_name_taken("alice"));
	ul_files_hold(false);
	assert_true(ul_files_id_taken(4242));
	assert_true(ul_files_name_taken("alice"));
	/* a new hold looks again, once */
	ul_files_hold(true);
	write_file(passwd, "root:x:0:0:root:/root:/bin/sh\n");
	assert_false(ul_files_name_taken("alice"));
	write_file(passwd, "root:x:0:0:root:/root:/bin/sh\n"
	    "bob:x:4243:4243::/home/bob:/bin/sh\n");
	assert_false(ul_files_name_taken("bob"));
	ul_files_hold(false);
	assert_true(ul_files_name_taken("bob"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files_as_they_are_now),
		cmocka_unit_test(test_files_held),
	};
	int r;

	if (geteuid() != 0) {
		fprintf(stderr, "skipped: needs root (a mount namespace)\n");
		return 77;
	}
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		fprintf(stderr, "skipped: no mount namespace here\n");
		return 77;
	}
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(passwd, sizeof(passwd), "%s/passwd", dir);
	snprintf(group, sizeof(group), "%s/group", dir);
	write_file(passwd, "");
	write_file(group, "");
	if (mount(passwd, "/etc/passwd", NULL, MS_BIND, NULL) != 0 ||
	    mount(group, "/etc/group", NULL, MS_BIND, NULL) != 0) {
		fprintf(stderr, "skipped: cannot bind over /etc/passwd\n");
		return 77;
	}
	r = cmocka_run_group_tests(tests, NULL, NULL);
	umount("/etc/passwd");
	umount("/etc/group");
	unlink(passwd);
	unlink(group);
	rmdir(dir);
	return r;
}
