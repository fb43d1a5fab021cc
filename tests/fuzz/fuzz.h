/* What the fuzz targets share: a check that aborts, so that libFuzzer
 * reports the input that broke a property as a crash and saves it. */
#ifndef UL_FUZZ_H
#define UL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, \
			    __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
