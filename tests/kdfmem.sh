#!/bin/sh
# Issue 14, item 3: each KDF worker process keeps argon2's memory from one
# hash to the next (helper/rules/kdfmem.c), wipes it after every hash and
# lets it go once idle.  Seen from outside, in the real helper's workers:
#  * the helper's own hash at start (its dummy hash, S1) leaves one region
#    of the KDF's memory (kdf = 1:8: 8 MiB) in a worker until it is idle;
#  * after logins, at most one such region in each worker, at most
#    kdf_parallel in all (kept, not one per hash), each all zero when read
#    through /proc/PID/mem (wiped after its hash);
#  * once the workers are idle, the regions go (waited for, bounded);
#  * a login after that hashes in a new region and succeeds.
. "$top_srcdir/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || ul_skip "root is needed to read the KDF workers' memory"
PY=/usr/bin/python3
[ -x $PY ] || ul_skip "Debian's /usr/bin/python3 is needed"

ul_config
ul_start
ul_user alice@example.com 'Kdf-Mem-Pw-1'
ul_account comms alice alice@example.com

workers() { cat /proc/$HELPER_PID/task/*/children 2>/dev/null; }

# The KDF-sized (8 MiB) private anonymous regions of each worker, as
# "PID START-END" lines; with --zero, each one's bytes checked too
# (" zero" or " NONZERO" after it).
regions() {
	$PY - "$@" $(workers) <<'PYEOF'
import sys
args = sys.argv[1:]
zero = bool(args) and args[0] == "--zero"
pids = [int(p) for p in args[1 if zero else 0:]]
size = 8 << 20
for pid in pids:
    try:
        lines = open("/proc/%d/maps" % pid).read().splitlines()
    except OSError:
        continue
    for line in lines:
        f = line.split()
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        # anonymous: no path (a heap or stack has a [name])
        if hi - lo != size or len(f) > 5 or not f[1].startswith("rw"):
            continue
        out = "%d %x-%x" % (pid, lo, hi)
        if zero:
            with open("/proc/%d/mem" % pid, "rb", buffering=0) as m:
                m.seek(lo)
                left, nz = size, False
                while left > 0 and not nz:
                    b = m.read(min(left, 1 << 20))
                    if not b:
                        break
                    nz = b.count(0) != len(b)
                    left -= len(b)
            out += " NONZERO" if nz or left else " zero"
        print(out)
PYEOF
}

# Waits (bounded: 60 s) until no worker holds a region; $waited: how long.
wait_idle() {
	i=0
	while [ -n "$(regions)" ] && [ $i -lt 600 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	waited="${i}00 ms"
}

n=$(workers | wc -w)
expect_eq "the helper runs kdf_parallel KDF worker processes" 2 "$n"
wait_idle
expect_eq "idle at start: no worker holds the KDF's memory (waited $waited)" "" "$(regions)"

for i in 1 2 3 4; do
	out=$(answers alice@example.com 'Kdf-Mem-Pw-1' | pam alice)
	expect_contains "login $i" "$out" "auth: PAM_SUCCESS"
done
out=$(answers alice@example.com 'Kdf-Mem-Wrong' 00000000 | pam alice)
expect_contains "a wrong password" "$out" "auth: PAM_AUTH_ERR"
held=$(regions --zero)
echo "$held" | sed 's/^/  held: /'
count=$(echo "$held" | grep -c . || true)
[ "$count" -ge 1 ] && [ "$count" -le 2 ] &&
	pass "5 hashes are held in $count region(s): at most one per worker ($count)" ||
	fail "5 hashes left $count KDF-sized regions in the workers (want 1 or 2)"
dup=$(echo "$held" | awk 'NF {print $1}' | sort | uniq -d)
expect_eq "no worker holds two regions" "" "$dup"
expect_lacks "every held region is all zero after its hash" "$held" NONZERO

# idle: the regions go (KDF_IDLE_MS, 5 s)
wait_idle
expect_eq "idle workers let the KDF's memory go (waited $waited)" "" "$(regions)"

out=$(answers alice@example.com 'Kdf-Mem-Pw-1' | pam alice)
expect_contains "a login after that" "$out" "auth: PAM_SUCCESS"
count=$(regions | grep -c . || true)
expect_eq "... hashes in a new region, kept again" 1 "$count"
ul_done
