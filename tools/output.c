/* How the tools print a reply: text ("name: value" lines, lists as
 * tables), or one JSON document with --json; times in ISO 8601 UTC; an
 * enrollment's Key URI also as a QR code. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "common/util.h"
#include "tools/cli.h"
#include "tools/qr.h"
#include "unilogin/proto.h"

static const uint16_t time_tags[] = {UL_F_CREATED, UL_F_TIME, UL_F_STARTED,
	UL_F_ENDED, UL_F_EXPIRES, UL_F_LOCKED_OUT_UNTIL, UL_F_SINCE,
	UL_F_LAST_USED};

static bool
is_time(uint16_t tag)
{
	for (size_t i = 0; i < sizeof(time_tags) / sizeof(time_tags[0]); i++)
		if (time_tags[i] == tag)
			return true;
	return false;
}


static void
format_time(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "%lld", (long long)t);
}

static bool
printable_field(uint16_t tag)
{
	return tag != UL_F_RESULT && tag != UL_F_MESSAGE && tag != UL_F_NEXT &&
	    tag != UL_F_RECORD;
}

static void
field_text(const struct ul_msg *m, const struct ul_field *f, char *buf, size_t n)
{
	const struct ul_field_info *info = ul_field_info(f->tag);

	switch (info->kind) {
	case UL_KIND_STR:
	case UL_KIND_SECRET:
		/* text from the store may come from any client: no escape
		 * sequence or tab reaches the terminal or forges a column */
		ul_text_safe(ul_field_str(m, f), buf, n);
		break;
	case UL_KIND_INT:
		if (is_time(f->tag))
			format_time(ul_field_int(m, f), buf, n);
		else
			snprintf(buf, n, "%lld", (long long)ul_field_int(m, f));
		break;
	case UL_KIND_BOOL:
		snprintf(buf, n, "%s", ul_field_int(m, f) ? "yes" : "no");
		break;
	case UL_KIND_MARK:
		buf[0] = '\0';
		break;
	}
}

static json_object *
field_json(const struct ul_msg *m, const struct ul_field *f)
{
	const struct ul_field_info *info = ul_field_info(f->tag);
	char buf[64];

	switch (info->kind) {
	case UL_KIND_INT:
		if (is_time(f->tag)) {
			format_time(ul_field_int(m, f), buf, sizeof(buf));
			return json_object_new_string(buf);
		}
		return json_object_new_int64(ul_field_int(m, f));
	case UL_KIND_BOOL:
		return json_object_new_boolean(ul_field_int(m, f) != 0);
	default:
		return json_object_new_string(ul_field_str(m, f));
	}
}

/* Adds a field to obj; a repeated field becomes an array. */
static void
json_add(json_object *obj, const struct ul_msg *m, const struct ul_field *f)
{
	const char *name = ul_field_info(f->tag)->name;
	json_object *old;

	if (f->tag == UL_F_RECOVERY_CODE) {
		if (!json_object_object_get_ex(obj, name, &old)) {
			old = json_object_new_array();
			json_object_object_add(obj, name, old);
		}
		json_object_array_add(old, field_json(m, f));
		return;
	}
	json_object_object_add(obj, name, field_json(m, f));
}

static json_object *json_records;   /* the list being printed, page by page */
static bool table_header_done;

static void
print_json(const struct ul_msg *m)
{
	json_object *obj = NULL;

	for (unsigned i = 0; i < m->nfields; i++) {
		const struct ul_field *f = &m->fields[i];

		if (f->tag == UL_F_RECORD) {
			if (json_records == NULL)
				json_records = json_object_new_array();
			obj = json_object_new_object();
			json_object_array_add(json_records, obj);
			continue;
		}
		if (!printable_field(f->tag) && f->tag != UL_F_MESSAGE)
			continue;
		if (obj == NULL) {
			obj = json_object_new_object();
			if (json_records == NULL)
				json_records = obj;
			else if (json_object_is_type(json_records, json_type_array))
				json_object_array_add(json_records, obj);
		}
		json_add(obj, m, f);
	}
}

/* A list prints as a table: the first record's fields are the columns;
 * a record without one of them shows "-". */
static uint16_t table_cols[64];
static unsigned ntable_cols;

static void
print_row(const struct ul_msg *m, unsigned from, unsigned to)
{
	char buf[UL_TEXT_MAX + 64];

	for (unsigned c = 0; c < ntable_cols; c++) {
		const char *v = "-";

		for (unsigned i = from; i < to; i++)
			if (m->fields[i].tag == table_cols[c]) {
				field_text(m, &m->fields[i], buf, sizeof(buf));
				v = buf;
				break;
			}
		printf("%s%s", c ? "\t" : "", v);
	}
	printf("\n");
}

static void
print_text(const struct ul_msg *m)
{
	char buf[UL_TEXT_MAX + 64];
	unsigned i = 0;

	/* fields before the first record: one "name: value" line each */
	for (; i < m->nfields && m->fields[i].tag != UL_F_RECORD; i++) {
		const struct ul_field *f = &m->fields[i];

		if (!printable_field(f->tag))
			continue;
		field_text(m, f, buf, sizeof(buf));
		printf("%s: %s\n", ul_field_info(f->tag)->name, buf);
	}
	while (i < m->nfields) {
		unsigned end = i + 1;

		while (end < m->nfields && m->fields[end].tag != UL_F_RECORD)
			end++;
		if (!table_header_done) {
			ntable_cols = 0;
			for (unsigned j = i + 1; j < end && ntable_cols < 64; j++)
				if (printable_field(m->fields[j].tag)) {
					table_cols[ntable_cols] = m->fields[j].tag;
					printf("%s%s", ntable_cols++ ? "\t" : "",
					    ul_field_info(m->fields[j].tag)->name);
				}
			printf("\n");
			table_header_done = true;
		}
		print_row(m, i + 1, end);
		i = end;
	}
}

void
ul_cli_print(struct ul_cli *cli)
{
	const char *uri = ul_msg_str(cli->cl->rep, UL_F_URI);

	if (cli->json) {
		print_json(cli->cl->rep);
		return;
	}
	/* T2: an enrollment shows its Key URI as a QR code */
	if (uri != NULL && ul_qr_print(stdout, uri) != 0)
		fprintf(stderr, "%s: cannot draw the QR code\n", cli->prog);
	print_text(cli->cl->rep);
}

void
ul_cli_output_end(struct ul_cli *cli, bool list)
{
	if (!cli->json)
		return;
	if (json_records == NULL)
		json_records = list ? json_object_new_array() : json_object_new_object();
	printf("%s\n", json_object_to_json_string_ext(json_records,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(json_records);
	json_records = NULL;
}


void
ul_cli_output_start(void)
{
	table_header_done = false;
}
