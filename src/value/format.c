/* format: a value as one line of text, the way a C programmer writes it.
 *
 * The formatter sees only the value tree (which may have crossed the wire),
 * never the ctype: everything it needs is in kind, type, value, len and the
 * children. */
#include "value/value.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "value/internal.h"

/* indent: NULL for one line; else the indentation of v's line, and a
 * struct or array whose members nest (or are long strings) puts each on a
 * line of its own, one tab further in (-v 3 and 4, as Delve does for Go). */
static void format_c(const struct value *v, struct strbuf *sb,
		     const char *indent);

/* Strings up to this long keep an aggregate on one line (Delve's
 * maxShortStringLen). */
#define C_MAX_SHORT_STRING 7

static bool is_tall(const struct value *c)
{
	return !c->unreadable &&
	       (c->kind == VK_STRUCT || c->kind == VK_ARRAY ||
		(c->kind == VK_PTR && c->nchildren) ||
		(c->kind == VK_STRING && c->value &&
		 strlen(c->value) > C_MAX_SHORT_STRING));
}

/* Whether v's members go one a line; *in is then their indentation (the
 * caller frees it). */
static bool members_tall(const struct value *v, const char *indent,
			 char **in)
{
	struct strbuf t = STRBUF_INIT;
	size_t i;

	*in = NULL;
	if (!indent)
		return false;
	for (i = 0; i < v->nchildren && !is_tall(&v->children[i]); i++)
		;
	if (i == v->nchildren)
		return false;
	strbuf_init(&t);
	strbuf_adds(&t, indent);
	strbuf_addch(&t, '\t');
	*in = strbuf_detach(&t);
	return true;
}

static bool is_nul_text(const char *s)
{
	return !s || !strcmp(s, "0x0") || !strcmp(s, "0");
}

/* A char is a 1-byte integer whose type's last word is "char" ("char",
 * "unsigned char", "const signed char"); int8_t and uint8_t stay numbers. */
static bool is_char_type(const struct value *v)
{
	const char *t = v->type, *w;
	size_t n;

	if (v->kind != VK_INT8 && v->kind != VK_UINT8)
		return false;
	if (!t)
		return false;
	n = strlen(t);
	while (n && t[n - 1] == ' ')
		n--;
	if (n < 4 || strncmp(t + n - 4, "char", 4))
		return false;
	w = t + n - 4;
	return w == t || w[-1] == ' ';
}

/* One byte, escaped as in a C literal quoted by q. */
static void add_escaped(struct strbuf *sb, unsigned char c, char q)
{
	switch (c) {
	case '\n':
		strbuf_adds(sb, "\\n");
		return;
	case '\t':
		strbuf_adds(sb, "\\t");
		return;
	case '\r':
		strbuf_adds(sb, "\\r");
		return;
	case '\0':
		strbuf_adds(sb, "\\0");
		return;
	case '\\':
		strbuf_adds(sb, "\\\\");
		return;
	}
	if (c == (unsigned char)q) {
		strbuf_addch(sb, '\\');
		strbuf_addch(sb, (char)c);
	} else if (c < 0x20 || c >= 0x7f) {
		strbuf_addf(sb, "\\%03o", c);
	} else {
		strbuf_addch(sb, (char)c);
	}
}

static void add_char(struct strbuf *sb, const struct value *v)
{
	long long n = v->value ? strtoll(v->value, NULL, 10) : 0;

	strbuf_addf(sb, "%s '", v->value ? v->value : "?");
	add_escaped(sb, (unsigned char)n, '\'');
	strbuf_addch(sb, '\'');
}

static void add_string(struct strbuf *sb, const struct value *v)
{
	const char *s = v->value ? v->value : "";
	size_t n = strlen(s);

	strbuf_addch(sb, '"');
	for (size_t i = 0; i < n; i++)
		add_escaped(sb, (unsigned char)s[i], '"');
	strbuf_addch(sb, '"');
	if (v->len > (int64_t)n)
		strbuf_addf(sb, "...+%" PRId64 " more", v->len - (int64_t)n);
}

/* Before member i: ", " on one line, else a new line (after a comma). */
static void add_sep(struct strbuf *sb, size_t i, const char *in)
{
	if (in)
		strbuf_addf(sb, "%s\n%s", i ? "," : "", in);
	else if (i)
		strbuf_adds(sb, ", ");
}

static void add_close(struct strbuf *sb, const char *in, const char *indent,
		      char c)
{
	if (in)
		strbuf_addf(sb, "\n%s", indent);
	strbuf_addch(sb, c);
}

