/* Unit tests for common/proto.c: the frame encoder and decoder.
 *
 * Round trips of every field kind, bookmarks, and every way the decoder
 * must refuse a frame (truncation, bad prefix, unknown tag or type, bad
 * values, oversized fields, another version).  Hand-made frames are
 * written straight into ul_msg.buf with the helpers below. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "unilogin/error.h"
#include "unilogin/proto.h"

/* ---- helpers ---- */

static int
setup_msgs(void **state)
{
	struct ul_msg **m = test_calloc(2, sizeof(*m));

	m[0] = ul_msg_new();
	m[1] = ul_msg_new();
	if (m[0] == NULL || m[1] == NULL)
		return -1;
	*state = m;
	return 0;
}

static int
teardown_msgs(void **state)
{
	struct ul_msg **m = *state;

	ul_msg_free(m[0]);
	ul_msg_free(m[1]);
	test_free(m);
	return 0;
}

static void
be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Starts a hand-made frame: header only, prefix set by raw_seal(). */
static void
raw_start(struct ul_msg *m, uint16_t version, uint16_t type)
{
	memset(m->buf, 0, UL_FRAME_HEADER);
	be16(m->buf + 4, version);
	be16(m->buf + 6, type);
	m->len = UL_FRAME_HEADER;
}

static void
raw_field(struct ul_msg *m, uint16_t tag, uint16_t len, const void *v)
{
	be16(m->buf + m->len, tag);
	be16(m->buf + m->len + 2, len);
	if (len > 0)
		memcpy(m->buf + m->len + 4, v, len);
	m->len += 4 + len;
}

static void
raw_seal(struct ul_msg *m)
{
	be32(m->buf, (uint32_t)(m->len - 4));
}

/* Copies the encoded bytes of src into dst, as a reader would get them. */
static void
transfer(struct ul_msg *dst, const struct ul_msg *src)
{
	memcpy(dst->buf, src->buf, src->len);
	dst->len = src->len;
	dst->nfields = 0;
	dst->version = 0;
	dst->type = 0;
}

/* ---- encoding and round trips ---- */

static void
test_roundtrip_every_kind(void **state)
{
	struct ul_msg **m = *state;
	int64_t v;

	ul_msg_start(m[0], UL_REQ_LOGIN_BEGIN);
	assert_int_equal(ul_msg_put_str(m[0], UL_F_EMAIL, "ann@example.org"), 0);
	assert_int_equal(ul_msg_put_str(m[0], UL_F_PASSWORD, "s3cret pass"), 0);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_UID, 900000001), 0);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_RESULT, -20), 0);
	assert_int_equal(ul_msg_put_bool(m[0], UL_F_CONFIRMED, true), 0);
	assert_int_equal(ul_msg_put_bool(m[0], UL_F_LOCKED, false), 0);
	assert_int_equal(ul_msg_put_mark(m[0], UL_F_RECORD), 0);
	assert_int_equal(ul_msg_finish(m[0]), 0);

	transfer(m[1], m[0]);
	assert_int_equal(ul_msg_decode(m[1]), 0);
	assert_int_equal(m[1]->version, UL_PROTO_VERSION);
	assert_int_equal(m[1]->type, UL_REQ_LOGIN_BEGIN);
	assert_int_equal(m[1]->nfields, 7);
	assert_string_equal(ul_msg_str(m[1], UL_F_EMAIL), "ann@example.org");
	assert_string_equal(ul_msg_str(m[1], UL_F_PASSWORD), "s3cret pass");
	assert_int_equal(ul_msg_int(m[1], UL_F_UID, &v), 0);
	assert_int_equal(v, 900000001);
	assert_int_equal(ul_msg_int(m[1], UL_F_RESULT, &v), 0);
	assert_int_equal(v, -20);
	assert_true(ul_msg_bool(m[1], UL_F_CONFIRMED));
	assert_true(ul_msg_has(m[1], UL_F_LOCKED));
	assert_false(ul_msg_bool(m[1], UL_F_LOCKED));
	assert_true(ul_msg_has(m[1], UL_F_RECORD));
	assert_false(ul_msg_has(m[1], UL_F_PRODUCT));
}

