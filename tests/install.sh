#!/bin/sh
# make install DESTDIR=...: every piece lands where Debian expects it (with
# the configure options of the README); the units pass systemd-analyze
# verify; the installed config checks clean.
. "$top_srcdir/tests/lib.sh"
command -v make >/dev/null || ul_skip "make is needed"

make -s -C "$top_builddir" install DESTDIR="$T/dest" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "make install"; ul_done; }
files=$(cd "$T/dest" && find . \( -type f -o -type l \) | sort)
unit=$(find "$T/dest" -name unilogind.service)
helper=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$unit")
mandir=$(dirname "$(dirname "$(find "$T/dest" -name unilogind.8)")")
for f in pam_unilogin.so libnss_unilogin.so.2 sbin/unilogind sbin/uniloginctl \
    sbin/unilogin-keys man8/unilogin-keys.8 \
    bin/unilogin systemd/system/unilogind.service systemd/system/unilogind.socket \
    sysusers.d/unilogin.conf unilogin/unilogin.conf man8/pam_unilogin.8 \
    man8/unilogind.8 man8/uniloginctl.8 man1/unilogin.1 man5/unilogin.conf.5 \
    examples/pam.d/sshd examples/pam.d/sudo examples/pam.d/su examples/pam.d/login \
    examples/sshd_config.d/unilogin.conf examples/nsswitch.conf \
    include/unilogin/proto.h; do
	expect_contains "installed: $f" "$files" "$f"
done
expect_lacks "no libtool .la files beside the modules" "$files" ".la"
conf=$(find "$T/dest" -path '*/unilogin/unilogin.conf' | head -1)
if [ -x "$T/dest$helper" ]; then pass "the unit's ExecStart is the installed helper ($helper)"
else fail "the unit's ExecStart $helper is not installed"; fi
out=$("$T/dest$helper" --config "$conf" --check-config 2>&1) && rc=0 || rc=$?
expect_eq "the installed config checks clean" 0 "$rc"
expect_eq "the installed config is not writable by others" 644 "$(stat -c %a "$conf")"

if command -v systemd-analyze >/dev/null; then
	# verify against the files as installed (ExecStart must exist)
	mkdir -p "$T/units"
	sed "s|^ExecStart=$helper|ExecStart=$T/dest$helper|" "$unit" >"$T/units/unilogind.service"
	cp "$(find "$T/dest" -name unilogind.socket)" "$T/units/"
	out=$(MANPATH="$mandir" systemd-analyze verify \
		"$T/units/unilogind.service" "$T/units/unilogind.socket" 2>&1) && rc=0 || rc=$?
	expect_eq "systemd-analyze verify: clean" "0:" "$rc:$out"
	for opt in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
	    'CapabilityBoundingSet=$' RestrictAddressFamilies=AF_UNIX User=unilogin \
	    StateDirectory=unilogin RuntimeDirectory=unilogin RuntimeDirectoryPreserve=yes; do
		if grep -q "^$opt" "$unit"; then pass "unit: $opt"; else fail "unit: $opt"; fi
	done
	sock=$T/units/unilogind.socket
	for opt in SocketUser=unilogin SocketMode=0666 DirectoryMode=0755; do
		if grep -q "^$opt" "$sock"; then pass "socket: $opt"; else fail "socket: $opt"; fi
	done
else
	echo "# systemd-analyze is not installed: units not verified"
fi
ul_done
