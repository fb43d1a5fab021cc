#!/usr/bin/python3
"""Runs a command on a pseudo-terminal and answers its prompts, as a person
would: every prompt ending in "Email:", "Password:", "Verification code:"
(or another "...:" question from a PAM module) gets the next answer.

usage: drive.py [--timeout S] ANSWER... -- COMMAND [ARG...]

Prints what the person saw (answers are not echoed by the terminal for
hidden prompts, and never printed by this script), then a last line
"exit: N" with the command's exit status, or "exit: timeout"."""
import sys

import pexpect

PROMPTS = [r"(?i)(email|password|verification code|new password|"
           r"current password|retype new password|code)[^\r\n:]*: ?$",
           r"\(yes/no[^)]*\)\? ?$"]


def main():
    args = sys.argv[1:]
    timeout = 30
    if args[:1] == ["--timeout"]:
        timeout = float(args[1])
        args = args[2:]
    split = args.index("--")
    answers, command = args[:split], args[split + 1:]
    child = pexpect.spawn(command[0], command[1:], timeout=timeout,
                          encoding="utf-8", codec_errors="replace")
    seen = []
    while True:
        try:
            i = child.expect([PROMPTS[0], PROMPTS[1], pexpect.EOF])
        except pexpect.TIMEOUT:
            seen.append(child.before or "")
            print("".join(seen))
            print("exit: timeout")
            child.terminate(force=True)
            return
        seen.append((child.before or "") + (child.after if i < 2 else ""))
        if i == 2:
            break
        if i == 1:
            child.sendline("yes")
        elif answers:
            child.sendline(answers.pop(0))
        else:
            # out of answers: leave, as a person giving up would
            child.sendcontrol("c")
            child.sendcontrol("d")
    child.close()
    print("".join(seen).replace("\r", ""))
    status = child.exitstatus if child.exitstatus is not None else 128 + (child.signalstatus or 0)
    print("exit: %d" % status)


main()
