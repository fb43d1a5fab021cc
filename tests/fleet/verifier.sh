#!/bin/sh
# A fleet with verifiers (issue 16): two verifiers (role = verifier, the
# keys, the directory's secrets) and three hosts (role = host, no keys)
# on the loopback fleet.  A TOTP login through the real PAM stack on a
# host; S1 across the relay; failures counted once for the fleet (S3)
# whichever verifier counts them; a host certificate of another product
# refused and audited; admin changes refused on a host; a verifier killed
# in the middle of a login; no verifier reachable.
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fleet/lib.sh"
. "$top_srcdir/tests/fleet/verifier_lib.sh"

vf_fleet_up
# h3's certificate names product shop, its config comms
vf_cert ca h3 product:shop
# h2 asks v2 first: the failure count below goes through both verifiers
vf_conf h2 2 "verifiers = $(vf_addr v2),$(vf_addr v1)"
# a window of 5 steps: the test logs in with the codes of 6 steps
for n in v1 v2; do
	vf_conf "$n" "${n#v}" "lockout_attempts = 3" "totp_window = 5" "remember_days = 30"
done
vf_start v1; vf_start v2
vf_start h1; vf_start h2; vf_start h3

expect_eq "a host holds no keys file" "no" \
	"$(for h in h1 h2 h3; do [ ! -e "$T/$h/state/keys" ] || echo "$h"; done | grep . || echo no)"
expect_contains "a host's keys fingerprint: it holds none" \
	"$(vf_ctl h1 keys fingerprint 2>&1 || true)" "holds no keys: its verifiers do"

vf_user v1 alice@example.com
vf_user v1 bob@example.com
vf_user v1 carol@example.com
vf_totp v1 alice@example.com
fleet_synced c1 c2 c3

# fleet status on a host (role = host): its role, no keys to compare, the
# provider not used (its verifiers write), the state from its replica only
field() { sed -n "s/^$1: //p"; }
rc=0; out=$(vf_ctl h1 fleet status 2>&1) || rc=$?
echo "$out" | sed 's/^/# h1: /'
expect_eq "fleet status on a host: exit 0" 0 "$rc"
expect_eq "... role host" "host" "$(echo "$out" | field role)"
expect_eq "... backend ldap" "ldap" "$(echo "$out" | field backend)"
expect_eq "... no fingerprint (a host holds no keys)" "" "$(echo "$out" | field fingerprint)"
expect_eq "... the provider not used" "not used (role = host: its verifiers write)" \
	"$(echo "$out" | field provider)"
expect_eq "... its replica reachable" "reachable" "$(echo "$out" | field replica)"
expect_eq "... no lag (no provider to compare with)" "" "$(echo "$out" | field replication_lag_ms)"
expect_eq "... the schema version read from the replica (cn=fleet's)" \
	"$(fleet_search p1 "cn=fleet,ou=meta,$FLEET_SUFFIX" '(objectClass=*)' uniSchemaVersion |
	    sed -n 's/^uniSchemaVersion: //p')" "$(echo "$out" | field version)"
