/* vprobe CA CERT KEY HOST:PORT [N]: a host's TLS client
 * (helper/server/tls.c) with these as tls_ca, tls_cert and tls_key:
 * connects to a verifier,
 * sends STATUS N times (default 1) on one session and prints
 * "result R" (the last answer's UL_F_RESULT), or what failed.  With N > 1
 * it prints the median round trip too ("rtt_us U"), for bench/run.
 * Exit 0 when every answer came, 1 otherwise. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/conf.h"
#include "common/util.h"
#include "helper/server/tls.h"
#include "unilogin/error.h"

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct ul_conf conf;
	struct ul_tls *tls;
	struct ul_tls_conn *conn;
	struct ul_msg *m;
	char err[512];
	long n = argc > 5 ? strtol(argv[5], NULL, 10) : 1;
	int64_t *us;
	int r;

	if (argc < 5 || n < 1 || n > 1000000) {
		fprintf(stderr, "usage: vprobe CA CERT KEY HOST:PORT [N]\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	ul_conf_defaults(&conf);
	if (ul_conf_set(&conf, "tls_ca", argv[1], err, sizeof(err)) != 0 ||
	    ul_conf_set(&conf, "tls_cert", argv[2], err, sizeof(err)) != 0 ||
	    ul_conf_set(&conf, "tls_key", argv[3], err, sizeof(err)) != 0 ||
	    ul_tls_new(&tls, &conf, false, err, sizeof(err)) != 0) {
		printf("config: %s\n", err);
		return 1;
	}
	r = ul_tls_connect(tls, argv[4], 3000, &conn, err, sizeof(err));
	if (r != 0) {
		printf("connect: %s\n", err);
		ul_tls_free(tls);
		return 1;
	}
	m = ul_msg_new();
	us = calloc((size_t)n, sizeof(*us));
	if (m == NULL || us == NULL) {
		r = 1;
		goto out;
	}
	for (long i = 0; i < n; i++) {
		int64_t t0 = now_us();

		ul_msg_start(m, UL_REQ_STATUS);
		ul_msg_put_int(m, UL_F_CALLER_UID, 0);
		if (ul_msg_finish(m) != 0 || (r = ul_tls_send_msg(conn, m, 3000)) != 0 ||
		    (r = ul_tls_recv_msg(conn, m, 3000)) != 0 ||
		    (r = ul_msg_decode(m)) != 0) {
			printf("no answer: %s\n", ul_strerror(r));
			r = 1;
			goto out;
		}
		us[i] = now_us() - t0;
	}
	printf("result %d\n", ul_reply_result(m));
	if (n > 1) {
		qsort(us, (size_t)n, sizeof(*us), cmp);
		printf("rtt_us %lld\n", (long long)us[n / 2]);
	}
	r = 0;
out:
	ul_tls_close(conn);
	ul_tls_free(tls);
	ul_msg_free(m);
	free(us);
	return r;
}
