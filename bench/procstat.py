"""CPU time and memory of a process and its children, from /proc: shared
by bench/run and bench/verifier (the helpers' KDF workers are children of
their helper)."""
import os


def child_pids(pid):
    """A process's children (the helper's KDF workers)."""
    out = []
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def proc_cpu_s(pid, children=True):
    """CPU time of a process, all threads (utime + stime), and (unless
    children is False) of its living children (the helper's KDF worker
    processes), in seconds."""
    total = 0.0
    for p in [pid] + (child_pids(pid) if children else []):
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total


def children_vm_kib(pid, key):
    """The sum of a /proc status figure (VmHWM) over a process's children."""
    total = 0
    for p in child_pids(pid):
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith(key + ":"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total
