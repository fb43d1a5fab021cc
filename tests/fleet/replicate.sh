#!/bin/sh
# The fleet harness itself (tests/fleet/lib.sh): the schema and its
# cn=config LDIF load, two providers in mirror mode and three consumers
# start from examples/ldap/, an entry written on the active provider
# reaches the mirror and every host's replica, and the ACLs keep secrets
# from everyone but helper identities (F1, F2; FLEET.md §3).
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fleet/lib.sh"

# the LDIF is the .schema, converted (schema2ldif.sh), and slapd takes it
out=$(sh "$FLEET_EXAMPLES/schema2ldif.sh" "$FLEET_EXAMPLES/unilogin.schema" 2>&1) || true
expect_eq "unilogin.ldif is unilogin.schema as schema2ldif.sh makes it" \
	"$(cat "$FLEET_EXAMPLES/unilogin.ldif")" "$out"
mkdir -p "$T/cfg"
slapadd -n0 -F "$T/cfg" -l /dev/stdin >"$T/cfg.log" 2>&1 <<LDIF || true
dn: cn=config
objectClass: olcGlobal
cn: config

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif

include: file:///etc/ldap/schema/cosine.ldif

include: file://$FLEET_EXAMPLES/unilogin.ldif
LDIF
ls "$T/cfg/cn=config/cn=schema" >>"$T/cfg.log" 2>&1 || true
expect_contains "slapadd takes unilogin.ldif into a cn=config" \
	"$(cat "$T/cfg.log")" "cn={2}unilogin.ldif"
expect_contains "slaptest reads that cn=config" \
	"$(slaptest -F "$T/cfg" 2>&1 || true)" "config file testing succeeded"
printf 'include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\ninclude %s\n' \
	"$FLEET_EXAMPLES/unilogin.schema" >"$T/schema.conf"
expect_contains "slaptest reads unilogin.schema" \
	"$(slaptest -u -f "$T/schema.conf" 2>&1 || true)" "config file testing succeeded"

fleet_init
for n in $FLEET_NAMES; do
	expect_contains "$n: slaptest reads its config (from examples/ldap)" \
		"$(slaptest -u -f "$FLEET_DIR/$n/slapd.conf" 2>&1 || true)" "config file testing succeeded"
done
fleet_load
fleet_start $FLEET_NAMES
pass "two providers seeded with base.ldif and three consumers answer"

# an entry with every kind of attribute, written on the active provider
hash='$argon2id$v=19$m=8,t=1,p=2$stand-in'
fleet_admin p1 ldapadd >"$T/add.log" 2>&1 <<LDIF || fail "add on p1: $(cat "$T/add.log")"
dn: ou=users,$FLEET_SUFFIX
objectClass: organizationalUnit
ou: users

dn: uniUserId=0123456789abcdef0123456789abcdef,ou=users,$FLEET_SUFFIX
objectClass: uniUser
uniUserId: 0123456789abcdef0123456789abcdef
mail: alice@example.com
uniCreated: 1764547200
uniTotpLastStep: 58818240
uniPwHash: $hash
LDIF
user="uniUserId=0123456789abcdef0123456789abcdef,ou=users,$FLEET_SUFFIX"
for n in p2 c1 c2 c3; do
	expect_eq "$n sees the entry written on p1" "mail: alice@example.com" \
		"$(fleet_wait "$n" "$user" '(objectClass=uniUser)' 'mail: alice@example.com' mail)"
done

# a change on p1 under an ordering assertion (T3's compare-and-set) reaches
# every replica; the same change again fails and applies nothing
step() { # STEP: replace the step asserting the stored one is below it
	fleet_admin p1 ldapmodify -e "assert=(uniTotpLastStep<=$(($1 - 1)))" 2>&1 <<LDIF
dn: $user
changetype: modify
replace: uniTotpLastStep
uniTotpLastStep: $1
LDIF
}
out=$(step 58818241) || true
expect_contains "p1 takes a newer step under the assertion" "$out" "modifying entry"
out=$(step 58818241 || true)
expect_contains "p1 refuses the same step again (assertion failed)" "$out" "Assertion Failed"
for n in p2 c1 c2 c3; do
	expect_eq "$n shows the step p1 accepted" "uniTotpLastStep: 58818241" \
		"$(fleet_wait "$n" "$user" '(objectClass=uniUser)' 'uniTotpLastStep: 58818241' uniTotpLastStep)"
done

# the ACLs: a consumer's local helper reads the secret, nobody else does
expect_eq "c1's local helper reads uniPwHash" "uniPwHash: $hash" \
	"$(fleet_search c1 "$user" '(objectClass=*)' uniPwHash | grep '^uniPwHash')"
expect_eq "anonymous reads nothing of the entry on p1" "" \
	"$(ldapsearch -x -LLL -H "$(fleet_url p1)" -b "$user" '(objectClass=*)' 2>/dev/null || true)"
fleet_admin p1 ldapadd >/dev/null 2>&1 <<LDIF || true
dn: cn=auditor,ou=readers,$FLEET_SUFFIX
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: auditor
userPassword: $(slappasswd -s "$(fleet_secret auditor)")
LDIF
reader=$(ldapsearch -x -LLL -o ldif-wrap=no -H "$(fleet_url p1)" -D "cn=auditor,ou=readers,$FLEET_SUFFIX" \
	-y "$FLEET_DIR/auditor.pw" -b "$user" '(objectClass=*)' 2>&1 || true)
expect_contains "a reader sees what is not secret" "$reader" "mail: alice@example.com"
expect_lacks "a reader never sees uniPwHash" "$reader" "uniPwHash"
host=$(ldapsearch -x -LLL -o ldif-wrap=no -H "$(fleet_url p1)" -D "cn=host2,ou=helpers,$FLEET_SUFFIX" \
	-y "$FLEET_DIR/host2.pw" -b "$user" '(objectClass=*)' uniPwHash 2>&1 || true)
expect_eq "a helper identity reads uniPwHash on the provider" "uniPwHash: $hash" \
	"$(printf '%s\n' "$host" | grep '^uniPwHash')"
out=$(ldapmodify -Q -Y EXTERNAL -H "$(fleet_ldapi c2)" 2>&1 <<LDIF || true
dn: $user
changetype: modify
replace: uniTotpLastStep
uniTotpLastStep: 1
LDIF
)
expect_contains "a consumer takes no write (it refers to the provider)" "$out" "$(fleet_url p1)"

# the mirror really is one: a write on p2 (as after a failover) reaches p1
# and the consumers of p1
fleet_admin p2 ldapmodify >/dev/null 2>&1 <<LDIF || fail "modify on p2"
dn: $user
changetype: modify
replace: uniTotpLastStep
uniTotpLastStep: 58818242
LDIF
for n in p1 c3; do
	expect_eq "$n shows a write made on p2" "uniTotpLastStep: 58818242" \
		"$(fleet_wait "$n" "$user" '(objectClass=uniUser)' 'uniTotpLastStep: 58818242' uniTotpLastStep)"
done

pids=
for n in $FLEET_NAMES; do pids="$pids $(cat "$FLEET_DIR/$n/pid")"; done
fleet_stop $FLEET_NAMES
for pid in $pids; do
	expect_eq "slapd $pid stopped" "no" "$(kill -0 "$pid" 2>/dev/null && echo yes || echo no)"
done
ul_done