static void
test_wire_layout_is_big_endian(void **state)
{
	struct ul_msg **m = *state;
	static const uint8_t want[] = {
		0, 0, 0, 16,            /* payload length */
		0, 1, 0, 0,             /* version 1, reply */
		0, 1, 0, 8,             /* result, 8 bytes */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, /* -2 */
	};

	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_RESULT, -2), 0);
	assert_int_equal(ul_msg_finish(m[0]), 0);
	assert_int_equal(m[0]->len, sizeof(want));
	assert_memory_equal(m[0]->buf, want, sizeof(want));
}

static void
test_roundtrip_int_extremes(void **state)
{
	struct ul_msg **m = *state;
	int64_t v;

	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_TIME, INT64_MIN), 0);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_EXPIRES, INT64_MAX), 0);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_SINCE, -1), 0);
	assert_int_equal(ul_msg_finish(m[0]), 0);
	transfer(m[1], m[0]);
	assert_int_equal(ul_msg_decode(m[1]), 0);
	assert_int_equal(ul_msg_int(m[1], UL_F_TIME, &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(ul_msg_int(m[1], UL_F_EXPIRES, &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(ul_msg_int(m[1], UL_F_SINCE, &v), 0);
	assert_true(v == -1);
}

static void
test_string_carries_its_nul(void **state)
{
	struct ul_msg **m = *state;

	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_str(m[0], UL_F_PRODUCT, "shop"), 0);
	assert_int_equal(m[0]->fields[0].len, 5);
	assert_int_equal(m[0]->buf[m[0]->fields[0].off + 4], 0);
	/* an empty string is one NUL byte and reads back as "" */
	assert_int_equal(ul_msg_put_str(m[0], UL_F_MESSAGE, ""), 0);
	assert_int_equal(ul_msg_finish(m[0]), 0);
	transfer(m[1], m[0]);
	assert_int_equal(ul_msg_decode(m[1]), 0);
	assert_string_equal(ul_msg_str(m[1], UL_F_MESSAGE), "");
}

static void
test_repeated_fields_keep_order(void **state)
{
	struct ul_msg **m = *state;
	static const char *names[] = {"alpha", "beta", "gamma"};
	unsigned seen = 0;

	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_RESULT, 0), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ul_msg_put_mark(m[0], UL_F_RECORD), 0);
		assert_int_equal(ul_msg_put_str(m[0], UL_F_PRODUCT, names[i]), 0);
	}
	assert_int_equal(ul_msg_finish(m[0]), 0);
	transfer(m[1], m[0]);
	assert_int_equal(ul_msg_decode(m[1]), 0);
	assert_int_equal(m[1]->nfields, 7);
	for (unsigned i = 0; i < m[1]->nfields; i++) {
		const struct ul_field *f = &m[1]->fields[i];

		if (f->tag != UL_F_PRODUCT)
			continue;
		assert_int_equal(m[1]->fields[i - 1].tag, UL_F_RECORD);
		assert_string_equal(ul_field_str(m[1], f), names[seen]);
		seen++;
	}
	assert_int_equal(seen, 3);
	/* by tag, the first one answers */
	assert_string_equal(ul_msg_str(m[1], UL_F_PRODUCT), "alpha");
}

static void
test_rewind_takes_back_fields(void **state)
{
	struct ul_msg **m = *state;
	struct ul_msg_mark mark;
	size_t len;

	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_RESULT, 0), 0);
	mark = ul_msg_tell(m[0]);
	len = m[0]->len;
	assert_int_equal(ul_msg_put_mark(m[0], UL_F_RECORD), 0);
	assert_int_equal(ul_msg_put_str(m[0], UL_F_PRODUCT, "shop"), 0);
	ul_msg_rewind(m[0], mark);
	assert_int_equal(m[0]->len, len);
	assert_int_equal(m[0]->nfields, 1);
	assert_int_equal(ul_msg_finish(m[0]), 0);
	transfer(m[1], m[0]);
	assert_int_equal(ul_msg_decode(m[1]), 0);
	assert_int_equal(m[1]->nfields, 1);
	assert_false(ul_msg_has(m[1], UL_F_PRODUCT));
	assert_false(ul_msg_has(m[1], UL_F_RECORD));
}