# (h1's lockout_attempts and totp_window differ from the verifiers' the
# directory recorded: a host applies no policy, so none is compared)
expect_eq "... state ok" "ok" "$(echo "$out" | field state)"
got=$(vf_ctl h1 --json fleet status | python3 -c 'import json,sys; d=json.load(sys.stdin)
print(d["role"], "fingerprint" in d, d["provider"], d["replica"], d["state"])')
expect_eq "... --json: the same" \
	"host False not used (role = host: its verifiers write) reachable ok" "$got"
# the state is the replica's alone: the provider stopped changes nothing,
# the replica stopped makes the directory unreachable (exit 0 still)
kill -STOP "$(cat "$FLEET_DIR/p1/pid")"
out=$(vf_ctl h1 fleet status 2>&1 || true)
kill -CONT "$(cat "$FLEET_DIR/p1/pid")"
expect_eq "the provider stopped: a host's state still ok" "ok" "$(echo "$out" | field state)"
kill -STOP "$(cat "$FLEET_DIR/c1/pid")"
rc=0; out=$(vf_ctl h1 fleet status 2>&1) || rc=$?
kill -CONT "$(cat "$FLEET_DIR/c1/pid")"
echo "$out" | sed 's/^/# h1, c1 stopped: /'
expect_eq "its replica stopped: fleet status still answers (exit 0)" 0 "$rc"
expect_contains "... replica unreachable" "$(echo "$out" | field replica)" \
	"unreachable: $(fleet_ldapi c1)"
expect_eq "... state directory unreachable" "directory unreachable" \
	"$(echo "$out" | field state)"
expect_eq "h2 (its own replica) ok meanwhile" "ok" "$(vf_ctl h2 fleet status | field state)"

# admin: reads on a host answer from its replica; changes run on a verifier
expect_contains "a host answers an admin read" "$(vf_ctl h1 user show alice@example.com 2>&1)" \
	"alice@example.com"
rc=0; out=$(vf_ctl h1 user add dave@example.com 2>&1) || rc=$?
expect_contains "a host refuses an admin change, saying where to run it" "$out" \
	"run uniloginctl on a verifier; nothing changed"
expect_eq "... exit 1" 1 "$rc"
expect_eq "... nothing changed" "" "$(fleet_search p1 "ou=users,$FLEET_SUFFIX" '(mail=dave@example.com)' mail)"

vf_ctl v1 product add shop >/dev/null
expect_contains "a host answers admin reads of its own product" \
	"$(vf_ctl h1 account list comms 2>&1)" "alice"
expect_contains "... and of no other" "$(vf_ctl h1 account list shop 2>&1 || true)" \
	"answers admin reads of its own product only: run uniloginctl on a verifier"

# a TOTP login through the real PAM stack on host h1 (v1 verifies)
# (one code for both hosts: made twice, it would be the next step's when
# the step turned in between, and rightly accepted)
code=$(totp "$SECRET" 6)
out=$(answers alice@example.com "$PASSWORD" "$code" | vf_pam h1 alice)
expect_contains "TOTP login on host h1 through a verifier: auth" "$out" "auth: PAM_SUCCESS"
expect_contains "... account" "$out" "acct: PAM_SUCCESS"
expect_contains "v1 verified it" "$(vf_ctl v1 audit)" "login"
# T3 across the fleet: the same code on another host is refused
out=$(answers alice@example.com "$PASSWORD" "$code" | vf_pam h2 alice)
expect_contains "T3: the same code again on host h2 (v2): refused" "$out" "auth: PAM_AUTH_ERR"
out=$(answers alice@example.com "$PASSWORD" "$(totp "$SECRET" 6 +30)" | vf_pam h2 alice)
expect_contains "the next step on host h2 (v2 verifies): logged in" "$out" "auth: PAM_SUCCESS"

# T7 per product host: a remote host remembered on h1 is not on h2 (a
# host names only the remote hosts of its own logins)
out=$(answers alice@example.com "$PASSWORD" "$(totp "$SECRET" 6 +60)" | vf_pam h1 alice -r 198.51.100.7)
expect_contains "T7: a full login on h1 from 198.51.100.7" "$out" "auth: PAM_SUCCESS"
out=$(answers alice@example.com "$PASSWORD" | vf_pam h1 alice -r 198.51.100.7)
expect_lacks "T7: h1 remembers 198.51.100.7: no code" "$out" "Verification code"
expect_contains "T7: ... logged in" "$out" "auth: PAM_SUCCESS"
# (no code answered: no wrong code counted against alice)
out=$(answers alice@example.com "$PASSWORD" | vf_pam h2 alice -r 198.51.100.7)
expect_contains "T7: h2 does not: the code is asked" "$out" "prompt(hidden): Verification code: "
expect_contains "T7: the verifier records the remote host with its host" "$(vf_ctl v1 audit)" \
	"h1.example.net/198.51.100.7"

# S1 across the relay: a wrong email, password or code look the same
wrong_pw=$(answers bob@example.com 'not the password' 000000 | vf_pam h1 bob)
unknown=$(answers nobody@example.com "$PASSWORD" 000000 | vf_pam h1 bob)
other=$(answers alice@example.com "$PASSWORD" 000000 | vf_pam h1 bob)
expect_contains "S1: a wrong password through the relay is asked a code" "$wrong_pw" \
	"prompt(hidden): Verification code: "
expect_contains "S1: ... and refused" "$wrong_pw" "error: Authentication failed."
expect_eq "S1: unknown email looks like a wrong password" "$wrong_pw" "$unknown"
expect_eq "S1: another user's email looks like a wrong password" "$wrong_pw" "$other"
wrong_code=$(answers alice@example.com "$PASSWORD" 000000 | vf_pam h1 alice)
expect_contains "S1: a wrong code: the same refusal" "$wrong_code" "error: Authentication failed."
expect_eq "S1: ... and the same screens as a wrong password" \
	"$(printf '%s\n' "$wrong_pw" | grep -v '^env:')" \
	"$(printf '%s\n' "$wrong_code" | grep -v '^env:')"

# S3 once for the fleet: failures on h1 (v1), h2 (v2), h1 (v1) lock carol
# out (lockout_attempts = 3 on the verifiers); h2 then says so (v2)
for h in h1 h2 h1; do answers carol@example.com 'wrong' 000000 | vf_pam "$h" carol >/dev/null; done
expect_contains "S3: v2 counted one of the failures" "$(cat "$T/v2/log")" \
	"email=carol@example.com product=comms account=carol service=ultest rhost=- uid=0 detail=wrong password"
expect_contains "S3: the third failure, on v1, locks out" "$(cat "$T/v1/log")" \
	"lockout: carol@example.com for 900 s after 3 failures"
out=$(answers carol@example.com "$PASSWORD" 000000 | vf_pam h2 carol)
expect_contains "S3: ... and v2 knows it: PAM_MAXTRIES on h2" "$out" "auth: PAM_MAXTRIES"

# a host certificate of product shop asking for an account of comms
out=$(answers alice@example.com "$PASSWORD" "$(totp "$SECRET" 6 +30)" | vf_pam h3 alice)
expect_lacks "another product's host: no login" "$out" "auth: PAM_SUCCESS"
audit=$(vf_ctl v1 audit; vf_ctl v2 audit)
expect_contains "... refused and audited on the verifier" "$audit" "host_refused"
expect_contains "... the audit names both products" "$audit" \
	"(certificate of product shop) asked for an account of product comms: refused"

# an email-keyed request (self-service) for a user with no account of
# the host's product: answered as for an unknown email (S1), audited
ctl_code=$(vf_ctl v1 --json user add erin@example.com | sed -n 's/.*"confirmation_code":"\([^"]*\)".*/\1/p')
answers "$ctl_code" "$PASSWORD" | vf_self v1 --password-stdin verify erin@example.com >/dev/null
vf_ctl v1 account add shop erin --email erin@example.com >/dev/null
fleet_synced c1
selfacc() { printf '%s\n' "email=$1" "password=$2" "code=000000" |
	python3 "$top_srcdir/tests/ulwire.py" "$T/h1/run/unilogin.sock" self_accounts; }
right=$(selfacc erin@example.com "$PASSWORD")
expect_eq "an email outside the host's product, right password: as an unknown email (S1)" \
	"$(selfacc nobody@example.com "$PASSWORD")" "$right"
expect_eq "... as a wrong password of a user of the product" \
	"$(selfacc bob@example.com 'not the password')" "$right"
expect_contains "... audited on the verifier" "$(vf_ctl v1 audit)" \
	"erin@example.com has no account of that product: asked as an unknown email"
expect_contains "... while on the verifier's own socket erin is served" \
	"$(printf '%s\n' email=erin@example.com "password=$PASSWORD" code=000000 |
	    python3 "$top_srcdir/tests/ulwire.py" "$T/v1/run/unilogin.sock" self_accounts)" "result=0"

