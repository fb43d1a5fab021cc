#!/bin/sh
# Orphan claims (FLEET.md §1): a crash between a claim entry and the entry
# that holds it leaves a claim nobody holds.  Claims are written here
# straight into the directory as its admin, old (an hour) and young (now):
# orphans whose holder is gone, and orphans whose holder exists but holds
# another value, beside the live claims of a real user, account and SSH
# key (made old too, so that only "is it held" protects them).
#   fleet repair --dry-run lists exactly the old orphans and removes none;
#   fleet repair removes exactly them: young orphans, a claim of a kind
#   this version does not know and every live claim stay;
#   the helper's start sweeps too, the claims of the last day (and logs
#   what it removed); an older orphan is left to fleet repair.
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fleet/lib.sh"
. "$top_srcdir/tests/fleet/hosts.sh"

fleet_init
fleet_load
fleet_start p1 p2 c1
fleet_synced c1 p2
base=$FLEET_SUFFIX
claims="ou=claims,$base"
acct="uniAccountName=alice,uniProductName=comms,ou=products,$base"
ghost_user="uniUserId=00000000000000000000000000000000,ou=users,$base"

host_config 1 c1
host_start 1
host_user 1 alice@example.com
hctl 1 product add comms >/dev/null
hctl 1 account add comms alice --email alice@example.com >/dev/null
ssh-keygen -q -t ed25519 -N '' -C alice -f "$T/alice_key"
hctl 1 sshkey add alice@example.com "$T/alice_key.pub" >/dev/null
uid=$(fleet_search p1 "$acct" '(objectClass=*)' uniUid | sed -n 's/^uniUid: //p')

# every claim as its name, sorted
claim_names() {
	fleet_search p1 "$claims" '(objectClass=uniClaim)' -s one uniClaimName |
		sed -n 's/^uniClaimName: //p' | sort
}
live=$(claim_names)
echo "$live" | sed 's/^/# live: /'
expect_eq "the live claims: email, unix_user, uid, owner, SSH key" 5 "$(echo "$live" | wc -l)"
old=$(( $(date +%s) - 3600 ))
# the live claims made old: only being held keeps them now
fleet_search p1 "$claims" '(objectClass=uniClaim)' -s one 1.1 | grep '^dn:' |
while read -r dn; do
	printf '%s\nchangetype: modify\nreplace: uniCreated\nuniCreated: %s\n\n' "$dn" "$old"
done | fleet_admin p1 ldapmodify >/dev/null

# claim NAME HOLDER CREATED: a claim written as the directory's admin
claim() {
	fleet_admin p1 ldapadd >/dev/null <<LDIF
dn: uniClaimName=$1,$claims
objectClass: uniClaim
uniClaimName: $1
uniClaimHolder: $2
uniCreated: $3
LDIF
}
now=$(date +%s)
claim "mail:ghost@example.com" "$ghost_user" "$old"
claim "unix:comms:ghost" "uniAccountName=ghost,uniProductName=comms,ou=products,$base" "$old"
claim "uid:$((uid + 7))" "$acct" "$old"                      # held: another uid
claim "owner:ghost@example.com:comms" "$acct" "$old"         # held: another owner
claim "ssh:SHA256:ghostghostghostghostghostghostghostghostgh" \
	"uniSshKeyId=ghost,ou=sshkeys,$base" "$old"
claim "mail:young@example.com" "$ghost_user" "$now"
claim "uid:$((uid + 8))" "uniAccountName=young,uniProductName=comms,ou=products,$base" "$now"
claim "later:kind" "$ghost_user" "$old"                       # unknown kind
orphans=$(printf '%s\n' "mail:ghost@example.com" "unix:comms:ghost" "uid:$((uid + 7))" \
	"owner:ghost@example.com:comms" "ssh:SHA256:ghostghostghostghostghostghostghostghostgh" | sort)
all=$(claim_names)

rc=0; out=$(hctl 1 fleet repair --dry-run) || rc=$?
echo "$out" | sed 's/^/# /'
expect_eq "--dry-run: exit 0" 0 "$rc"
expect_eq "--dry-run lists exactly the old orphans" "$orphans" \
	"$(hctl 1 --json fleet repair --dry-run | python3 -c 'import json,sys
print("\n".join(sorted(r["detail"] for r in json.load(sys.stdin))))')"
expect_contains "... says it changed nothing" "$out" "5 orphan claims found (dry run): nothing changed"
expect_eq "... and changed nothing" "$all" "$(claim_names)"

rc=0; out=$(hctl 1 fleet repair) || rc=$?
echo "$out" | sed 's/^/# /'
expect_eq "fleet repair: exit 0" 0 "$rc"
for o in $orphans; do
	expect_contains "it prints what it removed: $o" "$out" "$o"
done
expect_eq "exactly the old orphans are gone: live, young and unknown claims stay" \
	"$(printf '%s\n' $live "mail:young@example.com" "uid:$((uid + 8))" later:kind | sort)" \
	"$(claim_names)"
expect_contains "a second run finds none" "$(hctl 1 fleet repair)" "no orphan claims"
expect_contains "the repair is in the audit log" "$(hctl 1 audit)" "fleet_repair"
# the live ones still work as claims: the email cannot be taken again
rc=0; hctl 1 user add alice@example.com >/dev/null 2>&1 || rc=$?
expect_eq "alice's email is still claimed" 1 "$rc"

# the helper's start sweeps the claims of the last day
claim "mail:crash@example.com" "$ghost_user" "$old"
claim "mail:ancient@example.com" "$ghost_user" "$(( now - 3 * 86400 ))"
host_stop 1
host_start 1
expect_eq "a helper start removed the old orphan of the last day" \
	"$(printf '%s\n' $live "mail:young@example.com" "uid:$((uid + 8))" later:kind \
	    mail:ancient@example.com | sort)" "$(claim_names)"
expect_contains "... and logged it" "$(cat "$T/h1/helper.log")" \
	"removed the orphan claim mail:crash@example.com"
expect_contains "an older one is left to fleet repair" "$(hctl 1 fleet repair)" \
	"mail:ancient@example.com"
host_stop 1
ul_done
