/*
 * params.c - strict INI hyperparameters on top of inih (see params.h).
 *
 * inih (Debian's build, r55) has limits compiled in that would otherwise
 * turn into silent misreads, so the text is checked before inih sees it:
 *   - lines of 199 bytes or more are cut by inih and the rest parsed as a
 *     new line: rejected here with the real line number;
 *   - an indented line continues the previous key (the handler is called a
 *     second time with the same name): rejected here, and a repeated key is
 *     an error in the handler;
 *   - inih's handler gets no line number: a line that is neither blank, a
 *     comment, a section nor `key = value` is caught here, so the line inih
 *     returns for a failed handler call is always the handler's line.
 * Values are described by one table per section: the name, where it goes,
 * whether it is required, and its allowed range.
 */
#define _POSIX_C_SOURCE 200809L
#include "params.h"
#include "mlerr.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { INIH_MAX_LINE = 200 };      /* inih's buffer, newline included */
enum { PARAMS_MAX_BYTES = 1 << 20 };

typedef enum { P_DOUBLE, P_LONG, P_U64, P_MODEL } param_type;

/* When a key must be present: always, or only for one model. */
typedef enum { OPTIONAL, REQUIRED, REQUIRED_RIDGE, REQUIRED_LOGREG } param_need;

typedef struct {
	const char *name;
	param_type type;
	size_t offset;
	param_need need;
	double min, max;
	int min_open, max_open; /* exclusive bounds */
	const char *expect;     /* for the error message */
} param_spec;

#define PP(f) offsetof(ml_prepare_params, f)
#define TP(f) offsetof(ml_train_params, f)

static const param_spec prepare_specs[] = {
	{ "test_fraction", P_DOUBLE, PP(test_fraction), REQUIRED, 0, 1, 1, 1, "a number between 0 and 1, exclusive" },
	{ "seed", P_U64, PP(seed), REQUIRED, 0, 0, 0, 0, "a non-negative integer" },
	{ "clip_price", P_DOUBLE, PP(clip_price), OPTIONAL, 0, INFINITY, 1, 0, "a number > 0" },
	{ "clip_nights", P_DOUBLE, PP(clip_nights), OPTIONAL, 1, INFINITY, 0, 0, "a number >= 1" },
	{ "geo_grid", P_LONG, PP(geo_grid), OPTIONAL, 0, 32, 0, 0, "an integer from 0 to 32" },
	{ "hash_dims", P_LONG, PP(hash_dims), OPTIONAL, 1, 1 << 20, 0, 0, "an integer from 1 to 1048576" },
	{ NULL, P_DOUBLE, 0, OPTIONAL, 0, 0, 0, 0, NULL },
};

static const param_spec train_specs[] = {
	{ "model", P_MODEL, TP(model), REQUIRED, 0, 0, 0, 0, "'ridge' or 'logreg'" },
	{ "lambda", P_DOUBLE, TP(lambda), REQUIRED_RIDGE, 0, INFINITY, 0, 0, "a number >= 0" },
	{ "lr", P_DOUBLE, TP(lr), REQUIRED_LOGREG, 0, INFINITY, 1, 0, "a number > 0" },
	{ "epochs", P_LONG, TP(epochs), REQUIRED_LOGREG, 1, 1e6, 0, 0, "an integer from 1 to 1000000" },
	{ "batch", P_LONG, TP(batch), OPTIONAL, 1, 1 << 24, 0, 0, "an integer from 1 to 16777216" },
	{ "l2", P_DOUBLE, TP(l2), OPTIONAL, 0, INFINITY, 0, 0, "a number >= 0" },
	{ "lr_decay", P_DOUBLE, TP(lr_decay), OPTIONAL, 0, INFINITY, 0, 0, "a number >= 0" },
	{ "seed", P_U64, TP(seed), OPTIONAL, 0, 0, 0, 0, "a non-negative integer" },
	{ NULL, P_DOUBLE, 0, OPTIONAL, 0, 0, 0, 0, NULL },
};

typedef struct {
	const char *section;
	const param_spec *specs;
	void *out;
	unsigned seen;          /* bit i: specs[i] was set */
	char error[512];        /* first handler error, without location */
} parse_state;

static int in_range(const param_spec *s, double v)
{
	if (s->min_open ? !(v > s->min) : !(v >= s->min))
		return 0;
	if (s->max_open ? !(v < s->max) : !(v <= s->max))
		return 0;
	return 1;
}

/* Stores `value` for spec `s`; 0 if it is not a valid value. */
static int store_value(const param_spec *s, const char *value, void *out)
{
	char *field = (char *)out + s->offset;
	char *end;

	errno = 0;
	switch (s->type) {
	case P_DOUBLE: {
		double v = strtod(value, &end);
		if (end == value || *end || errno || !isfinite(v) || !in_range(s, v))
			return 0;
		memcpy(field, &v, sizeof(v));
		return 1;
	}
	case P_LONG: {
		long v = strtol(value, &end, 10);
		if (end == value || *end || errno || !in_range(s, (double)v))
			return 0;
		memcpy(field, &v, sizeof(v));
		return 1;
	}
	case P_U64: {
		if (*value == '-')
			return 0;
		unsigned long long v = strtoull(value, &end, 10);
		uint64_t u = v;
		if (end == value || *end || errno)
			return 0;
		memcpy(field, &u, sizeof(u));
		return 1;
	}
	case P_MODEL: {
		ml_model_kind m;
		if (strcmp(value, "ridge") == 0)
			m = ML_MODEL_RIDGE;
		else if (strcmp(value, "logreg") == 0)
			m = ML_MODEL_LOGREG;
		else
			return 0;
		memcpy(field, &m, sizeof(m));
		return 1;
	}
	}
	return 0;
}

