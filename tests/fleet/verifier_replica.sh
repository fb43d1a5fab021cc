#!/bin/sh
# Host replicas carry no secret (issue 16): with examples/ldap's
# consumer-host.conf (syncrepl as the host's own identity, exattrs) and
# acl.conf (hosts read no secret), a host replica holds 0 values of every
# attribute unilogin.schema marks SECRET, by slapcat of its database and
# by a search as the host's identity on the provider, while the provider
# holds them and the replica holds the rest.  The list comes from the
# schema, so that a new secret attribute cannot be missed: the examples
# must name each one.
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fleet/lib.sh"
. "$top_srcdir/tests/fleet/verifier_lib.sh"

ex=$top_srcdir/examples/ldap
secrets=$(awk '/^attributetype/ {name = ""} /NAME '\''/ {split($0, a, "'\''"); name = a[2]}
	/DESC '\''SECRET/ && name != "" {print name}' "$ex/unilogin.schema")
expect_eq "the schema marks the ten secrets" 10 "$(printf '%s\n' $secrets | grep -c .)"
exattrs=$(sed -n 's/.*exattrs=\([A-Za-z0-9,]*\).*/\1/p' "$ex/consumer-host.conf" | tr ',' '\n' | sort)
acl=$(sed -n 's/^access to attrs=\(uniPwHash[A-Za-z0-9,]*\).*/\1/p' "$ex/acl.conf" | tr ',' '\n' | sort)
expect_eq "consumer-host.conf's exattrs lists every secret of the schema" \
	"$(printf '%s\n' $secrets | sort)" "$exattrs"
expect_eq "acl.conf's secrets rule lists every secret of the schema" \
	"$(printf '%s\n' $secrets | sort)" "$acl"

vf_fleet_up
vf_start v1
vf_start h1

# secrets of every kind on the provider: password hashes, a sealed seed
# and recovery codes, an API key, a confirmation code, a reset code, a
# legacy account's own password
vf_user v1 alice@example.com
vf_user v1 bob@example.com
vf_totp v1 alice@example.com
vf_ctl v1 apikey create comms alice alice@example.com >/dev/null
vf_ctl v1 user add carol@example.com >/dev/null
vf_ctl v1 user reset bob@example.com >/dev/null
answers 'a legacy password' | vf_ctl v1 --password-stdin account add comms legacy1 \
	--email legacy1@example.com --legacy-password >/dev/null
fleet_synced c1 c2 c3

count() { # NAME ATTR: values of ATTR on NAME (p1 as cn=admin; cN by slapcat)
	case $1 in
	p*) fleet_search "$1" "$FLEET_SUFFIX" "($2=*)" "$2" | grep -ci "^$2:" || true ;;
	*) slapcat -f "$FLEET_DIR/$1/slapd.conf" 2>/dev/null | grep -ci "^$2:" || true ;;
	esac
}
on_p1=0
for a in $secrets; do
	n=$(count p1 "$a")
	on_p1=$((on_p1 + n))
	for c in c1 c2 c3; do
		expect_eq "$c (slapcat): 0 values of $a (the provider holds $n)" 0 "$(count "$c" "$a")"
	done
	# as the host's own identity, on the provider itself
	expect_eq "cn=h1,ou=hosts on the provider reads 0 values of $a" 0 \
		"$(ldapsearch -x -LLL -o ldif-wrap=no -H "$(fleet_url p1)" \
		    -D "cn=h1,ou=hosts,$FLEET_SUFFIX" -y "$FLEET_DIR/h1.pw" \
		    -b "$FLEET_SUFFIX" "($a=*)" "$a" 2>/dev/null | grep -ci "^$a:" || true)"
done
for a in uniPwHash uniSealedSeed uniRecoveryCode uniApiKeyHash uniConfirmCode \
    uniResetCode uniLegacyPwHash; do
	[ "$(count p1 "$a")" -gt 0 ] && pass "the provider holds $a values (the test means something)" ||
		fail "the provider holds no $a value: the fixture made none"
done
for c in c1 c2 c3; do
	expect_eq "$c holds the rest: alice, bob, carol, legacy1's account, the API key" "5" \
		"$(slapcat -f "$FLEET_DIR/$c/slapd.conf" 2>/dev/null |
		    grep -c '^mail: \(alice\|bob\|carol\)@example.com$\|^uniAccountName: legacy1$\|^objectClass: uniApiKey$')"
done

# the host identity writes nothing: not a TOTP step, not a counter
out=$(fleet_admin p1 ldapsearch -LLL -b "ou=users,$FLEET_SUFFIX" '(mail=alice@example.com)' dn | sed -n 's/^dn: //p')
rc=0
ldapmodify -x -H "$(fleet_url p1)" -D "cn=h1,ou=hosts,$FLEET_SUFFIX" -y "$FLEET_DIR/h1.pw" \
	>"$T/modify.out" 2>&1 <<LDIF || rc=$?
dn: $out
changetype: modify
replace: uniTotpLastStep
uniTotpLastStep: 1
LDIF
expect_eq "a host identity may not write a TOTP step (insufficient access)" 50 "$rc"

# and the host serves from that replica: lookups, and logins through v1
out=$(answers alice@example.com "$PASSWORD" "$(totp "$SECRET" 6)" | vf_pam h1 alice)
expect_contains "a TOTP login on h1, whose replica holds no secret" "$out" "auth: PAM_SUCCESS"
vf_done
