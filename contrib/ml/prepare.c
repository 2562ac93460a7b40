/*
 * prepare.c - validate, clean, encode, split and standardize (see
 * prepare.h for the features and the cleaning rules).
 *
 * The CSV is streamed: a rental row is kept as its eight parsed values, a
 * topics row as its hashed feature vector, so the raw text is never held in
 * memory.  Encoding rental rows waits until the end only because the
 * matrix size is then known and allocated once.
 */
#define _POSIX_C_SOURCE 200809L
#include "prepare.h"
#include "csv.h"
#include "mlerr.h"
#include "rng.h"
#include "tasks.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { TOPICS_MAX_LABELS = 1000 };
enum { RENTAL_BASE_FEATURES = 19 };

/* A growable array of fixed-size items: the one vector used below. */
typedef struct {
	void *data;
	size_t len, cap, item;
} vec;

/* Makes room for one more item and returns it (zeroed). */
static void *vec_push(vec *v)
{
	if (v->len == v->cap) {
		size_t cap = v->cap ? v->cap + v->cap / 2 : 1024;
		void *d = realloc(v->data, cap * v->item);
		if (!d) {
			ml_fail("out of memory");
			return NULL;
		}
		v->data = d;
		v->cap = cap;
	}
	void *slot = (char *)v->data + v->len++ * v->item;
	memset(slot, 0, v->item);
	return slot;
}

typedef struct {
	int borough, room;
	double num[RENTAL_COLUMNS]; /* indexed by RC_*; categories unused */
} rental_row;

static int header_is(const ml_csv *csv, const char *const *names, size_t n)
{
	if (csv->nfields != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(csv->fields[i], names[i]) != 0)
			return 0;
	return 1;
}

static int check_field_count(const ml_csv *csv, size_t expect)
{
	if (csv->nfields != expect)
		return ml_csv_fail_at(csv, (size_t)-1, "expected %zu fields, found %zu",
				      expect, csv->nfields);
	return 0;
}

/* Parses a category field: 1 = found (*idx set), 0 = empty, -1 = error. */
static int parse_category(const ml_csv *csv, size_t field, const char *column,
			  const char *const *names, size_t n, int *idx)
{
	const char *s = csv->fields[field];
	char shown[200], expected[256] = "";

	if (*s == '\0')
		return 0;
	*idx = ml_task_find(names, n, s);
	if (*idx >= 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		strcat(expected, i == 0 ? "" : i + 1 == n ? " or " : ", ");
		strcat(expected, names[i]);
	}
	ml_csv_quote_value(shown, sizeof(shown), s);
	return ml_csv_fail_at(csv, field, "unknown value '%s' in column '%s' (expected %s)",
			      shown, column, expected);
}

/* One rental record: 1 = kept, 0 = dropped (report updated), -1 = error. */
static int read_rental_row(rental_row *row, const ml_csv *csv,
			   const ml_prepare_params *p, ml_prepare_report *report)
{
	int missing = 0, rc;

	if (check_field_count(csv, RENTAL_COLUMNS) < 0)
		return -1;
	/* Every field is checked before the row is judged, so a broken value
	 * is reported even in a row that would be dropped anyway. */
	rc = parse_category(csv, RC_BOROUGH, rental_columns[RC_BOROUGH],
			    rental_boroughs, RENTAL_BOROUGHS, &row->borough);
	if (rc < 0)
		return -1;
	missing |= rc == 0;
	rc = parse_category(csv, RC_ROOM_TYPE, rental_columns[RC_ROOM_TYPE],
			    rental_room_types, RENTAL_ROOM_TYPES, &row->room);
	if (rc < 0)
		return -1;
	missing |= rc == 0;
	for (size_t c = RC_LATITUDE; c <= RC_PRICE; c++) {
		rc = ml_csv_number(csv, c, rental_columns[c], &row->num[c]);
		if (rc < 0)
			return -1;
		missing |= rc == 0;
	}
	if (missing) {
		report->dropped_missing++;
		return 0;
	}
	for (size_t c = RC_LATITUDE; c <= RC_PRICE; c++)
		if (row->num[c] < rental_min[c] || row->num[c] > rental_max[c]) {
			report->dropped_range++;
			return 0;
		}
	if (row->num[RC_PRICE] > p->clip_price) {
		row->num[RC_PRICE] = p->clip_price;
		report->clipped++;
	}
	if (row->num[RC_MINIMUM_NIGHTS] > p->clip_nights) {
		row->num[RC_MINIMUM_NIGHTS] = p->clip_nights;
		report->clipped++;
	}
	return 1;
}

