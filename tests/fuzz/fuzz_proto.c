/* Fuzz target: the frame decoder, ul_msg_decode(), which the helper runs on
 * every request and every client on every reply.  A frame that decodes
 * must be safe to read through every accessor, and must encode again, field
 * by field, to the very same bytes. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "unilogin/error.h"
#include "unilogin/proto.h"

static struct ul_msg *in, *again;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	in = ul_msg_new();
	again = ul_msg_new();
	if (in == NULL || again == NULL)
		abort();
	return 0;
}

static uint32_t
be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

/* The length prefix alone: a size within the bounds, or a refusal. */
static void
check_frame_size(const uint8_t *data, size_t size)
{
	uint32_t payload;
	int n;

	if (size < 4)
		return;
	payload = be32(data);
	n = ul_frame_size(data);
	if (payload < UL_FRAME_HEADER - 4)
		FUZZ_CHECK(n == UL_EPROTO);
	else if (payload > UL_FRAME_MAX - 4)
		FUZZ_CHECK(n == UL_ETOOBIG);
	else
		FUZZ_CHECK(n == (int)payload + 4);
}

/* Every field the decoder kept lies inside the frame and holds what its
 * kind promises. */
static void
check_fields(const struct ul_msg *m)
{
	size_t end = UL_FRAME_HEADER;

	FUZZ_CHECK(m->nfields <= UL_FIELDS_MAX);
	for (unsigned i = 0; i < m->nfields; i++) {
		const struct ul_field *f = &m->fields[i];
		const struct ul_field_info *info = ul_field_info(f->tag);

		FUZZ_CHECK(info != NULL);
		FUZZ_CHECK(f->off == end + 4 && f->len <= info->max);
		FUZZ_CHECK((size_t)f->off + f->len <= m->len);
		end = (size_t)f->off + f->len;
		switch (info->kind) {
		case UL_KIND_STR:
		case UL_KIND_SECRET:
			FUZZ_CHECK(f->len >= 1);
			FUZZ_CHECK(strlen(ul_field_str(m, f)) == (size_t)f->len - 1);
			break;
		case UL_KIND_INT:
			FUZZ_CHECK(f->len == 8);
			break;
		case UL_KIND_BOOL:
			FUZZ_CHECK(f->len == 1 && ul_field_int(m, f) <= 1);
			break;
		case UL_KIND_MARK:
			FUZZ_CHECK(f->len == 0);
			break;
		}
	}
	FUZZ_CHECK(end == m->len);
}

/* What a client reads from a reply: each accessor on each tag, known or
 * not, present or not. */
static void
read_everything(const struct ul_msg *m)
{
	volatile size_t sink = 0;
	int64_t v;

	for (uint32_t tag = 0; tag <= UL_F_TAG_END; tag++) {
		const char *s = ul_msg_str(m, (uint16_t)tag);
		int r = ul_msg_int(m, (uint16_t)tag, &v);

		if (s != NULL) {
			FUZZ_CHECK(s >= (const char *)m->buf + UL_FRAME_HEADER + 4);
			FUZZ_CHECK(s < (const char *)m->buf + m->len);
			FUZZ_CHECK(memchr(s, 0, m->len - (size_t)(s - (const char *)m->buf))
			    != NULL);
			sink += strlen(s);
		}
		FUZZ_CHECK(r == 0 || (r == UL_ENOTFOUND && v == 0));
		sink += (size_t)ul_msg_bool(m, (uint16_t)tag);
		sink += (size_t)ul_msg_has(m, (uint16_t)tag);
		if (ul_field_info((uint16_t)tag) != NULL)
			FUZZ_CHECK(ul_field_info((uint16_t)tag)->name != NULL);
	}
	v = ul_reply_result(m);
	FUZZ_CHECK(v <= 0 && v >= -1000);
	if (m->type != UL_MSG_REPLY)
		FUZZ_CHECK(v == UL_EPROTO);
	FUZZ_CHECK(ul_msg_type_name(m->type) != NULL);
	for (unsigned i = 0; i < m->nfields; i++) {
		sink += (size_t)ul_field_int(m, &m->fields[i]);
		sink += strnlen(ul_field_str(m, &m->fields[i]), m->fields[i].len);
	}
	(void)sink;
}

