/* The helper's log: syslog, or stderr with --foreground (the journal under
 * systemd).  Never pass a secret. */
#ifndef UL_LOG_H
#define UL_LOG_H

#include <stdbool.h>
#include <syslog.h>

void ul_log_init(bool to_stderr);
void ul_log(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
