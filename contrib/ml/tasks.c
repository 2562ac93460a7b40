/*
 * tasks.c - the shared description of the example data sets (see tasks.h).
 *
 * Categories and borough geography follow New York's well-known public
 * short-term rental listings, so the generated data looks familiar; the
 * numbers are invented.
 */
#include "tasks.h"

#include <string.h>

const char *const rental_columns[RENTAL_COLUMNS] = {
	"borough", "room_type", "latitude", "longitude", "minimum_nights",
	"number_of_reviews", "availability_365", "price",
};

const char *const rental_boroughs[RENTAL_BOROUGHS] = {
	"Manhattan", "Brooklyn", "Queens", "Bronx", "Staten Island",
};

const char *const rental_room_types[RENTAL_ROOM_TYPES] = {
	"Entire home/apt", "Private room", "Shared room",
};

/* Price has no real upper bound (outliers are clipped, not dropped); its
 * lower bound excludes 0, a placeholder, via a tiny positive minimum. */
const double rental_min[RENTAL_COLUMNS] = {
	0, 0, 40.45, -74.30, 1, 0, 0, 0.01,
};
const double rental_max[RENTAL_COLUMNS] = {
	0, 0, 40.95, -73.65, 1250, 1e6, 365, 1e9,
};

const char *const topics_columns[TOPICS_COLUMNS] = { "label", "text" };

const char *const topics_names[TOPICS_MAX_CLASSES] = {
	"business", "entertainment", "health", "politics",
	"science", "sports", "technology", "travel",
};

int ml_task_find(const char *const *names, size_t n, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], value) == 0)
			return (int)i;
	return -1;
}
