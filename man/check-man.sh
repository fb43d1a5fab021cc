#!/bin/sh
# Renders every man page as man(1) would, with groff's warnings on; any
# line on stderr is a warning and fails the test.  Skipped (77) when man
# is not installed.  The pages are found under "$top_srcdir/man".
command -v man >/dev/null 2>&1 || { echo "man is not installed: skipped"; exit 77; }
top_srcdir=${top_srcdir:-$(dirname "$0")/..}

status=0
for name in pam_unilogin.8 unilogind.8 uniloginctl.8 unilogin.1 unilogin.conf.5 \
    unilogin-keys.8; do
	page=$top_srcdir/man/$name
	if [ ! -r "$page" ]; then
		echo "FAIL: $name: $page cannot be read"
		status=1
		continue
	fi
	warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
		man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
	if [ -n "$warnings" ]; then
		echo "FAIL: $name"
		printf '%s\n' "$warnings"
		status=1
	else
		echo "ok: $name"
	fi
done
exit $status
