/* jsonw: compact JSON into a strbuf (see jsonw.h). */
#include "rpc/jsonw.h"

#include <inttypes.h>
#include <string.h>

/* A comma unless the buffer ends where a value or key starts. */
static void sep(struct strbuf *sb)
{
	char c;

	if (!sb->len)
		return;
	c = sb->buf[sb->len - 1];
	if (c != '{' && c != '[' && c != ':' && c != '\n')
		strbuf_addch(sb, ',');
}

void jw_obj(struct strbuf *sb)
{
	sep(sb);
	strbuf_addch(sb, '{');
}

void jw_obj_end(struct strbuf *sb)
{
	strbuf_addch(sb, '}');
}

void jw_arr(struct strbuf *sb)
{
	sep(sb);
	strbuf_addch(sb, '[');
}

void jw_arr_end(struct strbuf *sb)
{
	strbuf_addch(sb, ']');
}

static void quoted(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	strbuf_addch(sb, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[7];
		const char *e = NULL;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue; /* most bytes: copied in runs */
		strbuf_add(sb, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			esc[6] = 0;
			e = esc;
			break;
		}
		strbuf_adds(sb, e);
	}
	strbuf_add(sb, run, (size_t)(s - run));
	strbuf_addch(sb, '"');
}

void jw_key(struct strbuf *sb, const char *k)
{
	sep(sb);
	quoted(sb, k);
	strbuf_addch(sb, ':');
}

void jw_str(struct strbuf *sb, const char *s)
{
	sep(sb);
	quoted(sb, s);
}

void jw_int(struct strbuf *sb, int64_t v)
{
	char buf[24], *e = buf + sizeof(buf), *q = e;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	sep(sb);
	do
		*--q = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--q = '-';
	strbuf_add(sb, q, (size_t)(e - q));
}

void jw_bool(struct strbuf *sb, bool v)
{
	sep(sb);
	strbuf_adds(sb, v ? "true" : "false");
}

void jw_num_text(struct strbuf *sb, const char *text)
{
	sep(sb);
	strbuf_adds(sb, text);
}

void jw_kstr(struct strbuf *sb, const char *k, const char *s)
{
	jw_key(sb, k);
	quoted(sb, s);
}

void jw_kint(struct strbuf *sb, const char *k, int64_t v)
{
	jw_key(sb, k);
	jw_int(sb, v);
}
