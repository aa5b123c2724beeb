/* jsonw (src/base): the event formats' JSON writer writes what json-c
 * writes for the same document (every byte of a string, numbers, nesting),
 * and json-c parses it back. */
#include <json.h>
#include <stdint.h>
#include <string.h>

#include "rpc/jsonw.h"
#include "check.h"

static const char *jsonc(struct json_object *o)
{
	return json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

int main(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_object *o, *a, *back;
	char all[256];
	int64_t nums[] = {0, 1, -1, 42, INT64_MAX, INT64_MIN, -1234567890123};

	/* Every byte but NUL, in a string, as a key and as a value. */
	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = 0;
	strbuf_init(&sb);
	jw_obj(&sb);
	jw_kstr(&sb, "s", all);
	jw_kstr(&sb, all, "v");
	jw_key(&sb, "n");
	jw_arr(&sb);
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		jw_int(&sb, nums[i]);
	jw_arr_end(&sb);
	jw_key(&sb, "empty");
	jw_obj(&sb);
	jw_obj_end(&sb);
	jw_key(&sb, "objs");
	jw_arr(&sb);
	jw_obj(&sb);
	jw_kint(&sb, "a", 1);
	jw_obj_end(&sb);
	jw_obj(&sb);
	jw_key(&sb, "t");
	jw_bool(&sb, true);
	jw_key(&sb, "f");
	jw_bool(&sb, false);
	jw_obj_end(&sb);
	jw_arr_end(&sb);
	jw_key(&sb, "ts");
	jw_num_text(&sb, "12.345");
	jw_obj_end(&sb);

	o = json_object_new_object();
	json_object_object_add(o, "s", json_object_new_string(all));
	json_object_object_add(o, all, json_object_new_string("v"));
	a = json_object_new_array();
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		json_object_array_add(a, json_object_new_int64(nums[i]));
	json_object_object_add(o, "n", a);
	json_object_object_add(o, "empty", json_object_new_object());
	a = json_object_new_array();
	{
		struct json_object *x = json_object_new_object(), *y;

		json_object_object_add(x, "a", json_object_new_int64(1));
		json_object_array_add(a, x);
		y = json_object_new_object();
		json_object_object_add(y, "t", json_object_new_boolean(1));
		json_object_object_add(y, "f", json_object_new_boolean(0));
		json_object_array_add(a, y);
	}
	json_object_object_add(o, "objs", a);
	json_object_object_add(o, "ts", json_object_new_double_s(12.345, "12.345"));
	CHECK_STR(sb.buf, jsonc(o));

	/* And it parses back to the same string. */
	back = json_tokener_parse(sb.buf);
	CHECK(back != NULL);
	if (back) {
		struct json_object *s;

		CHECK(json_object_object_get_ex(back, "s", &s));
		CHECK_STR(json_object_get_string(s), all);
		json_object_put(back);
	}
	json_object_put(o);
	strbuf_release(&sb);
	return check_report();
}
