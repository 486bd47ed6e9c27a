/*
 * tu_json.h - a small JSON reader for test fixtures: the whole text parsed
 * into a tree, strings decoded to bytes (escapes and \uXXXX, surrogate
 * pairs included, as UTF-8), numbers kept as their text.
 */
#ifndef TU_JSON_H
#define TU_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum tu_jtype { TJ_NULL, TJ_BOOL, TJ_NUM, TJ_STR, TJ_ARR, TJ_OBJ };

struct tu_json {
	enum tu_jtype type;
	char *s; /* TJ_STR: the bytes; TJ_NUM: the text; NUL-terminated */
	size_t len; /* of s */
	bool b; /* TJ_BOOL */
	size_t n; /* TJ_ARR: items; TJ_OBJ: members */
	struct tu_json *items; /* TJ_ARR: n values; TJ_OBJ: n keys, each
				* followed by its value (2n items) */
};

/* Parse text[0, len): the tree, or NULL with a message in err. */
struct tu_json *tu_json_parse(const char *text, size_t len, char *err,
			      size_t errlen);
/* Read and parse a file; NULL with a message in err. */
struct tu_json *tu_json_load(const char *path, char *err, size_t errlen);
void tu_json_free(struct tu_json *j);

/* Member key of object o, or NULL. */
const struct tu_json *tu_json_get(const struct tu_json *o, const char *key);

#endif