static void
test_rewind_clears_overflow_error(void **state)
{
	struct ul_msg **m = *state;
	struct ul_msg_mark mark;
	char big[40];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_RESULT, 0), 0);
	mark = ul_msg_tell(m[0]);
	assert_int_equal(ul_msg_put_str(m[0], UL_F_PRODUCT, big), UL_ETOOBIG);
	ul_msg_rewind(m[0], mark);
	assert_int_equal(m[0]->error, 0);
	assert_int_equal(ul_msg_put_str(m[0], UL_F_PRODUCT, "ok"), 0);
	assert_int_equal(ul_msg_finish(m[0]), 0);
}

/* BUG (common/proto.c, ul_msg_rewind): the rewind sets m->error to 0
 * whatever the error was at the mark.  When a put failed before ul_msg_tell
 * (say a field over its bound), rewinding to that mark forgets the failure:
 * ul_msg_finish then returns 0 for a frame that silently lacks the field,
 * against "ul_msg_finish() returns it" in proto.h.  The mark should carry
 * the error it was taken with.  The last assertion fails until then. */
static void
test_rewind_keeps_error_from_before_mark(void **state)
{
	struct ul_msg **m = *state;
	struct ul_msg_mark mark;
	char big[UL_PRODUCT_MAX + 2];

	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_str(m[0], UL_F_PRODUCT, big), UL_ETOOBIG);
	mark = ul_msg_tell(m[0]);
	(void)ul_msg_put_mark(m[0], UL_F_RECORD);
	ul_msg_rewind(m[0], mark);
	assert_int_equal(ul_msg_finish(m[0]), UL_ETOOBIG);     /* fails: 0 */
}

static void
test_rewind_refuses_mark_ahead(void **state)
{
	struct ul_msg **m = *state;
	struct ul_msg_mark ahead;

	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_RESULT, 0), 0);
	assert_int_equal(ul_msg_put_str(m[0], UL_F_MESSAGE, "hi"), 0);
	ahead = ul_msg_tell(m[0]);
	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_RESULT, 0), 0);
	/* a mark from a longer frame is past the end: nothing moves */
	ul_msg_rewind(m[0], ahead);
	assert_int_equal(m[0]->nfields, 1);
	assert_int_equal(m[0]->len, UL_FRAME_HEADER + 4 + 8);
}

/* ---- encoding errors ---- */

static void
test_encode_field_over_bound_is_sticky(void **state)
{
	struct ul_msg **m = *state;
	char big[UL_PRODUCT_MAX + 2];

	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';            /* 33 chars: one too many */
	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_str(m[0], UL_F_PRODUCT, big), UL_ETOOBIG);
	assert_int_equal(m[0]->error, UL_ETOOBIG);
	/* later puts, even good ones, keep failing and add nothing */
	assert_int_equal(ul_msg_put_int(m[0], UL_F_RESULT, 0), UL_ETOOBIG);
	assert_int_equal(m[0]->nfields, 0);
	assert_int_equal(ul_msg_finish(m[0]), UL_ETOOBIG);
}

static void
test_encode_at_bound_is_accepted(void **state)
{
	struct ul_msg **m = *state;
	char max[UL_PRODUCT_MAX + 1];

	memset(max, 'p', sizeof(max) - 1);
	max[sizeof(max) - 1] = '\0';            /* exactly 32 chars */
	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_str(m[0], UL_F_PRODUCT, max), 0);
	assert_int_equal(ul_msg_finish(m[0]), 0);
}

