# tests/e2e/lib.sh: sourced by the end-to-end tests after tests/lib.sh.
# What they share: the PAM stack of a test service (unilogin, then
# pam_unix), and a real sshd started from a copy of the binary whose name
# is its PAM service, in a private mount namespace with $T/nsswitch.conf.

# e2e_need_sshd: skips (77) without a real sshd, ssh, pexpect or oathtool;
# sets SSHD and DRIVE (the pexpect driver of tests/e2e/drive.py).
e2e_need_sshd() {
	SSHD=$(command -v sshd || echo /usr/sbin/sshd)
	[ -x "$SSHD" ] && command -v ssh >/dev/null || ul_skip "needs openssh-server and openssh-client"
	/usr/bin/python3 -c 'import pexpect' 2>/dev/null || ul_skip "needs python3-pexpect"
	command -v oathtool >/dev/null || ul_skip "needs oathtool"
	DRIVE="/usr/bin/python3 $top_srcdir/tests/e2e/drive.py"
}

# e2e_sshd_config_head: picks a free loopback PORT, makes $T/hostkey and
# prints the lines every test sshd_config starts with.
e2e_sshd_config_head() {
	PORT=$(FREEPORT_TAKEN=$T/ports /usr/bin/python3 "$top_srcdir/tests/freeport.py")
	ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
	printf 'Port %s\nListenAddress 127.0.0.1\nHostKey %s\nPidFile %s\nUsePAM yes\n' \
		"$PORT" "$T/hostkey" "$T/sshd.pid"
}

# e2e_mark: the first line of every file an end-to-end test writes in
# /etc, naming the test and its process (e2e_free reads it back)
e2e_mark() {
	echo "# written by unilogin's test $(basename "$0") (pid $$) and removed when it ends"
}

# e2e_free FILE...: skips (77) when FILE exists and another run that is
# still going wrote it, or something else did; removes, saying so, a FILE
# whose writer (e2e_mark's pid) is gone: a run killed before its cleanup
# would otherwise make every later run skip.
e2e_free() {
	for f in "$@"; do
		[ -e "$f" ] || continue
		pid=$(sed -n "1s/^# written by unilogin's test .* (pid \([0-9][0-9]*\)) .*/\1/p" "$f")
		[ -n "$pid" ] || ul_skip "$f exists already and is not a test's: left alone"
		! kill -0 "$pid" 2>/dev/null || ul_skip "$f exists already: written by pid $pid, still running"
		rm -f "$f"
		echo "# removed $f, left by a run that is gone (pid $pid)" >&2
	done
}

# e2e_stack: the PAM lines of a service, on stdout
e2e_stack() {
	e2e_mark
	cat <<EOF
auth     [success=done user_unknown=ignore authinfo_unavail=die default=die] $MODULE conf=$T/unilogin.conf
auth     required pam_unix.so
account  [success=ok user_unknown=ignore default=die] $MODULE conf=$T/unilogin.conf
account  required pam_unix.so
session  optional $MODULE conf=$T/unilogin.conf
session  required pam_unix.so
EOF
}

# e2e_sshd NAME: sshd as $T/NAME (PAM service NAME) with $T/sshd_config,
# its log in $T/sshd.log; sets SSHD_PID once it listens (bounded: 10 s).
e2e_sshd() {
	mkdir -p /run/sshd
	printf 'passwd: files unilogin\ngroup: files unilogin\nshadow: files unilogin\nhosts: files\n' \
		>"$T/nsswitch.conf"
	cp "$SSHD" "$T/$1"
	unshare -m --propagation private sh -c '
		mount --bind "$1/nsswitch.conf" /etc/nsswitch.conf || exit 1
		exec env LD_LIBRARY_PATH="$2/.libs" UNILOGIN_CONF="$1/unilogin.conf" \
			"$1/$3" -D -e -f "$1/sshd_config"' sh "$T" "$top_builddir" "$1" \
		2>"$T/sshd.log" &
	SSHD_PID=$!
	i=0
	until grep -q "Server listening" "$T/sshd.log" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$SSHD_PID" 2>/dev/null; then
			cat "$T/sshd.log"; fail "sshd did not start"; ul_done
		fi
		sleep 0.05
	done
}
