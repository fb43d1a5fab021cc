#!/bin/sh
# Lost updates and double use under concurrency (T3, T4, U5, U7, S3, S7,
# S8).  tests/race.py drives one helper over its socket for 30 s with
# 16 clients and two SELF_RESET_SEND spammers (logins with TOTP steps and
# recovery codes, several racing the same one, wrong codes and passwords,
# admin passwd, lock, unlock, reset + self reset, recovery-code
# regeneration), then checks: (a) a TOTP step is accepted once per user,
# (b) a recovery or reset code once, and no code of a voided recovery set
# after its regeneration was acknowledged, (c) each failure count is the
# one the audit log implies, (d) no acknowledged lock, password or
# recovery set is lost.  Twice: with lockout_attempts = 3 (lockouts come
# and go during the run) and with a limit the run never reaches.
# UL_RACE_SECONDS sets a run's length (30), UL_RACE_SEED the driver's seed.
. "$top_srcdir/tests/lib.sh"
command -v python3 >/dev/null || ul_skip "python3 is needed for the driver"
[ "$(id -u)" -eq 0 ] || ul_skip "the driver sends admin requests: run as root"
python3 -c 'import ctypes; ctypes.CDLL("liboath.so.0")' 2>/dev/null ||
	ul_skip "liboath.so.0 is needed for TOTP codes"

SECONDS_PER_RUN=${UL_RACE_SECONDS:-30}

# race NAME ATTEMPTS LOCKOUT_SECONDS: one helper, one run, its checks
race() {
	name=$1
	cat >"$T/deliver-$name" <<EOF
#!/bin/sh
# KIND ADDRESS in argv, the message on stdin; one write per message, so
# that concurrent deliveries do not interleave
msg=\$(cat)
printf '%s %s\n%s\n--\n' "\$1" "\$2" "\$msg" >>"$T/outbox-$name"
EOF
	chmod 755 "$T/deliver-$name"
	ul_config "state_dir = $T/state-$name" "tfa_required = no" \
		"kdf = 1:8" "kdf_parallel = 2" "totp_window = 3" \
		"lockout_attempts = $2" "lockout_seconds = $3" \
		"delivery_command = $T/deliver-$name"
	ul_start
	drv=0
	# bounded: the run's own clock, and a hard stop well past it
	PYTHONDONTWRITEBYTECODE=1 timeout 300 python3 "$top_srcdir/tests/race.py" \
		"$T/run/unilogin.sock" "$T/outbox-$name" --seconds "$SECONDS_PER_RUN" \
		--max-ops 60000 --workers 16 --window 3 \
		--lockout-attempts "$2" --lockout-seconds "$3" \
		${UL_RACE_SEED:+--seed "$UL_RACE_SEED"} >"$T/race-$name.out" 2>&1 || drv=$?
	ul_stop
	while IFS= read -r line; do
		case $line in
		"RESULT pass "*) pass "$name: ${line#RESULT pass }" ;;
		"RESULT fail "*) fail "$name: ${line#RESULT fail }" ;;
		*) echo "$line" ;;
		esac
	done <"$T/race-$name.out"
	# (not $rc: ul_stop sets that one to the helper's exit status)
	expect_eq "$name: the driver ran to its end" 0 "$drv"
}

race lockout 3 3
race nolimit 1000 900
ul_done