static void
test_encode_frame_overflow_is_sticky(void **state)
{
	struct ul_msg **m = *state;
	char *data = test_malloc(50000);

	memset(data, 'd', 49999);
	data[49999] = '\0';
	ul_msg_start(m[0], UL_REQ_IMPORT);
	assert_int_equal(ul_msg_put_str(m[0], UL_F_DATA, data), 0);
	/* a second one cannot fit in UL_FRAME_MAX */
	assert_int_equal(ul_msg_put_str(m[0], UL_F_DATA, data), UL_ETOOBIG);
	assert_int_equal(m[0]->nfields, 1);
	assert_true(m[0]->len <= UL_FRAME_MAX);
	assert_int_equal(ul_msg_finish(m[0]), UL_ETOOBIG);
	test_free(data);
}

static void
test_encode_wrong_kind_is_einval(void **state)
{
	struct ul_msg **m = *state;

	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_EMAIL, 1), UL_EINVAL);
	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_str(m[0], UL_F_UID, "1"), UL_EINVAL);
	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_bool(m[0], UL_F_RESULT, true), UL_EINVAL);
	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_mark(m[0], UL_F_LOCKED), UL_EINVAL);
	assert_int_equal(m[0]->nfields, 0);
	assert_int_equal(ul_msg_finish(m[0]), UL_EINVAL);
}

static void
test_encode_unknown_tag_is_einval(void **state)
{
	struct ul_msg **m = *state;

	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_str(m[0], 7, "x"), UL_EINVAL);
	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_TAG_END, 1), UL_EINVAL);
}

static void
test_start_resets_error(void **state)
{
	struct ul_msg **m = *state;

	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_EMAIL, 1), UL_EINVAL);
	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(m[0]->error, 0);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_RESULT, 0), 0);
	assert_int_equal(ul_msg_finish(m[0]), 0);
}

static void
test_encode_field_count_bound(void **state)
{
	struct ul_msg **m = *state;

	ul_msg_start(m[0], UL_MSG_REPLY);
	for (int i = 0; i < UL_FIELDS_MAX; i++)
		assert_int_equal(ul_msg_put_mark(m[0], UL_F_RECORD), 0);
	assert_int_equal(ul_msg_put_mark(m[0], UL_F_RECORD), UL_ETOOBIG);
	assert_int_equal(m[0]->nfields, UL_FIELDS_MAX);
	assert_int_equal(ul_msg_finish(m[0]), UL_ETOOBIG);
}

static void
test_encode_null_string_is_skipped(void **state)
{
	struct ul_msg **m = *state;

	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_str(m[0], UL_F_MESSAGE, NULL), 0);
	assert_int_equal(m[0]->nfields, 0);
	assert_int_equal(m[0]->len, UL_FRAME_HEADER);
	assert_int_equal(ul_msg_finish(m[0]), 0);
}

/* ---- frame size ---- */

static void
test_frame_size_bounds(void **state)
{
	uint8_t h[4];

	(void)state;
	be32(h, UL_FRAME_MAX - 4);
	assert_int_equal(ul_frame_size(h), UL_FRAME_MAX);
	be32(h, UL_FRAME_MAX - 3);
	assert_int_equal(ul_frame_size(h), UL_ETOOBIG);
	be32(h, 0xffffffffu);
	assert_int_equal(ul_frame_size(h), UL_ETOOBIG);
	be32(h, UL_FRAME_HEADER - 4);
	assert_int_equal(ul_frame_size(h), UL_FRAME_HEADER);
	be32(h, UL_FRAME_HEADER - 5);
	assert_int_equal(ul_frame_size(h), UL_EPROTO);
}

/* ---- decoding refusals ---- */

static void
test_decode_refuses_truncated_frame(void **state)
{
	struct ul_msg **m = *state;

	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_str(m[0], UL_F_MESSAGE, "hello"), 0);
	assert_int_equal(ul_msg_finish(m[0]), 0);
	transfer(m[1], m[0]);
	m[1]->len -= 1;                 /* the last byte never arrived */
	assert_int_equal(ul_msg_decode(m[1]), UL_EPROTO);
	m[1]->len = 5;                  /* not even a header */
	assert_int_equal(ul_msg_decode(m[1]), UL_EPROTO);
}