static void add_struct(struct strbuf *sb, const struct value *v,
		       const char *indent)
{
	char *in;
	bool tall = members_tall(v, indent, &in);

	if (v->type && *v->type) {
		strbuf_adds(sb, v->type);
		strbuf_addch(sb, ' ');
	}
	strbuf_addch(sb, '{');
	for (size_t i = 0; i < v->nchildren; i++) {
		const struct value *c = &v->children[i];

		add_sep(sb, i, in);
		if (c->name && *c->name)
			strbuf_addf(sb, "%s: ", c->name);
		format_c(c, sb, tall ? in : indent);
	}
	if (v->len > (int64_t)v->nchildren) {
		add_sep(sb, v->nchildren, in);
		strbuf_adds(sb, "...");
	}
	add_close(sb, in, indent, '}');
	free(in);
}

static void add_array(struct strbuf *sb, const struct value *v,
		      const char *indent)
{
	char *in;
	bool tall = members_tall(v, indent, &in);

	strbuf_addch(sb, '[');
	for (size_t i = 0; i < v->nchildren; i++) {
		add_sep(sb, i, in);
		format_c(&v->children[i], sb, tall ? in : indent);
	}
	if (v->len > (int64_t)v->nchildren) {
		if (v->nchildren) {
			add_sep(sb, v->nchildren, in);
			strbuf_addf(sb, "...+%" PRId64 " more",
				    v->len - (int64_t)v->nchildren);
		} else {
			strbuf_adds(sb, "...");
		}
	}
	add_close(sb, in, indent, ']');
	free(in);
}

/* A C++ standard type as libstdc++'s gdb printers show it: the summary,
 * then " = {...}" with the first elements (a map's as "[key] = value")
 * or the named parts ("get() = 0x..."). */
static void add_cxx(struct strbuf *sb, const struct value *v,
		    const char *indent)
{
	bool map = v->kind == VK_MAP;
	size_t shown = map ? v->nchildren / 2 : v->nchildren;
	char *in;
	bool tall;

	strbuf_adds(sb, v->value ? v->value : "?");
	if (!v->nchildren)
		return;
	tall = members_tall(v, indent, &in);
	strbuf_adds(sb, " = {");
	for (size_t i = 0; i < shown; i++) {
		const struct value *c = &v->children[map ? 2 * i : i];

		add_sep(sb, i, in);
		if (map) {
			strbuf_addch(sb, '[');
			format_c(c, sb, tall ? in : indent);
			strbuf_adds(sb, "] = ");
			c++;
		} else if (c->name && *c->name) {
			strbuf_addf(sb, "%s = ", c->name);
		}
		format_c(c, sb, tall ? in : indent);
	}
	if (v->len > (int64_t)shown) {
		add_sep(sb, shown, in);
		strbuf_addf(sb, "...+%" PRId64 " more", v->len - (int64_t)shown);
	}
	add_close(sb, in, indent, '}');
	free(in);
}

static void format_c(const struct value *v, struct strbuf *sb,
		     const char *indent)
{
	if (v->unreadable) {
		if (!strcmp(v->unreadable, "optimized out"))
			strbuf_adds(sb, "<optimized out>");
		else
			strbuf_addf(sb, "0x%" PRIx64 " <unreadable>", v->addr);
		return;
	}
	if (v->flags & VF_CXX) {
		add_cxx(sb, v, indent);
		return;
	}
	switch (v->kind) {
	case VK_STRUCT:
		add_struct(sb, v, indent);
		return;
	case VK_ARRAY:
		add_array(sb, v, indent);
		return;
	case VK_STRING:
		add_string(sb, v);
		return;
	case VK_PTR:
	case VK_UNSAFEPTR:
	case VK_FUNC:
		strbuf_adds(sb, is_nul_text(v->value) ? "NULL" : v->value);
		/* -v 4 followed it: "0x7ffd... -> struct point {...}". */
		if (v->kind == VK_PTR && v->nchildren == 1) {
			const struct value *c = &v->children[0];

			strbuf_adds(sb, " -> ");
			if (c->unreadable &&
			    strcmp(c->unreadable, "optimized out"))
				strbuf_adds(sb, "<unreadable>");
			else
				format_c(c, sb, indent);
		}
		return;
	case VK_INT8:
	case VK_UINT8:
		if (is_char_type(v)) {
			add_char(sb, v);
			return;
		}
		break;
	default:
		break;
	}
	strbuf_adds(sb, v->value ? v->value : "?");
}

void value_format(const struct value *v, struct strbuf *sb)
{
	if (v->flags & VF_C)
		format_c(v, sb, NULL);
	else
		value_format_go(v, sb);
}

void value_format_trace(const struct value *v, int verbosity,
			struct strbuf *sb)
{
	bool c = v->flags & VF_C;

	switch (verbosity) {
	case 0:
		value_format(v, sb);
		return;
	case 1:
		strbuf_addch(sb, '<');
		if (c)
			strbuf_adds(sb, v->type ? v->type : "?");
		else
			value_go_shorten_type(sb, v->type ? v->type : "");
		strbuf_addch(sb, '>');
		return;
	default:
		if (c)
			format_c(v, sb, verbosity >= 3 ? "" : NULL);
		else
			value_format_go_pretty(v, sb, verbosity >= 3);
		return;
	}
}
