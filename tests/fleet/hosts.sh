# tests/fleet/hosts.sh: helpers of the loopback fleet beyond tests/lib.sh's
# one, a host each (sourced after tests/fleet/lib.sh).  Host N's helper
# reads the replica its config names, writes FLEET_WRITER (p1), binds as
# hostN and keeps its socket, state and PAM service in $T/hN.  The first
# helper started makes the fleet's keys file; every later one gets a copy
# before it starts (the fleet key rule).
#
#   host_config N REPLICA [KEY = VALUE]...  writes $T/hN/unilogin.conf
#   host_start N [WRAP...]   starts it (under WRAP), waits until it answers
#   host_stop N              stops it (TERM) and checks how it ended
#   hctl N ARGS...           uniloginctl for host N; hself N: unilogin
#   hpam N USER < answers    a login through the real PAM stack on host N

FLEET_WRITER=${FLEET_WRITER:-p1}

host_config() {
	n=$1 replica=$2; shift 2
	d=$T/h$n
	mkdir -p "$d/pam.d"
	{
		for line in "$@"; do echo "$line"; done
		for line in "product = comms" "socket = $d/run/unilogin.sock" \
		    "state_dir = $d/state" "kdf = 1:8" "kdf_parallel = 2" \
		    "tfa_required = no" "timeout = $UL_TIMEOUT" \
		    "rate_burst = 100000" "rate_per_minute = 100000" \
		    "store = ldap" "ldap_read_uri = $(fleet_ldapi "$replica")" \
		    "ldap_write_uri = $(fleet_url "$FLEET_WRITER")" \
		    "ldap_base = $FLEET_SUFFIX" "ldap_bind = simple" \
		    "ldap_bind_dn = cn=host$n,ou=helpers,$FLEET_SUFFIX" \
		    "ldap_bind_password_file = $FLEET_DIR/host$n.pw" "ldap_timeout = 1"; do
			key=${line%% =*}
			case " $* " in *" $key = "*) ;; *) echo "$line" ;; esac
		done
	} >"$d/unilogin.conf"
	chmod 644 "$d/unilogin.conf"
	for phase in auth account password session; do
		echo "$phase required $MODULE conf=$d/unilogin.conf"
	done >"$d/pam.d/ultest"
}

hctl() { n=$1; shift; "$UL_BIN/uniloginctl" --config "$T/h$n/unilogin.conf" "$@"; }
hself() { n=$1; shift; "$UL_BIN/unilogin" --config "$T/h$n/unilogin.conf" "$@"; }

host_start() {
	n=$1; shift
	d=$T/h$n
	mkdir -p -m 700 "$d/state"
	if [ -f "$T/fleet.keys" ] && [ ! -f "$d/state/keys" ]; then
		cp "$T/fleet.keys" "$d/state/keys"; chmod 600 "$d/state/keys"
	fi
	"$@" "$UL_BIN/unilogind" --config "$d/unilogin.conf" --foreground \
		2>>"$d/helper.log" &
	echo $! >"$d/pid"
	i=0
	until hctl "$n" status >/dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -gt 400 ] || ! kill -0 "$(cat "$d/pid")" 2>/dev/null; then
			echo "helper $n did not start:"; sed 's/^/#   /' "$d/helper.log"; exit 99
		fi
		sleep 0.05
	done
	[ -f "$T/fleet.keys" ] || cp "$d/state/keys" "$T/fleet.keys"
}

host_stop() {
	d=$T/h$1
	[ -f "$d/pid" ] || return 0
	pid=$(cat "$d/pid"); rm -f "$d/pid"
	kill -TERM "$pid" 2>/dev/null || true
	rc=0; wait "$pid" 2>/dev/null || rc=$?
	[ "$rc" -eq 0 ] || [ "$rc" -eq 143 ] || fail "helper $1 ended with status $rc"
}

hosts_cleanup() {
	for d in "$T"/h*; do
		[ -f "$d/pid" ] && host_stop "${d##*/h}"
	done
	fleet_cleanup
}
trap hosts_cleanup EXIT

hpam() {
	n=$1 user=$2; shift 2
	"$PAMDRIVE" -d "$T/h$n/pam.d" "$@" ultest "$user" 2>>"$T/pam.err" || true
}

# host_user N EMAIL: a confirmed user with $PASSWORD, made on host N
host_user() {
	code=$(hctl "$1" --json user add "$2" | sed -n 's/.*"confirmation_code":"\([^"]*\)".*/\1/p')
	[ -n "$code" ] || { echo "no confirmation code for $2"; exit 99; }
	answers "$code" "$PASSWORD" | hself "$1" --password-stdin verify "$2" >/dev/null
}

# host_totp_user N EMAIL: an authenticator app for EMAIL (6 digits),
# confirmed with the previous step's code; sets SECRET
host_totp_user() {
	SECRET=$(hctl "$1" --json tfa enroll "$2" --digits 6 | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p')
	[ -n "$SECRET" ] || { echo "no secret for $2"; exit 99; }
	hctl "$1" tfa confirm "$2" "$(totp "$SECRET" 6 -30)" >/dev/null
}