/* Puts fields [from, to) of m into out, by their kind, as a sender would. */
static void
put_fields(const struct ul_msg *m, struct ul_msg *out, unsigned from,
    unsigned to)
{
	for (unsigned i = from; i < to; i++) {
		const struct ul_field *f = &m->fields[i];
		int r = UL_EINVAL;

		switch (ul_field_info(f->tag)->kind) {
		case UL_KIND_STR:
		case UL_KIND_SECRET:
			r = ul_msg_put_str(out, f->tag, ul_field_str(m, f));
			break;
		case UL_KIND_INT:
			r = ul_msg_put_int(out, f->tag, ul_field_int(m, f));
			break;
		case UL_KIND_BOOL:
			r = ul_msg_put_bool(out, f->tag, ul_field_int(m, f) != 0);
			break;
		case UL_KIND_MARK:
			r = ul_msg_put_mark(out, f->tag);
			break;
		}
		FUZZ_CHECK(r == 0);
	}
}

/* out gets m again and must be the same bytes. */
static void
check_same_frame(const struct ul_msg *m, struct ul_msg *out)
{
	FUZZ_CHECK(ul_msg_finish(out) == 0);
	FUZZ_CHECK(out->len == m->len);
	FUZZ_CHECK(memcmp(out->buf, m->buf, m->len) == 0);
}

/* Same type, same fields, same values. */
static void
check_same_fields(const struct ul_msg *a, const struct ul_msg *b)
{
	FUZZ_CHECK(a->type == b->type && a->version == b->version);
	FUZZ_CHECK(a->nfields == b->nfields);
	for (unsigned i = 0; i < a->nfields; i++) {
		const struct ul_field *fa = &a->fields[i], *fb = &b->fields[i];

		FUZZ_CHECK(fa->tag == fb->tag && fa->len == fb->len);
		FUZZ_CHECK(memcmp(a->buf + fa->off, b->buf + fb->off, fa->len) == 0);
	}
}

/* A bookmark taken half-way, the rest put and taken back, then put
 * again: the same frame (how a list answer drops a record that did not
 * fit in the page). */
static void
check_rewind(const struct ul_msg *m, struct ul_msg *out)
{
	struct ul_msg_mark mark;
	unsigned half = m->nfields / 2;

	ul_msg_start(out, m->type);
	put_fields(m, out, 0, half);
	mark = ul_msg_tell(out);
	put_fields(m, out, half, m->nfields);
	ul_msg_rewind(out, mark);
	FUZZ_CHECK(out->len == mark.len && out->nfields == half);
	put_fields(m, out, half, m->nfields);
	check_same_frame(m, out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int r;

	check_frame_size(data, size);
	if (size > UL_FRAME_MAX)
		return 0;       /* a reader never takes more than one frame */
	ul_msg_start(in, UL_MSG_REPLY);
	memcpy(in->buf, data, size);
	in->len = size;
	r = ul_msg_decode(in);
	FUZZ_CHECK(r == 0 || r == UL_EPROTO || r == UL_ETOOBIG || r == UL_EVERSION);
	if (r != 0)
		return 0;
	FUZZ_CHECK(in->version == UL_PROTO_VERSION);
	check_fields(in);
	read_everything(in);

	ul_msg_start(again, in->type);
	put_fields(in, again, 0, in->nfields);
	check_same_frame(in, again);
	FUZZ_CHECK(ul_msg_decode(again) == 0);
	check_same_fields(in, again);
	check_rewind(in, again);
	return 0;
}
