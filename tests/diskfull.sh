#!/bin/sh
# S7: a full disk is an error, not a crash.  The store lives on a 16 MiB
# tmpfs; once a filler file has taken every free byte, a change that needs
# space is refused ("no space left for the store: nothing was changed",
# exit status 1) and changes nothing; logins of existing users still work;
# after the filler is gone the store opens with every earlier user, and new
# changes work again.  Needs root (mount).
. "$top_srcdir/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || ul_skip "root is needed to mount a small tmpfs"

SMALL=$T/small
mkdir -p "$SMALL"
mount -t tmpfs -o size=16m,mode=0755 tmpfs "$SMALL" 2>/dev/null ||
	ul_skip "cannot mount a tmpfs on $SMALL"
df_cleanup() {
	if [ -n "$HELPER_PID" ]; then
		kill -TERM "$HELPER_PID" 2>/dev/null || true
		wait "$HELPER_PID" 2>/dev/null || true
		HELPER_PID=
	fi
	umount "$SMALL" 2>/dev/null || umount -l "$SMALL" 2>/dev/null || true
	ul_cleanup
}
trap df_cleanup EXIT

ul_config "state_dir = $SMALL/state"
ul_start
for u in alice bob carol; do
	ul_user $u@example.com
	ul_account comms $u $u@example.com
done
echo 'legacy-password-1' |
	ctl --password-stdin account add comms dave --email dave@example.com --legacy-password >/dev/null
users_before=$(ctl user list | tail -n +2 | wc -l)

# a batch of users for `import`: one transaction that needs new pages
now=$(date +%s)
i=1
while [ $i -le 2000 ]; do
	printf '{"type":"user","email":"batch%d@example.com","confirmed":true,"created":%d,"id":"%032x"}\n' \
		$i "$now" $i
	i=$((i + 1))
done >"$T/batch.jsonl"

# fill the file system: big blocks, then small ones for the rest
dd if=/dev/zero of="$SMALL/filler" bs=1M 2>/dev/null || true
dd if=/dev/zero of="$SMALL/filler2" bs=4k 2>/dev/null || true
avail=$(df -k --output=avail "$SMALL" | tail -1 | tr -d ' ')
echo "# tmpfs 16 MiB: store $(du -k "$SMALL/state/data.mdb" | cut -f1) kB, filler $(du -k "$SMALL/filler" | cut -f1) kB, free now ${avail} kB"
expect_eq "the file system is full" 0 "$avail"

# 1. a big change: refused with a clear error, nothing changed
out=$(ctl import <"$T/batch.jsonl" 2>&1) && st=0 || st=$?
echo "# import of 2000 users on a full disk: status $st: $out"
expect_eq "a change that needs space exits with status 1" 1 "$st"
expect_contains "... and says why" "$out" "no space left for the store: nothing was changed"
if kill -0 "$HELPER_PID" 2>/dev/null; then pass "the helper survives a full disk"
else fail "the helper died on a full disk"; fi
n=$(ctl user list | grep -c '^batch' || true)
expect_eq "nothing of the refused batch is stored" 0 "$n"

# 2. many small changes: each is acknowledged or refused with the same
# clear error, until the free pages run out
added=0 refusal= st=0
i=1
while [ $i -le 3000 ]; do
	if out=$(ctl user add "small$i@example.com" 2>&1); then
		added=$((added + 1))
	else
		st=$? refusal=$out
		break
	fi
	i=$((i + 1))
done
echo "# small changes on the full disk: $added user adds acknowledged (from LMDB's free pages), then status $st: $refusal"
expect_eq "small changes: the first that needs space exits with status 1" 1 "$st"
# the helper refuses an admin's change up front when the file system is
# full (its reserve is kept for logins), and maps LMDB's EIO for a short
# write on a full disk to "no space left"
expect_contains "small changes: the refusal says the disk is full" "$refusal" \
	"no space left for the store: nothing was changed"
n=$(ctl user list | grep -c '^small' || true)
expect_eq "small changes: every acknowledged user is there, the refused one is not" "$added" "$n"

# 3. logins of existing users on the full disk.  Every login commits one
# write transaction (failure counter and audit record, S3/S8: see
# finish_login in helper/handlers/h_login.c); LMDB's free pages carry a while.
out=$(answers 'legacy-password-1' | pam dave -o auth)
expect_contains "a legacy login works on a full disk" "$out" "auth: PAM_SUCCESS"
out=$(answers bob@example.com 'wrong password' 000000 | pam bob -o auth)
expect_contains "a wrong password is still refused on a full disk" "$out" "auth: PAM_AUTH_ERR"
LOGINS=150
ok=0 n=0 first_bad=
while [ $n -lt $LOGINS ]; do
	n=$((n + 1))
	out=$(answers alice@example.com "$PASSWORD" | pam alice -o auth)
	case $out in
	*"auth: PAM_SUCCESS"*) ok=$((ok + 1)) ;;
	*) [ -n "$first_bad" ] || first_bad="login $n: $(echo "$out" | grep -v '^prompt' | tr '\n' ' ')" ;;
	esac
done
echo "# $LOGINS logins of alice on the full disk: $ok PAM_SUCCESS${first_bad:+; first refused: $first_bad}"
# logins write into the store's reserve (allocated past its last page)
expect_eq "logins of an existing user keep working on a full disk" "$LOGINS" "$ok"
grep -q 'no space left' "$T/helper.log" &&
	pass "the helper logged the refused commit" ||
	fail "the helper did not log the refused commit"
if kill -0 "$HELPER_PID" 2>/dev/null; then pass "the helper is still running"
else fail "the helper died on a full disk"; fi

# 4. space again: the store opens (a fresh start), the earlier users are
# there, and new changes work
rm -f "$SMALL/filler" "$SMALL/filler2"
ul_stop
ul_start
expect_contains "the store opens after the disk was full" "$(ctl status)" "version:"
list=$(ctl user list)
for u in alice bob carol; do
	expect_contains "$u is still there" "$list" "$u@example.com"
done
n=$(echo "$list" | grep -c '^small' || true)
expect_eq "the users added on the full disk are still there" "$added" "$n"
expect_eq "no user of the refused batch appeared" 0 "$(echo "$list" | grep -c '^batch' || true)"
out=$(ctl import <"$T/batch.jsonl" 2>&1) && st=0 || st=$?
expect_eq "the refused import works now" 0 "$st"
n=$(ctl user list | grep -c '^batch' || true)
expect_eq "... and stores the whole batch" 2000 "$n"
audited=$(ctl audit | awk -F'\t' '$2 == "login" && $3 == "ok" && $4 == "alice@example.com"' | wc -l)
expect_eq "S8: every login that succeeded on the full disk is in the audit log" "$ok" "$audited"
ul_user erin@example.com
ul_account comms erin erin@example.com
out=$(answers erin@example.com "$PASSWORD" | pam erin)
expect_contains "a user added after the disk was full logs in" "$out" "auth: PAM_SUCCESS"
out=$(answers alice@example.com "$PASSWORD" | pam alice)
expect_contains "an earlier user logs in" "$out" "auth: PAM_SUCCESS"
ul_done
