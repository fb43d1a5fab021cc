/* The helper's log: syslog, or stderr with --foreground. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "common/util.h"
#include "helper/core/log.h"

static bool use_stderr;

void
ul_log_init(bool to_stderr)
{
	use_stderr = to_stderr;
	if (!to_stderr)
		openlog("unilogind", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

void
ul_log(int priority, const char *fmt, ...)
{
	static const char *const level[] = {"emerg", "alert", "crit", "error",
	    "warning", "notice", "info", "debug"};
	char raw[2048], line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* a line names what clients sent (an rhost, a service, a name): no
	 * newline, escape or control in it may forge another line (row 9) */
	ul_text_safe(raw, line, sizeof(line));
	if (use_stderr)
		fprintf(stderr, "unilogind: %s: %s\n", level[priority & 7], line);
	else
		syslog(priority, "%s", line);
}