/* The feature vector of one rental row (layout in prepare.h). */
static void encode_rental(double *x, const rental_row *r, long grid)
{
	double lat = r->num[RC_LATITUDE], lon = r->num[RC_LONGITUDE];
	size_t j = 0;

	for (int b = 1; b < RENTAL_BOROUGHS; b++)
		x[j++] = r->borough == b;
	for (int t = 1; t < RENTAL_ROOM_TYPES; t++)
		x[j++] = r->room == t;
	for (int b = 1; b < RENTAL_BOROUGHS; b++)
		for (int t = 1; t < RENTAL_ROOM_TYPES; t++)
			x[j++] = r->borough == b && r->room == t;
	x[j++] = lat;
	x[j++] = lon;
	x[j++] = log1p(r->num[RC_MINIMUM_NIGHTS]);
	x[j++] = log1p(r->num[RC_NUMBER_OF_REVIEWS]);
	x[j++] = r->num[RC_AVAILABILITY_365];
	/* Bumps one grid step wide, centered in the cells of a grid x grid
	 * partition of the city's box: smooth enough to interpolate, narrow
	 * enough to tell Midtown from the Bronx. */
	if (grid <= 0)
		return;
	double dlat = (RENTAL_GEO_LAT_MAX - RENTAL_GEO_LAT_MIN) / (double)grid;
	double dlon = (RENTAL_GEO_LON_MAX - RENTAL_GEO_LON_MIN) / (double)grid;
	for (long a = 0; a < grid; a++) {
		double u = (lat - (RENTAL_GEO_LAT_MIN + ((double)a + 0.5) * dlat)) / dlat;
		for (long o = 0; o < grid; o++) {
			double v = (lon - (RENTAL_GEO_LON_MIN + ((double)o + 0.5) * dlon)) / dlon;
			x[j++] = exp(-0.5 * (u * u + v * v));
		}
	}
}

static int load_rental(ml_dataset *out, ml_csv *csv, const ml_prepare_params *p,
		       ml_prepare_report *report)
{
	vec rows = { .item = sizeof(rental_row) };
	size_t d = RENTAL_BASE_FEATURES + (size_t)(p->geo_grid * p->geo_grid);
	int rc, status = -1;
	rental_row row;

	while ((rc = ml_csv_next(csv)) > 0) {
		report->rows_read++;
		rc = read_rental_row(&row, csv, p, report);
		if (rc < 0)
			goto done;
		if (rc == 0)
			continue;
		rental_row *slot = vec_push(&rows);
		if (!slot)
			goto done;
		*slot = row;
	}
	if (rc < 0)
		goto done;
	out->kind = ML_TARGET_REGRESSION;
	out->rows = rows.len;
	out->cols = d;
	out->X = malloc((rows.len ? rows.len : 1) * d * sizeof(double));
	out->y = malloc((rows.len ? rows.len : 1) * sizeof(double));
	if (!out->X || !out->y) {
		ml_fail("out of memory");
		goto done;
	}
	for (size_t i = 0; i < rows.len; i++) {
		const rental_row *r = (const rental_row *)rows.data + i;
		encode_rental(out->X + i * d, r, p->geo_grid);
		out->y[i] = r->num[RC_PRICE];
	}
	status = 0;
done:
	free(rows.data);
	return status;
}

/* Adds the words of `text` to the bucket counts in x (dims of them);
 * returns the number of words.  A word is a run of ASCII letters and
 * digits or of non-ASCII bytes (so UTF-8 words stay whole), lower-cased. */