# a verifier killed between the password and the code: that login fails
# cleanly, the next goes to the other verifier
sock=$T/h1/run/unilogin.sock
begin=$(printf '%s\n' product=comms unix_user=alice email=alice@example.com \
	"password=$PASSWORD" service=ultest | python3 "$top_srcdir/tests/ulwire.py" "$sock" login_begin)
ticket=$(printf '%s\n' "$begin" | sed -n 's/^ticket=//p')
expect_contains "login_begin through h1: a code is asked" "$begin" "result=-21"
vf_stop v1 KILL
code=$(printf '%s\n' "ticket=$ticket" "code=$(totp "$SECRET" 6 +90)" |
	python3 "$top_srcdir/tests/ulwire.py" "$sock" login_code)
expect_lacks "v1 killed mid-login: that login fails" "$code" "result=0"
expect_contains "... cleanly: an answer, a refusal" "$code" "result=-"
out=$(answers alice@example.com "$PASSWORD" "$(totp "$SECRET" 6 +90)" | vf_pam h1 alice)
expect_contains "the next login on h1 goes to v2: logged in" "$out" "auth: PAM_SUCCESS"

# a verifier that hangs (SIGSTOP) after the password: the code is sent,
# its answer never comes: that login fails within timeout (outcome
# unknown, never sent again); the next login goes to the other verifier
vf_start v1
begin=$(printf '%s\n' product=comms unix_user=alice email=alice@example.com \
	"password=$PASSWORD" service=ultest | python3 "$top_srcdir/tests/ulwire.py" "$sock" login_begin)
ticket=$(printf '%s\n' "$begin" | sed -n 's/^ticket=//p')
expect_contains "login_begin through h1 (v1 failed last: v2 first)" "$begin" "result=-21"
kill -STOP "$(cat "$T/v2/pid")"
code=$(printf '%s\n' "ticket=$ticket" "code=$(totp "$SECRET" 6 +120)" |
	python3 "$top_srcdir/tests/ulwire.py" "$sock" login_code)
expect_contains "v2 hung mid-login: that login fails, outcome unknown (UL_EUNKNOWN)" "$code" "result=-50"
expect_contains "... outcome unknown, not sent again" "$code" \
	"the verifier did not answer: outcome unknown"
out=$(answers alice@example.com "$PASSWORD" "$(totp "$SECRET" 6 +120)" | vf_pam h1 alice)
expect_contains "the next login on h1 goes to v1: logged in" "$out" "auth: PAM_SUCCESS"
kill -CONT "$(cat "$T/v2/pid")"
vf_stop v1

# no verifier reachable: PAM_AUTHINFO_UNAVAIL (within timeout: the
# relay's deadline is timeout - 0.5 s; PAM gives up at timeout)
vf_stop v2
out=$(answers alice@example.com "$PASSWORD" 000000 | vf_pam h1 alice)
expect_contains "no verifier reachable: PAM_AUTHINFO_UNAVAIL" "$out" "auth: PAM_AUTHINFO_UNAVAIL"
expect_contains "... the host says so" "$(cat "$T/h1/log")" "no verifier reachable"
expect_eq "lookups still answer from the replica (NSS)" "0" \
	"$(printf '%s\n' product=comms unix_user=alice | python3 "$top_srcdir/tests/ulwire.py" "$sock" lookup | sed -n 's/^result=//p')"
vf_done
