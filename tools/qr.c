/* A QR code in the terminal (libqrencode), two modules per character cell
 * with Unicode half blocks, as `qrencode -t UTF8` draws it: light modules
 * are printed, dark ones left blank, with a quiet zone of two modules. */
#include "config.h"

#include <stdio.h>

#include <qrencode.h>
#include <sodium.h>

#include "tools/qr.h"

#define MARGIN 2

static int
dark(const QRcode *q, int x, int y)
{
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->data[y * q->width + x] & 1;
}

int
ul_qr_print(FILE *f, const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);

	if (q == NULL)
		return -1;
	for (int y = -MARGIN; y < q->width + MARGIN; y += 2) {
		for (int x = -MARGIN; x < q->width + MARGIN; x++) {
			int top = dark(q, x, y), bottom = dark(q, x, y + 1);

			fputs(top && bottom ? " " : top ? "\u2584" :
			    bottom ? "\u2580" : "\u2588", f);
		}
		fputc('\n', f);
	}
	/* the code encodes a secret: wipe it before it goes back to the heap */
	sodium_memzero(q->data, (size_t)q->width * (size_t)q->width);
	QRcode_free(q);
	return 0;
}