static size_t hash_words(double *x, size_t dims, const char *text)
{
	const uint64_t fnv_offset = 0xcbf29ce484222325ULL, fnv_prime = 0x100000001b3ULL;
	uint64_t h = fnv_offset;
	size_t words = 0, len = 0;

	for (const unsigned char *p = (const unsigned char *)text;; p++) {
		unsigned c = *p;
		int word_char = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
				(c >= 'A' && c <= 'Z') || c >= 0x80;
		if (word_char) {
			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			h = (h ^ c) * fnv_prime;
			len++;
			continue;
		}
		if (len) {
			x[h % dims] += 1.0;
			words++;
		}
		if (c == '\0')
			break;
		h = fnv_offset;
		len = 0;
	}
	return words;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Renumbers labels so that class i is the i-th name in sorted order: the
 * numbering then does not depend on which label happens to come first. */
static int sort_labels(ml_dataset *ds, char **names, size_t n)
{
	char **sorted = malloc(n * sizeof(*sorted));
	int32_t *remap = malloc(n * sizeof(*remap));

	if (!sorted || !remap) {
		free(sorted);
		free(remap);
		return ml_fail("out of memory");
	}
	memcpy(sorted, names, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_name);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (sorted[j] == names[i])
				remap[i] = (int32_t)j;
	for (size_t r = 0; r < ds->rows; r++)
		ds->labels[r] = remap[ds->labels[r]];
	memcpy(names, sorted, n * sizeof(*names));
	free(sorted);
	free(remap);
	return 0;
}

static int load_topics(ml_dataset *out, ml_csv *csv, const ml_prepare_params *p,
		       ml_prepare_report *report)
{
	size_t dims = (size_t)p->hash_dims;
	vec X = { .item = dims * sizeof(double) };
	vec labels = { .item = sizeof(int32_t) };
	char *names[TOPICS_MAX_LABELS];
	size_t n_names = 0;
	int rc, status = -1;

	while ((rc = ml_csv_next(csv)) > 0) {
		const char *label, *text;
		double *x;
		int32_t *y;
		size_t c;

		report->rows_read++;
		if (check_field_count(csv, TOPICS_COLUMNS) < 0)
			goto done;
		label = csv->fields[0];
		text = csv->fields[1];
		if (!*label || !*text) {
			report->dropped_missing++;
			continue;
		}
		for (c = 0; c < n_names; c++)
			if (strcmp(names[c], label) == 0)
				break;
		if (c == n_names) {
			if (n_names == TOPICS_MAX_LABELS) {
				ml_csv_fail_at(csv, 0, "more than %d distinct values in column 'label'",
					       TOPICS_MAX_LABELS);
				goto done;
			}
			names[n_names] = strdup(label);
			if (!names[n_names]) {
				ml_fail("out of memory");
				goto done;
			}
			n_names++;
		}
		if (!(x = vec_push(&X)))
			goto done;
		if (hash_words(x, dims, text) == 0) { /* only punctuation: no words */
			X.len--;
			report->dropped_missing++;
			continue;
		}
		for (size_t j = 0; j < dims; j++)
			x[j] = log1p(x[j]);
		if (!(y = vec_push(&labels)))
			goto done;
		*y = (int32_t)c;
	}
	if (rc < 0)
		goto done;
	if (labels.len && n_names < 2) {
		ml_fail("%s: need at least 2 classes in column 'label', found only '%s'",
			csv->path, names[0]);
		goto done;
	}
	out->kind = ML_TARGET_CLASSES;
	out->rows = labels.len;
	out->cols = dims;
	out->X = X.data;
	out->labels = labels.data;
	X.data = labels.data = NULL;
	out->class_names = calloc(n_names ? n_names : 1, sizeof(char *));
	if (!out->class_names) {
		ml_fail("out of memory");
		goto done;
	}
	if (sort_labels(out, names, n_names) < 0)
		goto done;
	memcpy(out->class_names, names, n_names * sizeof(char *));
	out->n_classes = n_names;
	n_names = 0; /* the names now belong to out */
	status = 0;
done:
	for (size_t c = 0; c < n_names; c++)
		free(names[c]);
	free(X.data);
	free(labels.data);
	return status;
}

int ml_prepare_load(ml_dataset *out, ml_prepare_report *report,
		    const char *csv_path, const ml_prepare_params *p)
{
	ml_csv csv;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(report, 0, sizeof(*report));
	if (ml_csv_open(&csv, csv_path) < 0)
		return -1;
	rc = ml_csv_next(&csv);
	if (rc == 0) {
		rc = ml_fail("%s: empty file", csv_path);
	} else if (rc > 0) {
		if (header_is(&csv, rental_columns, RENTAL_COLUMNS)) {
			report->task = ML_TASK_RENTAL;
			rc = load_rental(out, &csv, p, report);
		} else if (header_is(&csv, topics_columns, TOPICS_COLUMNS)) {
			report->task = ML_TASK_TOPICS;
			rc = load_topics(out, &csv, p, report);
		} else {
			char shown[200];
			ml_csv_quote_value(shown, sizeof(shown), csv.fields[0]);
			rc = ml_csv_fail_at(&csv, (size_t)-1,
					    "unrecognized header starting '%s' (expected 'borough,room_type,...,price' or 'label,text')",
					    shown);
		}
	}
	if (rc == 0 && report->rows_read == 0)
		rc = ml_fail("%s: no data rows after the header", csv_path);
	else if (rc == 0 && out->rows == 0)
		rc = ml_fail("%s: no rows left after cleaning (%zu read, %zu with missing values, %zu out of range)",
			     csv_path, report->rows_read, report->dropped_missing,
			     report->dropped_range);
	ml_csv_close(&csv);
	if (rc < 0)
		ml_dataset_free(out);
	return rc < 0 ? -1 : 0;
}

int ml_prepare_split(size_t **order_out, size_t *n_train_out, ml_dataset *ds,
		     const ml_prepare_params *p)
{
	size_t n = ds->rows, d = ds->cols, n_test, n_train;
	double *mean = NULL, *scale = NULL;
	size_t *order = NULL;
	ml_rng rng;

	*order_out = NULL;
	n_test = (size_t)llround((double)n * p->test_fraction);
	n_train = n - n_test;
	if (n_test == 0 || n_train == 0)
		return ml_fail("too few rows (%zu) to split with test_fraction %g", n,
			       p->test_fraction);
	order = malloc(n * sizeof(*order));
	mean = calloc(d, sizeof(*mean));
	scale = calloc(d, sizeof(*scale));
	if (!order || !mean || !scale) {
		free(order);
		free(mean);
		free(scale);
		return ml_fail("out of memory");
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	ml_rng_seed(&rng, p->seed, 0);
	ml_rng_shuffle(&rng, order, n);

	/* Two passes (mean, then squared deviations) rather than sum of
	 * squares: the latter cancels catastrophically for columns like
	 * latitude, whose mean is large next to its spread. */
	for (size_t i = 0; i < n_train; i++) {
		const double *x = ds->X + order[i] * d;
		for (size_t j = 0; j < d; j++)
			mean[j] += x[j];
	}
	for (size_t j = 0; j < d; j++)
		mean[j] /= (double)n_train;
	for (size_t i = 0; i < n_train; i++) {
		const double *x = ds->X + order[i] * d;
		for (size_t j = 0; j < d; j++)
			scale[j] += (x[j] - mean[j]) * (x[j] - mean[j]);
	}
	for (size_t j = 0; j < d; j++) {
		double sd = sqrt(scale[j] / (double)n_train);
		/* A constant column (e.g. an unused hash bucket) is only
		 * centered: dividing by zero would make it NaN. */
		scale[j] = sd > 0 ? 1.0 / sd : 1.0;
	}
	for (size_t i = 0; i < n; i++) {
		double *x = ds->X + i * d;
		for (size_t j = 0; j < d; j++)
			x[j] = (x[j] - mean[j]) * scale[j];
	}
	free(mean);
	free(scale);
	*order_out = order;
	*n_train_out = n_train;
	return 0;
}
