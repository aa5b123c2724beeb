/* gofmt: Go values as Delve's api.Variable.SinglelineString prints them
 * (service/api/prettyprint.go, no format string, no newlines), so that a
 * Go trace reads the same as under `dlv trace`.
 *
 * Where the tree lacks a field Delve has (Base, OnlyAddr) we infer it:
 * a slice or map without children, length or capacity is nil; a pointer
 * child without value or children was loaded as an address only. */
#include "value/value.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "value/internal.h"

static void go_write(const struct value *v, struct strbuf *sb, bool top,
		     bool with_type);

/* Delve's "(%s)(%#x)" and "(*%s)(%#x)" */
#define PTR_FMT "(%s)(0x%" PRIx64 ")"
#define DEREF_FMT "(*%s)(0x%" PRIx64 ")"

static const char *const go_kinds[] = {
	"invalid", "bool", "int", "int8", "int16", "int32", "int64", "uint",
	"uint8", "uint16", "uint32", "uint64", "uintptr", "float32",
	"float64", "complex64", "complex128", "array", "chan", "func",
	"interface", "map", "ptr", "slice", "string", "struct",
	"unsafe.Pointer",
};

static bool empty(const char *s)
{
	return !s || !*s;
}

static const char *type_of(const struct value *v)
{
	return v->type ? v->type : "";
}

static const char *child_text(const struct value *v, size_t i)
{
	return v->children[i].value ? v->children[i].value : "";
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return len;
}

/* Go's short escapes, or NULL. */
static const char *go_escape(unsigned char c)
{
	switch (c) {
	case '\a':
		return "\\a";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	case '\v':
		return "\\v";
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	default:
		return NULL;
	}
}

/* Go's %q (strconv.Quote), close enough: printable UTF-8 stays as is,
 * other bytes become \xNN. */
static void go_quote(struct strbuf *sb, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	const char *esc;
	size_t k;

	strbuf_addch(sb, '"');
	for (size_t i = 0; i < n; i += k) {
		k = 1;
		if ((esc = go_escape(s[i]))) {
			strbuf_adds(sb, esc);
		} else if (s[i] >= 0x20 && s[i] != 0x7f &&
			   (k = utf8_len(s + i, n - i))) {
			strbuf_add(sb, s + i, k);
		} else {
			k = 1;
			strbuf_addf(sb, "\\x%02x", s[i]);
		}
	}
	strbuf_addch(sb, '"');
}

static void go_string(struct strbuf *sb, const struct value *v)
{
	const char *s = v->value ? v->value : "";
	size_t n = strlen(s);
	struct strbuf t = STRBUF_INIT;

	/* .len comes off the wire: anything not longer than what we hold
	 * means there is no more. */
	if (v->len <= (int64_t)n) {
		go_quote(sb, s, n);
		return;
	}
	strbuf_init(&t);
	strbuf_add(&t, s, n);
	strbuf_addf(&t, "...+%" PRId64 " more", v->len - (int64_t)n);
	go_quote(sb, t.buf, t.len);
	strbuf_release(&t);
}

static void go_basic(struct strbuf *sb, const struct value *v)
{
	bool parts = (v->kind == VK_COMPLEX64 || v->kind == VK_COMPLEX128) &&
		     v->nchildren >= 2;

	if (empty(v->value) && v->kind != VK_STRING && !parts) {
		strbuf_addf(sb, "(unknown %s)",
			    v->kind <= VK_UNSAFEPTR ? go_kinds[v->kind] : "?");
		return;
	}
	switch (v->kind) {
	case VK_COMPLEX64:
	case VK_COMPLEX128:
		if (parts)
			strbuf_addf(sb, "(%s + %si)", child_text(v, 0),
				    child_text(v, 1));
		else
			strbuf_adds(sb, v->value);
		return;
	case VK_STRING:
		go_string(sb, v);
		return;
	default:
		strbuf_adds(sb, v->value);
		return;
	}
}

/* fmt has a %s for the type and a 0x%x for addr; a type name with a
 * package path in it is quoted, as Delve does. */
static void add_type_addr(struct strbuf *sb, const char *fmt,
			  const char *type, uint64_t addr)
{
	struct strbuf q = STRBUF_INIT;

	if (!strchr(type, '/')) {
		strbuf_addf(sb, fmt, type, addr);
		return;
	}
	strbuf_init(&q);
	go_quote(&q, type, strlen(type));
	strbuf_addf(sb, fmt, q.buf, addr);
	strbuf_release(&q);
}

static bool only_addr(const struct value *c)
{
	return empty(c->value) && !c->nchildren && !c->unreadable;
}

static void go_elems(struct strbuf *sb, const struct value *v)
{
	strbuf_addch(sb, '[');
	for (size_t i = 0; i < v->nchildren; i++) {
		go_write(&v->children[i], sb, false, false);
		if (i + 1 != v->nchildren)
			strbuf_addch(sb, ',');
	}
	if (v->len > (int64_t)v->nchildren) {
		if (v->nchildren)
			strbuf_addf(sb, ",...+%" PRId64 " more",
				    v->len - (int64_t)v->nchildren);
		else
			strbuf_adds(sb, "...");
	}
	strbuf_addch(sb, ']');
}

