#!/bin/sh
# Key rotation (the issue's "Decided": rotation adds a key version):
# `uniloginctl keys rotate` appends a newer seed key to state_dir/keys; the
# running helper keeps the keys it started with; copied to every host and
# the helpers restarted, the fleet records the new fingerprint beside the
# old one (the file it was made from), seeds sealed before open with the
# old version, new seeds are sealed with the new one (a host still on the
# old file cannot open them), and a stranger's keys stay refused.
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fleet/lib.sh"
. "$top_srcdir/tests/fleet/hosts.sh"

fleet_init
fleet_load
fleet_start p1 c1 c2 c3
fleet_synced c1 c2 c3
login() { answers "$2@example.com" "$PASSWORD" "$3" | hpam "$1" "$2" | grep '^auth:'; }
fp() { hctl "$1" keys fingerprint | sed -n 's/^fingerprint: //p'; }
recorded() {
	fleet_search p1 "cn=fleet,ou=meta,$FLEET_SUFFIX" '(objectClass=*)' uniKeyFingerprint |
		sed -n 's/^uniKeyFingerprint: //p' | sort
}

host_config 1 c1
host_config 2 c2
host_config 3 c3
host_start 1
host_start 2
host_start 3
hctl 1 product add comms >/dev/null
host_user 1 alice@example.com
hctl 1 account add comms alice --email alice@example.com >/dev/null
host_totp_user 1 alice@example.com
alice=$SECRET
fp1=$(fp 1)
cp "$T/h3/state/keys" "$T/old.keys"

rc=0; out=$(hctl 1 keys rotate) || rc=$?
echo "$out" | sed 's/^/# /'
expect_eq "keys rotate: exit 0" 0 "$rc"
expect_contains "... says which version it added" "$out" "key version 2 added"
expect_eq "the file holds one more seed key (96 bytes)" 96 "$(stat -c %s "$T/h1/state/keys")"
expect_eq "... still mode 0600" 600 "$(stat -c %a "$T/h1/state/keys")"
expect_eq "the running helper keeps the keys it started with" "$fp1" "$(fp 1)"

# the new file to host 2, both restarted; host 3 stays on the old one
cp "$T/h1/state/keys" "$T/h2/state/keys"
host_stop 1; host_stop 2
host_start 1
host_start 2
fp2=$(fp 1)
[ "$fp2" != "$fp1" ] && pass "the rotated file has a fingerprint of its own" ||
	fail "the fingerprint did not change: $fp2"
expect_eq "host 2 holds the same file" "$fp2" "$(fp 2)"
expect_eq "the fleet records the new fingerprint beside the old one" \
	"$(printf '%s\n' "$fp1" "$fp2" | sort)" "$(recorded)"
expect_contains "... and host 1 said so" "$(cat "$T/h1/helper.log")" "keys rotated: $fp2 recorded beside $fp1"

expect_eq "a seed sealed before the rotation opens (host 2)" "auth: PAM_SUCCESS" \
	"$(login 2 alice "$(totp "$alice" 6)")"
host_user 1 bob@example.com
hctl 1 account add comms bob --email bob@example.com >/dev/null
host_totp_user 1 bob@example.com
bob=$SECRET
expect_eq "a seed sealed after it opens on host 2 (the new file)" "auth: PAM_SUCCESS" \
	"$(login 2 bob "$(totp "$bob" 6)")"
expect_eq "host 3, still on the old file, opens the old seed" "auth: PAM_SUCCESS" \
	"$(login 3 alice "$(totp "$alice" 6 30)")"
expect_eq "... but not the new one (sealed with version 2)" "auth: PAM_AUTH_ERR" \
	"$(login 3 bob "$(totp "$bob" 6 30)")"
expect_eq "... which host 1 takes" "auth: PAM_SUCCESS" "$(login 1 bob "$(totp "$bob" 6 30)")"

# a stranger's keys, rotated too, stay refused
host_stop 3
rm -f "$T/h3/state/keys"
head -c 96 /dev/urandom >"$T/h3/state/keys"; chmod 600 "$T/h3/state/keys"
rc=0
timeout 20 "$UL_BIN/unilogind" --config "$T/h3/unilogin.conf" --foreground 2>"$T/h3.err" || rc=$?
expect_eq "a stranger's rotated keys: the helper does not start" 1 "$rc"
expect_contains "... saying whose keys to copy" "$(cat "$T/h3.err")" "is not the fleet's"
expect_eq "... and nothing more is recorded" "$(printf '%s\n' "$fp1" "$fp2" | sort)" "$(recorded)"

mkdir -p "$T/none"
printf 'state_dir = %s\n' "$T/none" >"$T/none.conf"
rc=0; out=$("$UL_BIN/uniloginctl" --config "$T/none.conf" keys rotate 2>&1) || rc=$?
expect_eq "no keys file where the config says: exit 1" 1 "$rc"
expect_contains "... saying so" "$out" "$T/none/keys: No such file or directory"
expect_eq "... and making none" "" "$(ls "$T/none")"
head -c 70 /dev/urandom >"$T/damaged"; chmod 600 "$T/damaged"
mkdir -p "$T/dmg"; cp "$T/damaged" "$T/dmg/keys"; chmod 600 "$T/dmg/keys"
printf 'state_dir = %s\n' "$T/dmg" >"$T/dmg.conf"
rc=0; out=$("$UL_BIN/uniloginctl" --config "$T/dmg.conf" keys rotate 2>&1) || rc=$?
expect_eq "a damaged file: exit 1" 1 "$rc"
expect_contains "... left as it is" "$out" "damaged: left as it is"
expect_eq "... unchanged" "$(cat "$T/damaged" | od -An -tx1)" "$(od -An -tx1 "$T/dmg/keys")"
host_stop 1; host_stop 2
ul_done
