/*
 * tasks.h - what the two example data sets look like, shared by the
 * generator (dv-mlgen) and the cleaner (dv-prepare) so they cannot drift:
 * column names, categories, valid ranges, topic names.
 *
 *   rental  short-term rental listings -> nightly price (regression)
 *   topics  short texts -> one of several topics (classification)
 */
#ifndef DV_ML_TASKS_H
#define DV_ML_TASKS_H

#include <stddef.h>

enum {
	RENTAL_BOROUGHS = 5,
	RENTAL_ROOM_TYPES = 3,
	RENTAL_COLUMNS = 8,
	TOPICS_COLUMNS = 2,
	TOPICS_MAX_CLASSES = 8,
};

/* Column order of rental CSV files. */
enum {
	RC_BOROUGH, RC_ROOM_TYPE, RC_LATITUDE, RC_LONGITUDE,
	RC_MINIMUM_NIGHTS, RC_NUMBER_OF_REVIEWS, RC_AVAILABILITY_365, RC_PRICE,
};

extern const char *const rental_columns[RENTAL_COLUMNS];
extern const char *const rental_boroughs[RENTAL_BOROUGHS];
extern const char *const rental_room_types[RENTAL_ROOM_TYPES];

/* Valid ranges of the numeric rental columns (index by RC_*; the two
 * category columns have none).  A value outside is a bad record (a listing
 * geocoded to 0,0, a price of 0) and dv-prepare drops its row. */
extern const double rental_min[RENTAL_COLUMNS];
extern const double rental_max[RENTAL_COLUMNS];

/* The box the location features cover: the valid range minus a margin. */
#define RENTAL_GEO_LAT_MIN 40.50
#define RENTAL_GEO_LAT_MAX 40.92
#define RENTAL_GEO_LON_MIN (-74.25)
#define RENTAL_GEO_LON_MAX (-73.70)

extern const char *const topics_columns[TOPICS_COLUMNS];
extern const char *const topics_names[TOPICS_MAX_CLASSES];

/* Index of `value` in `names` (n of them), or -1. */
int ml_task_find(const char *const *names, size_t n, const char *value);

#endif