static int handle_pair(void *user, const char *section, const char *name,
		       const char *value)
{
	parse_state *st = user;
	size_t i;

	if (strcmp(section, st->section) != 0)
		return 1; /* another stage's section */
	for (i = 0; st->specs[i].name; i++)
		if (strcmp(st->specs[i].name, name) == 0)
			break;
	if (!st->specs[i].name) {
		if (!st->error[0])
			snprintf(st->error, sizeof(st->error),
				 "unknown key '%s' in section [%s]", name, st->section);
		return 0;
	}
	if (st->seen & (1u << i)) {
		if (!st->error[0])
			snprintf(st->error, sizeof(st->error),
				 "duplicate key '%s' in section [%s]", name, st->section);
		return 0;
	}
	st->seen |= 1u << i;
	if (!store_value(&st->specs[i], value, st->out)) {
		if (!st->error[0])
			snprintf(st->error, sizeof(st->error),
				 "invalid value '%.60s' for key '%s' (expected %s)",
				 value, name, st->specs[i].expect);
		return 0;
	}
	return 1;
}

/* Reads the whole file; inih gets the checked text, not the file. */
static int read_text(char **out, const char *path)
{
	FILE *fp = fopen(path, "rb");
	size_t len;
	char *buf;

	*out = NULL;
	if (!fp)
		return ml_fail("cannot open params file '%s': %s", path, strerror(errno));
	buf = malloc(PARAMS_MAX_BYTES + 1);
	if (!buf) {
		fclose(fp);
		return ml_fail("out of memory");
	}
	len = fread(buf, 1, PARAMS_MAX_BYTES + 1, fp);
	if (ferror(fp)) {
		int err = errno;
		fclose(fp);
		free(buf);
		return ml_fail("cannot read params file '%s': %s", path, strerror(err));
	}
	fclose(fp);
	if (len > PARAMS_MAX_BYTES) {
		free(buf);
		return ml_fail("params file '%s' is larger than %d bytes", path, PARAMS_MAX_BYTES);
	}
	if (memchr(buf, '\0', len)) {
		free(buf);
		return ml_fail("params file '%s' contains a NUL byte", path);
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* The checks inih cannot do for us (see the top of this file). */
static int check_lines(const char *text, const char *path)
{
	size_t lineno = 0;

	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		size_t i = 0;

		lineno++;
		if (len + 1 >= INIH_MAX_LINE)
			return ml_fail("%s:%zu: line is longer than %d bytes", path, lineno,
				       INIH_MAX_LINE - 2);
		while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
			i++;
		if (i < len && line[i] != ';' && line[i] != '#') {
			if (i > 0)
				return ml_fail("%s:%zu: indented line (it would continue the previous key)",
					       path, lineno);
			if (line[i] == '[' ? !memchr(line, ']', len)
					   : !memchr(line, '=', len) && !memchr(line, ':', len))
				return ml_fail("%s:%zu: syntax error (expected '[section]' or 'key = value')",
					       path, lineno);
		}
		line += len + (nl ? 1 : 0);
	}
	return 0;
}

static int load_section(void *out, const char *path, const char *section,
			const param_spec *specs, int model)
{
	parse_state st = { .section = section, .specs = specs, .out = out };
	char *text = NULL;
	int rc = -1, line;

	if (read_text(&text, path) < 0)
		return -1;
	if (check_lines(text, path) < 0)
		goto done;
	line = ini_parse_string(text, handle_pair, &st);
	if (line != 0) {
		if (line < 0)
			ml_fail("cannot parse params file '%s': out of memory", path);
		else
			ml_fail("%s:%d: %s", path, line, st.error[0] ? st.error : "syntax error");
		goto done;
	}
	/* Which keys are required depends on the model, known only now that
	 * the whole section has been read (`model` may come last). */
	if (model < 0 && specs == train_specs)
		model = ((ml_train_params *)out)->model;
	for (size_t i = 0; specs[i].name; i++) {
		param_need need = specs[i].need;
		if ((st.seen & (1u << i)) || need == OPTIONAL ||
		    (need == REQUIRED_RIDGE && model != ML_MODEL_RIDGE) ||
		    (need == REQUIRED_LOGREG && model != ML_MODEL_LOGREG))
			continue;
		if (need == REQUIRED)
			ml_fail("%s: missing key '%s' in section [%s]", path, specs[i].name, section);
		else
			ml_fail("%s: missing key '%s' in section [%s] (required for model=%s)",
				path, specs[i].name, section,
				need == REQUIRED_RIDGE ? "ridge" : "logreg");
		goto done;
	}
	rc = 0;
done:
	free(text);
	return rc;
}

int ml_params_load_prepare(ml_prepare_params *out, const char *path)
{
	ml_prepare_params p = {
		.clip_price = 500, .clip_nights = 365, .geo_grid = 6, .hash_dims = 64,
	};

	if (load_section(&p, path, "prepare", prepare_specs, 0) < 0)
		return -1;
	*out = p;
	return 0;
}

int ml_params_load_train(ml_train_params *out, const char *path)
{
	ml_train_params p = {
		.batch = 256, .l2 = 1e-4, .lr_decay = 0, .seed = 1,
	};

	if (load_section(&p, path, "train", train_specs, -1) < 0)
		return -1;
	*out = p;
	return 0;
}