static void go_struct(struct strbuf *sb, const struct value *v,
		      bool with_type)
{
	if (v->len != (int64_t)v->nchildren && !v->nchildren) {
		add_type_addr(sb, DEREF_FMT, type_of(v), v->addr);
		return;
	}
	if (with_type)
		strbuf_addf(sb, "%s ", type_of(v));
	strbuf_addch(sb, '{');
	for (size_t i = 0; i < v->nchildren; i++) {
		const char *name = v->children[i].name;

		strbuf_addf(sb, "%s: ", name ? name : "");
		go_write(&v->children[i], sb, false, true);
		if (i + 1 != v->nchildren)
			strbuf_adds(sb, ", ");
	}
	if (v->len > (int64_t)v->nchildren)
		strbuf_addf(sb, ",...+%" PRId64 " more",
			    v->len - (int64_t)v->nchildren);
	strbuf_addch(sb, '}');
}

static void go_map(struct strbuf *sb, const struct value *v, bool with_type)
{
	size_t pairs = v->nchildren / 2;

	if (with_type)
		strbuf_addf(sb, "%s ", type_of(v));
	if (!v->nchildren && !v->len && !v->addr) {
		strbuf_adds(sb, "nil");
		return;
	}
	strbuf_addch(sb, '[');
	for (size_t i = 0; i + 1 < v->nchildren; i += 2) {
		go_write(&v->children[i], sb, false, false);
		strbuf_adds(sb, ": ");
		go_write(&v->children[i + 1], sb, false, false);
		if (i + 2 < v->nchildren)
			strbuf_adds(sb, ", ");
	}
	if (v->len > (int64_t)pairs) {
		if (v->nchildren)
			strbuf_addf(sb, ",...+%" PRId64 " more",
				    v->len - (int64_t)pairs);
		else
			strbuf_adds(sb, "...");
	}
	strbuf_addch(sb, ']');
}

static void go_interface(struct strbuf *sb, const struct value *v,
			 bool with_type)
{
	const struct value *data;

	if (!v->addr || !v->nchildren) {
		strbuf_adds(sb, "nil");
		return;
	}
	data = &v->children[0];
	if (with_type) {
		if (data->kind == VK_INVALID) {
			strbuf_addf(sb, "%s ", type_of(v));
			if (!data->addr) {
				strbuf_adds(sb, "nil");
				return;
			}
		} else {
			strbuf_addf(sb, "%s(%s) ", type_of(v), type_of(data));
		}
	}
	if (data->kind == VK_PTR) {
		if (!data->nchildren)
			strbuf_adds(sb, "...");
		else if (!data->children[0].addr)
			strbuf_adds(sb, "nil");
		else if (only_addr(&data->children[0]))
			strbuf_addf(sb, "0x%" PRIx64, data->addr);
		else
			go_write(data, sb, false, !with_type);
		return;
	}
	go_write(data, sb, false, !with_type);
}

static void go_write(const struct value *v, struct strbuf *sb, bool top,
		     bool with_type)
{
	if (!empty(v->unreadable)) {
		strbuf_addf(sb, "(unreadable %s)", v->unreadable);
		return;
	}
	if (!top && !v->addr && empty(v->value) && v->kind != VK_STRING &&
	    !v->nchildren) {
		if (with_type && strcmp(type_of(v), "void"))
			strbuf_addf(sb, "%s nil", type_of(v));
		else
			strbuf_adds(sb, "nil");
		return;
	}
	switch (v->kind) {
	case VK_SLICE:
		if (with_type)
			strbuf_addf(sb,
				    "%s len: %" PRId64 ", cap: %" PRId64 ", ",
				    type_of(v), v->len, v->cap);
		if (!v->nchildren && !v->len && !v->cap) {
			strbuf_adds(sb, "nil");
			return;
		}
		go_elems(sb, v);
		return;
	case VK_ARRAY:
		if (with_type)
			strbuf_addf(sb, "%s ", type_of(v));
		go_elems(sb, v);
		return;
	case VK_PTR:
		if (empty(v->type) || !v->nchildren) {
			/* Delve says nil; a pointer we did not follow still
			 * has its value in the text. */
			uint64_t p = v->value ? strtoull(v->value, NULL, 0) : 0;
			if (p)
				add_type_addr(sb, PTR_FMT, type_of(v), p);
			else
				strbuf_adds(sb, "nil");
		} else if (only_addr(&v->children[0]) &&
			   v->children[0].addr) {
			add_type_addr(sb, PTR_FMT, type_of(v),
				      v->children[0].addr);
		} else {
			strbuf_addch(sb, '*');
			go_write(&v->children[0], sb, false, with_type);
		}
		return;
	case VK_UNSAFEPTR:
		if (!v->nchildren)
			strbuf_adds(sb, "unsafe.Pointer(nil)");
		else
			strbuf_addf(sb, "unsafe.Pointer(0x%" PRIx64 ")",
				    v->children[0].addr);
		return;
	case VK_CHAN:
		if (v->nchildren < 2)
			strbuf_addf(sb, "%s nil", type_of(v));
		else
			strbuf_addf(sb, "%s %s/%s", type_of(v),
				    child_text(v, 0), child_text(v, 1));
		return;
	case VK_STRUCT:
		if (!empty(v->value)) {
			strbuf_addf(sb, "%s(%s)", type_of(v), v->value);
			with_type = false;
		}
		go_struct(sb, v, with_type);
		return;
	case VK_INTERFACE:
		go_interface(sb, v, with_type);
		return;
	case VK_MAP:
		go_map(sb, v, with_type);
		return;
	case VK_FUNC:
		strbuf_adds(sb, empty(v->value) ? "nil" : v->value);
		return;
	default:
		go_basic(sb, v);
		return;
	}
}

void value_format_go(const struct value *v, struct strbuf *sb)
{
	go_write(v, sb, true, true);
}