static void
test_decode_refuses_truncated_field(void **state)
{
	struct ul_msg **m = *state;

	/* a field header that claims more bytes than the frame holds */
	raw_start(m[0], UL_PROTO_VERSION, UL_MSG_REPLY);
	raw_field(m[0], UL_F_MESSAGE, 3, "hi");
	be16(m[0]->buf + UL_FRAME_HEADER + 2, 50);
	raw_seal(m[0]);
	assert_int_equal(ul_msg_decode(m[0]), UL_EPROTO);
	/* and a field header cut short */
	raw_start(m[0], UL_PROTO_VERSION, UL_MSG_REPLY);
	m[0]->buf[m[0]->len++] = 0;
	m[0]->buf[m[0]->len++] = UL_F_MESSAGE;
	raw_seal(m[0]);
	assert_int_equal(ul_msg_decode(m[0]), UL_EPROTO);
}

static void
test_decode_refuses_prefix_mismatch(void **state)
{
	struct ul_msg **m = *state;

	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_RESULT, 0), 0);
	assert_int_equal(ul_msg_finish(m[0]), 0);
	transfer(m[1], m[0]);
	be32(m[1]->buf, (uint32_t)(m[1]->len - 4 - 1));
	assert_int_equal(ul_msg_decode(m[1]), UL_EPROTO);
	be32(m[1]->buf, (uint32_t)(m[1]->len - 4 + 1));
	assert_int_equal(ul_msg_decode(m[1]), UL_EPROTO);
}

static void
test_decode_refuses_oversized_prefix(void **state)
{
	struct ul_msg **m = *state;

	raw_start(m[0], UL_PROTO_VERSION, UL_MSG_REPLY);
	be32(m[0]->buf, UL_FRAME_MAX);  /* payload alone as big as a frame */
	assert_int_equal(ul_msg_decode(m[0]), UL_ETOOBIG);
}

static void
test_decode_refuses_unknown_tag(void **state)
{
	struct ul_msg **m = *state;
	static const uint16_t bad[] = {0, 7, 9, UL_F_TAG_END, 0xffff};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		raw_start(m[0], UL_PROTO_VERSION, UL_MSG_REPLY);
		raw_field(m[0], bad[i], 2, "x");
		raw_seal(m[0]);
		assert_int_equal(ul_msg_decode(m[0]), UL_EPROTO);
	}
}

static void
test_decode_refuses_string_without_nul(void **state)
{
	struct ul_msg **m = *state;

	raw_start(m[0], UL_PROTO_VERSION, UL_MSG_REPLY);
	raw_field(m[0], UL_F_EMAIL, 3, "abc");
	raw_seal(m[0]);
	assert_int_equal(ul_msg_decode(m[0]), UL_EPROTO);
	/* nor an empty value, which has no room for the NUL */
	raw_start(m[0], UL_PROTO_VERSION, UL_MSG_REPLY);
	raw_field(m[0], UL_F_PASSWORD, 0, NULL);
	raw_seal(m[0]);
	assert_int_equal(ul_msg_decode(m[0]), UL_EPROTO);
}

static void
test_decode_refuses_interior_nul(void **state)
{
	struct ul_msg **m = *state;

	raw_start(m[0], UL_PROTO_VERSION, UL_MSG_REPLY);
	raw_field(m[0], UL_F_UNIX_USER, 6, "ro\0ot");
	raw_seal(m[0]);
	assert_int_equal(ul_msg_decode(m[0]), UL_EPROTO);
	raw_start(m[0], UL_PROTO_VERSION, UL_MSG_REPLY);
	raw_field(m[0], UL_F_PASSWORD, 4, "a\0b");
	raw_seal(m[0]);
	assert_int_equal(ul_msg_decode(m[0]), UL_EPROTO);
}

static void
test_decode_refuses_bool_two(void **state)
{
	struct ul_msg **m = *state;

	raw_start(m[0], UL_PROTO_VERSION, UL_MSG_REPLY);
	raw_field(m[0], UL_F_CONFIRMED, 1, "\2");
	raw_seal(m[0]);
	assert_int_equal(ul_msg_decode(m[0]), UL_EPROTO);
	/* the same frame with 1 is fine: the refusal is about the value */
	m[0]->buf[UL_FRAME_HEADER + 4] = 1;
	assert_int_equal(ul_msg_decode(m[0]), 0);
	assert_true(ul_msg_bool(m[0], UL_F_CONFIRMED));
}

