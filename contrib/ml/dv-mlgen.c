/*
 * dv-mlgen - generate the example pipeline's raw data, deterministically.
 *
 *   dv-mlgen rental [--rows N] [--seed S] [-o FILE]
 *   dv-mlgen topics [--rows N] [--seed S] [--classes K] [-o FILE]
 *
 * Row i is drawn from its own random stream derived from (seed, i), so the
 * same seed gives the same bytes on every run and machine, and a larger
 * --rows only appends rows.  The data is deliberately a little dirty -
 * missing fields, impossible values, price outliers, mislabelled texts - so
 * that dv-prepare's cleaning has something to do.
 */
#include "atomicfile.h"
#include "cli.h"
#include "mlerr.h"
#include "rng.h"
#include "tasks.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: dv-mlgen rental [--rows N] [--seed S] [-o FILE]\n"
	"   or: dv-mlgen topics [--rows N] [--seed S] [--classes K] [-o FILE]\n";

/* Where listings are and what they cost, per borough (order of tasks.c). */
static const struct {
	double share, lat, lon, sd_lat, sd_lon, base_price;
} boroughs[RENTAL_BOROUGHS] = {
	{ 0.44, 40.776, -73.971, 0.035, 0.020, 175 },
	{ 0.41, 40.678, -73.945, 0.035, 0.035, 120 },
	{ 0.11, 40.725, -73.830, 0.040, 0.060, 95 },
	{ 0.03, 40.845, -73.870, 0.025, 0.030, 85 },
	{ 0.01, 40.590, -74.120, 0.030, 0.040, 90 },
};

static const struct {
	double share, price_factor;
} room_types[RENTAL_ROOM_TYPES] = {
	{ 0.52, 1.00 }, { 0.45, 0.48 }, { 0.03, 0.33 },
};

