/* A QR code in the terminal, for `tfa enroll`. */
#ifndef UL_QR_H
#define UL_QR_H

#include <stdio.h>

/* Prints text as a QR code; -1 when it cannot be encoded. */
int ul_qr_print(FILE *f, const char *text);

#endif