static void
test_decode_refuses_short_int(void **state)
{
	struct ul_msg **m = *state;

	raw_start(m[0], UL_PROTO_VERSION, UL_MSG_REPLY);
	raw_field(m[0], UL_F_RESULT, 4, "\0\0\0\0");
	raw_seal(m[0]);
	assert_int_equal(ul_msg_decode(m[0]), UL_EPROTO);
	raw_start(m[0], UL_PROTO_VERSION, UL_MSG_REPLY);
	raw_field(m[0], UL_F_UID, 7, "\0\0\0\0\0\0\1");
	raw_seal(m[0]);
	assert_int_equal(ul_msg_decode(m[0]), UL_EPROTO);
}

static void
test_decode_refuses_mark_with_value(void **state)
{
	struct ul_msg **m = *state;

	raw_start(m[0], UL_PROTO_VERSION, UL_MSG_REPLY);
	raw_field(m[0], UL_F_RECORD, 1, "\0");
	raw_seal(m[0]);
	assert_int_equal(ul_msg_decode(m[0]), UL_ETOOBIG);
}

static void
test_decode_refuses_field_over_tag_max(void **state)
{
	struct ul_msg **m = *state;
	char v[UL_PRODUCT_MAX + 2];     /* 33 chars + NUL: one over */

	memset(v, 'p', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	raw_start(m[0], UL_PROTO_VERSION, UL_MSG_REPLY);
	raw_field(m[0], UL_F_PRODUCT, sizeof(v), v);
	raw_seal(m[0]);
	assert_int_equal(ul_msg_decode(m[0]), UL_ETOOBIG);
	/* one shorter is exactly the bound and passes */
	raw_start(m[0], UL_PROTO_VERSION, UL_MSG_REPLY);
	raw_field(m[0], UL_F_PRODUCT, sizeof(v) - 1, v + 1);
	raw_seal(m[0]);
	assert_int_equal(ul_msg_decode(m[0]), 0);
}

static void
test_decode_refuses_too_many_fields(void **state)
{
	struct ul_msg **m = *state;

	raw_start(m[0], UL_PROTO_VERSION, UL_MSG_REPLY);
	for (int i = 0; i < UL_FIELDS_MAX; i++)
		raw_field(m[0], UL_F_RECORD, 0, NULL);
	raw_seal(m[0]);
	assert_int_equal(ul_msg_decode(m[0]), 0);
	assert_int_equal(m[0]->nfields, UL_FIELDS_MAX);
	raw_field(m[0], UL_F_RECORD, 0, NULL);
	raw_seal(m[0]);
	assert_int_equal(ul_msg_decode(m[0]), UL_ETOOBIG);
}

static void
test_decode_refuses_unknown_type(void **state)
{
	struct ul_msg **m = *state;
	static const uint16_t bad[] = {60, 90, 200, UL_MSG_TYPE_END, 0xffff};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		raw_start(m[0], UL_PROTO_VERSION, bad[i]);
		raw_seal(m[0]);
		assert_int_equal(ul_msg_decode(m[0]), UL_EPROTO);
	}
	raw_start(m[0], UL_PROTO_VERSION, UL_REQ_STATUS);
	raw_seal(m[0]);
	assert_int_equal(ul_msg_decode(m[0]), 0);
}

static void
test_decode_other_version(void **state)
{
	struct ul_msg **m = *state;

	raw_start(m[0], UL_PROTO_VERSION + 1, UL_REQ_LOOKUP);
	/* fields of a newer version need not make sense to us */
	raw_field(m[0], 999, 3, "zz");
	raw_seal(m[0]);
	assert_int_equal(ul_msg_decode(m[0]), UL_EVERSION);
	assert_int_equal(m[0]->version, UL_PROTO_VERSION + 1);
	assert_int_equal(m[0]->type, UL_REQ_LOOKUP);
	assert_int_equal(m[0]->nfields, 0);
}