/* Picks an index by the shares of a small table. */
static int pick_share(ml_rng *rng, const double *shares, size_t stride, int n)
{
	double u = ml_rng_uniform(rng);
	for (int i = 0; i < n - 1; i++) {
		double s = *(const double *)((const char *)shares + (size_t)i * stride);
		if (u < s)
			return i;
		u -= s;
	}
	return n - 1;
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static int write_rental_row(FILE *out, uint64_t seed, uint64_t i)
{
	char fields[RENTAL_COLUMNS][48];
	ml_rng rng;

	ml_rng_seed(&rng, seed, i);
	int b = pick_share(&rng, &boroughs[0].share, sizeof(boroughs[0]), RENTAL_BOROUGHS);
	int r = pick_share(&rng, &room_types[0].share, sizeof(room_types[0]), RENTAL_ROOM_TYPES);
	double lat = clamp(boroughs[b].lat + boroughs[b].sd_lat * ml_rng_normal(&rng),
			   RENTAL_GEO_LAT_MIN, RENTAL_GEO_LAT_MAX);
	double lon = clamp(boroughs[b].lon + boroughs[b].sd_lon * ml_rng_normal(&rng),
			   RENTAL_GEO_LON_MIN, RENTAL_GEO_LON_MAX);
	double nights = ml_rng_uniform(&rng) < 0.08 ? 30
		: floor(clamp(exp(0.3 + 0.8 * ml_rng_normal(&rng)), 1, 365));
	double reviews = floor(clamp(exp(2.2 + 1.4 * ml_rng_normal(&rng)) - 1, 0, 900));
	double avail = ml_rng_uniform(&rng) < 0.3 ? 0 : (double)ml_rng_below(&rng, 366);

	/* Price: borough and room type set the level, closeness to Midtown a
	 * premium; popular listings and long minimum stays are cheaper,
	 * always-available ones (professional hosts) dearer; log-normal noise
	 * on top.  A linear model over dv-prepare's features can explain most,
	 * not all, of it. */
	double dy = (lat - 40.758) / 0.05, dx = (lon + 73.985) / 0.06;
	double level = boroughs[b].base_price * room_types[r].price_factor *
		       (1 + 0.7 * exp(-0.5 * (dx * dx + dy * dy)));
	double price = level * (1 + 0.0008 * avail) - 3 * log1p(reviews) - 4 * log(nights);
	price *= exp(0.18 * ml_rng_normal(&rng));
	price = floor(price < 20 ? 20 : price);
	if (ml_rng_uniform(&rng) < 0.007) /* luxury listings, typos */
		price = floor(price * (3 + 9 * ml_rng_uniform(&rng)));

	snprintf(fields[RC_BOROUGH], sizeof(fields[0]), "%s", rental_boroughs[b]);
	snprintf(fields[RC_ROOM_TYPE], sizeof(fields[0]), "%s", rental_room_types[r]);
	snprintf(fields[RC_LATITUDE], sizeof(fields[0]), "%.5f", lat);
	snprintf(fields[RC_LONGITUDE], sizeof(fields[0]), "%.5f", lon);
	snprintf(fields[RC_MINIMUM_NIGHTS], sizeof(fields[0]), "%.0f", nights);
	snprintf(fields[RC_NUMBER_OF_REVIEWS], sizeof(fields[0]), "%.0f", reviews);
	snprintf(fields[RC_AVAILABILITY_365], sizeof(fields[0]), "%.0f", avail);
	snprintf(fields[RC_PRICE], sizeof(fields[0]), "%.0f", price);

	/* Dirt: about 1% of rows lose a field, 0.5% get an impossible value. */
	double u = ml_rng_uniform(&rng);
	if (u < 0.010) {
		fields[ml_rng_below(&rng, RENTAL_COLUMNS)][0] = '\0';
	} else if (u < 0.015) {
		switch (ml_rng_below(&rng, 4)) {
		case 0: /* geocoding failure */
			strcpy(fields[RC_LATITUDE], "0.0");
			strcpy(fields[RC_LONGITUDE], "0.0");
			break;
		case 1: strcpy(fields[RC_PRICE], "0"); break;
		case 2: strcpy(fields[RC_MINIMUM_NIGHTS], "0"); break;
		default: strcpy(fields[RC_AVAILABILITY_365], "400"); break;
		}
	}
	for (int c = 0; c < RENTAL_COLUMNS; c++)
		if (fprintf(out, c ? ",%s" : "%s", fields[c]) < 0)
			return -1;
	return fputc('\n', out) == EOF ? -1 : 0;
}

enum {
	SYLLABLES = 24,
	CLASS_WORDS = 30,     /* words typical of one topic */
	COMMON_WORDS = 500,   /* words any text uses */
};

static const char *const syllables[SYLLABLES] = {
	"ka", "lo", "mi", "ne", "ru", "ta", "shi", "vo", "pe", "da", "zu", "ri",
	"mo", "fa", "ge", "bi", "no", "sa", "te", "ul", "or", "an", "el", "is",
};

/* Word j of vocabulary v: 2 or 3 syllables chosen by a hash of (v, j), so
 * vocabularies are fixed without storing them. */
static void make_word(char *buf, uint64_t vocab, uint64_t j)
{
	ml_rng rng;
	int n;

	ml_rng_seed(&rng, 0x7091c5ULL + vocab, j);
	n = 2 + (int)ml_rng_below(&rng, 2);
	buf[0] = '\0';
	for (int s = 0; s < n; s++)
		strcat(buf, syllables[ml_rng_below(&rng, SYLLABLES)]);
}

static int write_topics_row(FILE *out, uint64_t seed, uint64_t i, int classes)
{
	char word[16];
	ml_rng rng;
	int label, words;

	ml_rng_seed(&rng, seed, i);
	label = (int)ml_rng_below(&rng, (uint64_t)classes);
	words = 12 + (int)ml_rng_below(&rng, 24);
	double dirt = ml_rng_uniform(&rng);
	int shown = dirt < 0.03 ? (int)ml_rng_below(&rng, (uint64_t)classes) : label; /* mislabelled */

	if (dirt >= 0.003 || dirt < 0.0015) /* 0.15% of rows lose their label */
		if (fputs(topics_names[shown], out) == EOF)
			return -1;
	if (fputc(',', out) == EOF)
		return -1;
	if (dirt >= 0.003 && dirt < 0.005) /* 0.2% lose their text */
		words = 0;
	for (int w = 0; w < words; w++) {
		double u = ml_rng_uniform(&rng);
		if (u < 0.45) /* the topic's own words */
			make_word(word, 1 + (uint64_t)label, ml_rng_below(&rng, CLASS_WORDS));
		else if (u < 0.51) /* a neighbouring topic's: classes overlap */
			make_word(word, 1 + (uint64_t)((label + 1) % classes),
				  ml_rng_below(&rng, CLASS_WORDS));
		else { /* common words, skewed towards the frequent ones */
			double z = ml_rng_uniform(&rng);
			make_word(word, 0, (uint64_t)(z * z * COMMON_WORDS));
		}
		if (fprintf(out, w ? " %s" : "%s", word) < 0)
			return -1;
	}
	return fputc('\n', out) == EOF ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "rows", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "classes", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = "dv-mlgen", *output = "-", *task;
	uint64_t rows = 10000, seed = 42, classes = 6;
	ml_atomic out;
	int opt;

	while ((opt = getopt_long(argc, argv, "n:s:k:o:h", options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (ml_cli_integer(&rows, prog, "--rows", optarg, 1, 1000000000) < 0)
				return ML_EXIT_USAGE;
			break;
		case 's':
			if (ml_cli_integer(&seed, prog, "--seed", optarg, 0, UINT64_MAX) < 0)
				return ML_EXIT_USAGE;
			break;
		case 'k':
			if (ml_cli_integer(&classes, prog, "--classes", optarg, 2, TOPICS_MAX_CLASSES) < 0)
				return ML_EXIT_USAGE;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return ML_EXIT_OK;
		default:
			return ml_cli_usage(usage);
		}
	}
	if (optind != argc - 1)
		return ml_cli_usage(usage);
	task = argv[optind];
	if (strcmp(task, "rental") != 0 && strcmp(task, "topics") != 0) {
		fprintf(stderr, "%s: error: unknown task '%s' (expected 'rental' or 'topics')\n",
			prog, task);
		return ML_EXIT_USAGE;
	}

	if (ml_atomic_open(&out, output) < 0)
		return ml_report(prog);
	int is_rental = task[0] == 'r';
	const char *const *header = is_rental ? rental_columns : topics_columns;
	int ncols = is_rental ? RENTAL_COLUMNS : TOPICS_COLUMNS;
	for (int c = 0; c < ncols; c++)
		fprintf(out.fp, c ? ",%s" : "%s", header[c]);
	fputc('\n', out.fp);
	for (uint64_t i = 0; i < rows; i++) {
		int rc = is_rental ? write_rental_row(out.fp, seed, i)
				   : write_topics_row(out.fp, seed, i, (int)classes);
		if (rc < 0)
			break; /* the stream's error flag makes commit fail */
	}
	if (ml_atomic_commit(&out) < 0) {
		ml_atomic_abort(&out);
		return ml_report(prog);
	}
	return ML_EXIT_OK;
}