/* ---- reply helpers ---- */

static void
test_reply_result_missing_is_eproto(void **state)
{
	struct ul_msg **m = *state;

	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_str(m[0], UL_F_MESSAGE, "no result"), 0);
	assert_int_equal(ul_msg_finish(m[0]), 0);
	transfer(m[1], m[0]);
	assert_int_equal(ul_msg_decode(m[1]), 0);
	assert_int_equal(ul_reply_result(m[1]), UL_EPROTO);
}

static void
test_reply_result_reads_code(void **state)
{
	struct ul_msg **m = *state;

	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_RESULT, UL_EAUTH), 0);
	assert_int_equal(ul_msg_finish(m[0]), 0);
	transfer(m[1], m[0]);
	assert_int_equal(ul_msg_decode(m[1]), 0);
	assert_int_equal(ul_reply_result(m[1]), UL_EAUTH);
}

static void
test_reply_result_refuses_request_or_positive(void **state)
{
	struct ul_msg **m = *state;

	ul_msg_start(m[0], UL_REQ_STATUS);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_RESULT, 0), 0);
	assert_int_equal(ul_reply_result(m[0]), UL_EPROTO);
	ul_msg_start(m[0], UL_MSG_REPLY);
	assert_int_equal(ul_msg_put_int(m[0], UL_F_RESULT, 1), 0);
	assert_int_equal(ul_reply_result(m[0]), UL_EPROTO);
}

/* ---- tables ---- */

static void
test_field_info_and_type_names(void **state)
{
	(void)state;
	assert_non_null(ul_field_info(UL_F_EMAIL));
	assert_string_equal(ul_field_info(UL_F_EMAIL)->name, "email");
	assert_int_equal(ul_field_info(UL_F_PASSWORD)->kind, UL_KIND_SECRET);
	assert_null(ul_field_info(7));
	assert_null(ul_field_info(UL_F_TAG_END));
	assert_string_equal(ul_msg_type_name(UL_REQ_LOGIN_BEGIN), "login_begin");
	assert_null(ul_msg_type_name(60));
	assert_null(ul_msg_type_name(UL_MSG_TYPE_END));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_msgs, teardown_msgs)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_roundtrip_every_kind),
		T(test_wire_layout_is_big_endian),
		T(test_roundtrip_int_extremes),
		T(test_string_carries_its_nul),
		T(test_repeated_fields_keep_order),
		T(test_rewind_takes_back_fields),
		T(test_rewind_clears_overflow_error),
		T(test_rewind_keeps_error_from_before_mark),
		T(test_rewind_refuses_mark_ahead),
		T(test_encode_field_over_bound_is_sticky),
		T(test_encode_at_bound_is_accepted),
		T(test_encode_frame_overflow_is_sticky),
		T(test_encode_wrong_kind_is_einval),
		T(test_encode_unknown_tag_is_einval),
		T(test_start_resets_error),
		T(test_encode_field_count_bound),
		T(test_encode_null_string_is_skipped),
		T(test_frame_size_bounds),
		T(test_decode_refuses_truncated_frame),
		T(test_decode_refuses_truncated_field),
		T(test_decode_refuses_prefix_mismatch),
		T(test_decode_refuses_oversized_prefix),
		T(test_decode_refuses_unknown_tag),
		T(test_decode_refuses_string_without_nul),
		T(test_decode_refuses_interior_nul),
		T(test_decode_refuses_bool_two),
		T(test_decode_refuses_short_int),
		T(test_decode_refuses_mark_with_value),
		T(test_decode_refuses_field_over_tag_max),
		T(test_decode_refuses_too_many_fields),
		T(test_decode_refuses_unknown_type),
		T(test_decode_other_version),
		T(test_reply_result_missing_is_eproto),
		T(test_reply_result_reads_code),
		T(test_reply_result_refuses_request_or_positive),
		T(test_field_info_and_type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
